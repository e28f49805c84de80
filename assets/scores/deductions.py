"""Deduction facts (扣分): monitoring events and verified callback problems.

- A monitoring event counts when its source is patrol or mystery_shopper, or
  when it is an AI-camera event that is confirmed. It counts at the event's
  (hall, window), on date(occurred_at), with the points of its event_type.
- A callback belongs to its case's hall and window (and the case's staff
  member). It is a deduction when outcome = reached, problem_verified is true
  and problem_type is not none; points by problem_type, on date(called_at).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from assets.method_config import MethodConfig, callback_problem_points, event_points
from assets.scores._common import Frame, daily, date_of, hall


def monitoring_events(monitoring: Frame, cfg: MethodConfig, as_of: date) -> pl.LazyFrame:
    """Every event dated <= as_of, counting or not.

    Columns: event_id, hall_id, window_id, staff_id, date, event_type, source,
    confirmed, counts, points (0 when not counting).
    """
    pts = event_points(cfg)
    return (
        daily(monitoring, "monitoring", as_of)
        .with_columns(hall(), date=date_of("occurred_at"), confirmed=pl.col("confirmed").fill_null(False))
        .filter(pl.col("date") <= as_of)
        .with_columns(counts=(pl.col("source") != "ai_camera") | pl.col("confirmed"))
        .with_columns(
            points=pl.when(pl.col("counts"))
            .then(pl.col("event_type").replace_strict(pts, default=0.0, return_dtype=pl.Float64))
            .otherwise(0.0)
        )
        .select(
            "event_id", "hall_id", "window_id", "staff_id", "date", "event_type", "source", "confirmed", "counts", "points"
        )
    )


def callbacks_at_windows(callbacks: Frame, cases_current: Frame, cfg: MethodConfig, as_of: date) -> pl.LazyFrame:
    """Every callback dated <= as_of, at its case's hall/window/staff (callbacks
    whose case is not among the current cases are left out: no window).

    Columns: callback_id, case_id, hall_id, window_id, staff_id, date, outcome,
    satisfaction, problem_type, problem_verified, is_problem, points,
    has_satisfaction (reached with a satisfaction).
    """
    pts = callback_problem_points(cfg)
    cases = (
        daily(cases_current, "cases")
        .with_columns(hall())
        .select("case_id", "hall_id", "window_id", pl.col("staff_id").alias("case_staff_id"))
        .unique("case_id", keep="first")
    )
    return (
        daily(callbacks, "callbacks", as_of)
        .drop("hall_id")
        .with_columns(date=date_of("called_at"), problem_verified=pl.col("problem_verified").fill_null(False))
        .filter(pl.col("date") <= as_of)
        .join(cases, on="case_id", how="inner")
        .rename({"case_staff_id": "staff_id"})
        .with_columns(
            is_problem=(pl.col("outcome") == "reached")
            & pl.col("problem_verified")
            & pl.col("problem_type").is_not_null()
            & (pl.col("problem_type") != "none"),
            has_satisfaction=(pl.col("outcome") == "reached") & pl.col("satisfaction").is_not_null(),
        )
        .with_columns(
            points=pl.when(pl.col("is_problem"))
            .then(pl.col("problem_type").replace_strict(pts, default=0.0, return_dtype=pl.Float64))
            .otherwise(0.0)
        )
        .select(
            "callback_id",
            "case_id",
            "hall_id",
            "window_id",
            "staff_id",
            "date",
            "outcome",
            "satisfaction",
            "problem_type",
            "problem_verified",
            "is_problem",
            "points",
            "has_satisfaction",
        )
    )


def deduction_facts(attendance_days: Frame, events: Frame, callbacks_w: Frame) -> pl.LazyFrame:
    """Long frame of every deduction: hall_id, window_id, staff_id, date, kind
    (attendance / behaviour / callback), points (> 0 rows only)."""
    cols = ["hall_id", "window_id", "staff_id", "date", "kind", "points"]
    att = attendance_days.lazy().select("hall_id", "window_id", "staff_id", "date", kind=pl.lit("attendance"), points=pl.col("deduction"))
    ev = events.lazy().select("hall_id", "window_id", "staff_id", "date", kind=pl.lit("behaviour"), points="points")
    cb = callbacks_w.lazy().select(
        "hall_id", "window_id", "staff_id", "date", kind=pl.lit("callback"), points="points"
    )
    return pl.concat([att.select(cols), ev.select(cols), cb.select(cols)]).filter(pl.col("points") > 0)
