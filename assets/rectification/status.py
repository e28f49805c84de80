"""Status of rectification items as of a date D (rectification.md, "Status").

Pure functions, no I/O.

``compute_status(items, updates, as_of, add_working_days, ...)``
    items:   item_id, deadline (Date) [, withdrawn (Boolean)] [, any other
             columns, passed through]
    updates: the append-only history of *accepted* updates: item_id, status
             (in_progress / resolved / disputed), note, updated_by, updated_at
             (Datetime), source_file, source_row [, accepted (Boolean): rows
             with accepted = false are ignored]
    returns  items + status, status_zh, resolved_on (Date), resolved_late
             (Boolean), escalate_after (Date), last_status, last_note,
             last_updated_by, last_updated_at.

Order (first that applies), with L the latest accepted update dated <= D
(by date(updated_at) <= D; "latest" by updated_at, ties by the later
source_file — compared as text, so ``…-03-12.xlsx`` is later than
``…-03-10.xlsx`` and ``cli`` sorts after file names starting with digits —
then the later source_row, then the later recorded_at (a list sent back
again under its own name with a reply corrected but 填报时间 unchanged: the
correction was recorded by a later run), then the content, so the order
never depends on the order rows were appended within a run):

1. L is resolved -> ``resolved``; resolved_on = date(L.updated_at),
   resolved_late = resolved_on > deadline;
2. the item is withdrawn (its trigger no longer holds) -> ``withdrawn``
   (a resolved item stays resolved, so withdrawal comes after 1);
3. D > add_working_days(deadline, escalation days (5)) -> ``escalated`` (通报);
4. D > deadline -> ``overdue``;
5. L is disputed -> ``disputed``; L is in_progress -> ``in_progress``;
6. ``open``.

``validate_updates(updates, known_item_ids)`` -> (accepted, refused), with
``.skipped`` = rows whose status cell is empty (not refused, not accepted).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

import polars as pl

from assets.ingest.contract import UPDATE_STATUS, normalise_header
from pipelines.clock import SHANGHAI

from .items import rule_param

AddWorkingDays = Callable[[date, int], date]

STATUSES = ("resolved", "withdrawn", "escalated", "overdue", "disputed", "in_progress", "open")
STATUS_ZH: dict[str, str] = {
    "open": "待整改",
    "in_progress": "整改中",
    "disputed": "申诉中",
    "overdue": "已超期",
    "escalated": "超期通报",
    "resolved": "已整改",
    "withdrawn": "已撤销",
}
UNRESOLVED = ("open", "in_progress", "disputed", "overdue", "escalated")

UPDATE_COLUMNS: dict[str, pl.DataType] = {
    "item_id": pl.String(),
    "status": pl.String(),
    "note": pl.String(),
    "updated_by": pl.String(),
    "updated_at": pl.Datetime("us"),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
}
REFUSED_COLUMNS: dict[str, pl.DataType] = {
    **UPDATE_COLUMNS,
    "updated_at_raw": pl.String(),
    "reason_code": pl.String(),
    "reason": pl.String(),
}

# English code or Chinese word (any case, surrounding spaces) -> code
_STATUS_WORDS: dict[str, str] = {}
for _code, _zh in UPDATE_STATUS.items():
    _STATUS_WORDS[normalise_header(_code)] = _code
    _STATUS_WORDS[normalise_header(_zh)] = _code
# the list's 当前状态 column shows a disputed item as 申诉中: a department
# that copies that word into 整改状态 means 申诉
_STATUS_WORDS[normalise_header(STATUS_ZH["disputed"])] = "disputed"


def normalise_update_status(value: Any) -> str | None:
    """'已整改' / 'Resolved ' -> 'resolved'; unknown -> None."""
    if value is None:
        return None
    return _STATUS_WORDS.get(normalise_header(value))


# ---------------------------------------------------------------------------
# timestamps (contract forms + date-only and 2026年3月5日 for hand-filled sheets)
# ---------------------------------------------------------------------------
_TS_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_ZH_TS_RE = re.compile(
    r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s*(\d{1,2})[:：时](\d{2})分?(?:[:：]?(\d{2})秒?)?)?$"
)


def parse_timestamp(value: Any) -> datetime | None:
    """Parse a reply's 填报时间 to a naive local (Asia/Shanghai) datetime.

    Accepts datetime objects (Excel datetime cells), ``YYYY-MM-DD HH:MM[:SS]``,
    ``YYYY/M/D H:MM``, ISO 8601 with ``T``, fraction and offset/``Z`` (converted
    to Shanghai), and ``2026年3月5日 9:30``. A date alone is unparseable, as
    inputs.md says of every timestamp: read as 00:00 it would lose to any
    answer given earlier that day, and a department's correction would
    silently not count. Anything else, or an impossible date -> None.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(SHANGHAI).replace(tzinfo=None)
        return value
    if isinstance(value, date):  # a Parquet date column: a date alone
        return None
    s = str(value).strip()
    if not s:
        return None
    m = _TS_RE.match(s)
    tz = None
    if m:
        y, mo, d, hh, mi, ss, frac, tz = m.groups()
    else:
        m = _ZH_TS_RE.match(s)
        if not m:
            return None
        y, mo, d, hh, mi, ss = m.groups()
        frac = None
    if hh is None:
        return None
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        t = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), micro)
    except ValueError:
        return None
    if tz:
        if tz == "Z":
            off = timedelta(0)
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            off = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        t = t.replace(tzinfo=timezone(off)).astimezone(SHANGHAI).replace(tzinfo=None)
    return t


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
class UpdateValidation(tuple):
    """``(accepted, refused)``; ``.skipped`` counts rows with an empty status."""

    def __new__(cls, accepted: pl.DataFrame, refused: pl.DataFrame, skipped: int):
        obj = super().__new__(cls, (accepted, refused))
        obj.skipped = skipped
        return obj

    @property
    def accepted(self) -> pl.DataFrame:
        return self[0]

    @property
    def refused(self) -> pl.DataFrame:
        return self[1]


def _clean(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def update_item_ids(updates: pl.DataFrame) -> set[str]:
    """The item ids named by raw update rows, cleaned as ``validate_updates``
    cleans them: the ids whose presence on the ledger decides unknown_item."""
    if "item_id" not in updates.columns:
        return set()
    return {i for i in (_clean(v) for v in updates.get_column("item_id").to_list()) if i is not None}


def validate_updates(
    updates: pl.DataFrame, known_item_ids: Iterable[str] | Mapping[str, date], *, today: date | None = None
) -> UpdateValidation:
    """Split raw updates into accepted and refused rows. ``known_item_ids``:
    the ledger's ids, or a mapping of each to its detected_on, when a reply
    dated before its item was found is to be refused; ``today``: the office's
    date, when a reply dated after it is to be refused.

    Input: item_id, status (raw: code or Chinese word), note, updated_by,
    updated_at (Datetime, or text parsed with ``parse_timestamp``),
    source_file, source_row; optional updated_at_raw (the original cell text,
    kept on refusal). Missing optional columns are treated as empty.

    * empty status cell -> skipped (``result.skipped``), neither list;
    * refused, first reason that applies: ``unknown_item`` (item_id empty or
      not in ``known_item_ids``), ``unknown_status`` (raw value kept),
      ``resolved_without_note``, ``bad_updated_at`` (empty or unparseable
      填报时间, a date alone included), ``missing_updated_by`` (填报人
      empty: inputs.md requires every cell it does not call optional),
      ``before_detected`` (填报时间 before the day the item was found: a
      mistyped date, which would count a late fix as on time),
      ``after_today`` (填报时间 after ``today``: a mistyped date, which would
      sit unused until then and then outrank every later answer);
    * accepted rows get the status code and trimmed texts (empty -> null).
    Output columns: ``UPDATE_COLUMNS``; refused adds updated_at_raw,
    reason_code and reason (Chinese, naming the value).
    """
    detected = known_item_ids if isinstance(known_item_ids, Mapping) else {}
    known = set(known_item_ids.to_list() if isinstance(known_item_ids, pl.Series) else known_item_ids)
    acc: list[dict[str, Any]] = []
    ref: list[dict[str, Any]] = []
    skipped = 0
    cols = updates.columns
    for r in updates.iter_rows(named=True):
        raw_status = _clean(r.get("status")) if "status" in cols else None
        if raw_status is None:
            skipped += 1
            continue
        raw_at = r.get("updated_at")
        at = parse_timestamp(raw_at)
        row = {
            "item_id": _clean(r.get("item_id")),
            "status": raw_status,
            "note": _clean(r.get("note")),
            "updated_by": _clean(r.get("updated_by")),
            "updated_at": at,
            "source_file": _clean(r.get("source_file")),
            "source_row": int(r["source_row"]) if r.get("source_row") is not None else None,
        }
        code = normalise_update_status(raw_status)
        reason = None
        if row["item_id"] is None or row["item_id"] not in known:
            reason = ("unknown_item", f"未知整改编号 unknown item: {row['item_id'] or '（空）'}")
        elif code is None:
            reason = ("unknown_status", f"未知整改状态 unknown status: {raw_status}")
        elif code == "resolved" and row["note"] is None:
            reason = ("resolved_without_note", "已整改但未填写整改情况 resolved without a note")
        elif at is None:
            shown = _clean(r.get("updated_at_raw")) or _clean(raw_at) or "（空）"
            reason = ("bad_updated_at", f"填报时间为空或无法识别 missing/unparseable updated_at: {shown}")
        elif row["updated_by"] is None:
            reason = ("missing_updated_by", "未填写填报人 updated_by is empty")
        elif today is not None and at.date() > today:
            reason = ("after_today", f"填报时间晚于今天 {today.isoformat()} updated_at after today")
        elif (found := detected.get(row["item_id"])) is not None and at.date() < found:
            reason = ("before_detected", f"填报时间早于问题发现日期 {found.isoformat()} updated_at before the item was found")
        if reason:
            raw_text = _clean(r.get("updated_at_raw")) if "updated_at_raw" in cols else None
            if raw_text is None and raw_at is not None and not isinstance(raw_at, (datetime, date)):
                raw_text = _clean(raw_at)
            ref.append({**row, "updated_at_raw": raw_text, "reason_code": reason[0], "reason": reason[1]})
        else:
            acc.append({**row, "status": code})
    return UpdateValidation(
        pl.DataFrame(acc, schema=UPDATE_COLUMNS),
        pl.DataFrame(ref, schema=REFUSED_COLUMNS),
        skipped,
    )


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------
def latest_updates(updates: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The deciding update per item: accepted, dated <= as_of, latest by
    (updated_at, source_file, source_row, recorded_at, status, note,
    updated_by)."""
    u = updates
    for c, t in {**UPDATE_COLUMNS, "recorded_at": pl.Datetime("us")}.items():
        if c not in u.columns:
            u = u.with_columns(pl.lit(None, dtype=t).alias(c))
    if "accepted" in u.columns:
        u = u.filter(pl.col("accepted").fill_null(True))
    u = u.filter(pl.col("updated_at").is_not_null() & (pl.col("updated_at").dt.date() <= as_of))
    keys = ["updated_at", "source_file", "source_row", "recorded_at", "status", "note", "updated_by"]
    return (
        u.sort(["item_id", *keys], nulls_last=False)
        .group_by("item_id", maintain_order=True)
        .last()
        .select(
            "item_id",
            pl.col("status").alias("last_status"),
            pl.col("note").alias("last_note"),
            pl.col("updated_by").alias("last_updated_by"),
            pl.col("updated_at").alias("last_updated_at"),
        )
    )


def compute_status(
    items: pl.DataFrame,
    updates: pl.DataFrame,
    as_of: date,
    add_working_days: AddWorkingDays,
    *,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    escalation_days: int | None = None,
    found_item_ids: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Status of every item as of ``as_of`` (see the module docstring).

    Withdrawn: ``items.withdrawn`` true, or — when ``found_item_ids`` is given
    — the item_id is not among them. escalation days: ``escalation_days``,
    else ``rules['escalation']['days']``, else 5. Items are not filtered by
    detected_on here (the ledger reader does that).
    """
    esc = int(escalation_days if escalation_days is not None else rule_param(rules, "escalation", "days"))
    it = items.with_columns(pl.col("deadline").cast(pl.Date))
    withdrawn = pl.col("withdrawn").fill_null(False) if "withdrawn" in it.columns else pl.lit(False)
    if found_item_ids is not None:
        found = list(found_item_ids.to_list() if isinstance(found_item_ids, pl.Series) else found_item_ids)
        withdrawn = withdrawn | ~pl.col("item_id").is_in(pl.Series(found, dtype=pl.String))
    deadlines = it.get_column("deadline").drop_nulls().unique().to_list()
    esc_map = {d: add_working_days(d, esc) for d in deadlines}
    it = it.with_columns(
        pl.col("deadline")
        .replace_strict(list(esc_map.keys()), list(esc_map.values()), default=None, return_dtype=pl.Date)
        .alias("escalate_after"),
        withdrawn.alias("_withdrawn"),
    )
    last = latest_updates(updates, as_of)
    drop = [c for c in last.columns if c != "item_id" and c in it.columns]
    it = it.drop(drop).join(last, on="item_id", how="left")
    d = pl.lit(as_of, dtype=pl.Date)
    resolved = (pl.col("last_status") == "resolved").fill_null(False)
    status = (
        pl.when(resolved).then(pl.lit("resolved"))
        .when(pl.col("_withdrawn")).then(pl.lit("withdrawn"))
        .when(d > pl.col("escalate_after")).then(pl.lit("escalated"))
        .when(d > pl.col("deadline")).then(pl.lit("overdue"))
        .when(pl.col("last_status") == "disputed").then(pl.lit("disputed"))
        .when(pl.col("last_status") == "in_progress").then(pl.lit("in_progress"))
        .otherwise(pl.lit("open"))
    )
    resolved_on = pl.when(resolved).then(pl.col("last_updated_at").dt.date()).otherwise(None)
    return (
        it.with_columns(status.alias("status"), resolved_on.alias("resolved_on"))
        .with_columns(
            pl.col("status").replace_strict(STATUS_ZH, return_dtype=pl.String).alias("status_zh"),
            pl.when(pl.col("status") == "resolved")
            .then(pl.col("resolved_on") > pl.col("deadline"))
            .otherwise(None)
            .alias("resolved_late"),
        )
        .drop("_withdrawn")
    )
