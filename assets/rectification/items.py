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
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

import polars as pl

from assets.ingest.contract import (
    DEFAULT_HALL,
    EVENT_SOURCE,
    EVENT_TYPE,
    PROBLEM_TYPE,
    RATING_CHANNEL,
)

from .masking import mask_text

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
def item_id(rule: str, hall_id: str | None, subject_ref: str) -> str:
    """Stable id of the item (rule, hall, subject): ``RX-`` + 12 hex of SHA-1."""
    hall = hall_id if hall_id else DEFAULT_HALL
    key = "\x1f".join((str(rule), str(hall), str(subject_ref)))
    return "RX-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def rule_param(rules: Mapping[str, Mapping[str, Any]] | None, rule: str, key: str) -> Any:
    """``rules[rule][key]``, falling back to ``DEFAULT_RULES``."""
    if rules is not None and rule in rules and key in (rules[rule] or {}):
        return rules[rule][key]
    return DEFAULT_RULES[rule][key]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def zh_date(d: date | datetime | None) -> str:
    """2026-03-05 -> 2026年3月5日"""
    if d is None:
        return ""
    return f"{d.year}年{d.month}月{d.day}日"


def zh_datetime(t: datetime | None) -> str:
    if t is None:
        return ""
    return f"{zh_date(t)}{t.hour:02d}:{t.minute:02d}"


def window_label(window_id: str | None, window_name: str | None = None) -> str:
    if not window_id:
        return "（窗口未知）"
    return f"{window_id}窗口（{window_name}）" if window_name else f"{window_id}窗口"


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


def _finish(
    rows: list[dict[str, Any]],
    rule: str,
    add_working_days: AddWorkingDays,
) -> pl.DataFrame:
    """rows: dicts with hall_id, window_id, dept_id, staff_id, subject_ref,
    detected_on, days, description -> the ITEM_SCHEMA frame."""
    if not rows:
        return _empty()
    cache: dict[tuple[date, int], date] = {}
    out = []
    for r in rows:
        key = (r["detected_on"], int(r["days"]))
        if key not in cache:
            cache[key] = add_working_days(*key)
        hall = r.get("hall_id") or DEFAULT_HALL
        out.append(
            {
                "item_id": item_id(rule, hall, r["subject_ref"]),
                "rule": rule,
                "category": CATEGORY[rule],
                "hall_id": hall,
                "window_id": _s(r.get("window_id")),
                "dept_id": _s(r.get("dept_id")),
                "staff_id": _s(r.get("staff_id")),
                "subject_ref": str(r["subject_ref"]),
                "detected_on": r["detected_on"],
                "deadline": cache[key],
                "description": r["description"],
            }
        )
    df = pl.DataFrame(out, schema=ITEM_SCHEMA)
    # one item per (rule, hall, subject): keep the earliest detection, then a
    # deterministic order so that the input order never matters
    return (
        df.sort(["rule", "hall_id", "subject_ref", "detected_on", "description", "window_id", "staff_id"],
                nulls_last=True)
        .unique(["rule", "hall_id", "subject_ref"], keep="first", maintain_order=True)
    )


def _s(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _as_date(v: Any) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date()
    return v


def _staff_part(staff_id: Any) -> str:
    s = _s(staff_id)
    return f"（工号{s}）" if s else ""


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
    rows = []
    for r in df.iter_rows(named=True):
        d = _as_date(r["rated_at"])
        parts = [f"{zh_date(d)}，{window_label(r['window_id'], r['window_name'])}"]
        parts.append(f"收到差评（{int(r['score'])}星")
        ch = _s(r["channel"])
        if ch:
            parts[-1] += f"，{RATING_CHANNEL.get(ch, ch)}渠道"
        parts[-1] += "）"
        text = "".join(parts)
        reasons = _s(r["reasons"])
        comment = _s(r["comment"])
        if reasons:
            text += "：" + mask_text(reasons)
        if comment:
            text += ("；" if reasons else "：") + "评价内容：" + mask_text(comment)
        extra = []
        if _s(r["case_id"]):
            extra.append(f"办件编号{_s(r['case_id'])}")
        if _s(r["staff_id"]):
            extra.append(f"工号{_s(r['staff_id'])}")
        extra.append(f"评价编号{r['rating_id']}")
        text += "（" + "，".join(extra) + "）。"
        rows.append({**r, "subject_ref": r["rating_id"], "detected_on": d, "days": days, "description": text})
    return _finish(rows, rule, add_working_days)


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
    completed_at (Datetime), matter_code, matter_name.
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
    df = _opt(df, "completed_at", pl.Datetime("us"))
    df = df.with_columns(pl.col("deadline").cast(pl.Date))
    if "late" not in df.columns:
        done = pl.col("completed_at").dt.date()
        df = df.with_columns(
            pl.when(pl.col("completed_at").is_not_null() & (done <= as_of))
            .then(done > pl.col("deadline"))
            .otherwise(pl.lit(as_of) > pl.col("deadline"))
            .alias("late")
        )
    df = df.with_columns((pl.col("deadline") + pl.duration(days=1)).alias("_detected"))
    df = df.filter(pl.col("late").fill_null(False) & (pl.col("_detected") <= as_of))
    df = _with_windows(df, windows)
    rows = []
    for r in df.iter_rows(named=True):
        matter = _s(r["matter_name"]) or _s(r["matter_code"])
        what = f"办件{r['case_id']}" + (f"（{matter}）" if matter else "")
        done = r["completed_at"]
        if done is not None and done.date() <= as_of:
            tail = f"于{zh_date(done)}办结，超过承诺期限{zh_date(r['deadline'])}"
        else:
            tail = f"承诺期限{zh_date(r['deadline'])}，逾期未办结"
        text = f"{window_label(r['window_id'], r['window_name'])}{_staff_part(r['staff_id'])}受理的{what}{tail}。"
        rows.append(
            {**r, "subject_ref": r["case_id"], "detected_on": r["_detected"], "days": days, "description": text}
        )
    return _finish(rows, rule, add_working_days)


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
    df = _latest_case_versions(_with_hall(cases), as_of)
    for c in ("staff_id", "matter_code", "matter_name"):
        df = _opt(df, c)
    df = df.filter(
        (pl.col("status") == "completed")
        & pl.col("completed_at").is_not_null()
        & (pl.col("completed_at").dt.date() <= as_of)
        & (pl.col("supplement_count") >= n_min)
    )
    df = _with_windows(df, windows)
    rows = []
    for r in df.iter_rows(named=True):
        d = r["completed_at"].date()
        matter = _s(r["matter_name"]) or _s(r["matter_code"])
        what = f"办件{r['case_id']}" + (f"（{matter}）" if matter else "")
        text = (
            f"{zh_date(d)}，{window_label(r['window_id'], r['window_name'])}{_staff_part(r['staff_id'])}"
            f"办结的{what}要求申请人补正{int(r['supplement_count'])}次，未做到一次性告知。"
        )
        rows.append({**r, "subject_ref": r["case_id"], "detected_on": d, "days": days, "description": text})
    return _finish(rows, rule, add_working_days)


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
    rows = []
    for r in df.iter_rows(named=True):
        t = r["occurred_at"]
        who = f"工作人员（工号{_s(r['staff_id'])}）" if _s(r["staff_id"]) else "窗口"
        what = EVENT_TYPE.get(r["event_type"], str(r["event_type"]))
        info = []
        if _s(r["source"]):
            info.append(EVENT_SOURCE.get(r["source"], r["source"]) + "发现")
        if r["duration_minutes"] is not None:
            info.append(f"持续{r['duration_minutes']:g}分钟")
        if _s(r["evidence_ref"]):
            info.append(f"证据编号{_s(r['evidence_ref'])}")
        info.append(f"事件编号{r['event_id']}")
        text = (
            f"{zh_datetime(t)}，{window_label(r['window_id'], r['window_name'])}{who}"
            f"存在{what}问题（{'，'.join(info)}）。"
        )
        rows.append({**r, "subject_ref": r["event_id"], "detected_on": t.date(), "days": days, "description": text})
    return _finish(rows, rule, add_working_days)


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
    rows = []
    for r in df.iter_rows(named=True):
        d = r["called_at"].date()
        problem = PROBLEM_TYPE.get(r["problem_type"], str(r["problem_type"]))
        text = (
            f"{zh_date(d)}电话回访办件{r['case_id']}（{window_label(r['window_id'], r['window_name'])}"
            f"{'，工号' + _s(r['staff_id']) if _s(r['staff_id']) else ''}），"
            f"群众反映{problem}，经核实属实"
        )
        if _s(r["comment"]):
            text += "：" + mask_text(_s(r["comment"]))
        text += f"（回访编号{r['callback_id']}）。"
        rows.append(
            {
                **r,
                "subject_ref": r["callback_id"],
                "detected_on": d,
                "days": m_days if r["problem_type"] == "misconduct" else days,
                "description": text,
            }
        )
    return _finish(rows, rule, add_working_days)


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
    rows = []
    for r in df.iter_rows(named=True):
        d = r["date"]
        text = (
            f"{zh_date(d)}，{window_label(r['window_id'], r['window_name'])}工作人员（工号{r['staff_id']}）"
            f"旷工（全天无打卡记录且无批准的请假）。"
        )
        rows.append(
            {**r, "subject_ref": f"{r['staff_id']}@{d.isoformat()}", "detected_on": d, "days": days,
             "description": text}
        )
    return _finish(rows, rule, add_working_days)


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
    hit = df.filter(pl.col("_k") == nth)
    hit = _with_windows(hit, windows)
    rows = []
    for r in hit.iter_rows(named=True):
        month_days = df.filter((pl.col("staff_id") == r["staff_id"]) & (pl.col("_month") == r["_month"]))
        listed = []
        for x in month_days.iter_rows(named=True):
            kind = "迟到并早退" if (x["late"] and x["early"]) else ("迟到" if x["late"] else "早退")
            listed.append(f"{x['date'].month}月{x['date'].day}日{kind}")
        d = r["date"]
        text = (
            f"{d.year}年{d.month}月，{window_label(r['window_id'], r['window_name'])}工作人员（工号{r['staff_id']}）"
            f"迟到或早退已达{nth}次（{zh_date(d)}第{nth}次）：{'、'.join(listed)}。"
        )
        rows.append(
            {**r, "subject_ref": f"{r['staff_id']}@{r['_month']}", "detected_on": d, "days": days,
             "description": text}
        )
    return _finish(rows, rule, add_working_days)


def _next_month(y: int, m: int) -> date:
    return date(y + (m == 12), m % 12 + 1, 1)


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
    rows = []
    for r in df.iter_rows(named=True):
        y, m = (int(x) for x in r["period"].split("-"))
        detected = _next_month(y, m)
        if detected > as_of:
            continue
        text = (
            f"{y}年{m}月，{window_label(r['window_id'], r['window_name'])}月度综合得分"
            f"{r['composite']:.2f}分，低于{below:g}分。"
        )
        rows.append(
            {**r, "staff_id": None, "subject_ref": f"{r['window_id']}@{r['period']}", "detected_on": detected,
             "days": days, "description": text}
        )
    return _finish(rows, rule, add_working_days)


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
