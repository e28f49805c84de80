"""Timeliness of cases (办结及时率), scoring.md "Timeliness T".

``case_timeliness`` gives one row per current case version with its deadline,
on-time / late flags and evaluation date. It uses exactly the versions it is
given (the upsert — latest updated_at <= as-of per case_id — is done before).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from assets.calendar import WorkCalendar
from assets.scores._common import EXCLUDED_CASE_STATUSES, Frame, daily, date_of, hall, reference


def case_timeliness(
    cases_current: Frame,
    matters: Frame,
    calendar: WorkCalendar,
    as_of: date,
    windows: Frame | None = None,
) -> pl.LazyFrame:
    """Per case (all statuses; excluded ones flagged and never evaluated).

    Columns: case_id, hall_id, window_id, dept_id (the window's, null without
    ``windows``), staff_id, matter_code, matter_dept_id, status, excluded,
    received_date, completed_date (null while open or when after as_of),
    promised_days (case's, else the matter's), deadline, is_completed,
    on_time, late, still_open_late, evaluation_date, evaluated (evaluation
    date <= as_of), supplement_count, visit_count, one_trip (matter in the
    one-trip catalogue), channel, updated_at.
    """
    cases = daily(cases_current, "cases")
    mat = reference(matters, "matters").select(
        "matter_code",
        pl.col("promised_days").alias("matter_promised_days"),
        pl.col("dept_id").alias("matter_dept_id"),
        pl.col("one_trip").fill_null(False),
    )
    lf = (
        cases.with_columns(hall())
        .join(mat, on="matter_code", how="left")
        .with_columns(
            received_date=date_of("received_at"),
            # a completion dated after the as-of date is not known yet
            completed_date=pl.when(date_of("completed_at") <= as_of).then(date_of("completed_at")),
            promised_days=pl.coalesce("promised_days", "matter_promised_days"),
            excluded=pl.col("status").is_in(list(EXCLUDED_CASE_STATUSES)),
            one_trip=pl.col("one_trip").fill_null(False),
        )
        .with_columns(
            deadline=calendar.add_working_days_expr("received_date", "promised_days"),
            is_completed=pl.col("completed_date").is_not_null() & ~pl.col("excluded"),
        )
        .with_columns(
            on_time=pl.col("is_completed") & (pl.col("completed_date") <= pl.col("deadline")),
            completed_late=pl.col("is_completed") & (pl.col("completed_date") > pl.col("deadline")),
            still_open_late=~pl.col("excluded")
            & ~pl.col("is_completed")
            & (pl.col("deadline") < pl.lit(as_of)),
        )
        .with_columns(
            on_time=pl.col("on_time").fill_null(False),
            late=(pl.col("completed_late") | pl.col("still_open_late")).fill_null(False),
            still_open_late=pl.col("still_open_late").fill_null(False),
        )
        .with_columns(
            evaluation_date=pl.when(pl.col("on_time"))
            .then(pl.col("completed_date"))
            .when(pl.col("late"))
            .then(pl.col("deadline") + timedelta(days=1)),
        )
        .with_columns(
            evaluated=(pl.col("evaluation_date") <= pl.lit(as_of)).fill_null(False),
        )
    )
    if windows is not None:
        win = reference(windows, "windows").select("hall_id", "window_id", "dept_id")
        lf = lf.join(win, on=["hall_id", "window_id"], how="left")
    else:
        lf = lf.with_columns(dept_id=pl.lit(None, dtype=pl.String))
    return lf.select(
        "case_id",
        "hall_id",
        "window_id",
        "dept_id",
        "staff_id",
        "matter_code",
        "matter_dept_id",
        "status",
        "excluded",
        "received_date",
        "completed_date",
        "promised_days",
        "deadline",
        "is_completed",
        "on_time",
        "late",
        "still_open_late",
        "evaluation_date",
        "evaluated",
        "supplement_count",
        "visit_count",
        "one_trip",
        "channel",
        "updated_at",
    )
