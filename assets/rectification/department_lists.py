"""Exports of the ledger and the reader of returned department lists.

* ``LEDGER_CSV_COLUMNS`` — the ledger CSV's columns (ledger_csv.py writes it).
* ``export_department_lists(ledger, out_dir, as_of=...)`` — one workbook per
  department (整改清单): sheet 1 ``整改清单`` with Chinese headers, unresolved
  items first by deadline (then item_id), resolved items after them (withdrawn
  items are not sent), overdue rows filled light red and escalated (通报) rows
  darker red, header frozen and filtered, widths fitted to Chinese text (CJK
  counts 2), and empty reply columns 整改状态 (dropdown 整改中/已整改/申诉),
  整改情况, 填报人, 填报时间 (pre-formatted as date-time), after 上次反馈 (the
  latest accepted reply, its note masked); on a daily list with refused
  replies, sheet ``未受理的反馈`` (REFUSAL_COLUMNS); last ``填报说明``.
  xlsxwriter writes the workbook around the data rows, which sheet_rows.py
  builds with polars; a workbook whose content hash has not changed since it
  was written is left alone (``.content_hashes.json`` beside the files).
* ``read_returned_list(path)`` — the filled sheet (XLSX: the 整改清单 sheet, else the first with a header; CSV in
  UTF-8/BOM/GB18030, or Parquet), Chinese or English headers, to update rows
  for ``status.validate_updates``.

``ledger`` is the frame of ``ledger_store.read_ledger`` (items + status
columns). Descriptions are written as stored: they were built with their free
text masked (items.py); they are not masked again because the ID rule could
eat the case numbers they quote.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import threading
import unicodedata
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import polars as pl

from assets.atomic_files import write_text_atomic
from assets.ingest.contract import UPDATE_STATUS, UPDATES_SOURCE, header_aliases, normalise_header
from assets.ingest.readers import first_line, unreadable_reason

from . import sheet_rows
from .masking import mask_text_expr
from .status import STATUS_ZH, UNRESOLVED, parse_timestamp

LEDGER_CSV_COLUMNS = [
    "item_id",
    "rule",
    "category",
    "hall_id",
    "window_id",
    "dept_id",
    "staff_id",
    "subject_ref",
    "detected_on",
    "deadline",
    "status",
    "resolved_on",
    "description",
]

# (ledger column, Chinese header); reply columns have no ledger column
SHEET_COLUMNS: list[tuple[str | None, str]] = [
    ("item_id", "整改编号"),
    ("category", "问题类别"),
    ("rule", "规则代码"),
    ("hall_id", "大厅编号"),
    ("window_id", "窗口编号"),
    ("dept_id", "部门编码"),
    ("staff_id", "工号"),
    ("subject_ref", "问题对象"),
    ("detected_on", "发现日期"),
    ("deadline", "整改期限"),
    ("status_zh", "当前状态"),
    ("resolved_on", "整改完成日期"),
    ("description", "问题描述"),
    ("last_reply", "上次反馈"),
]
# The one sheet column that is not a ledger column: the latest accepted
# reply, so that a department sees what the office has taken from its last
# answer; sheet_frame builds it from these (last_reply_text).
LAST_REPLY_SOURCES = ("last_status", "last_updated_at", "last_updated_by", "last_note")
REPLY_COLUMNS: list[tuple[str, str]] = [
    ("status", "整改状态"),
    ("note", "整改情况"),
    ("updated_by", "填报人"),
    ("updated_at", "填报时间"),
]
# the empty reply cells' formats: 整改情况 wraps, 填报时间 shows a date and time
_REPLY_CELL_KINDS = ["text", "wrap", "text", "datetime"]
SHEET_NAME = "整改清单"
# A department's refused replies that no later accepted reply has answered
# (list_publish.PENDING_REFUSALS), on its daily list's second sheet: without
# it a department never learns that an answer did not count.
REFUSALS_SHEET = "未受理的反馈"
# (column, header, width)
REFUSAL_COLUMNS: list[tuple[str, str, int]] = [
    ("item_id", "整改编号", 20),
    ("status_zh", "当前状态", 10),
    ("deadline", "整改期限", 12),
    ("source_file", "反馈文件", 36),
    ("source_row", "表头下第几行", 8),
    ("reply_status", "所填整改状态", 10),
    ("reply_time", "所填填报时间", 18),
    ("reason", "未受理原因及改正办法", 50),
]
# what a department is told for each refusal code (status.validate_updates)
REFUSAL_ADVICE = {
    "unknown_item": "整改编号为空或不在整改台账中：请照清单上的整改编号填写，不要改动编号，不要另加行；"
                    "改好后用同一文件名重新交一次，替换原来的文件",
    "unknown_status": "整改状态只能填写“整改中”“已整改”或“申诉”",
    "resolved_without_note": "选择“已整改”时必须填写整改情况（整改了什么、何时完成）",
    "missing_updated_by": "请填写填报人（谁填的反馈）",
    "before_detected": "填报时间早于问题发现的日期，请核对，填写实际填报（整改）的时间",
    "after_today": "填报时间晚于今天，请核对年份和月份，填写实际填报的时间",
    "bad_updated_at": "填报时间为空或无法识别，请写到分钟，例如 2026-03-12 09:30",
}
# a reply file refused whole (list_publish.rejected_reply_files), with the
# run's message on why: none of its answers counted
FILE_REJECTED = "file_rejected"
FILE_REJECTED_TEXT = ("整份文件未受理，其中的反馈都没有登记。原因：", "。请在督查室发来的清单上填写（不要删改表头，"
                      "不要另存为 .xls 等格式），改好后用同一文件名重新交一次，替换原来的文件")
# beyond this many a department has sent a whole list the same wrong way;
# the first rows show how, and the sheet says how many more there are
MAX_REFUSAL_ROWS = 2000
OVERDUE_FILL = "#FFC7CE"
ESCALATED_FILL = "#FF9B9B"
REPLY_HEADER_FILL = "#FFF2CC"
HEADER_FILL = "#DDEBF7"
MAX_WIDTH = 60


def display_width(text: Any) -> int:
    """Width of text in Excel columns: CJK / full-width characters count 2."""
    if text is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in str(text))


# ---------------------------------------------------------------------------
# department workbooks
# ---------------------------------------------------------------------------
_BAD_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')
# date cells are written as Excel serial numbers (what write_datetime stores)
_EXCEL_DAY0 = date(1899, 12, 30)
# bump when the workbook layout changes, so unchanged-content skipping rewrites every file
_LAYOUT_VERSION = "5"  # 5: notes on 填报人 and corrections; 4: 上次反馈 column, 未受理的反馈 sheet; 3: print settings, 整改情况 wrapped, item ids frozen
HASH_FILE = ".content_hashes.json"
_DATE_COLUMNS = frozenset({"detected_on", "deadline", "resolved_on"})
# wrapped columns and their widths: the description, and the last reply,
# narrower, since the list must still print one page wide
_WRAPPED_WIDTHS = {"description": MAX_WIDTH, "last_reply": 30}


def sheet_source_columns() -> list[str]:
    """The rectification_items columns a sheet is built from, and its fills' status."""
    cols = {c for c, _ in SHEET_COLUMNS if c != "last_reply"}
    return sorted(cols | set(LAST_REPLY_SOURCES) | {"status"})


@functools.cache
def _wide_chars_class() -> str:
    """A regex character class of the East Asian Wide/Full-width code points
    (the ones ``display_width`` counts twice), built from unicodedata once."""
    ranges, start, prev = [], None, None
    for cp in range(0x110000):
        if unicodedata.east_asian_width(chr(cp)) in ("W", "F"):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            ranges.append((start, prev))
            start = None
    if start is not None:
        ranges.append((start, prev))
    return "[" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" if a != b else f"\\x{{{a:X}}}" for a, b in ranges) + "]"


def display_width_expr(col: str | pl.Expr) -> pl.Expr:
    """``display_width`` over a String column (null -> 0)."""
    e = pl.col(col) if isinstance(col, str) else col
    return (e.str.len_chars() + e.str.count_matches(_wide_chars_class())).fill_null(0)


def dept_names(departments: pl.DataFrame | Mapping[str, str] | None) -> dict[str, str]:
    if departments is None:
        return {}
    if isinstance(departments, pl.DataFrame):
        if "dept_name" not in departments.columns:
            return {}
        return dict(zip(departments["dept_id"].cast(pl.String), departments["dept_name"].cast(pl.String)))
    return {str(k): str(v) for k, v in departments.items()}


def department_list_rows(ledger: pl.DataFrame, *, include_resolved: bool = True) -> pl.DataFrame:
    """The rows of a department's list, in sheet order."""
    df = ledger.filter(pl.col("status") != "withdrawn")
    if not include_resolved:
        df = df.filter(pl.col("status").is_in(list(UNRESOLVED)))
    if "status_zh" not in df.columns:
        df = df.with_columns(pl.col("status").replace_strict(STATUS_ZH, return_dtype=pl.String).alias("status_zh"))
    return df.with_columns(pl.col("status").is_in(list(UNRESOLVED)).not_().alias("_done")).sort(
        ["_done", "deadline", "item_id"], nulls_last=True
    ).drop("_done")


def sheet_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """What a department sheet shows, one column per info column (strings, or
    Excel serial day numbers for dates) plus the status that picks the fill."""
    cols = []
    for col, _ in SHEET_COLUMNS:
        if col == "last_reply":
            e = last_reply_text() if set(LAST_REPLY_SOURCES) <= set(rows.columns) else pl.lit(None, dtype=pl.String)
            cols.append(e.alias(col))
            continue
        e = pl.col(col) if col in rows.columns else pl.lit(None, dtype=pl.String)
        if col in _DATE_COLUMNS:
            e = (e.cast(pl.Date) - pl.lit(_EXCEL_DAY0)).dt.total_days().cast(pl.Float64)
        else:
            e = e.cast(pl.String)
        cols.append(e.alias(col))
    return rows.select(*cols, pl.col("status").alias("_status"))


def last_reply_text() -> pl.Expr:
    """The latest accepted reply as one line, e.g. ``已整改（2026-03-12 09:30
    李四）：已补办并致歉``; null for an item never answered. The note is
    masked: it may quote the applicant, and the list leaves the office."""
    word = pl.col("last_status").replace_strict(UPDATE_STATUS, default=None, return_dtype=pl.String)
    who = pl.concat_str([pl.lit(" "), pl.col("last_updated_by").cast(pl.String)]).fill_null("")
    head = pl.concat_str([word, pl.lit("（"), pl.col("last_updated_at").dt.strftime("%Y-%m-%d %H:%M"), who, pl.lit("）")])
    note = pl.concat_str([pl.lit("："), mask_text_expr(pl.col("last_note").cast(pl.String))]).fill_null("")
    return pl.concat_str([head, note])


def content_hash(
    sheet: pl.DataFrame, *, file_name: str, as_of: date, dept_name: str | None, refusals: pl.DataFrame | None = None
) -> str:
    """SHA-1 of everything a workbook shows: layout version, file name, the
    notes sheet's department and date, every sheet cell with its fill, and
    the refusals sheet's cells."""
    refused = 0 if refusals is None else refusals.height
    h = hashlib.sha1(
        json.dumps([_LAYOUT_VERSION, file_name, dept_name, as_of.isoformat(), sheet.columns, sheet.height, refused])
        .encode("utf-8")
    )
    # polars' 64-bit row hashes, not the sheet written out as CSV (which cost
    # ~10 % of writing the workbook). They may change with a polars version,
    # which only rewrites every workbook once.
    h.update(sheet.hash_rows().to_numpy().tobytes())
    if refused:
        h.update(refusals.hash_rows().to_numpy().tobytes())
    return h.hexdigest()


def refusal_frame(refusals: pl.DataFrame) -> pl.DataFrame:
    """The refusals sheet's cells (``REFUSAL_COLUMNS``, text but the row
    number) from pending refusals: the reason a department is told is the
    advice for its code, or the stored reason's Chinese part; for a file
    refused whole, the run's message (its English part included: it may
    name a column or an error) within FILE_REJECTED_TEXT."""
    stored_zh = pl.col("reason").cast(pl.String).str.extract(r"^([^A-Za-z]*)").str.strip_chars()
    advice = pl.col("reason_code").replace_strict(REFUSAL_ADVICE, default=None, return_dtype=pl.String)
    whole_file = pl.concat_str(pl.lit(FILE_REJECTED_TEXT[0]), pl.col("reason"), pl.lit(FILE_REJECTED_TEXT[1]))
    reason = pl.when(pl.col("reason_code") == FILE_REJECTED).then(whole_file).otherwise(pl.coalesce(advice, stored_zh))
    return refusals.select(
        reason.alias(c) if c == "reason" else pl.col(c).cast(pl.Int64 if c == "source_row" else pl.String)
        for c, _, _ in REFUSAL_COLUMNS
    )


def _file_record(path: Path, digest: str) -> str | None:
    """The content hash with the file's size and modification time: a file
    edited or replaced since it was written does not match, and is rewritten."""
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{digest} {st.st_size} {st.st_mtime_ns}"


def _read_hashes(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / HASH_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_hashes(out_dir: Path, hashes: Mapping[str, str]) -> None:
    write_text_atomic(out_dir / HASH_FILE, json.dumps(dict(sorted(hashes.items())), ensure_ascii=False, indent=1))


def export_department_lists(
    ledger: pl.DataFrame,
    out_dir: str | Path,
    *,
    as_of: date,
    departments: pl.DataFrame | Mapping[str, str] | None = None,
    include_resolved: bool = True,
    written: list[Path] | None = None,
    pool: Executor | None = None,
) -> dict[str | None, Path]:
    """One XLSX per department with items; returns dept_id -> path.

    File name: ``整改清单_<dept_id>[_<dept_name>]_<YYYYMMDD>.xlsx`` (``未分配``
    for items without a department). ``departments``: frame with dept_id,
    dept_name, or a mapping dept_id -> name.

    A workbook whose content (``content_hash``) is the same as when it was
    last written, and whose file is still there untouched (same size and
    modification time), is not written again; the hashes are kept in
    ``out_dir/.content_hashes.json``. ``written``, when
    given, receives the paths actually (re)written. ``pool``: see
    ``export_department_workbooks``.
    """
    depts = sorted(set(ledger["dept_id"].to_list()), key=dept_order)
    return export_department_workbooks(
        [Workbook(d, functools.partial(_dept_part, ledger, d)) for d in depts],
        out_dir, as_of=as_of, departments=departments, include_resolved=include_resolved,
        written=written, pool=pool,
    )


def dept_order(dept: str | None) -> tuple[bool, str]:
    return dept is None, dept or ""


def _dept_part(ledger: pl.DataFrame, dept: str | None) -> pl.DataFrame:
    return ledger.filter(pl.col("dept_id").is_null() if dept is None else pl.col("dept_id") == dept)


@dataclass(frozen=True)
class Workbook:
    """One workbook to write: a department's daily list, or with ``month``
    ("YYYY-MM") its archive of that month's settled items (see list_publish.py).

    ``load`` gives the department's ledger rows for it. ``digest``, when the
    caller knows the rows' fingerprint without loading them, lets an
    unchanged workbook be skipped before its rows are read. ``refusals``
    gives the department's pending refused replies (``REFUSAL_COLUMNS`` but
    ``reason``: ``reason_code`` and the stored ``reason``)."""

    dept: str | None
    load: Callable[[], pl.DataFrame]
    month: str | None = None
    digest: str | None = None
    refusals: Callable[[], pl.DataFrame] | None = None  # daily lists: the pending refusals

    def file_name(self, names: Mapping[str, str], as_of: date) -> str:
        label = self.dept if self.dept is not None else "未分配"
        if self.dept in names:
            label += "_" + names[self.dept]
        stamp = f"{self.month[:4]}年{self.month[5:]}月归档" if self.month else f"{as_of:%Y%m%d}"
        return _BAD_FILENAME.sub("_", f"整改清单_{label}_{stamp}") + ".xlsx"


# a list's name as Workbook.file_name gives it, and as a department sends it
# back: the office's mail client or the department may add to its end
# ("…_20261205(1).xlsx", "…_20261205回复.xlsx")
_LIST_NAME = re.compile(r"^整改清单_(.+)_(?:\d{8}|\d{4}年\d{2}月归档)")


def dept_of_list_name(name: str, dept_ids: list[str]) -> str | None:
    """The department a file named like one of its lists belongs to, or None
    (a renamed file, the 未分配 list, an unknown department). The label after
    整改清单_ is the id, then _ and the name: the longest id it starts with."""
    m = _LIST_NAME.match(name)
    if m is None:
        return None
    label = m[1] + "_"
    known = [d for d in dept_ids if label.startswith(_BAD_FILENAME.sub("_", d) + "_")]
    return max(known, key=len) if known else None


def export_department_workbooks(
    sources: Sequence[Workbook],
    out_dir: str | Path,
    *,
    as_of: date,
    departments: pl.DataFrame | Mapping[str, str] | None = None,
    include_resolved: bool = True,
    written: list[Path] | None = None,
    pool: Executor | None = None,
) -> dict[str | None, Path]:
    """``export_department_lists`` over workbooks whose ledger rows are
    loaded one at a time: ``sources`` in order; a workbook with nothing to
    send is not written. Returns dept_id -> path (``sources`` of one kind,
    daily or archive, have one workbook per department; for archives the
    last month wins, use ``written`` or the folder to see them all).

    With a ``pool`` (threads) the workbooks are written side by side:
    polars, DuckDB and zlib do their work outside the GIL, so two threads
    use two cores. Each job loads its rows only when it starts, so at most
    the pool's size of workbooks is held at once.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = dept_names(departments)
    book = HashBook(out_dir)

    def job(source: Workbook) -> tuple[Path, bool] | None:
        fname = source.file_name(names, as_of)
        path = out_dir / fname
        dept_name = names.get(source.dept) if source.dept else None
        known = None
        if source.digest is not None:
            # the archive's notes sheet carries the day it was written, not
            # the as-of date, so an unchanged month keeps its file
            known = hashlib.sha1(
                json.dumps([_LAYOUT_VERSION, fname, dept_name, source.month, source.digest]).encode("utf-8")
            ).hexdigest()
            if book.unchanged(fname, known):
                return path, False
        rows = department_list_rows(source.load(), include_resolved=include_resolved)
        pending = source.refusals() if source.refusals is not None else None
        refusals = refusal_frame(pending) if pending is not None and pending.height else None
        if rows.height == 0 and refusals is None:
            return None
        sheet = sheet_frame(rows)
        del rows
        digest = known or content_hash(sheet, file_name=fname, as_of=as_of, dept_name=dept_name, refusals=refusals)
        if not book.begin(fname, digest):
            return path, False
        _write_workbook(sheet, path, as_of=as_of, dept_name=dept_name, month=source.month, refusals=refusals)
        book.done(fname, digest)
        return path, True

    if pool is None:
        results = [job(source) for source in sources]
    else:
        futures = [pool.submit(job, source) for source in sources]
        results = [f.result() for f in futures]
    out: dict[str | None, Path] = {}
    for source, result in zip(sources, results):
        if result is None:
            continue
        out[source.dept] = result[0]
        if result[1] and written is not None:
            written.append(result[0])
    return out


class HashBook:
    """The content hashes of ``out_dir``'s files (the workbooks here, the
    ledger's monthly CSV files in list_publish), shared by the writing
    threads; every change is saved at once, under a lock."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self.hashes = {name: h for name, h in _read_hashes(out_dir).items() if (out_dir / name).is_file()}

    def _matches(self, fname: str, digest: str) -> bool:
        # callers hold the lock
        return fname in self.hashes and self.hashes[fname] == _file_record(self.out_dir / fname, digest)

    def unchanged(self, fname: str, digest: str) -> bool:
        """True when the file is there as written for this content."""
        with self.lock:
            return self._matches(fname, digest)

    def begin(self, fname: str, digest: str) -> bool:
        """False when the file is there as written for this content."""
        with self.lock:
            if self._matches(fname, digest):
                return False
            self.hashes.pop(fname, None)
            _write_hashes(self.out_dir, self.hashes)  # a crash mid-write must not leave a stale hash behind
            return True

    def done(self, fname: str, digest: str) -> None:
        with self.lock:
            self.hashes[fname] = _file_record(self.out_dir / fname, digest)
            _write_hashes(self.out_dir, self.hashes)


def write_department_workbook(rows: pl.DataFrame, path: str | Path, *, as_of: date, dept_name: str | None = None) -> Path:
    """Write the ledger's items, or one department's, as one list (rows
    already in sheet order): ``windowwatch export rectification --out X.xlsx``."""
    return _write_workbook(sheet_frame(rows), Path(path), as_of=as_of, dept_name=dept_name, whole=True)


def _column_widths(sheet: pl.DataFrame, headers: list[str]) -> list[int]:
    """Header width, widened to the widest cell (dates count 10).

    A column with a cell of ``MAX_WIDTH`` characters or more is set to
    ``MAX_WIDTH`` whatever its exact width (a character counts at least 1),
    so its wide characters are not counted: that is the long description."""
    widths = [display_width(h) for h in headers]
    for j, (c, _) in enumerate(SHEET_COLUMNS):
        col = sheet.get_column(c)
        if c in _DATE_COLUMNS:
            cell = 10 if col.is_not_null().any() else 0
        else:
            cell = widest_cell(col)
        widths[j] = max(widths[j], cell)
        if c in _WRAPPED_WIDTHS:
            widths[j] = min(widths[j], _WRAPPED_WIDTHS[c])
    return widths


def widest_cell(col: pl.Series, *, cap: int = MAX_WIDTH, max_measured: int = 2000) -> int:
    """The largest ``display_width`` in a String column (null counts 0); any
    value from ``cap`` on when the column has a cell of ``cap`` characters.

    Exact, without a regular-expression pass over every cell (on a city's
    lists that pass was a tenth of the workbook time): a wide character
    takes at least 3 UTF-8 bytes and counts 2, so a cell's width lies
    between its characters and characters + (bytes - characters) // 2. The
    widest cell is at least the longest in characters; only the distinct
    non-ASCII cells whose upper bound passes that are measured."""
    sizes = col.to_frame("v").select(
        pl.col("v").str.len_chars().alias("chars"), pl.col("v").str.len_bytes().alias("bytes"), pl.col("v")
    )
    longest = sizes.get_column("chars").max() or 0
    if longest >= cap:
        return int(longest)
    upper = pl.col("chars") + (pl.col("bytes") - pl.col("chars")) // 2
    candidates = sizes.filter(upper > longest).get_column("v").unique()
    if candidates.len() == 0:
        return int(longest)
    if candidates.len() <= max_measured:
        measured = max(display_width(v) for v in candidates.to_list())
    else:
        measured = candidates.to_frame().select(display_width_expr("v").max()).item()
    return int(max(longest, measured))


def dept_part(dept_name: str | None) -> str:
    """（部门名） after a title, or nothing."""
    return f"（{dept_name}）" if dept_name else ""


def _write_workbook(
    sheet: pl.DataFrame,
    path: Path,
    *,
    as_of: date,
    dept_name: str | None,
    month: str | None = None,
    refusals: pl.DataFrame | None = None,
    whole: bool = False,
) -> Path:
    """xlsxwriter writes the shell (formats, header, widths, pane, filter,
    drop-down, notes sheet); sheet_rows writes the data rows into it.
    ``month``: a monthly archive; ``whole``: every item, with nothing
    elsewhere (an export); else a daily list."""
    import xlsxwriter

    shell = path.with_name(path.name + ".shell.xlsx")
    tmp = path.with_name(path.name + ".part.xlsx")
    wb = xlsxwriter.Workbook(str(shell), {"constant_memory": True})
    try:
        base = {"valign": "top", "border": 1, "border_color": "#BFBFBF"}
        fmt_header = wb.add_format({**base, "bold": True, "bg_color": HEADER_FILL, "text_wrap": True})
        fmt_reply_header = wb.add_format({**base, "bold": True, "bg_color": REPLY_HEADER_FILL, "text_wrap": True})
        fills = {"": {}, "overdue": {"bg_color": OVERDUE_FILL}, "escalated": {"bg_color": ESCALATED_FILL}}
        kinds = {"text": {}, "wrap": {"text_wrap": True}, "date": {"num_format": "yyyy-mm-dd"},
                 "datetime": {"num_format": "yyyy-mm-dd hh:mm"}}
        # the data cells are not written through xlsxwriter, so their formats
        # are given style indexes here, in a fixed order (the header's first)
        fmt_header._get_xf_index()
        fmt_reply_header._get_xf_index()
        style_ids = {
            (fill_key, kind): wb.add_format({**base, **fill, **extra})._get_xf_index()
            for fill_key, fill in fills.items()
            for kind, extra in kinds.items()
        }
        ws = wb.add_worksheet(SHEET_NAME)
        headers = [zh for _, zh in SHEET_COLUMNS] + [zh for _, zh in REPLY_COLUMNS]
        n_info = len(SHEET_COLUMNS)
        widths = _column_widths(sheet, headers)
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(max(w, 6) + 2, MAX_WIDTH))
        # reply column widths: room to write
        ws.set_column(n_info + 1, n_info + 1, 40)  # 整改情况
        ws.set_column(n_info + 3, n_info + 3, 18)  # 填报时间
        for j, h in enumerate(headers):
            ws.write_string(0, j, h, fmt_header if j < n_info else fmt_reply_header)
        last_row = max(sheet.height, 1)
        ws.freeze_panes(1, 1)  # the header and the item ids stay while the reply columns are filled in
        ws.autofilter(0, 0, last_row, len(headers) - 1)
        # printed: A4 landscape, one page wide, the header on every page
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_footer(f"&L{SHEET_NAME}{dept_part(dept_name)}&C第 &P 页，共 &N 页&R截至{as_of.year}年{as_of.month}月{as_of.day}日")
        ws.data_validation(
            1,
            n_info,
            last_row,
            n_info,
            {
                "validate": "list",
                "source": list(UPDATE_STATUS.values()),
                "input_title": "整改状态",
                "input_message": "请选择：整改中 / 已整改 / 申诉",
                "error_title": "整改状态",
                "error_message": "只能填写：整改中、已整改、申诉",
            },
        )
        ws.data_validation(
            1, n_info + 3, last_row, n_info + 3,
            {"validate": "any", "input_title": "填报时间（必填）", "input_message": "例如 2026-03-12 09:30"},
        )
        refused = 0 if refusals is None else refusals.height
        if refused:
            _write_refusals(wb, refusals, fmt_header, wb.add_format({**base, "text_wrap": True}))
        note = wb.add_worksheet("填报说明")
        note.set_column(0, 0, 100, wb.add_format({"text_wrap": True, "valign": "top"}))
        if month:
            first = (f"整改清单{dept_part(dept_name)}往月归档：{int(month[:4])}年{int(month[5:])}月发现、已通报或已整改的事项，"
                     f"生成于{as_of.year}年{as_of.month}月{as_of.day}日；事项状态有变化时重新生成。"
                     "本月和上月发现的事项、尚未通报的事项在每日的整改清单里。")
        elif whole:
            first = f"整改清单{dept_part(dept_name)}，截至{as_of.year}年{as_of.month}月{as_of.day}日，含台账中的全部事项。"
        else:
            first = (f"整改清单{dept_part(dept_name)}，截至{as_of.year}年{as_of.month}月{as_of.day}日。"
                     "更早月份发现、已超期通报仍未整改的事项在 archive 文件夹的往月归档清单里，请一并反馈。")
        lines = [first]
        if refused:
            # an item refused from an archive is not on the daily list: the
            # department's own file, corrected and sent again, always is
            lines.append(f"有 {refused} 条反馈未受理，原因见“{REFUSALS_SHEET}”表。请按原因改正：在“反馈文件”列的文件里改好后原名再交一次，"
                         "或在最新的清单里重新填报该事项。")
        lines += [
            "请在黄色表头的四列填写反馈：整改状态（整改中 / 已整改 / 申诉）、整改情况、填报人、填报时间。",
            "填报人、填报时间必填；填报时间写到分钟，例如 2026-03-12 09:30 或 2026年3月12日 9:30，只写日期的不予受理。",
            "选择“已整改”时必须填写整改情况；未填写整改状态的行视为未反馈，不作处理。",
            "请勿修改“整改编号”列，不要删除表头，不要合并单元格；可以调整行的顺序、删除不需要反馈的行。",
            "填好后将本文件原样发回督查室。同一事项以填报时间最晚的反馈为准（填报时间相同的，以后交的为准）。",
            "已交的反馈需要改正时，改好后原名再交一次；填报时间写改正的时间，不要改得比原来的早，否则改正不起作用。",
            "红色底纹为已超期事项，深红色为超期已通报事项。",
            f"“上次反馈”列是督查室已受理的最近一次反馈；未受理的反馈及原因列在每日清单的“{REFUSALS_SHEET}”表里。",
        ]
        for i, line in enumerate(lines):
            note.write_string(i, 0, line)
    finally:
        wb.close()
    try:
        text_cols = [c for c, _ in SHEET_COLUMNS if c not in _DATE_COLUMNS]
        escaped, preserved = sheet_rows.escape_cell_text(sheet, text_cols)
        cells = escaped.with_columns([pl.col(c).cast(pl.Int64) for c in _DATE_COLUMNS])
        fill = pl.col("_status").replace_strict(
            {"overdue": "overdue", "escalated": "escalated"}, default="", return_dtype=pl.String
        )
        styles = {
            kind: pl.when(fill == "overdue").then(pl.lit(str(style_ids[("overdue", kind)])))
            .when(fill == "escalated").then(pl.lit(str(style_ids[("escalated", kind)])))
            .otherwise(pl.lit(str(style_ids[("", kind)])))
            for kind in kinds
        }
        columns = [(c, "date" if c in _DATE_COLUMNS else "wrap" if c in _WRAPPED_WIDTHS else "text")
                   for c, _ in SHEET_COLUMNS]
        xml = sheet_rows.row_xml(columns, _REPLY_CELL_KINDS, preserved)
        rows = sheet_rows.row_slices(cells, xml, styles, first_row=2)
        sheet_rows.splice_rows(shell, "xl/worksheets/sheet1.xml", rows, sheet.height + 1, tmp)
    finally:
        shell.unlink(missing_ok=True)
    tmp.replace(path)
    return path


def _write_refusals(wb, refusals: pl.DataFrame, fmt_header, fmt_cell) -> None:
    """The refusals sheet: one row per refused reply, the first
    ``MAX_REFUSAL_ROWS`` of them, then how many more."""
    ws = wb.add_worksheet(REFUSALS_SHEET)
    ws.set_tab_color("#C00000")
    for j, (_, zh, width) in enumerate(REFUSAL_COLUMNS):
        ws.set_column(j, j, width)
        ws.write_string(0, j, zh, fmt_header)
    ws.freeze_panes(1, 1)
    shown = refusals.head(MAX_REFUSAL_ROWS)
    for i, row in enumerate(shown.iter_rows(), start=1):
        for j, v in enumerate(row):
            if v is None:
                ws.write_blank(i, j, None, fmt_cell)
            elif isinstance(v, int):
                ws.write_number(i, j, v, fmt_cell)
            else:
                ws.write_string(i, j, v, fmt_cell)
    if refusals.height > shown.height:
        ws.write_string(shown.height + 1, 0, f"另有 {refusals.height - shown.height} 条未列出：多为同样的原因，请先按以上原因改正整份清单。")


# ---------------------------------------------------------------------------
# returned lists
# ---------------------------------------------------------------------------
RETURNED_SCHEMA: dict[str, pl.DataType] = {
    "item_id": pl.String(),
    "status": pl.String(),
    "note": pl.String(),
    "updated_by": pl.String(),
    "updated_at": pl.Datetime("us"),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
    "updated_at_raw": pl.String(),
}
_ALIASES = header_aliases(UPDATES_SOURCE)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _cell_time(v: Any) -> tuple[datetime | None, str | None]:
    """(parsed, raw text) of a 填报时间 cell."""
    if v is None:
        return None, None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 36526 <= v < 73051:  # an Excel serial 2000..2099 in a cell without date format
            return (_EXCEL_EPOCH + timedelta(days=float(v))).replace(microsecond=0), str(v)
        return None, str(v)
    if isinstance(v, (datetime, date)):
        return parse_timestamp(v), v.isoformat()
    raw = _cell_text(v)
    return parse_timestamp(raw), raw


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    for h, row in enumerate(rows[:20]):
        mapping: dict[str, int] = {}
        for j, v in enumerate(row):
            if v is None:
                continue
            canon = _ALIASES.get(normalise_header(v))
            if canon and canon not in mapping:
                mapping[canon] = j
        if "item_id" in mapping:
            return h, mapping
    return -1, {}


_MERGE_REF = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(path: Path, sheet) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each merged range of a sheet
    opened read-only, from the sheet's XML part: openpyxl's read-only mode
    does not read them, and its full mode is slow on a city's lists."""
    import zipfile

    from openpyxl.utils import range_boundaries

    part = str(getattr(sheet, "_worksheet_path", "") or "").lstrip("/")
    if not part:
        return []
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(part)
    return [range_boundaries(ref.decode("ascii")) for ref in _MERGE_REF.findall(xml)]


def _unmerged(rows: list[list[Any]], ranges: list[tuple[int, int, int, int]]) -> list[list[Any]]:
    """Each merged range's value (Excel keeps it in the top-left cell) in
    every cell of the range, as the department sees it: one 填报人 and
    填报时间 merged down the rows they answered."""
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col <= len(top) else None
        for row in rows[min_row - 1 : max_row]:
            row.extend([None] * (max_col - len(row)))
            row[min_col - 1 : max_col] = [value] * (max_col - min_col + 1)
    return rows


class ReplyFileRejected(ValueError):
    """A returned list that cannot be used at all; the message says why
    (Chinese, then English), without the file's name, which the caller shows
    beside it (the run's file_quality row, the run summary)."""


def _read_rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                # the list's own sheet first, then the others in order: a
                # department may add a summary sheet in front or move 填报说明
                first = None
                for ws in sorted(wb.worksheets, key=lambda ws: ws.title != SHEET_NAME):
                    rows = [list(r) for r in ws.iter_rows(values_only=True)]
                    if _find_header(rows)[0] >= 0:
                        return _unmerged(rows, _merged_ranges(path, ws))
                    first = rows if first is None else first
                return first or []
            finally:
                wb.close()
        except Exception as exc:  # zipfile, openpyxl and XML errors alike
            raise ReplyFileRejected(f"Excel 文件无法读取：{unreadable_reason(path, 'xlsx', exc)}") from exc
    if suffix == ".parquet":
        try:
            df = pl.read_parquet(path)
        except Exception as exc:
            raise ReplyFileRejected(f"Parquet 文件无法读取：{unreadable_reason(path, 'parquet', exc)}") from exc
        return [list(df.columns)] + [list(r) for r in df.iter_rows()]
    if suffix != ".csv":
        raise ReplyFileRejected(
            f"不支持的文件类型 {suffix or '(无扩展名)'}；只接受 CSV、XLSX、Parquet (unsupported file type)"
        )
    data = path.read_bytes()
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text = data[3:].decode("utf-8")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ReplyFileRejected(
            f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）(unknown encoding): {first_line(exc)}"
        ) from exc
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise ReplyFileRejected(f"CSV 格式错误 (malformed CSV): {first_line(exc)}") from exc


def read_returned_list_with_counts(
    path: str | Path, *, source_name: str | None = None
) -> tuple[pl.DataFrame, int]:
    """(updates, skipped): see ``read_returned_list``; skipped counts rows
    that name an item but leave 整改状态 empty (unanswered lines)."""
    path = Path(path)
    rows = _read_rows(path)
    if not any(_cell_text(v) is not None for row in rows for v in row):
        raise ReplyFileRejected("文件为空 (empty file)")
    h, cols = _find_header(rows)
    # The contract's reply columns are all required (inputs.md); an empty
    # cell is judged per row (status.validate_updates).
    missing = [col for col in UPDATES_SOURCE.columns if col.required and col.name not in cols]
    if missing:
        raise ReplyFileRejected(
            "缺少必需列 missing required columns: " + "、".join(f"{col.name}（{col.zh}）" for col in missing)
            + ("" if h >= 0 else "（前 20 行中没有找到表头 no header row in the first 20 lines）")
        )
    src = source_name or path.name

    def get(row: list[Any], c: str) -> Any:
        j = cols.get(c)
        return row[j] if j is not None and j < len(row) else None

    out, skipped = [], 0
    for k, row in enumerate(rows[h + 1 :], start=1):
        if all(_cell_text(v) is None for v in row):
            continue  # a blank line is not a row
        status = _cell_text(get(row, "status"))
        if status is None:
            skipped += 1
            continue
        at, raw = _cell_time(get(row, "updated_at"))
        out.append(
            {
                "item_id": _cell_text(get(row, "item_id")),
                "status": status,
                "note": _cell_text(get(row, "note")),
                "updated_by": _cell_text(get(row, "updated_by")),
                "updated_at": at,
                "updated_at_raw": raw,
                "source_file": src,
                "source_row": k,
            }
        )
    return pl.DataFrame(out, schema=RETURNED_SCHEMA), skipped


def read_returned_list(path: str | Path, *, source_name: str | None = None) -> pl.DataFrame:
    """Read a returned list (XLSX: its 整改清单 sheet or the first sheet with a
    header / CSV / Parquet) into update rows.

    Header: the first of the first 20 rows that has 整改编号/item_id (any case,
    spaces, BOM); 整改状态/status, 整改情况/note, 填报人/updated_by and
    填报时间/updated_at must be there too (the contract's columns, all
    required), other columns ignored. A file that cannot be read, is empty,
    is not CSV/XLSX/Parquet or lacks a required column raises
    ``ReplyFileRejected`` (a ValueError) saying why.
    Output columns: item_id, status (raw text, e.g. 已整改), note, updated_by,
    updated_at (Datetime: Excel date-time cells, serial numbers, text in the
    contract's forms; a date alone is none), source_file (file name,
    or ``source_name``), source_row (1-based, counted from the line under the
    header, blank lines included), updated_at_raw (the cell as text, kept for
    a refusal message).
    Blank lines and lines with an empty 整改状态 are left out (skipped).
    """
    return read_returned_list_with_counts(path, source_name=source_name)[0]
