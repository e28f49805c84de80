"""The fingerprints that tell the lists step which monthly files changed,
kept up to date by the ledger step instead of computed over every item.

A ledger month's CSV and a department's monthly archive are written again
only when their fingerprint changes: the item count and the sum of DuckDB's
row hashes over the columns they show (``LEDGER_MONTHS``, ``ARCHIVE_MONTHS``).
Computed from ``rectification_items``, that is two scans hashing every item
with its description each night (~1.2 s of CPU at a city's year, ~2 M
items), while a night rewrites a few tens of thousands of rows.

So ``publish_ledger`` keeps ``rectification_fingerprints`` in the same
transaction as the items: per department, month of detection and whether
the item is settled (escalated or resolved: what an archive holds), the
count and both hash sums, exact HUGEINT sums. A night subtracts the groups
of the rows it deletes and adds those of the rows it inserts; a full rewrite
computes the table again. Sums add up in any grouping, so the months'
fingerprints read from it equal the ones computed from the items, to the
digit (tests/test_list_fingerprints.py).

The lists step uses the table only when it counts as many items as
``rectification_items`` holds; otherwise (a warehouse from before it, a
table written by other means) it computes the fingerprints from the items.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb
import polars as pl

from assets.db import row_hash_sum, table_names

from .department_lists import LEDGER_CSV_COLUMNS, SHEET_COLUMNS
from .ledger_csv import DETECTED_MONTH, LEDGER_MONTHS

FINGERPRINTS_TABLE = "rectification_fingerprints"
SETTLED = ("escalated", "resolved")
_SETTLED_SQL = "(" + ", ".join(f"'{s}'" for s in SETTLED) + ")"
# an archive shows the sheet's columns but its one department
ARCHIVE_FINGERPRINT_COLUMNS = sorted({c for c, _ in SHEET_COLUMNS if c and c != "dept_id"} | {"status"})


def _hash(columns) -> str:
    return f"CAST(hash({', '.join(columns)}) AS HUGEINT)"


# {rows}: a relation with the columns of rectification_items
GROUPS = f"""
SELECT dept_id,
       {DETECTED_MONTH} AS month,
       coalesce(status IN {_SETTLED_SQL}, false) AS settled,
       count(*) AS items,
       sum({_hash(LEDGER_CSV_COLUMNS)}) AS ledger_hash,
       sum({_hash(ARCHIVE_FINGERPRINT_COLUMNS)}) AS archive_hash
FROM {{rows}}
GROUP BY ALL
"""

REBUILT = f"CREATE OR REPLACE TABLE {FINGERPRINTS_TABLE} AS " + GROUPS.format(rows="rectification_items")

# {removed}, {added}: GROUPS of the rows deleted and of the rows inserted
UPDATED = f"""
CREATE OR REPLACE TABLE {FINGERPRINTS_TABLE} AS
SELECT dept_id, month, settled,
       sum(items) AS items, sum(ledger_hash) AS ledger_hash, sum(archive_hash) AS archive_hash
FROM (
    SELECT * FROM {FINGERPRINTS_TABLE}
    UNION ALL
    SELECT dept_id, month, settled, -items, -ledger_hash, -archive_hash FROM {{removed}}
    UNION ALL
    SELECT * FROM {{added}}
)
GROUP BY ALL
HAVING sum(items) <> 0
"""

# the same rows as ledger_csv.LEDGER_MONTHS, from the table
LEDGER_MONTHS_KEPT = f"""
SELECT month, sum(items) AS items, CAST(sum(ledger_hash) AS VARCHAR) AS row_hash_sum
FROM {FINGERPRINTS_TABLE}
GROUP BY ALL
ORDER BY month
"""

# the same rows as ARCHIVE_MONTHS, from the table: settled items detected
# before $cutoff, the first day of a month, so before its month
ARCHIVE_MONTHS_KEPT = f"""
SELECT dept_id, month, items, CAST(archive_hash AS VARCHAR) AS row_hash_sum
FROM {FINGERPRINTS_TABLE}
WHERE settled AND month < strftime($cutoff, '%Y-%m')
ORDER BY dept_id NULLS LAST, month
"""

ARCHIVE_MONTHS = f"""
SELECT dept_id,
       {DETECTED_MONTH} AS month,
       count(*) AS items,
       {row_hash_sum(ARCHIVE_FINGERPRINT_COLUMNS)} AS row_hash_sum
FROM rectification_items
WHERE status IN {_SETTLED_SQL} AND detected_on < $cutoff
GROUP BY ALL
ORDER BY dept_id NULLS LAST, month
"""


def rebuild_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    """Compute the table from every published item (a full rewrite)."""
    con.execute(REBUILT).fetchall()


_REMOVED, _ADDED = "_fingerprints_removed", "_fingerprints_added"


def _groups_of(ids_table: str, into: str) -> str:
    # the rows found by their rowids: a filter on item_id alone would still
    # read every item's description (0.22 s against 0.07 s at a city's year)
    rows = (
        "(SELECT r.* FROM rectification_items AS r SEMI JOIN ("
        f"SELECT rowid AS row_number FROM rectification_items WHERE item_id IN (SELECT item_id FROM {ids_table})"
        ") AS picked ON r.rowid = picked.row_number)"
    )
    return f"CREATE OR REPLACE TEMP TABLE {into} AS " + GROUPS.format(rows=rows)


@contextmanager
def fingerprints_kept(con: duckdb.DuckDBPyConnection, ids_table: str) -> Iterator[None]:
    """Around a block that deletes the published rows of the items in
    ``ids_table`` (a relation with an item_id column) and inserts their new
    rows: the table is brought up to date with both, in the caller's
    transaction; rebuilt when a warehouse from before it has none."""
    if FINGERPRINTS_TABLE not in table_names(con):
        yield
        rebuild_fingerprints(con)
        return
    con.execute(_groups_of(ids_table, _REMOVED)).fetchall()
    yield
    con.execute(_groups_of(ids_table, _ADDED)).fetchall()
    con.execute(UPDATED.format(removed=_REMOVED, added=_ADDED)).fetchall()
    con.execute(f"DROP TABLE {_REMOVED}; DROP TABLE {_ADDED}")


def _kept_is_whole(con) -> bool:
    """The table counts every published item (see the module's docstring)."""
    if FINGERPRINTS_TABLE not in table_names(con):
        return False
    kept = con.execute(f"SELECT coalesce(sum(items), 0) FROM {FINGERPRINTS_TABLE}").fetchone()[0]
    return kept == con.execute("SELECT count(*) FROM rectification_items").fetchone()[0]


def ledger_months(con) -> pl.DataFrame:
    """month, items, row_hash_sum of each ledger month (``LEDGER_MONTHS``)."""
    return _frame(con, LEDGER_MONTHS_KEPT if _kept_is_whole(con) else LEDGER_MONTHS)


def archive_months(con, cutoff: date) -> pl.DataFrame:
    """dept_id, month, items, row_hash_sum of each archive (``ARCHIVE_MONTHS``)."""
    return _frame(con, ARCHIVE_MONTHS_KEPT if _kept_is_whole(con) else ARCHIVE_MONTHS, {"cutoff": cutoff})


def _frame(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    cur = con.cursor()  # the lists step's threads share the connection
    try:
        return cur.sql(sql, params=params).pl()
    finally:
        cur.close()
