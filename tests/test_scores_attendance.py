"""Attendance days: absent, missing punch, late, early, leave waivers, judged days."""

import dataclasses
from datetime import date, datetime as dt

import polars as pl

from assets.calendar import WorkCalendar
from assets.method_config import load_config
from assets.scores.attendance import staff_attendance_days

CFG = load_config()
CAL = WorkCalendar()
STAFF = pl.DataFrame(
    {
        "staff_id": ["S1", "S2", "S3", "S4", "S5", "S6"],
        "staff_name": ["甲", "乙", "丙", "丁", "戊", "己"],
        "dept_id": ["D1"] * 6,
        "window_id": ["W1", "W1", "W2", "W2", "W3", "W3"],
        "role": ["staff"] * 6,
    }
)
DAY = date(2026, 3, 3)  # Tuesday


def punches(*rows):
    return pl.DataFrame({"staff_id": [r[0] for r in rows], "punch_at": [r[1] for r in rows]})


def leave(*rows):
    return pl.DataFrame(
        {
            "staff_id": [r[0] for r in rows],
            "leave_start": [r[1] for r in rows],
            "leave_end": [r[2] for r in rows],
            "approved": [r[3] for r in rows],
        }
    )


def days(att, lv, delivered=(DAY,), as_of=date(2026, 3, 31)):
    return staff_attendance_days(att, lv, STAFF, CAL, set(delivered), CFG, as_of).collect().sort("staff_id", "date")


def h(hh, mm=0, ss=0, d=DAY):
    return dt(d.year, d.month, d.day, hh, mm, ss)


def test_the_basic_rules():
    att = punches(
        ("S1", h(9, 5, 0)), ("S1", h(17, 0, 0)),  # exactly 09:05:00 and 17:00:00: neither late nor early
        ("S2", h(9, 5, 1)), ("S2", h(16, 59, 59)),  # late and early: 1 + 1 = 2
        ("S3", h(8, 50)),  # one punch: missing punch only, 0.5
        ("S4", h(10, 0)), ("S4", h(12, 0)), ("S4", h(18, 0)),  # first 10:00 late; last 18:00 not early: 1
        # S5 no punch, no leave: absent 5
        ("S6", h(9, 30)), ("S6", h(17, 30)),  # late: 1 ...
    )
    lv = leave(("S6", h(8, 0), h(18, 0), False))  # ... an unapproved leave grants nothing
    t = days(att, lv)
    got = {r["staff_id"]: (r["absent"], r["missing_punch"], r["late"], r["early"], r["deduction"]) for r in t.iter_rows(named=True)}
    assert got == {
        "S1": (False, False, False, False, 0.0),
        "S2": (False, False, True, True, 2.0),
        "S3": (False, True, False, False, 0.5),
        "S4": (False, False, True, False, 1.0),
        "S5": (True, False, False, False, 5.0),
        "S6": (False, False, True, False, 1.0),
    }
    # counted at the staff member's usual window
    assert t.filter(pl.col("staff_id") == "S5")["window_id"].item() == "W3"


def test_morning_leave_waives_late_not_early():
    # S1 on approved leave 09:00-12:00 (covers 09:00, not 17:00); punches 12:55 and 16:30.
    # late (12:55 > 09:05) waived; early (16:30 < 17:00) stands: deduction 1.
    att = punches(("S1", h(12, 55)), ("S1", h(16, 30)))
    lv = leave(("S1", h(9), h(12), True))
    r = days(att, lv).filter(pl.col("staff_id") == "S1").row(0, named=True)
    assert r["leave_covers_start"] and not r["leave_covers_end"]
    assert (r["late"], r["early"], r["deduction"]) == (False, True, 1.0)


def test_afternoon_leave_waives_early_not_late():
    # leave 13:00-17:00 covers 17:00 (leave_end = 17:00, inclusive); punches 09:20, 12:00:
    # late stands (1), early waived.
    att = punches(("S1", h(9, 20)), ("S1", h(12, 0)))
    lv = leave(("S1", h(13), h(17), True))
    r = days(att, lv).filter(pl.col("staff_id") == "S1").row(0, named=True)
    assert (r["late"], r["early"], r["deduction"]) == (True, False, 1.0)


def test_full_day_leave_waives_the_day_and_half_day_without_punch_is_absent():
    # S1: leave over 09:00 and 17:00 (even split over two rows) -> no absence
    # S2: leave 09:00-12:00 only and no punch -> absent (no leave over the whole shift)
    lv = leave(
        ("S1", h(8, 30), h(12, 0), True),
        ("S1", h(12, 0), h(17, 30), True),
        ("S2", h(9), h(12), True),
    )
    t = days(punches(("S3", h(9)), ("S3", h(17))), lv)
    s1 = t.filter(pl.col("staff_id") == "S1").row(0, named=True)
    s2 = t.filter(pl.col("staff_id") == "S2").row(0, named=True)
    assert s1["leave_full_day"] and not s1["absent"] and s1["deduction"] == 0
    assert s2["absent"] and s2["deduction"] == 5.0


def test_leave_rows_cover_the_shift_together_only_when_they_leave_no_gap():
    """scoring.md: absent = no punch and no approved leave over the shift.
    By default rows cover it together only when no instant of it is left
    uncovered; an office that allows a lunch break between a morning's and
    an afternoon's leave sets attendance.leave_gap_minutes (here 120)."""
    lv = leave(
        ("S1", h(9), h(10), True), ("S1", h(16), h(17), True),  # 10:00-16:00 uncovered
        ("S2", h(9), h(12), True), ("S2", h(14), h(17), True),  # a two-hour lunch uncovered
        ("S3", h(9), h(12), True), ("S3", h(14, 0, 1), h(17), True),  # two hours and a second
        ("S4", h(9), h(15), True), ("S4", h(10), h(11), True), ("S4", h(16), h(17), True),  # 15:00-16:00
        ("S5", h(9), h(10), True), ("S5", h(16), h(17), True),  # as S1, but two punches: ...
        ("S6", h(9), h(12), True), ("S6", h(12), h(17), True),  # one row ends as the next begins
    )
    # ... 10:05 late and 15:00 early, both waived: each end has its own leave
    att = punches(("S5", h(10, 5)), ("S5", h(15)))

    def outcome(cfg):
        t = staff_attendance_days(att, lv, STAFF, CAL, {DAY}, cfg, date(2026, 3, 31)).collect()
        return {r["staff_id"]: (r["leave_full_day"], r["absent"], r["deduction"]) for r in t.iter_rows(named=True)}

    day_off, absent, waived = (True, False, 0.0), (False, True, 5.0), (False, False, 0.0)
    assert outcome(CFG) == {"S1": absent, "S2": absent, "S3": absent, "S4": absent, "S5": waived, "S6": day_off}
    lunch = dataclasses.replace(CFG, attendance=dataclasses.replace(CFG.attendance, leave_gap_minutes=120))
    assert outcome(lunch) == {"S1": absent, "S2": day_off, "S3": absent, "S4": day_off, "S5": waived, "S6": day_off}


def test_multi_day_leave_covers_each_day():
    lv = leave(("S1", dt(2026, 3, 2, 0, 0), dt(2026, 3, 4, 23, 59), True))
    t = days(punches(), lv, delivered=(date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)))
    s1 = t.filter(pl.col("staff_id") == "S1")
    assert s1.height == 3 and s1["deduction"].sum() == 0


def test_only_delivered_working_days_up_to_as_of_are_judged():
    delivered = (
        date(2026, 3, 2),  # Mon: judged
        date(2026, 3, 7),  # Sat: not a working day
        date(2026, 3, 9),  # Mon, after as-of: not judged
    )
    t = days(punches(), leave(), delivered=delivered, as_of=date(2026, 3, 8))
    assert t["date"].unique().to_list() == [date(2026, 3, 2)]
    # 03-03..03-06 had no file: nobody is absent on those days
    assert t.height == 6 and t["absent"].all()
