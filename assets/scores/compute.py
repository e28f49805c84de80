"""The one entry point the Dagster assets call: ``compute_scores``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from assets.calendar import WorkCalendar
from assets.method_config import MethodConfig
from assets.scores._common import Frame, lazy
from assets.scores.attendance import punch_days, staff_attendance_days
from assets.scores.composite import (
    SUM_COLUMNS,
    WINDOW_KEYS,
    ScoreFacts,
    export_frame,
    month_sums,
    red_black_lists,
    window_day_scores,
    window_month_scores,
)
from assets.scores.deductions import callbacks_at_windows, deduction_facts, monitoring_events
from assets.scores.dept_scores import dept_scores
from assets.scores.satisfaction import hall_means_from_sums, rating_facts
from assets.scores.staff_scores import STAFF_KEYS, staff_day_scores, staff_month_scores
from assets.scores.timeliness import case_timeliness
from assets.scores.waits import ticket_activity, ticket_waits
from assets.scores.warnings import case_warnings, window_warnings


@dataclass(frozen=True)
class ScoreInputs:
    """Polars frames (DataFrame or LazyFrame) with the staged schemas of
    assets.ingest.contract (missing optional columns are added as nulls).

    cases_current: the upserted cases, one row per case_id (latest updated_at <= as_of).
    attendance_delivered_dates: partition dates that have an attendance file.
    halls, departments, windows, staff, matters: reference frames.
    """

    cases_current: Frame
    queue: Frame
    attendance: Frame
    leave: Frame
    monitoring: Frame
    ratings: Frame
    callbacks: Frame
    attendance_delivered_dates: Iterable[date] = field(default_factory=frozenset)
    windows: Frame | None = None
    staff: Frame | None = None
    matters: Frame | None = None
    departments: Frame | None = None
    halls: Frame | None = None
    # cases_current cut to the cases the callbacks name (enough to place them;
    # spares joining every case at scale); default cases_current
    callback_cases: Frame | None = None


@dataclass(frozen=True)
class EarlierDays:
    """The stored day rows a night keeps (keys, period and SUM_COLUMNS of
    window_scores_daily and staff_scores_daily, from M0 to the day before
    D0): with the recomputed days they make up the months from M0."""

    windows: pl.DataFrame
    staff: pl.DataFrame


@dataclass(frozen=True)
class ScoreTables:
    """Everything computed, as DataFrames (see each producing function for columns)."""

    as_of: date
    cases: pl.DataFrame  # timeliness.case_timeliness (late cases for rectification: late & evaluated)
    tickets: pl.DataFrame  # waits.ticket_waits
    attendance_days: pl.DataFrame  # attendance.staff_attendance_days (absent / late_or_early days)
    events: pl.DataFrame  # deductions.monitoring_events (counts = counting event)
    callbacks: pl.DataFrame  # deductions.callbacks_at_windows (is_problem = verified problem)
    ratings: pl.DataFrame  # satisfaction.rating_facts (bad = score <= 2)
    deductions: pl.DataFrame  # deductions.deduction_facts (long, one row per deduction)
    window_daily: pl.DataFrame  # composite.window_day_scores
    window_monthly: pl.DataFrame  # composite.window_month_scores, with rank and list
    red_black: pl.DataFrame  # composite.red_black_lists
    staff_daily: pl.DataFrame
    staff_monthly: pl.DataFrame
    dept_daily: pl.DataFrame
    dept_monthly: pl.DataFrame
    case_warnings: pl.DataFrame
    window_warnings: pl.DataFrame
    export_daily: pl.DataFrame  # the scores export, period = day
    export_monthly: pl.DataFrame  # the scores export, period = month


def build_facts(inputs: ScoreInputs, cfg: MethodConfig, as_of: date, calendar: WorkCalendar) -> ScoreFacts:
    cases = case_timeliness(inputs.cases_current, inputs.matters, calendar, as_of, inputs.windows)
    att_days = staff_attendance_days(
        inputs.attendance,
        inputs.leave,
        inputs.staff,
        calendar,
        inputs.attendance_delivered_dates,
        cfg,
        as_of,
    )
    return ScoreFacts(
        cases=cases,
        tickets=ticket_waits(inputs.queue, as_of, cfg.scoring.wait_target_minutes),
        ticket_activity=ticket_activity(inputs.queue, as_of),
        attendance_days=att_days,
        punches=punch_days(inputs.attendance, inputs.staff, as_of),
        events=monitoring_events(inputs.monitoring, cfg, as_of),
        callbacks=callbacks_at_windows(
            inputs.callbacks,
            inputs.cases_current if inputs.callback_cases is None else inputs.callback_cases,
            cfg,
            as_of,
        ),
        ratings=rating_facts(inputs.ratings, cfg, as_of),
        as_of=as_of,
    )


FACT_NAMES = ("cases", "tickets", "ticket_activity", "attendance_days", "punches", "events", "callbacks", "ratings")


def _materialise(facts: ScoreFacts, spill_dir: Path | None = None) -> ScoreFacts:
    """Compute each fact frame once (they feed several aggregations): in memory,
    or, with ``spill_dir``, streamed to ``fact_path(spill_dir, name)`` and
    scanned back, so that no fact table of the whole history is held in memory."""
    if spill_dir is None:
        vals = {name: getattr(facts, name).collect().lazy() for name in FACT_NAMES}
    else:
        vals = {}
        for name in FACT_NAMES:
            getattr(facts, name).sink_parquet(fact_path(spill_dir, name), engine="streaming")
            vals[name] = pl.scan_parquet(fact_path(spill_dir, name))
    return ScoreFacts(**vals, as_of=facts.as_of)


def fact_path(spill_dir: Path, name: str) -> Path:
    return spill_dir / f"fact_{name}.parquet"


def score_frames(
    inputs: ScoreInputs,
    cfg: MethodConfig,
    as_of: date,
    calendar: WorkCalendar | None = None,
    spill_dir: Path | None = None,
    *,
    days_from: date | None = None,
    earlier: EarlierDays | None = None,
) -> dict[str, Frame | Path]:
    """The ScoreTables fields by name. The row-level facts (cases, tickets,
    attendance_days, events, callbacks, ratings) are LazyFrames, or with
    ``spill_dir`` the Parquet files they were streamed to; the aggregates are
    collected DataFrames.

    A night passes ``days_from`` (D0: the inputs hold every fact dated from
    it, and only part of the earlier days') and ``earlier`` (the stored days
    from M0 before D0): day figures are kept from D0, months are rolled up
    from both."""
    cal = calendar if calendar is not None else WorkCalendar.from_config(cfg)
    facts = _materialise(build_facts(inputs, cfg, as_of, cal), spill_dir)
    engine = "streaming" if spill_dir is not None else "auto"

    def fact(name: str) -> pl.LazyFrame | Path:
        return fact_path(spill_dir, name) if spill_dir is not None else getattr(facts, name)

    wd = window_day_scores(facts, cfg, inputs.windows).collect(engine=engine)
    sd = staff_day_scores(facts, cfg, inputs.staff).collect(engine=engine)
    if days_from is not None:
        wd = wd.filter(pl.col("period") >= days_from.isoformat())
        sd = sd.filter(pl.col("period") >= days_from.isoformat())
    window_months = month_sums(_with_earlier(wd, earlier.windows if earlier else None, WINDOW_KEYS), WINDOW_KEYS).collect()
    staff_months = month_sums(_with_earlier(sd, earlier.staff if earlier else None, STAFF_KEYS), STAFF_KEYS)
    hall_means = hall_means_from_sums(window_months).collect()
    wm = window_month_scores(window_months, hall_means, cfg, inputs.windows).collect()
    cw = case_warnings(facts.cases, cal, as_of).collect(engine=engine)
    return {
        "cases": fact("cases"),
        "tickets": fact("tickets"),
        "attendance_days": fact("attendance_days"),
        "events": fact("events"),
        "callbacks": fact("callbacks"),
        "ratings": fact("ratings"),
        "deductions": deduction_facts(facts.attendance_days, facts.events, facts.callbacks).collect(engine=engine),
        "window_daily": wd,
        "window_monthly": wm,
        "red_black": red_black_lists(wm).collect(),
        "staff_daily": sd,
        "staff_monthly": staff_month_scores(staff_months, hall_means, cfg, inputs.staff).collect(),
        "dept_daily": dept_scores(wd, inputs.departments).collect(),
        "dept_monthly": dept_scores(wm, inputs.departments).collect(),
        "case_warnings": cw,
        "window_warnings": window_warnings(cw).collect(),
        "export_daily": export_frame(wd),
        "export_monthly": export_frame(wm),
    }


def _with_earlier(days: pl.DataFrame, earlier: pl.DataFrame | None, keys: tuple[str, ...]) -> pl.DataFrame:
    """keys, period and SUM_COLUMNS of the stored earlier days and of ``days``."""
    cols = [*keys, "period", *SUM_COLUMNS]
    recomputed = days.select(cols)
    if earlier is None or earlier.height == 0:
        return recomputed
    return pl.concat([earlier.select(cols).cast(recomputed.schema), recomputed])


def compute_scores(
    inputs: ScoreInputs, cfg: MethodConfig, as_of: date, calendar: WorkCalendar | None = None
) -> ScoreTables:
    """Scores of every (hall, window), staff member and department, per day and
    month, as of ``as_of`` (nothing dated after it counts)."""
    frames = score_frames(inputs, cfg, as_of, calendar)
    return ScoreTables(as_of=as_of, **{k: v.collect() if isinstance(v, pl.LazyFrame) else v for k, v in frames.items()})


def empty_inputs(**frames: Frame) -> ScoreInputs:
    """ScoreInputs with empty staged frames for every source not given (tests, partial runs)."""
    from assets.ingest.contract import staged_schema

    base: dict = {s: pl.DataFrame(schema=staged_schema(s if s != "cases_current" else "cases"))
                  for s in ("cases_current", "queue", "attendance", "leave", "monitoring", "ratings", "callbacks")}
    base.update(frames)
    return ScoreInputs(**base)


__all__ = ["EarlierDays", "ScoreInputs", "ScoreTables", "build_facts", "compute_scores", "score_frames", "empty_inputs", "lazy"]
