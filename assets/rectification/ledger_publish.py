"""The ledger's published tables in the warehouse (rectification_items,
rectification_refused_updates, rectification_run_counts), written by DuckDB
from the ledger file attached read-only: the statuses are computed by
status_sql.ITEM_STATUS and land in the warehouse without passing through
polars.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from assets.db import replace_table

from .attached import attached
from .ledger_store import transaction
from .status_sql import ESCALATION_TABLE, item_status_sql

LEDGER = "led"

# Which run saw an item when: kept in the ledger, left out of the published
# table so that the same inbox gives the same table on every run.
LEDGER_BOOKKEEPING = ["first_seen_run", "created_at", "last_seen_run", "withdrawn_at", "changed_at"]

# The published items: the statuses as of $as_of, with the as-of date on
# every row. In no particular order: every reader sorts what it shows, and
# sorting two million rows with their descriptions took half the write.
PUBLISHED_ITEMS = (
    "CREATE OR REPLACE TABLE rectification_items AS\n"
    + item_status_sql(f"{LEDGER}.", exclude=LEDGER_BOOKKEEPING, extra=", $as_of AS as_of", ordered=False)
)
PUBLISHED_REFUSED = f"CREATE OR REPLACE TABLE rectification_refused_updates AS SELECT * FROM {LEDGER}.ledger_refused_updates"
STATUS_COUNTS = "SELECT status, count(*) FROM rectification_items GROUP BY status ORDER BY status"


def publish_ledger(
    con: duckdb.DuckDBPyConnection,
    ledger_file: Path,
    *,
    as_of: date,
    escalation: pl.DataFrame,
    run_counts: pl.DataFrame,
    lock_timeout_s: float = 900.0,
) -> dict[str, int]:
    """Replace the three tables on the warehouse connection ``con`` in one
    transaction, from the closed ledger file; ``escalation`` is
    status_sql.escalation_dates for the ledger's deadlines. Returns the
    number of items per status."""
    with attached(con, ledger_file, LEDGER, lock_timeout_s=lock_timeout_s):
        con.register(ESCALATION_TABLE, escalation)
        try:
            with transaction(con):
                con.execute(PUBLISHED_ITEMS, {"as_of": as_of}).fetchall()
                con.execute(PUBLISHED_REFUSED).fetchall()
                replace_table(con, "rectification_run_counts", run_counts)
        finally:
            con.unregister(ESCALATION_TABLE)
    return {status: int(n) for status, n in con.execute(STATUS_COUNTS).fetchall()}
