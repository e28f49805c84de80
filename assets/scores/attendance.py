"""Attendance deductions (考勤), scoring.md "Quality Q" (absent, missing punch, late, early).

Staff on the roster are judged on each working day <= as_of for which an
attendance file was delivered. Rules, after approved-leave waivers:
- no punch and no approved leave over the shift (covering both shift start
  and shift end) -> absent (旷工);
- exactly one punch -> missing punch (缺卡) only;
- two or more punches: late (迟到) when the first is strictly after
  shift_start + grace, early (早退) when the last is strictly before shift_end;
- approved leave covering the shift start waives late, covering the shift end
  waives early, covering both waives the whole day (no deduction at all).
  Several leave rows cover the shift together when no stretch between them
  is longer than ``attendance.leave_gap_minutes``: by default 0, so only
  rows leaving none of the shift uncovered (scoring.md: absent = no leave
  over the shift); an office may allow a lunch break between a morning's
  and an afternoon's leave (120). 09:00-10:00 and 16:00-17:00 never do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import polars as pl

from assets.calendar import WorkCalendar
from assets.method_config import MethodConfig
from assets.scores._common import Frame, daily, date_of, reference


def judged_days(calendar: WorkCalendar, delivered_dates: Iterable[date], as_of: date | None) -> list[date]:
    """Working days with a delivered attendance file, on or before as_of."""
    return sorted(d for d in set(delivered_dates) if (as_of is None or d <= as_of) and calendar.is_workday(d))


def punch_days(attendance: Frame, staff: Frame, as_of: date | None = None) -> pl.LazyFrame:
    """Per staff member and date(punch_at) <= as_of: punches, first_punch, last_punch,
    and the staff member's hall / usual window / department (roster staff only)."""
    att = daily(attendance, "attendance", as_of)
    st = _roster(staff)
    lf = att.with_columns(date=date_of("punch_at"))
    if as_of is not None:
        lf = lf.filter(pl.col("date") <= as_of)
    return (
        lf.group_by("staff_id", "date")
        .agg(
            punches=pl.len(),
            first_punch=pl.col("punch_at").min(),
            last_punch=pl.col("punch_at").max(),
        )
        .join(st, on="staff_id", how="inner")
    )


def _roster(staff: Frame) -> pl.LazyFrame:
    return reference(staff, "staff").select("staff_id", "staff_name", "hall_id", "window_id", "dept_id")


def staff_attendance_days(
    attendance: Frame,
    leave: Frame,
    staff: Frame,
    calendar: WorkCalendar,
    delivered_dates: Iterable[date],
    cfg: MethodConfig,
    as_of: date | None = None,
) -> pl.LazyFrame:
    """One row per roster staff member and judged day.

    Columns: staff_id, staff_name, hall_id, window_id (usual), dept_id, date,
    punches, first_punch, last_punch, leave_covers_start, leave_covers_end,
    leave_full_day, absent, missing_punch, late, early, late_or_early,
    deduction (points).
    """
    days = judged_days(calendar, delivered_dates, as_of)
    a = cfg.attendance
    d = cfg.deductions
    start_off = timedelta(hours=a.shift_start.hour, minutes=a.shift_start.minute, seconds=a.shift_start.second)
    end_off = timedelta(hours=a.shift_end.hour, minutes=a.shift_end.minute, seconds=a.shift_end.second)
    late_off = start_off + timedelta(minutes=a.grace_minutes)

    roster = _roster(staff)
    grid = roster.join(pl.LazyFrame({"date": pl.Series(days, dtype=pl.Date)}), how="cross").with_columns(
        shift_start=pl.col("date").cast(pl.Datetime("us")) + start_off,
        shift_end=pl.col("date").cast(pl.Datetime("us")) + end_off,
    )
    punches = punch_days(attendance, staff, as_of).select("staff_id", "date", "punches", "first_punch", "last_punch")

    lv = daily(leave, "leave", as_of).filter(pl.col("approved").fill_null(False))
    day = ["staff_id", "date"]
    cover = (
        grid.select("staff_id", "date", "shift_start", "shift_end")
        .join(lv.select("staff_id", "leave_start", "leave_end"), on="staff_id", how="inner")
        .filter((pl.col("leave_start") <= pl.col("shift_end")) & (pl.col("leave_end") >= pl.col("shift_start")))
        .sort(*day, "leave_start")
        # how far the day's earlier leave rows reach when this one starts:
        # a positive difference is time in the shift that no leave covers
        .with_columns(gap=pl.col("leave_start") - pl.col("leave_end").cum_max().shift(1).over(day))
        .group_by(day)
        .agg(
            leave_covers_start=(
                (pl.col("leave_start") <= pl.col("shift_start")) & (pl.col("leave_end") >= pl.col("shift_start"))
            ).any(),
            leave_covers_end=(
                (pl.col("leave_start") <= pl.col("shift_end")) & (pl.col("leave_end") >= pl.col("shift_end"))
            ).any(),
            widest_gap=pl.col("gap").max(),
        )
    )

    lf = (
        grid.join(punches, on=["staff_id", "date"], how="left")
        .join(cover, on=["staff_id", "date"], how="left")
        .with_columns(
            punches=pl.col("punches").fill_null(0).cast(pl.Int64),
            leave_covers_start=pl.col("leave_covers_start").fill_null(False),
            leave_covers_end=pl.col("leave_covers_end").fill_null(False),
        )
        .with_columns(
            leave_full_day=pl.col("leave_covers_start")
            & pl.col("leave_covers_end")
            & (pl.col("widest_gap").is_null() | (pl.col("widest_gap") <= timedelta(minutes=a.leave_gap_minutes)))
        )
        .with_columns(
            absent=(pl.col("punches") == 0) & ~pl.col("leave_full_day"),
            missing_punch=(pl.col("punches") == 1) & ~pl.col("leave_full_day"),
            late=(pl.col("punches") >= 2)
            & (pl.col("first_punch") > pl.col("date").cast(pl.Datetime("us")) + late_off)
            & ~pl.col("leave_covers_start"),
            early=(pl.col("punches") >= 2)
            & (pl.col("last_punch") < pl.col("shift_end"))
            & ~pl.col("leave_covers_end"),
        )
        .with_columns(
            late=pl.col("late").fill_null(False),
            early=pl.col("early").fill_null(False),
        )
        .with_columns(
            late_or_early=pl.col("late") | pl.col("early"),
            deduction=pl.col("absent").cast(pl.Float64) * d.absent
            + pl.col("missing_punch").cast(pl.Float64) * d.missing_punch
            + pl.col("late").cast(pl.Float64) * d.late
            + pl.col("early").cast(pl.Float64) * d.early,
        )
    )
    return lf.select(
        "staff_id",
        "staff_name",
        "hall_id",
        "window_id",
        "dept_id",
        "date",
        "punches",
        "first_punch",
        "last_punch",
        "leave_covers_start",
        "leave_covers_end",
        "leave_full_day",
        "absent",
        "missing_punch",
        "late",
        "early",
        "late_or_early",
        "deduction",
    )
