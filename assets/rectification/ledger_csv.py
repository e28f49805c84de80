"""The ledger CSV (rectification.md: UTF-8 with BOM, LEDGER_CSV_COLUMNS, an
empty cell for an empty value, ISO dates), written by DuckDB straight from
the warehouse's ``rectification_items``, sorted by item_id.

The nightly run and ``windowwatch export rectification --out FILE.csv`` both
write it here. DuckDB streams the rows to the file: at a city's year the
ledger is ~2 M items and ~650 MB of text, which as one polars frame was the
lists step's memory peak.
"""

from __future__ import annotations

from pathlib import Path

from assets.db import row_hash_sum

from .department_lists import LEDGER_CSV_COLUMNS

BOM = "\ufeff"

# DuckDB's COPY has no BOM option and refuses HEADER with PREFIX, so the BOM
# rides on the first header cell: the file then starts with the three BOM
# bytes and reads back as `item_id` in Excel and in any BOM-aware reader.
_COLUMNS = ", ".join(f'{c} AS "{BOM}{c}"' if i == 0 else c for i, c in enumerate(LEDGER_CSV_COLUMNS))

# a ledger month: the month of detected_on, 'YYYY-MM'
DETECTED_MONTH = "strftime(detected_on, '%Y-%m')"

LEDGER_CSV_ROWS = f"""
SELECT {_COLUMNS}
FROM rectification_items
WHERE ($dept IS NULL OR dept_id = $dept)
  AND ($month IS NULL OR {DETECTED_MONTH} = $month)
ORDER BY item_id
"""

# Each month's fingerprint: its item count and the sum of DuckDB's row hashes
# over every column the CSV shows, so an unchanged month is not even read.
LEDGER_MONTHS = f"""
SELECT {DETECTED_MONTH} AS month,
       count(*) AS items,
       {row_hash_sum(LEDGER_CSV_COLUMNS)} AS row_hash_sum
FROM rectification_items
GROUP BY ALL
ORDER BY month
"""

COPY_OPTIONS = "HEADER, DATEFORMAT '%Y-%m-%d'"


def write_ledger_csv(con, path: Path, *, dept: str | None = None, month: str | None = None) -> Path:
    """Write the ledger (or one department's part of it, or the items detected
    in one month 'YYYY-MM') to ``path`` through a temporary file, so a reader
    never sees half a ledger. ``con`` may be read-only; a cursor of its own,
    so the call can run on a worker thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    target = str(tmp).replace("'", "''")
    cur = con.cursor()
    try:
        cur.execute(f"COPY ({LEDGER_CSV_ROWS}) TO '{target}' ({COPY_OPTIONS})", {"dept": dept, "month": month}).fetchall()
    finally:
        cur.close()
    tmp.replace(path)
    return path
