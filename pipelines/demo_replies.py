"""The demo's departments answering their rectification lists (整改清单).

Without replies a demo ledger only ever grows overdue: nothing is 已整改,
整改中 or 申诉中, and the rectification page cannot show what it is for. So
``windowwatch demo`` runs the graph once, lets each department fill in the
lists that run exported (the day's list and the monthly archives), drops the
filled workbooks into ``inbox/rectification_updates/`` as a department would,
and runs the graph again. The replies go through the same reader, checks and
status rules as a real department's.

What a department answers is decided from the item itself, so the same item
gets the same answer on every machine and in every demo:

* the item_id is a hash (``RX-`` + 12 hex digits); three slices of it give
  three numbers in [0, 1): ``u_reply``, ``u_kind`` and ``u_time``;
* each department has a diligence between 0.55 and 0.95 (from its code): it
  answers an item when ``u_reply`` < diligence, and answers it in time when
  ``u_time`` < diligence;
* an answer is 已整改 (resolved) when ``u_kind`` < 0.85, 整改中 below 0.94,
  申诉 (disputed) otherwise; a 已整改 with ``u_kind`` from 0.84 leaves
  整改情况 empty, as departments sometimes do: the run refuses it, and the
  department finds it on its next list's 未受理的反馈 sheet;
* a resolution in time is dated 1–3 working days after the item was found
  (every rule's deadline is at least 3 working days); a late one 1–8
  working days after its deadline; 整改中 1–2 and 申诉 1–3 working days after
  it was found, between 09:00 and 17:00;
* an answer dated after the as-of date has not been given yet: a resolution
  still to come shows as 整改中 from the first working day after the item
  was found, if that day has come; otherwise the row stays empty.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

import polars as pl

from assets.calendar import CalendarFallbackWarning, WorkCalendar
from assets.ingest.contract import UPDATE_STATUS
from assets.rectification.department_lists import REPLY_COLUMNS, SHEET_COLUMNS, SHEET_NAME

RESOLVED_SHARE = 0.85
# 已整改 answers from this u_kind on forget 整改情况 (about 1 in 85 of them)
FORGETFUL_FROM = 0.84
IN_PROGRESS_SHARE = 0.09  # the rest of the answers are disputes
LATE_DAYS_AT_MOST = 8
OFFICE_MINUTES = 8 * 60

# What a department writes in 整改情况, by rule, when it reports the item fixed.
RESOLVED_NOTES: Mapping[str, str] = {
    "bad_rating": "已电话联系评价人说明情况并致歉，当事工作人员已重新学习服务规范。",
    "overdue_case": "该办件已办结；已约谈承办人员，并启用办件到期前一个工作日提醒。",
    "one_notice": "已更新该事项一次性告知书和材料清单，组织窗口人员培训。",
    "behaviour": "已对当事人员批评教育，纳入本月作风纪律考核。",
    "callback_problem": "已再次联系群众解决诉求，群众表示认可。",
    "absence": "已核实为未及时补办请假手续，已补办并按考勤制度处理。",
    "repeated_lateness": "已约谈当事人员，督促严格遵守上下班时间。",
    "low_score": "已逐项分析扣分原因，制定整改方案并每周跟踪。",
}
IN_PROGRESS_NOTE = "正在整改，已明确责任人和整改措施，将按期完成。"
DISPUTED_NOTE = "经核实，该问题非窗口原因所致，申请核销，佐证材料已报送督查室。"
# 填报人: each department's liaison, by the department's code
LIAISONS = ("王科长", "李主任", "张科长", "刘主任", "陈科长", "杨主任", "赵科长", "黄主任")

# the list's headers of what a department reads and of what it fills in
_HEADER = {column: header for column, header in SHEET_COLUMNS + REPLY_COLUMNS if column is not None}
_READ = ("item_id", "rule", "dept_id", "detected_on", "deadline")
# a reply file the demo wrote: a list's own name, as a department sends it back
_REPLY_FILE = "整改清单_*.xlsx"


def _unit_from_hex(start: int) -> pl.Expr:
    """Four hex digits of the item_id, from ``start``, as a number in [0, 1)."""
    return pl.col("item_id").str.slice(start, 4).str.to_integer(base=16, strict=False) / 65536.0


def _department_constant(dept_id: str) -> int:
    return zlib.crc32(dept_id.encode("utf-8"))


def diligence(dept_id: str) -> float:
    """The share of its items a department answers (0.55–0.95), fixed per code."""
    return 0.55 + 0.40 * (_department_constant(dept_id) % 1001) / 1000


def liaison(dept_id: str) -> str:
    return LIAISONS[_department_constant(dept_id) % len(LIAISONS)]


def planned_replies(
    items: pl.DataFrame, as_of: date, calendar: WorkCalendar, diligences: Mapping[str, float] | None = None
) -> pl.DataFrame:
    """The answers the departments have given by ``as_of``.

    ``items``: item_id, rule, dept_id, detected_on, deadline (Date) of the
    items still to answer. Returns item_id, status (in_progress / resolved /
    disputed), status_zh (the word a department writes: 整改中 / 已整改 /
    申诉), note, updated_by, updated_at (Datetime), for the answered items.
    ``diligences``: a department's diligence by code (default ``diligence``).
    """
    depts = items.get_column("dept_id").unique().drop_nulls().to_list()
    diligences = {d: diligence(d) for d in depts} if diligences is None else diligences
    frame = items.lazy().with_columns(
        u_reply=_unit_from_hex(3),
        u_kind=_unit_from_hex(7),
        u_time=_unit_from_hex(11),
        diligence=pl.col("dept_id").replace_strict(diligences, default=0.55, return_dtype=pl.Float64),
        updated_by=pl.col("dept_id").replace_strict({d: liaison(d) for d in depts}, default=LIAISONS[0], return_dtype=pl.String),
    )
    in_time = pl.col("u_time") < pl.col("diligence")
    kind = (
        pl.when(pl.col("u_kind") < RESOLVED_SHARE)
        .then(pl.lit("resolved"))
        .when(pl.col("u_kind") < RESOLVED_SHARE + IN_PROGRESS_SHARE)
        .then(pl.lit("in_progress"))
        .otherwise(pl.lit("disputed"))
    )
    # whole working days, u_time spread over the range each kind of answer allows
    days_in_time = (1 + (pl.col("u_time") / pl.col("diligence") * 3).floor()).clip(1, 3)
    days_late = (1 + ((pl.col("u_time") - pl.col("diligence")) / (1 - pl.col("diligence")) * LATE_DAYS_AT_MOST).floor()).clip(1, LATE_DAYS_AT_MOST)
    answer_day = (
        pl.when((pl.col("kind") == "resolved") & in_time)
        .then(calendar.add_working_days_expr("detected_on", days_in_time.cast(pl.Int64)))
        .when(pl.col("kind") == "resolved")
        .then(calendar.add_working_days_expr("deadline", days_late.cast(pl.Int64)))
        .when(pl.col("kind") == "in_progress")
        .then(calendar.add_working_days_expr("detected_on", (1 + (pl.col("u_time") * 2).floor()).cast(pl.Int64)))
        .otherwise(calendar.add_working_days_expr("detected_on", (1 + (pl.col("u_time") * 3).floor()).cast(pl.Int64)))
    )
    frame = (
        frame.filter(pl.col("u_reply") < pl.col("diligence"))
        .with_columns(kind=kind)
        .with_columns(answer_day=answer_day, first_working_day=calendar.add_working_days_expr("detected_on", 1))
        # a resolution still to come reads 整改中 once the department has had a day
        .with_columns(
            status=pl.when(pl.col("answer_day") <= as_of)
            .then(pl.col("kind"))
            .when((pl.col("kind") == "resolved") & (pl.col("first_working_day") <= as_of))
            .then(pl.lit("in_progress")),
            answer_day=pl.when(pl.col("answer_day") <= as_of).then(pl.col("answer_day")).otherwise(pl.col("first_working_day")),
        )
        .filter(pl.col("status").is_not_null())
    )
    minute = (pl.col("u_kind") * 65536).cast(pl.Int64) % OFFICE_MINUTES
    return (
        frame.with_columns(
            status_zh=pl.col("status").replace_strict(UPDATE_STATUS, return_dtype=pl.String),
            note=pl.when((pl.col("status") == "resolved") & (pl.col("u_kind") >= FORGETFUL_FROM))
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("status") == "resolved")
            .then(pl.col("rule").replace_strict(RESOLVED_NOTES, default=RESOLVED_NOTES["low_score"], return_dtype=pl.String))
            .when(pl.col("status") == "in_progress")
            .then(pl.lit(IN_PROGRESS_NOTE))
            .otherwise(pl.lit(DISPUTED_NOTE)),
            updated_at=pl.col("answer_day").cast(pl.Datetime("us")) + pl.duration(hours=9) + pl.duration(minutes=minute),
        )
        .select("item_id", "status", "status_zh", "note", "updated_by", "updated_at")
        .sort("item_id")
        .collect()
    )


@dataclass(frozen=True)
class FilledLists:
    files: int  # workbooks dropped into rectification_updates/
    rows: int  # answered rows in them


def clear_demo_replies(updates_dir: Path) -> None:
    """Remove the filled lists an earlier demo dropped, so that a demo's
    replies are the ones it plans now."""
    if updates_dir.is_dir():
        for path in updates_dir.glob(_REPLY_FILE):
            path.unlink()


def _unanswered_rows(path: Path) -> pl.DataFrame:
    """The rows of a list with 整改状态 empty, with their sheet row numbers.
    An item already 已整改 (an earlier demo in the same home answered it) is
    answered again, the same way: the inbox then holds every answer, and a
    home rebuilt from it gets the same ledger."""
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True)[SHEET_NAME]
    rows = sheet.iter_rows(values_only=True)
    header = {name: j for j, name in enumerate(next(rows))}
    wanted = [header[_HEADER[c]] for c in _READ]
    reply = header[_HEADER["status"]]
    values = [
        (sheet_row, *(row[j] for j in wanted))
        for sheet_row, row in enumerate(rows, start=2)
        if row[reply] is None
    ]
    sheet.parent.close()
    frame = pl.DataFrame(values, schema=_UNANSWERED_SCHEMA, orient="row")
    return frame.with_columns(pl.col("detected_on", "deadline").cast(pl.Date), file=pl.lit(str(path)))


# the cells as openpyxl gives them: dates are datetimes at midnight
_UNANSWERED_SCHEMA = {
    "sheet_row": pl.Int64, "item_id": pl.String, "rule": pl.String, "dept_id": pl.String,
    "detected_on": pl.Datetime("us"), "deadline": pl.Datetime("us"),
}


def fill_department_lists(lists: Iterable[Path], updates_dir: Path, as_of: date, calendar: WorkCalendar) -> FilledLists:
    """Each department answers its lists (``planned_replies``); every list
    with at least one answer is saved, filled in, into ``updates_dir``
    under its own name."""
    import openpyxl

    lists = list(lists)
    if not lists:
        return FilledLists(0, 0)
    rows = pl.concat([_unanswered_rows(path) for path in lists])
    with warnings.catch_warnings():
        # answers planned past a year the calendar knows are dated after
        # as_of, so not given: Monday–Friday there changes nothing
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        planned = planned_replies(rows, as_of, calendar)
    answers = rows.select("file", "sheet_row", "item_id").join(planned, on="item_id")
    updates_dir.mkdir(parents=True, exist_ok=True)
    files = 0
    for (path,), answered in answers.sort("file", "sheet_row").group_by("file", maintain_order=True):
        book = openpyxl.load_workbook(path)
        sheet = book[SHEET_NAME]
        header = {cell.value: cell.column for cell in sheet[1]}
        columns = {c: header[_HEADER[c]] for c in ("status", "note", "updated_by", "updated_at")}
        for sheet_row, status_zh, note, updated_by, updated_at in answered.select(
            "sheet_row", "status_zh", "note", "updated_by", "updated_at"
        ).iter_rows():
            sheet.cell(sheet_row, columns["status"], status_zh)
            sheet.cell(sheet_row, columns["note"], note)
            sheet.cell(sheet_row, columns["updated_by"], updated_by)
            sheet.cell(sheet_row, columns["updated_at"], updated_at).number_format = "yyyy-mm-dd hh:mm"
        book.save(updates_dir / Path(path).name)
        files += 1
    return FilledLists(files, answers.height)
