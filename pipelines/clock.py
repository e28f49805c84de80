"""The office's clock: dates and times are Asia/Shanghai wherever the
machine's own time zone is set.

This module imports nothing heavy: the command line reads the default
as-of date from here before it starts the GX and site children, and those
should start before Dagster is imported (pipelines/cli.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The first day the daily partitions have (assets.ingest.assets): an as-of
# date before it is refused; kept here so that the command line checks it
# without importing Dagster.
PARTITION_START = "2015-01-01"


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


def yesterday_in_shanghai() -> date:
    return today_in_shanghai() - timedelta(days=1)
