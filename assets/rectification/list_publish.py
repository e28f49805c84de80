"""What the nightly run sends the departments, read from the warehouse's
``rectification_items``: the ledger CSV, each department's daily list and its
monthly archives (往月归档), in HOME/exports/rectification.

Why archives: an escalated item stays on the ledger until it is answered,
and a resolved one stays forever, so a list of everything grows with the
history. At a city's year that was ~2 M rows rewritten every night (19 s, the
largest step of the night). The daily list keeps what a department has to
act on now; older settled items move to one workbook per department and
month, which is written again only when one of its items changes.

* **daily list** ``departments/整改清单_<dept>_<YYYYMMDD>.xlsx``: every item
  that is not withdrawn, except the *settled* old ones below. So it holds
  everything detected in the as-of month and the month before, and any item
  still open, in progress, disputed or overdue whatever its date.
* **archive** ``departments/archive/整改清单_<dept>_<YYYY年MM月>归档.xlsx``:
  the items detected in that month, before the month before the as-of month,
  whose status is escalated (通报, still to be answered) or resolved. Same
  layout and reply columns as the daily list, so it can be filled in and
  dropped back into rectification_updates/ as well. Its fingerprint (count
  and the sum of DuckDB's row hashes over every shown column) is computed in
  SQL for all archives at once, so an unchanged one is not even read.
* **ledger CSV** ``ledger.csv``: every item, while they fit in one Excel
  sheet (``LEDGER_CSV_MAX_ITEMS``). A bigger ledger (a city's year holds
  ~2 M items, 650 MB of text) could not be opened in Excel, and writing it
  whole was a third of the step; it is then published as one file per month
  of detection, ``ledger/ledger_<YYYY-MM>.csv`` (same columns, each sorted by
  item_id), and like the archives a month is written again only when its
  fingerprint changes. ``windowwatch export rectification --out FILE.csv``
  always gives the whole ledger in one file.
* **refused replies** (``PENDING_REFUSALS``): a department's daily list
  has a second sheet, 未受理的反馈, with each reply of its own the run
  refused and that no accepted reply has answered since, while the item is
  still to be answered. The archives do not: they change only with their
  items, and the daily list is the one a department reads every day.
* Daily lists dated more than ``DAILY_LIST_KEEP_DAYS`` before the as-of date
  are deleted (nothing is lost: the whole ledger is always there, ``windowwatch export
  rectification``); archives no run produces any more (every item of the
  month withdrawn, or another as-of date) are deleted.
"""

from __future__ import annotations

import re
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from assets.db import column_names, query_frame, table_names

from .department_lists import (
    FILE_REJECTED,
    LEDGER_CSV_COLUMNS,
    HashBook,
    Workbook,
    dept_names,
    dept_of_list_name,
    dept_order,
    export_department_workbooks,
    sheet_source_columns,
)
from .ledger_csv import DETECTED_MONTH, write_ledger_csv
from .ledger_publish import REFUSED_TABLE
from .list_fingerprints import SETTLED, archive_months, ledger_months
from .masking import mask_text

DAILY_LIST_KEEP_DAYS = 31
# one Excel sheet holds 1,048,576 rows, the header included
LEDGER_CSV_MAX_ITEMS = 1_048_575
LEDGER_CSV = "ledger.csv"
LEDGER_MONTHS_DIR = "ledger"
DEPARTMENTS_DIR = "departments"
ARCHIVE_DIR = "archive"

# what a sheet shows (department_lists.sheet_frame) and sorts and fills by
_SHEET_SOURCE_COLUMNS = ", ".join(sheet_source_columns())

LIST_DEPARTMENTS = "SELECT dept_id, dept_name FROM departments"

# Every department's daily rows in one scan ($cutoff: the first day of the
# month before the as-of month), split by department in polars: a query per
# department scanned the ledger once each (~0.7 s for a city's 12 against
# ~0.3 s). They are a few hundred thousand rows; the archives, which hold
# the rest of a city's ~2 M items, are still read one workbook at a time.
DAILY_LIST_ROWS = f"""
SELECT {_SHEET_SOURCE_COLUMNS}
FROM rectification_items
WHERE status <> 'withdrawn'
  AND NOT (status IN {SETTLED} AND detected_on < $cutoff)
"""

# An archive's month is DETECTED_MONTH: ARCHIVE_ROWS selects by the same
# expression as its fingerprint groups by (list_fingerprints.ARCHIVE_MONTHS),
# so the rows written are the rows fingerprinted.
ARCHIVE_ROWS = f"""
SELECT {_SHEET_SOURCE_COLUMNS}
FROM rectification_items
WHERE dept_id IS NOT DISTINCT FROM $dept
  AND status IN {SETTLED}
  AND detected_on < $cutoff
  AND {DETECTED_MONTH} = $month
"""


# What has become of each refused reply (follow_up):
# * gone: it names no item and no reply file of the inbox holds it any more
#   (the file was corrected or taken away): nothing is left to do;
# * no_item: it names no item and its file is not named like a department's
#   list, so no department can be told (the office sees it on the
#   rectification page and in the run summary);
# * settled: its item is resolved or withdrawn, nothing is left to answer;
# * answered: an accepted reply came in a later run or is dated at or after
#   it (answered_later, ledger_publish.PUBLISHED_REFUSED);
# * waiting: none of these; it goes back on a daily list (PENDING_REFUSALS):
#   the item's department's, or for no item the department whose list the
#   file is (returned_to, updates_quality.inbox_refusals).
REFUSALS_FOLLOWED = f"""
SELECT r.*, coalesce(i.dept_id, r.returned_to) AS dept_id, i.status_zh, i.deadline,
       CASE WHEN i.item_id IS NULL AND NOT r.in_inbox THEN 'gone'
            WHEN i.item_id IS NULL AND r.returned_to IS NULL THEN 'no_item'
            WHEN i.status IN ('resolved', 'withdrawn') THEN 'settled'
            WHEN r.answered_later THEN 'answered'
            ELSE 'waiting'
       END AS follow_up
FROM {REFUSED_TABLE} AS r
LEFT JOIN rectification_items AS i USING (item_id)
"""
PENDING_REFUSALS = f"""
SELECT dept_id, item_id, status_zh, strftime(deadline, '%Y-%m-%d') AS deadline,
       source_file, source_row, status AS reply_status,
       coalesce(strftime(updated_at, '%Y-%m-%d %H:%M'), updated_at_raw) AS reply_time,
       reason_code, reason
FROM ({REFUSALS_FOLLOWED})
WHERE follow_up = 'waiting'
ORDER BY source_file, source_row, item_id
"""
# PENDING_REFUSALS' columns, for the refusals that do not come from it
PENDING_SCHEMA = {
    "dept_id": pl.String, "item_id": pl.String, "status_zh": pl.String, "deadline": pl.String,
    "source_file": pl.String, "source_row": pl.Int64, "reply_status": pl.String, "reply_time": pl.String,
    "reason_code": pl.String, "reason": pl.String,
}


def refusals_followable(con) -> bool:
    """Whether REFUSALS_FOLLOWED can read the warehouse: the ledger step of
    this version has published the refused replies (a warehouse from before
    it lacks their last column until the next run)."""
    return REFUSED_TABLE in table_names(con) and "returned_to" in column_names(con, REFUSED_TABLE)


def pending_refusals(con) -> pl.DataFrame:
    """PENDING_REFUSALS, or none before the ledger step has published any."""
    if refusals_followable(con):
        return query_frame(con, PENDING_REFUSALS)
    return pl.DataFrame(schema=PENDING_SCHEMA)


# Reply files refused whole (unreadable, a required column missing, an .xls):
# none of their answers counted, so the department hears of it on its daily
# list, first among its refusals, while the file stays refused in the inbox.
# Only a file named like one of its lists (dept_of_list_name) can be given to
# a department; a file in a subfolder was put there by the office.
REJECTED_REPLY_FILES = "SELECT file, message FROM reply_file_quality WHERE status = 'rejected' ORDER BY file"


def rejected_reply_files(con, dept_ids: list[str]) -> pl.DataFrame:
    """REJECTED_REPLY_FILES given to their departments, as pending refusals
    (reason_code FILE_REJECTED, the run's message as the reason)."""
    files = con.execute(REJECTED_REPLY_FILES).fetchall() if "reply_file_quality" in table_names(con) else []
    # matched by the name as it is, shown masked as every name and message the office wrote is
    given = [
        (dept, mask_text(name), mask_text(message))
        for name, message in files
        if (dept := dept_of_list_name(name, dept_ids))
    ]
    frame = pl.DataFrame(given, schema=["dept_id", "source_file", "reason"], orient="row", strict=False)
    frame = frame.with_columns(reason_code=pl.lit(FILE_REJECTED))
    return pl.concat([pl.DataFrame(schema=PENDING_SCHEMA), frame], how="diagonal_relaxed")


def archive_cutoff(as_of: date) -> date:
    """The first day of the month before the as-of month: settled items
    detected before it go to the monthly archives."""
    first = as_of.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@dataclass
class PublishedLists:
    ledger_csv: Path  # ledger.csv, or the folder of the monthly files
    daily: dict[str | None, Path]
    archives: list[Path]
    written: list[Path] = field(default_factory=list)  # workbooks
    deleted: list[Path] = field(default_factory=list)
    csv_written: list[Path] = field(default_factory=list)  # ledger.csv, or the months written again


def publish_lists(
    con, out_dir: Path, *, as_of: date, pool: Executor, csv_max_items: int = LEDGER_CSV_MAX_ITEMS
) -> PublishedLists:
    """Write the ledger CSV, whole or by month (on ``pool``'s threads, beside
    the first workbooks), the daily lists, then the archives that changed;
    delete the stale files. ``con``: the warehouse, read-only."""
    cutoff = archive_cutoff(as_of)
    departments = query_frame(con, LIST_DEPARTMENTS)
    csv_done = _submit_ledger_csv(con, out_dir, pool, csv_max_items)
    written: list[Path] = []
    daily_dir = out_dir / DEPARTMENTS_DIR
    daily_rows = query_frame(con, DAILY_LIST_ROWS, {"cutoff": cutoff}).partition_by("dept_id", as_dict=True)
    refused = pl.concat(
        [rejected_reply_files(con, departments["dept_id"].to_list()), pending_refusals(con)], how="diagonal_relaxed"
    )
    refused_by_dept = refused.partition_by("dept_id", as_dict=True)
    no_items = (query_frame(con, DAILY_LIST_ROWS + " LIMIT 0", {"cutoff": cutoff})
                if set(refused_by_dept) - set(daily_rows) else None)
    daily = export_department_workbooks(
        [  # items without a department form their own list, the last one
            Workbook(
                dept,
                lambda rows=daily_rows.get((dept,), no_items): rows,
                refusals=lambda found=refused_by_dept.get((dept,), refused.clear()): found,
            )
            # a department whose items are all in the archives still hears of its refused replies
            for dept in sorted({d for (d,) in daily_rows} | {d for (d,) in refused_by_dept}, key=dept_order)
        ],
        daily_dir, as_of=as_of, departments=departments, written=written, pool=pool,
    )
    del daily_rows
    archive_dir = daily_dir / ARCHIVE_DIR
    months = archive_months(con, cutoff)
    archive_sources = [
        Workbook(
            dept,
            lambda dept=dept, month=month: query_frame(
                con, ARCHIVE_ROWS, {"dept": dept, "cutoff": cutoff, "month": month}
            ),
            month=month,
            digest=f"{items}:{row_hash_sum}",
        )
        for dept, month, items, row_hash_sum in months.iter_rows()
    ]
    if archive_sources:
        export_department_workbooks(
            archive_sources, archive_dir, as_of=as_of, departments=departments, written=written, pool=pool,
        )
    # export_department_workbooks maps a department to one path; a department has an archive per month
    names = dept_names(departments)
    archived = [archive_dir / s.file_name(names, as_of) for s in archive_sources]
    deleted = _prune_daily(daily_dir, as_of) + _prune_unlisted(archive_dir, _ARCHIVE_NAME, {p.name for p in archived})
    ledger_csv, csv_written, csv_deleted = csv_done()
    return PublishedLists(ledger_csv, daily, archived, written, deleted + csv_deleted, csv_written)


def _submit_ledger_csv(con, out_dir: Path, pool: Executor, max_items: int):
    """Start writing the ledger CSV; returns a function that waits for it and
    gives (ledger.csv or the monthly folder, files written, files deleted)."""
    whole = out_dir / LEDGER_CSV
    monthly_dir = out_dir / LEDGER_MONTHS_DIR
    months = ledger_months(con)
    # (an item without a detection date would have no month: keep one file)
    if months["items"].sum() <= max_items or months["month"].null_count():
        done = pool.submit(write_ledger_csv, con, whole)

        def finish_whole() -> tuple[Path, list[Path], list[Path]]:
            return done.result(), [whole], _prune_unlisted(monthly_dir, _LEDGER_MONTH_NAME, keep=set())

        return finish_whole

    monthly_dir.mkdir(parents=True, exist_ok=True)
    book = HashBook(monthly_dir)

    def write_month(month: str, digest: str) -> Path | None:
        path = monthly_dir / f"ledger_{month}.csv"
        if not book.begin(path.name, digest):
            return None
        write_ledger_csv(con, path, month=month)
        book.done(path.name, digest)
        return path

    columns = ",".join(LEDGER_CSV_COLUMNS)
    jobs = [
        pool.submit(write_month, month, f"{columns}:{items}:{row_hash_sum}")
        for month, items, row_hash_sum in months.iter_rows()
    ]
    keep = {f"ledger_{month}.csv" for month in months["month"]}

    def finish_monthly() -> tuple[Path, list[Path], list[Path]]:
        written = [path for job in jobs if (path := job.result()) is not None]
        deleted = _prune_unlisted(monthly_dir, _LEDGER_MONTH_NAME, keep)
        if whole.exists():  # the ledger outgrew one file: no stale whole copy beside the months
            whole.unlink()
            deleted.append(whole)
        return monthly_dir, written, deleted

    return finish_monthly


_LEDGER_MONTH_NAME = re.compile(r"^ledger_\d{4}-\d{2}\.csv$")


_DAILY_NAME = re.compile(r"^整改清单_.+_(\d{8})\.xlsx$")
_ARCHIVE_NAME = re.compile(r"^整改清单_.+_\d{4}年\d{2}月归档\.xlsx$")


def published_lists(out_dir: Path, as_of: date) -> list[Path]:
    """The workbooks ``publish_lists`` left in ``out_dir`` for the run of
    ``as_of``, as the departments get them: the day's lists, then the
    monthly archives."""
    daily_dir = out_dir / DEPARTMENTS_DIR
    day = f"{as_of:%Y%m%d}"
    daily = [p for p in daily_dir.glob("整改清单_*.xlsx") if (m := _DAILY_NAME.match(p.name)) and m[1] == day]
    archives = [p for p in (daily_dir / ARCHIVE_DIR).glob("整改清单_*.xlsx") if _ARCHIVE_NAME.match(p.name)]
    return sorted(daily) + sorted(archives)


def _prune_daily(daily_dir: Path, as_of: date) -> list[Path]:
    oldest = as_of - timedelta(days=DAILY_LIST_KEEP_DAYS)
    deleted = []
    for path in daily_dir.glob("整改清单_*.xlsx"):
        m = _DAILY_NAME.match(path.name)
        if m and m[1] < f"{oldest:%Y%m%d}":
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


def _prune_unlisted(folder: Path, name: re.Pattern, keep: set[str]) -> list[Path]:
    """Delete the files of ``folder`` that the run writes (their names match
    ``name``) but did not produce this time; other files are left alone."""
    deleted = []
    for path in folder.glob("*"):
        if name.match(path.name) and path.name not in keep:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted
