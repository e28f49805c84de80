"""Early warning of open cases (办件预警), as of the as-of date D.

An open case (not rejected/returned/withdrawn, received on or before D, not
completed on or before D) is
- 超期 overdue when D is after its deadline (it is late, scoring.md);
- 预警 due soon when its deadline is D or at most one working day after D
  (deadline <= add_working_days(D, 1)).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from assets.calendar import WorkCalendar
from assets.scores._common import Frame

LEVEL_ZH = {"overdue": "超期", "due_soon": "预警"}


def case_warnings(cases: Frame, calendar: WorkCalendar, as_of: date, due_within_working_days: int = 1) -> pl.LazyFrame:
    """From timeliness.case_timeliness: case_id, hall_id, window_id, dept_id,
    staff_id, matter_code, received_date, deadline, level (overdue /
    due_soon), level_zh (超期 / 预警), days_past_deadline (calendar days, overdue only)."""
    horizon = calendar.add_working_days(as_of, due_within_working_days)
    return (
        cases.lazy()
        .filter(
            ~pl.col("excluded")
            & ~pl.col("is_completed")
            & (pl.col("received_date") <= as_of)
            & pl.col("deadline").is_not_null()
        )
        .with_columns(
            level=pl.when(pl.col("deadline") < pl.lit(as_of))
            .then(pl.lit("overdue"))
            .when(pl.col("deadline") <= pl.lit(horizon))
            .then(pl.lit("due_soon"))
        )
        .filter(pl.col("level").is_not_null())
        .with_columns(
            level_zh=pl.col("level").replace_strict(LEVEL_ZH, return_dtype=pl.String),
            days_past_deadline=pl.when(pl.col("level") == "overdue").then(
                (pl.lit(as_of) - pl.col("deadline")).dt.total_days()
            ),
        )
        .select(
            "case_id",
            "hall_id",
            "window_id",
            "dept_id",
            "staff_id",
            "matter_code",
            "received_date",
            "deadline",
            "level",
            "level_zh",
            "days_past_deadline",
        )
        .sort("hall_id", "window_id", "deadline", "case_id")
    )


def window_warnings(case_warns: Frame) -> pl.LazyFrame:
    """Per (hall_id, window_id) with any warning: dept_id, due_soon_cases (预警), overdue_cases (超期)."""
    return (
        case_warns.lazy()
        .group_by("hall_id", "window_id")
        .agg(
            dept_id=pl.col("dept_id").first(),
            due_soon_cases=(pl.col("level") == "due_soon").sum().cast(pl.Int64),
            overdue_cases=(pl.col("level") == "overdue").sum().cast(pl.Int64),
        )
        .sort("hall_id", "window_id")
    )
