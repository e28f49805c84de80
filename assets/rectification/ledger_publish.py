"""The ledger's published tables in the warehouse (rectification_items,
rectification_refused_updates, rectification_run_counts, rectification_as_of),
written by DuckDB from the ledger file attached read-only: the statuses are
computed by status_sql.ITEM_STATUS and land in the warehouse without passing
through polars.

A night brings ``rectification_items`` up to date instead of rewriting it.
At a city's year it holds ~2.1 M items with their descriptions (~600 MB of
text), and writing them all was most of the step, while a night changes a
few tens of thousands: new items, items whose deadline or escalation date
passed, items with a new reply, items the finders changed or withdrew. So
the status columns of every item are computed as of the new date (a narrow
query, no descriptions) and compared with the published ones, together with
the item's version in the ledger: ``last_seen_run`` (the run that last
inserted, refreshed or reinstated it; a run id, unique) and ``changed_at``
(also set when it is withdrawn; to the second only, so not enough alone),
kept in ``rectification_items_versions``. Only the items that differ are
deleted and written again; the table then equals a full rewrite row for row.
The first run, a table of another layout, or a lost versions table rewrite
the whole table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from assets.db import replace_table, table_names

from .attached import attached
from .ledger_store import transaction
from .status_sql import ESCALATION_TABLE, item_status_sql

LEDGER = "led"

# Which run saw an item when: kept in the ledger, left out of the published
# table so that the same inbox gives the same table on every run.
LEDGER_BOOKKEEPING = ["first_seen_run", "created_at", "last_seen_run", "withdrawn_at", "changed_at"]

ITEMS_TABLE = "rectification_items"
VERSIONS_TABLE = "rectification_items_versions"
AS_OF_TABLE = "rectification_as_of"

# The published items: the statuses as of $as_of. In no particular order:
# every reader sorts what it shows, and sorting two million rows with their
# descriptions took half the write.
_ITEM_ROWS = item_status_sql(f"{LEDGER}.", exclude=LEDGER_BOOKKEEPING, ordered=False)
PUBLISHED_ITEMS = f"CREATE OR REPLACE TABLE {ITEMS_TABLE} AS\n{_ITEM_ROWS}"

# What decides whether a published row is still right: the item's version in
# the ledger (a withdrawal sets only changed_at, so `withdrawn` itself is
# compared too) and every column that depends on the as-of date or the replies.
_STATUS_COLUMNS = [
    "deadline", "withdrawn", "escalate_after", "last_status", "last_note", "last_updated_by", "last_updated_at",
    "status", "resolved_on", "status_zh", "resolved_late",
]  # fmt: skip
_VERSION = ["last_seen_run", "changed_at"]
_ITEM_STATUS_NOW = item_status_sql(
    f"{LEDGER}.", items_star="i.item_id, i.last_seen_run, i.changed_at, i.deadline, i.withdrawn", ordered=False
)
PUBLISHED_VERSIONS = f"""
CREATE OR REPLACE TABLE {VERSIONS_TABLE} AS
SELECT item_id, last_seen_run, changed_at FROM {LEDGER}.ledger_items WHERE detected_on <= $as_of
"""

_NOW, _REDO = "_items_now", "_items_redo"
ITEMS_NOW = f"CREATE OR REPLACE TEMP TABLE {_NOW} AS {_ITEM_STATUS_NOW}"
# items whose row differs, or that are only on one side (new as of the date,
# or no longer shown when the as-of date went back)
ITEMS_TO_REDO = f"""
CREATE OR REPLACE TEMP TABLE {_REDO} AS
SELECT item_id
FROM {_NOW} AS n
FULL JOIN (SELECT * FROM {ITEMS_TABLE} JOIN {VERSIONS_TABLE} USING (item_id)) AS p USING (item_id)
WHERE ({", ".join(f"n.{c}" for c in _VERSION + _STATUS_COLUMNS)})
      IS DISTINCT FROM ({", ".join(f"p.{c}" for c in _VERSION + _STATUS_COLUMNS)})
"""
REDONE = [
    f"DELETE FROM {ITEMS_TABLE} WHERE item_id IN (SELECT item_id FROM {_REDO})",
    f"DELETE FROM {VERSIONS_TABLE} WHERE item_id IN (SELECT item_id FROM {_REDO})",
    f"INSERT INTO {ITEMS_TABLE} BY NAME SELECT * FROM ({_ITEM_ROWS}) WHERE item_id IN (SELECT item_id FROM {_REDO})",
    f"INSERT INTO {VERSIONS_TABLE} SELECT item_id, last_seen_run, changed_at FROM {_NOW}"
    f" WHERE item_id IN (SELECT item_id FROM {_REDO})",
]

PUBLISHED_REFUSED = f"CREATE OR REPLACE TABLE rectification_refused_updates AS SELECT * FROM {LEDGER}.ledger_refused_updates"
STATUS_COUNTS = f"SELECT status, count(*) FROM {ITEMS_TABLE} GROUP BY status ORDER BY status"


def publish_ledger(
    con: duckdb.DuckDBPyConnection,
    ledger_file: Path,
    *,
    as_of: date,
    escalation: pl.DataFrame,
    run_counts: pl.DataFrame,
    lock_timeout_s: float = 900.0,
) -> tuple[dict[str, int], int]:
    """Bring the published tables on the warehouse connection ``con`` up to
    date in one transaction, from the closed ledger file; ``escalation`` is
    status_sql.escalation_dates for the ledger's deadlines. Returns the
    number of items per status, and how many item rows were written."""
    with attached(con, ledger_file, LEDGER, lock_timeout_s=lock_timeout_s):
        con.register(ESCALATION_TABLE, escalation)
        try:
            with transaction(con):
                params = {"as_of": as_of}
                if _publishable_in_place(con):
                    con.execute(ITEMS_NOW, params).fetchall()
                    con.execute(ITEMS_TO_REDO).fetchall()
                    rewritten = con.execute(f"SELECT count(*) FROM {_REDO}").fetchone()[0]
                    for sql in REDONE:
                        con.execute(sql, params if "$as_of" in sql else None).fetchall()
                    con.execute(f"DROP TABLE {_NOW}; DROP TABLE {_REDO}")
                else:
                    con.execute(PUBLISHED_ITEMS, params).fetchall()
                    con.execute(PUBLISHED_VERSIONS, params).fetchall()
                    rewritten = con.execute(f"SELECT count(*) FROM {ITEMS_TABLE}").fetchone()[0]
                con.execute(PUBLISHED_REFUSED).fetchall()
                replace_table(con, "rectification_run_counts", run_counts)
                replace_table(con, AS_OF_TABLE, pl.DataFrame({"as_of": [as_of]}, schema={"as_of": pl.Date}))
        finally:
            con.unregister(ESCALATION_TABLE)
    counts = {status: int(n) for status, n in con.execute(STATUS_COUNTS).fetchall()}
    return counts, int(rewritten)


def _publishable_in_place(con: duckdb.DuckDBPyConnection) -> bool:
    """The published table and its versions are there, with the columns a
    full rewrite would give (an upgrade that changed them rewrites it)."""
    if not {ITEMS_TABLE, VERSIONS_TABLE} <= table_names(con):
        return False
    want = _columns(con, _ITEM_ROWS, {"as_of": date.min})
    versions = [name for name, _type in _columns(con, f"SELECT * FROM {VERSIONS_TABLE}")]
    return _columns(con, f"SELECT * FROM {ITEMS_TABLE}") == want and versions == ["item_id", *_VERSION]


def _columns(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> list[tuple[str, str]]:
    """(name, type) of each column ``query`` gives, without reading its rows."""
    cur = con.execute(f"SELECT * FROM ({query}) LIMIT 0", params)
    columns = [(d[0], str(d[1])) for d in cur.description]
    cur.fetchall()
    return columns


def published_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date the published statuses are computed for (None before
    the ledger step has run)."""
    if AS_OF_TABLE not in table_names(con):
        return None
    rows = con.execute(f"SELECT as_of FROM {AS_OF_TABLE}").fetchall()
    return rows[0][0] if rows else None
