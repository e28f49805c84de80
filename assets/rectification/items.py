"""Rectification items (整改事项): identity and the per-rule finders.

Pure functions over polars frames; the Dagster asset that calls them supplies
the derived frames, the working-day function and the rule settings.

Identity
--------
``item_id(rule, hall_id, subject_ref)`` = ``"RX-"`` + the first 12 hex digits
(lower case) of SHA-1 over the UTF-8 bytes of ``rule + "\\x1f" + hall_id +
"\\x1f" + subject_ref`` (``\\x1f`` is the ASCII unit separator, which cannot
occur in the parts; an empty/None hall is ``main``). It depends on nothing but
those three strings, so it is the same on every run, machine and Python
version. 48 bits: the chance of any collision among a million items is about
2e-3 %; the ledger's primary key would refuse one rather than merge two items.

Rule settings
-------------
Every finder takes ``rules: Mapping[str, Mapping]`` (default
``DEFAULT_RULES``); a missing rule or key falls back to the default, so a
partial mapping such as ``{"bad_rating": {"days": 10}}`` is fine::

    {
      "bad_rating":        {"days": 15, "max_score": 2},
      "overdue_case":      {"days": 3},
      "one_notice":        {"days": 5, "min_supplements": 2},
      "behaviour":         {"days": 5},
      "callback_problem":  {"days": 5, "misconduct_days": 3},
      "absence":           {"days": 5},
      "repeated_lateness": {"days": 5, "nth": 3},
      "low_score":         {"days": 10, "below": 80},
      "escalation":        {"days": 5},        # used by status.py
    }

``days`` are working days after ``detected_on`` (``add_working_days``).

Output of every finder (``ITEM_SCHEMA``): item_id, rule, category (中文),
hall_id, window_id, dept_id, staff_id, subject_ref, detected_on (Date),
deadline (Date), description (a Chinese sentence; free-text parts masked).
Rows are sorted by (rule, hall_id, subject_ref); one row per item.

Window names: pass ``windows`` (hall_id optional, window_id, dept_id,
window_name optional) to every finder; it supplies dept_id (when the frame has
none) and the name shown as ``A03窗口（不动产登记）``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Callable, Iterable, Mapping

import duckdb
import polars as pl

from assets.ingest.contract import (
    DEFAULT_HALL,
    EVENT_SOURCE,
    EVENT_TYPE,
    PROBLEM_TYPE,
    RATING_CHANNEL,
)

from .masking import mask_text_expr

AddWorkingDays = Callable[[date, int], date]

RULES: tuple[str, ...] = (
    "bad_rating",
    "overdue_case",
    "one_notice",
    "behaviour",
    "callback_problem",
    "absence",
    "repeated_lateness",
    "low_score",
)

CATEGORY: dict[str, str] = {
    "bad_rating": "差评",
    "overdue_case": "办件超期",
    "one_notice": "未一次性告知",
    "behaviour": "行为规范问题",
    "callback_problem": "回访反映问题",
    "absence": "旷工",
    "repeated_lateness": "多次迟到早退",
    "low_score": "月度考评低分",
}

DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "bad_rating": {"days": 15, "max_score": 2},
    "overdue_case": {"days": 3},
    "one_notice": {"days": 5, "min_supplements": 2},
    "behaviour": {"days": 5},
    "callback_problem": {"days": 5, "misconduct_days": 3},
    "absence": {"days": 5},
    "repeated_lateness": {"days": 5, "nth": 3},
    "low_score": {"days": 10, "below": 80},
    "escalation": {"days": 5},
}

ITEM_SCHEMA: dict[str, pl.DataType] = {
    "item_id": pl.String(),
    "rule": pl.String(),
    "category": pl.String(),
    "hall_id": pl.String(),
    "window_id": pl.String(),
    "dept_id": pl.String(),
    "staff_id": pl.String(),
    "subject_ref": pl.String(),
    "detected_on": pl.Date(),
    "deadline": pl.Date(),
    "description": pl.String(),
}


# ---------------------------------------------------------------------------
# identity and settings
# ---------------------------------------------------------------------------
# what item_id gives, as a regular expression
ITEM_ID_FORM = r"^RX-[0-9a-f]{12}$"


def item_id(rule: str, hall_id: str | None, subject_ref: str) -> str:
    """Stable id of the item (rule, hall, subject): ``RX-`` + 12 hex of SHA-1."""
    hall = hall_id if hall_id else DEFAULT_HALL
    key = "\x1f".join((str(rule), str(hall), str(subject_ref)))
    return "RX-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


# ``item_id`` over whole columns: SHA-1 has no polars expression, and
# hashlib called from Python once per row (~2 M rows a night at a city's
# year) took ~5x as long as DuckDB's sha1. The hall is never empty here
# (``_finish`` defaults it); a missing subject_ref hashes as the text
# 'None', as ``str(None)`` does in item_id.
ITEM_IDS_SQL = """
SELECT 'RX-' || left(sha1(concat(?, chr(31), hall_id, chr(31), coalesce(subject_ref, 'None'))), 12) AS item_id
FROM item_keys
ORDER BY row_nr
"""


def item_ids(rule: str, hall_ids: pl.Series, subject_refs: pl.Series) -> pl.Series:
    """``item_id(rule, hall, subject)`` for each pair of the two columns, in order."""
    keys = pl.DataFrame({"hall_id": hall_ids.cast(pl.String), "subject_ref": subject_refs.cast(pl.String)})
    con = duckdb.connect()
    try:
        con.register("item_keys", keys.with_row_index("row_nr"))
        ids = con.sql(ITEM_IDS_SQL, params=[str(rule)]).pl().get_column("item_id")
    finally:
        con.close()
    return ids.cast(pl.String).alias("item_id")


def rule_param(rules: Mapping[str, Mapping[str, Any]] | None, rule: str, key: str) -> Any:
    """``rules[rule][key]``, falling back to ``DEFAULT_RULES``."""
    if rules is not None and rule in rules and key in (rules[rule] or {}):
        return rules[rule][key]
    return DEFAULT_RULES[rule][key]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=ITEM_SCHEMA)


def _opt(df: pl.DataFrame, name: str, dtype: pl.DataType = pl.String()) -> pl.DataFrame:
    """Add a null column when the frame lacks an optional one."""
    if name not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return df


def _require(df: pl.DataFrame, rule: str, cols: Iterable[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{rule}: input frame lacks column(s) {missing}")


def _with_hall(df: pl.DataFrame) -> pl.DataFrame:
    df = _opt(df, "hall_id")
    return df.with_columns(
        pl.when(pl.col("hall_id").is_null() | (pl.col("hall_id").cast(pl.String).str.strip_chars() == ""))
        .then(pl.lit(DEFAULT_HALL))
        .otherwise(pl.col("hall_id").cast(pl.String))
        .alias("hall_id")
    )


def _with_windows(df: pl.DataFrame, windows: pl.DataFrame | None) -> pl.DataFrame:
    """Add dept_id (if missing) and window_name from the windows reference."""
    df = _opt(_opt(df, "dept_id"), "window_name")
    if windows is None or windows.height == 0 or "window_id" not in df.columns:
        return df
    w = _with_hall(windows)
    w = _opt(_opt(w, "dept_id"), "window_name").select(
        "hall_id",
        pl.col("window_id").cast(pl.String),
        pl.col("dept_id").cast(pl.String).alias("_w_dept"),
        pl.col("window_name").cast(pl.String).alias("_w_name"),
    ).unique(["hall_id", "window_id"], keep="first", maintain_order=True)
    df = df.with_columns(pl.col("window_id").cast(pl.String)).join(
        w, on=["hall_id", "window_id"], how="left"
    )
    return df.with_columns(
        pl.coalesce("dept_id", "_w_dept").alias("dept_id"),
        pl.coalesce("window_name", "_w_name").alias("window_name"),
    ).drop("_w_dept", "_w_name")


# ---------------------------------------------------------------------------
# description pieces, as expressions
# ---------------------------------------------------------------------------
def _s(name: str | pl.Expr) -> pl.Expr:
    """The value as trimmed text; empty -> null."""
    e = (pl.col(name) if isinstance(name, str) else name).cast(pl.String).str.strip_chars()
    return pl.when(e == "").then(None).otherwise(e)


def _text(name: str) -> pl.Expr:
    """The value as text, untrimmed (what an f-string of it shows)."""
    return pl.col(name).cast(pl.String)


def _when_set(value: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    """``text`` when ``value`` is not null, else the empty string."""
    t = pl.lit(text) if isinstance(text, str) else text
    return pl.when(value.is_not_null()).then(t).otherwise(pl.lit(""))


def _zh_date(e: pl.Expr) -> pl.Expr:
    """2026-03-05 -> 2026年3月5日"""
    return pl.format("{}年{}月{}日", e.dt.year(), e.dt.month(), e.dt.day())


def _window_label() -> pl.Expr:
    """A03窗口（不动产登记）, A03窗口 without a name, （窗口未知） without a window."""
    wid, name = _text("window_id"), _text("window_name")
    return (
        pl.when(wid.is_null() | (wid == "")).then(pl.lit("（窗口未知）"))
        .when(name.is_not_null() & (name != "")).then(pl.format("{}窗口（{}）", wid, name))
        .otherwise(pl.format("{}窗口", wid))
    )


def _staff_part() -> pl.Expr:
    """（工号S001） or empty, as ``_staff_part``."""
    return _when_set(_s("staff_id"), pl.format("（工号{}）", _s("staff_id")))


def _matter_what() -> pl.Expr:
    """办件C1（不动产转移登记）: the case and its matter's name (or code)."""
    matter = pl.coalesce(_s("matter_name"), _s("matter_code"))
    return pl.concat_str([pl.lit("办件"), _text("case_id"), _when_set(matter, pl.format("（{}）", matter))])


def _code_name(name: str, names: Mapping[str, str]) -> pl.Expr:
    """The Chinese name of a code; an unknown code is shown as it is."""
    return _text(name).replace(dict(names))


def _py_format(e: pl.Expr, fmt: str) -> pl.Expr:
    """Python's ``format(value, fmt)`` (``g``, ``.2f``) of a Float column:
    formatted once per distinct value, since polars has no printf."""

    def run(s: pl.Series) -> pl.Series:
        uniq = s.drop_nulls().unique()
        if uniq.len() == 0:
            return s.cast(pl.String)
        old = uniq.to_list()
        return s.replace_strict(old, [format(v, fmt) for v in old], default=None, return_dtype=pl.String)

    return e.cast(pl.Float64).map_batches(run, return_dtype=pl.String, is_elementwise=True)


def _finish(
    df: pl.DataFrame,
    rule: str,
    add_working_days: AddWorkingDays,
) -> pl.DataFrame:
    """df: hall_id, window_id, dept_id, staff_id, subject_ref, detected_on,
    days, description -> the ITEM_SCHEMA frame."""
    if df.height == 0:
        return _empty()
    hall = _text("hall_id")
    df = df.select(
        pl.when(hall.is_null() | (hall == "")).then(pl.lit(DEFAULT_HALL)).otherwise(hall).alias("hall_id"),
        _s("window_id").alias("window_id"),
        _s("dept_id").alias("dept_id"),
        _s("staff_id").alias("staff_id"),
        _text("subject_ref").alias("subject_ref"),
        pl.col("detected_on").cast(pl.Date),
        pl.col("days").cast(pl.Int64),
        pl.col("description").cast(pl.String),
    )
    # add_working_days is a Python function: call it once per distinct (day, days)
    pairs = df.select("detected_on", "days").unique()
    pairs = pairs.with_columns(
        pl.Series("deadline", [add_working_days(d, n) for d, n in pairs.iter_rows()], dtype=pl.Date)
    )
    df = df.join(pairs, on=["detected_on", "days"], how="left")
    # one item per (rule, hall, subject): keep the earliest detection, then a
    # deterministic order so that the input order never matters
    df = (
        df.with_columns(pl.lit(rule).alias("rule"))
        .sort(["rule", "hall_id", "subject_ref", "detected_on", "description", "window_id", "staff_id"],
              nulls_last=True)
        .unique(["rule", "hall_id", "subject_ref"], keep="first", maintain_order=True)
    )
    return df.with_columns(
        item_ids(rule, df.get_column("hall_id"), df.get_column("subject_ref")),
        pl.lit(CATEGORY[rule]).alias("category"),
    ).select([pl.col(c).cast(t) for c, t in ITEM_SCHEMA.items()])


# ---------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------
def find_bad_ratings(
    ratings: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """bad_rating: a rating with score <= max_score (default 2).

    Input (staged ratings): rating_id, rated_at (Datetime), window_id, score;
    optional hall_id, staff_id, case_id, channel (code), reasons, comment.
    rater_phone is never read. subject_ref = rating_id,
    detected_on = date(rated_at), deadline = +days (15).
    """
    rule = "bad_rating"
    _require(ratings, rule, ["rating_id", "rated_at", "window_id", "score"])
    max_score = rule_param(rules, rule, "max_score")
    days = rule_param(rules, rule, "days")
    df = _with_hall(ratings)
    for c in ("staff_id", "case_id", "channel", "reasons", "comment"):
        df = _opt(df, c)
    df = df.filter(
        pl.col("score").is_not_null()
        & (pl.col("score").cast(pl.Int64) <= max_score)
        & (pl.col("rated_at").dt.date() <= as_of)
    )
    df = _with_windows(df, windows)
    reasons, comment, channel = _s("reasons"), _s("comment"), _s("channel")
    description = pl.concat_str(
        [
            _zh_date(pl.col("rated_at")), pl.lit("，"), _window_label(),
            pl.lit("收到差评（"), pl.col("score").cast(pl.Int64).cast(pl.String), pl.lit("星"),
            _when_set(channel, pl.format("，{}渠道", channel.replace(dict(RATING_CHANNEL)))),
            pl.lit("）"),
            _when_set(reasons, pl.concat_str([pl.lit("："), mask_text_expr(reasons)])),
            _when_set(comment, pl.concat_str([pl.when(reasons.is_not_null()).then(pl.lit("；")).otherwise(pl.lit("：")),
                                              pl.lit("评价内容："), mask_text_expr(comment)])),
            pl.lit("（"),
            _when_set(_s("case_id"), pl.format("办件编号{}，", _s("case_id"))),
            _when_set(_s("staff_id"), pl.format("工号{}，", _s("staff_id"))),
            pl.lit("评价编号"), _text("rating_id"), pl.lit("）。"),
        ]
    )
    return _finish(
        df.with_columns(
            pl.col("rating_id").alias("subject_ref"),
            pl.col("rated_at").dt.date().alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def find_overdue_cases(
    cases: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """overdue_case: a late case (scoring.md, Timeliness).

    Input (case timeliness rows, one per evaluated case, rejected/returned/
    withdrawn already left out): case_id, window_id, deadline (Date, the case's
    promised deadline); optional hall_id, staff_id, dept_id, late (Boolean),
    completed_at (Datetime) or completed_date (Date), matter_code, matter_name.
    When ``late`` is absent it is derived: completed after the deadline, or not
    completed and as_of > deadline. subject_ref = case_id,
    detected_on = deadline + 1 calendar day (the evaluation date of a late
    case), found when detected_on <= as_of; item deadline = +days (3).
    """
    rule = "overdue_case"
    _require(cases, rule, ["case_id", "window_id", "deadline"])
    days = rule_param(rules, rule, "days")
    df = _with_hall(cases)
    for c in ("staff_id", "matter_code", "matter_name"):
        df = _opt(df, c)
    # the warehouse's case_timeliness holds the completion's date only
    if "completed_at" in df.columns:
        df = df.with_columns(pl.col("completed_at").dt.date().alias("_done"))
    else:
        df = _opt(df, "completed_date", pl.Date()).with_columns(pl.col("completed_date").cast(pl.Date).alias("_done"))
    df = df.with_columns(pl.col("deadline").cast(pl.Date))
    done = pl.col("_done")
    if "late" not in df.columns:
        df = df.with_columns(
            pl.when(done.is_not_null() & (done <= as_of))
            .then(done > pl.col("deadline"))
            .otherwise(pl.lit(as_of) > pl.col("deadline"))
            .alias("late")
        )
    df = df.with_columns((pl.col("deadline") + pl.duration(days=1)).alias("_detected"))
    df = df.filter(pl.col("late").fill_null(False) & (pl.col("_detected") <= as_of))
    df = _with_windows(df, windows)
    # What triggered the item, true before and after the case is completed: a
    # description naming the completion would change on the night a late case
    # is done, and rewrite its item and its month's archived lists for it.
    tail = pl.format("未在承诺期限{}内办结", _zh_date(pl.col("deadline")))
    description = pl.concat_str([_window_label(), _staff_part(), pl.lit("受理的"), _matter_what(), tail, pl.lit("。")])
    return _finish(
        df.with_columns(
            pl.col("case_id").alias("subject_ref"),
            pl.col("_detected").alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def _latest_case_versions(cases: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Drop case versions updated after as_of, keep the latest per case."""
    if "updated_at" not in cases.columns:
        return cases
    return (
        cases.filter(pl.col("updated_at").dt.date() <= as_of)
        .sort("updated_at", nulls_last=False)
        .unique(["hall_id", "case_id"], keep="last", maintain_order=True)
    )


def find_one_notice(
    cases: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """one_notice: a completed case with supplement_count >= min_supplements (2).

    Input (staged cases, or their latest versions): case_id, window_id, status
    (code), completed_at (Datetime), supplement_count; optional hall_id,
    staff_id, dept_id, matter_code, matter_name, updated_at. When updated_at is
    present, versions updated after as_of are dropped and the latest version
    per (hall_id, case_id) is used. subject_ref = case_id,
    detected_on = date(completed_at), deadline = +days (5).
    """
    rule = "one_notice"
    _require(cases, rule, ["case_id", "window_id", "status", "completed_at", "supplement_count"])
    days = rule_param(rules, rule, "days")
    n_min = rule_param(rules, rule, "min_supplements")
    qualifies = (
        (pl.col("status") == "completed")
        & pl.col("completed_at").is_not_null()
        & (pl.col("completed_at").dt.date() <= as_of)
        & (pl.col("supplement_count") >= n_min)
    )
    df = _with_hall(cases)
    if "updated_at" in df.columns:
        # only a case with a qualifying version (known by as_of) can give an
        # item: look for the latest versions of those cases alone, not of all
        keys = df.filter(qualifies & (pl.col("updated_at").dt.date() <= as_of)).select("hall_id", "case_id").unique()
        df = df.join(keys, on=["hall_id", "case_id"], how="semi", maintain_order="left")
    df = _latest_case_versions(df, as_of)
    for c in ("staff_id", "matter_code", "matter_name"):
        df = _opt(df, c)
    df = df.filter(qualifies)
    df = _with_windows(df, windows)
    description = pl.concat_str(
        [
            _zh_date(pl.col("completed_at")), pl.lit("，"), _window_label(), _staff_part(),
            pl.lit("办结的"), _matter_what(), pl.lit("要求申请人补正"),
            pl.col("supplement_count").cast(pl.Int64).cast(pl.String), pl.lit("次，未做到一次性告知。"),
        ]
    )
    return _finish(
        df.with_columns(
            pl.col("case_id").alias("subject_ref"),
            pl.col("completed_at").dt.date().alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def find_behaviour(
    events: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """behaviour: a counting monitoring event.

    Input (staged monitoring): event_id, occurred_at (Datetime), window_id,
    event_type (code); optional hall_id, staff_id, dept_id, source (code),
    confirmed (Boolean), duration_minutes, evidence_ref. If source/confirmed
    are present the counting rule is applied here too (an ai_camera event
    counts only when confirmed; others count as delivered), so passing all
    events or only counting ones gives the same items. subject_ref = event_id,
    detected_on = date(occurred_at), deadline = +days (5).
    """
    rule = "behaviour"
    _require(events, rule, ["event_id", "occurred_at", "window_id", "event_type"])
    days = rule_param(rules, rule, "days")
    df = _with_hall(events)
    for c in ("staff_id", "source", "evidence_ref"):
        df = _opt(df, c)
    df = _opt(_opt(df, "confirmed", pl.Boolean()), "duration_minutes", pl.Float64())
    counting = (pl.col("source") != "ai_camera").fill_null(True) | pl.col("confirmed").fill_null(False)
    df = df.filter(counting & (pl.col("occurred_at").dt.date() <= as_of))
    df = _with_windows(df, windows)
    t, staff, evidence = pl.col("occurred_at"), _s("staff_id"), _s("evidence_ref")
    description = pl.concat_str(
        [
            _zh_date(t), t.dt.strftime("%H:%M"), pl.lit("，"), _window_label(),
            pl.when(staff.is_not_null()).then(pl.format("工作人员（工号{}）", staff)).otherwise(pl.lit("窗口")),
            pl.lit("存在"), _code_name("event_type", EVENT_TYPE), pl.lit("问题（"),
            _when_set(_s("source"), pl.concat_str([_code_name("source", EVENT_SOURCE), pl.lit("发现，")])),
            _when_set(pl.col("duration_minutes"),
                      pl.format("持续{}分钟，", _py_format(pl.col("duration_minutes"), "g"))),
            # an inspector may write who reported it there ("群众某某13812345678举报")
            _when_set(evidence, pl.format("证据编号{}，", mask_text_expr(evidence))),
            pl.lit("事件编号"), _text("event_id"), pl.lit("）。"),
        ]
    )
    return _finish(
        df.with_columns(
            pl.col("event_id").alias("subject_ref"),
            t.dt.date().alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def find_callback_problems(
    callbacks: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
    cases: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """callback_problem: a reached callback with a verified problem.

    Input (staged callbacks): callback_id, case_id, called_at (Datetime),
    outcome (code), problem_type (code), problem_verified (Boolean), and the
    case's window_id (and staff_id) — either already on the frame or joined
    here from ``cases`` (hall_id, case_id, window_id, staff_id; latest version
    per case); optional hall_id, dept_id, comment. phone is never read.
    Found when outcome = reached, problem_verified true and problem_type not
    none. subject_ref = callback_id, detected_on = date(called_at),
    deadline = +days (5), or +misconduct_days (3) for misconduct.
    """
    rule = "callback_problem"
    _require(callbacks, rule, ["callback_id", "case_id", "called_at", "outcome", "problem_type", "problem_verified"])
    days = rule_param(rules, rule, "days")
    m_days = rule_param(rules, rule, "misconduct_days")
    df = _with_hall(callbacks)
    if "window_id" not in df.columns:
        if cases is None:
            raise ValueError("callback_problem: give window_id on the callbacks or a cases frame")
        c = _latest_case_versions(_with_hall(cases), as_of)
        c = _opt(c, "staff_id").select("hall_id", "case_id", "window_id", "staff_id").unique(
            ["hall_id", "case_id"], keep="last", maintain_order=True
        )
        df = df.drop([x for x in ("staff_id",) if x in df.columns]).join(c, on=["hall_id", "case_id"], how="left")
    elif "staff_id" not in df.columns and "case_staff_id" in df.columns:
        # the warehouse's callbacks carry their case's window and staff member
        df = df.rename({"case_staff_id": "staff_id"})
    for col in ("staff_id", "comment"):
        df = _opt(df, col)
    df = df.filter(
        (pl.col("outcome") == "reached")
        & pl.col("problem_verified").fill_null(False)
        & pl.col("problem_type").is_not_null()
        & (pl.col("problem_type") != "none")
        & (pl.col("called_at").dt.date() <= as_of)
    )
    df = _with_windows(df, windows)
    staff, comment = _s("staff_id"), _s("comment")
    description = pl.concat_str(
        [
            _zh_date(pl.col("called_at")), pl.lit("电话回访办件"), _text("case_id"), pl.lit("（"), _window_label(),
            _when_set(staff, pl.format("，工号{}", staff)),
            pl.lit("），群众反映"), _code_name("problem_type", PROBLEM_TYPE), pl.lit("，经核实属实"),
            _when_set(comment, pl.concat_str([pl.lit("："), mask_text_expr(comment)])),
            pl.lit("（回访编号"), _text("callback_id"), pl.lit("）。"),
        ]
    )
    return _finish(
        df.with_columns(
            pl.col("callback_id").alias("subject_ref"),
            pl.col("called_at").dt.date().alias("detected_on"),
            pl.when(pl.col("problem_type") == "misconduct").then(pl.lit(m_days)).otherwise(pl.lit(days)).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def _attendance_input(df: pl.DataFrame, rule: str, flags: list[str]) -> pl.DataFrame:
    _require(df, rule, ["staff_id", "date", *flags])
    df = _with_hall(df)
    for c in ("window_id", "dept_id"):
        df = _opt(df, c)
    return df.with_columns(pl.col("date").cast(pl.Date))


def find_absences(
    days_frame: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """absence: an absent staff-day (旷工, scoring.md).

    Input (attendance days, one row per judged staff-day, leave waivers
    already applied): staff_id, date (Date), absent (Boolean); hall_id,
    window_id (usual window), dept_id (the staff member's department) —
    optional but expected. subject_ref = ``staff_id@YYYY-MM-DD``,
    detected_on = that day, deadline = +days (5).
    """
    rule = "absence"
    days = rule_param(rules, rule, "days")
    df = _attendance_input(days_frame, rule, ["absent"])
    df = df.filter(pl.col("absent").fill_null(False) & (pl.col("date") <= as_of))
    df = _with_windows(df, windows)
    d = pl.col("date")
    description = pl.concat_str(
        [_zh_date(d), pl.lit("，"), _window_label(), pl.lit("工作人员（工号"), _text("staff_id"),
         pl.lit("）旷工（全天无打卡记录且无批准的请假）。")]
    )
    return _finish(
        df.with_columns(
            pl.format("{}@{}", _text("staff_id"), d.dt.strftime("%Y-%m-%d")).alias("subject_ref"),
            d.alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def find_repeated_lateness(
    days_frame: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """repeated_lateness: a staff member's nth (3rd) late-or-early day in a month.

    Input: the attendance-days frame of ``find_absences`` with late and early
    (Boolean, *after* leave waivers). A day with both counts once. Only days
    <= as_of count. subject_ref = ``staff_id@YYYY-MM``, detected_on = the nth
    day, hall/window/dept from that day's row, deadline = +days (5). The
    description lists the month's late/early days up to as_of.
    """
    rule = "repeated_lateness"
    days = rule_param(rules, rule, "days")
    nth = int(rule_param(rules, rule, "nth"))
    df = _attendance_input(days_frame, rule, ["late", "early"])
    df = df.filter(
        (pl.col("late").fill_null(False) | pl.col("early").fill_null(False)) & (pl.col("date") <= as_of)
    ).with_columns(pl.col("date").dt.strftime("%Y-%m").alias("_month"))
    # one row per staff-day (a duplicated day must not count twice)
    df = df.sort(["staff_id", "date", "hall_id", "window_id"], nulls_last=True).unique(
        ["staff_id", "date"], keep="first", maintain_order=True
    )
    df = df.with_columns(pl.int_range(1, pl.len() + 1).over(["staff_id", "_month"]).alias("_k"))
    late, early = pl.col("late").fill_null(False), pl.col("early").fill_null(False)
    kind = pl.when(late & early).then(pl.lit("迟到并早退")).when(late).then(pl.lit("迟到")).otherwise(pl.lit("早退"))
    listed = df.group_by(["staff_id", "_month"], maintain_order=True).agg(
        pl.format("{}月{}日{}", pl.col("date").dt.month(), pl.col("date").dt.day(), kind).str.join("、").alias("_listed")
    )
    hit = _with_windows(df.filter(pl.col("_k") == nth), windows).join(listed, on=["staff_id", "_month"], how="left")
    d = pl.col("date")
    description = pl.concat_str(
        [
            pl.format("{}年{}月，", d.dt.year(), d.dt.month()), _window_label(),
            pl.lit("工作人员（工号"), _text("staff_id"), pl.lit(f"）迟到或早退已达{nth}次（"), _zh_date(d),
            pl.lit(f"第{nth}次）："), pl.col("_listed").fill_null(""), pl.lit("。"),
        ]
    )
    return _finish(
        hit.with_columns(
            pl.format("{}@{}", _text("staff_id"), pl.col("_month")).alias("subject_ref"),
            d.alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


def find_low_scores(
    scores: pl.DataFrame,
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """low_score: a window's monthly composite below ``below`` (80), month over.

    Input (scores rows, as in the scores export): period (``YYYY-MM``; day rows
    ``YYYY-MM-DD`` are ignored), hall_id, window_id, composite (Float, null =
    no score, never an item); optional dept_id. subject_ref =
    ``window_id@YYYY-MM``, detected_on = first day of the next month (found
    only when <= as_of), deadline = +days (10).
    """
    rule = "low_score"
    _require(scores, rule, ["period", "window_id", "composite"])
    days = rule_param(rules, rule, "days")
    below = float(rule_param(rules, rule, "below"))
    df = _with_hall(scores).filter(pl.col("period").cast(pl.String).str.contains(r"^\d{4}-\d{2}$"))
    df = df.filter(pl.col("composite").is_not_null() & (pl.col("composite") < below))
    df = _with_windows(df, windows)
    period = _text("period")
    y, m = period.str.slice(0, 4).cast(pl.Int32), period.str.slice(5, 2).cast(pl.Int32)
    df = df.with_columns(
        pl.date(y + (m == 12).cast(pl.Int32), m % 12 + 1, 1).alias("_detected"),
        y.alias("_y"),
        m.alias("_m"),
    ).filter(pl.col("_detected") <= as_of)
    description = pl.concat_str(
        [
            pl.format("{}年{}月，", pl.col("_y"), pl.col("_m")), _window_label(), pl.lit("月度综合得分"),
            _py_format(pl.col("composite"), ".2f"), pl.lit(f"分，低于{below:g}分。"),
        ]
    )
    return _finish(
        df.with_columns(
            pl.lit(None, dtype=pl.String).alias("staff_id"),
            pl.format("{}@{}", _text("window_id"), period).alias("subject_ref"),
            pl.col("_detected").alias("detected_on"),
            pl.lit(days).alias("days"),
            description.alias("description"),
        ),
        rule,
        add_working_days,
    )


FINDERS: dict[str, Callable[..., pl.DataFrame]] = {
    "bad_rating": find_bad_ratings,
    "overdue_case": find_overdue_cases,
    "one_notice": find_one_notice,
    "behaviour": find_behaviour,
    "callback_problem": find_callback_problems,
    "absence": find_absences,
    "repeated_lateness": find_repeated_lateness,
    "low_score": find_low_scores,
}


def find_items(
    frames: Mapping[str, pl.DataFrame],
    *,
    as_of: date,
    add_working_days: AddWorkingDays,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    windows: pl.DataFrame | None = None,
    cases: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Run the finders for the rules present in ``frames`` (rule -> input frame)
    and concatenate their outputs (ITEM_SCHEMA, sorted by rule, hall, subject).
    ``cases`` is passed to callback_problem for the window join."""
    parts = []
    for rule, frame in frames.items():
        if rule not in FINDERS:
            raise KeyError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
        kw: dict[str, Any] = dict(as_of=as_of, add_working_days=add_working_days, rules=rules, windows=windows)
        if rule == "callback_problem":
            kw["cases"] = cases
        parts.append(FINDERS[rule](frame, **kw))
    if not parts:
        return _empty()
    return pl.concat(parts, how="vertical").sort(["rule", "hall_id", "subject_ref"])
