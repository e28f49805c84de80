"""The staged files a run covered: what its GX check validates, and what
each staging step announces to the GX validator as soon as it has written
them (checks.gx_process)."""

from __future__ import annotations

from pathlib import Path

from assets.ingest.staging import StagedStore
from pipelines.resources import WindowWatchHome

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_partition_range(context) -> tuple[str, str] | None:
    """The first and last day of the run's partitions (None: not partitioned)."""
    tags = context.run.tags
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END]
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    return None


def staged_files_of_run(context, home: WindowWatchHome, source: str) -> list[Path]:
    """The staged data files of the days this run covered, oldest first."""
    bounds = run_partition_range(context)
    store = StagedStore(home.staged_dir)
    files = [
        store.data_path(source, day)
        for day in store.staged_days(source)
        if bounds is None or bounds[0] <= day.isoformat() <= bounds[1]
    ]
    return [p for p in files if p.exists()]
