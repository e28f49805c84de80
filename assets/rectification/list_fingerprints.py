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
``rectification_items`` holds and was kept over this version's columns
(``HASHED_COLUMNS``); otherwise (a warehouse from before it, a table
written by other means, an upgrade that shows another column) it computes
the fingerprints from the items, and the next ledger publication computes
the table again.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from assets.db import column_names, query_frame, row_hash, row_hash_sum, scalar, table_names

from .department_lists import LEDGER_CSV_COLUMNS, sheet_source_columns
from .ledger_csv import DETECTED_MONTH, LEDGER_MONTHS

FINGERPRINTS_TABLE = "rectification_fingerprints"
SETTLED = ("escalated", "resolved")
_SETTLED_SQL = "(" + ", ".join(f"'{s}'" for s in SETTLED) + ")"
# an archive shows the sheet's columns but its one department
ARCHIVE_FINGERPRINT_COLUMNS = [c for c in sheet_source_columns() if c != "dept_id"]
# The columns the sums hash, kept on every row of the table: sums kept
# under other columns (an upgrade that shows one more) cannot be updated
# with this version's hashes, and the table is computed again.
HASHED_COLUMNS = ",".join(LEDGER_CSV_COLUMNS) + ";" + ",".join(ARCHIVE_FINGERPRINT_COLUMNS)


# {rows}: a relation with the columns of rectification_items
GROUPS = f"""
SELECT dept_id,
       {DETECTED_MONTH} AS month,
       coalesce(status IN {_SETTLED_SQL}, false) AS settled,
       count(*) AS items,
       sum({row_hash(LEDGER_CSV_COLUMNS)}) AS ledger_hash,
       sum({row_hash(ARCHIVE_FINGERPRINT_COLUMNS)}) AS archive_hash,
       '{HASHED_COLUMNS}' AS hashed_columns
FROM {{rows}}
GROUP BY ALL
"""

REBUILT = f"CREATE OR REPLACE TABLE {FINGERPRINTS_TABLE} AS " + GROUPS.format(rows="rectification_items")

# {removed}, {added}: GROUPS of the rows replaced and of their new rows
UPDATED = f"""
CREATE OR REPLACE TABLE {FINGERPRINTS_TABLE} AS
SELECT dept_id, month, settled,
       sum(items) AS items, sum(ledger_hash) AS ledger_hash, sum(archive_hash) AS archive_hash, hashed_columns
FROM (
    SELECT * FROM {FINGERPRINTS_TABLE}
    UNION ALL
    SELECT dept_id, month, settled, -items, -ledger_hash, -archive_hash, hashed_columns FROM {{removed}} AS removed
    UNION ALL
    SELECT * FROM {{added}} AS added
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


def update_fingerprints(con: duckdb.DuckDBPyConnection, *, removed: str, added: str) -> bool:
    """Subtract the groups of ``removed`` and add those of ``added``:
    relations with the columns of rectification_items, the published rows
    about to be replaced and their new rows; called before the old rows are
    deleted, in the caller's transaction. False when a warehouse from before
    the table has none to update, or one kept over other columns: the caller
    rebuilds it after its rewrite."""
    if not _kept_hashes_these_columns(con):
        return False
    groups = {"removed": f"({GROUPS.format(rows=removed)})", "added": f"({GROUPS.format(rows=added)})"}
    con.execute(UPDATED.format(**groups)).fetchall()
    return True


def _kept_hashes_these_columns(con) -> bool:
    """The table is there, its sums over this version's HASHED_COLUMNS."""
    if FINGERPRINTS_TABLE not in table_names(con):
        return False
    if "hashed_columns" not in column_names(con, FINGERPRINTS_TABLE):
        return False
    other = f"SELECT count(*) FROM {FINGERPRINTS_TABLE} WHERE hashed_columns IS DISTINCT FROM ?"
    return scalar(con, other, [HASHED_COLUMNS]) == 0


def _kept_is_whole(con) -> bool:
    """The table counts every published item over this version's columns
    (see the module's docstring)."""
    cur = con.cursor()  # the lists step's threads share the connection
    try:
        if not _kept_hashes_these_columns(cur):
            return False
        kept = scalar(cur, f"SELECT coalesce(sum(items), 0) FROM {FINGERPRINTS_TABLE}")
        return kept == scalar(cur, "SELECT count(*) FROM rectification_items")
    finally:
        cur.close()


def ledger_months(con) -> pl.DataFrame:
    """month, items, row_hash_sum of each ledger month (``LEDGER_MONTHS``)."""
    return query_frame(con, LEDGER_MONTHS_KEPT if _kept_is_whole(con) else LEDGER_MONTHS)


def archive_months(con, cutoff: date) -> pl.DataFrame:
    """dept_id, month, items, row_hash_sum of each archive (``ARCHIVE_MONTHS``)."""
    return query_frame(con, ARCHIVE_MONTHS_KEPT if _kept_is_whole(con) else ARCHIVE_MONTHS, {"cutoff": cutoff})
