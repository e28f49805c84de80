"""Timeliness: deadlines over holidays, on-time / late / still open, the
current case version, evaluation dates, waits and early warnings."""

from datetime import date, datetime as dt

import polars as pl

from assets.calendar import WorkCalendar
from assets.scores.timeliness import case_timeliness
from assets.scores.waits import ticket_waits
from assets.scores.warnings import case_warnings, window_warnings

CAL = WorkCalendar()
MATTERS = pl.DataFrame(
    {
        "matter_code": ["M3", "M0"],
        "matter_name": ["三日件", "即办件"],
        "dept_id": ["D1", "D1"],
        "matter_kind": ["promised", "instant"],
        "promised_days": [3, 0],
        "one_trip": [True, False],
    }
)
WINDOWS = pl.DataFrame({"window_id": ["W1"], "window_name": ["综合一"], "dept_id": ["D9"], "window_type": ["comprehensive"]})


def case(case_id, received, completed=None, status=None, matter="M3", promised=None, updated=None, window="W1"):
    return {
        "case_id": case_id,
        "window_id": window,
        "staff_id": "S1",
        "matter_code": matter,
        "received_at": received,
        "completed_at": completed,
        "status": status or ("completed" if completed else "in_progress"),
        "promised_days": promised,
        "supplement_count": 0,
        "visit_count": 1,
        "channel": "window",
        "updated_at": updated or completed or received,
    }


def run(rows, as_of):
    return case_timeliness(pl.DataFrame(rows), MATTERS, CAL, as_of, WINDOWS).collect().sort("case_id")


def test_deadline_over_national_day_with_makeup_saturday():
    # received Wed 2026-09-30, matter 3 working days: Oct 1-7 off, 1 = 10-08, 2 = 10-09,
    # 3 = Sat 10-10 (调休) -> deadline 2026-10-10.
    rows = [
        case("A", dt(2026, 9, 30, 10), dt(2026, 10, 10, 16)),  # completed on the make-up Saturday: on time
        case("B", dt(2026, 9, 30, 10), dt(2026, 10, 12, 9)),  # Mon 10-12: late, evaluated 10-11
    ]
    t = run(rows, date(2026, 10, 31))
    assert t["deadline"].to_list() == [date(2026, 10, 10)] * 2
    assert t["on_time"].to_list() == [True, False]
    assert t["late"].to_list() == [False, True]
    # on time: evaluated on date(completed_at); late: deadline + 1 calendar day
    assert t["evaluation_date"].to_list() == [date(2026, 10, 10), date(2026, 10, 11)]
    assert t["dept_id"].to_list() == ["D9", "D9"]  # the window's department
    assert t["hall_id"].to_list() == ["main", "main"]


def test_late_and_still_open():
    # received Mon 2026-03-02, 3 working days -> Thu 03-05
    rows = [case("C", dt(2026, 3, 2, 9))]
    on_deadline = run(rows, date(2026, 3, 5)).row(0, named=True)
    assert on_deadline["deadline"] == date(2026, 3, 5)
    assert not on_deadline["late"] and not on_deadline["evaluated"]  # as-of not past the deadline yet
    t = run(rows, date(2026, 3, 9)).row(0, named=True)
    assert t["late"] and t["still_open_late"] and not t["on_time"]
    assert t["evaluation_date"] == date(2026, 3, 6) and t["evaluated"]


def test_timeliness_uses_the_version_it_is_given():
    # Two versions of case R (the upsert picks one; we test each as the current one).
    # v1 (updated 03-04): still open. v2 (updated 03-12, re-exported): completed 03-11.
    v1 = case("R", dt(2026, 3, 2, 9), updated=dt(2026, 3, 4, 12))
    v2 = case("R", dt(2026, 3, 2, 9), dt(2026, 3, 11, 15), updated=dt(2026, 3, 12, 8))
    as_of_v1 = run([v1], date(2026, 3, 10)).row(0, named=True)
    # deadline Thu 03-05; as of 03-10 still open -> late, evaluated 03-06
    assert as_of_v1["still_open_late"] and as_of_v1["evaluation_date"] == date(2026, 3, 6)
    t = run([v2], date(2026, 3, 31)).row(0, named=True)
    assert t["is_completed"] and t["completed_date"] == date(2026, 3, 11)
    assert t["late"] and not t["still_open_late"]
    assert t["evaluation_date"] == date(2026, 3, 6)  # still evaluated once, in the same period
    # A later completion that was on time replaces an open version entirely
    v3 = case("R", dt(2026, 3, 2, 9), dt(2026, 3, 5, 15), updated=dt(2026, 3, 12, 8))
    t3 = run([v3], date(2026, 3, 31)).row(0, named=True)
    assert t3["on_time"] and not t3["late"] and t3["evaluation_date"] == date(2026, 3, 5)


def test_completion_after_as_of_is_not_known_yet():
    rows = [case("F", dt(2026, 3, 2, 9), dt(2026, 3, 20, 9))]
    t = run(rows, date(2026, 3, 10)).row(0, named=True)
    assert not t["is_completed"] and t["still_open_late"]


def test_excluded_statuses_and_promised_days():
    rows = [
        case("X1", dt(2026, 3, 2, 9), status="rejected"),
        case("X2", dt(2026, 3, 2, 9), status="returned"),
        case("X3", dt(2026, 3, 2, 9), status="withdrawn"),
        # the case's own promised days (1) beat the matter's (3): Mon + 1 = Tue 03-03
        case("P", dt(2026, 3, 2, 9), dt(2026, 3, 4, 9), promised=1),
        # instant matter, 0 days: deadline = the day received
        case("I", dt(2026, 3, 2, 9), dt(2026, 3, 2, 11), matter="M0"),
    ]
    t = run(rows, date(2026, 3, 31))
    x = t.filter(pl.col("case_id").str.starts_with("X"))
    assert x["excluded"].all() and not x["evaluated"].any() and not x["late"].any()
    p = t.filter(pl.col("case_id") == "P").row(0, named=True)
    assert p["deadline"] == date(2026, 3, 3) and p["late"]
    i = t.filter(pl.col("case_id") == "I").row(0, named=True)
    assert i["deadline"] == date(2026, 3, 2) and i["on_time"]


def test_ticket_waits():
    q = pl.DataFrame(
        {
            "ticket_id": ["a", "b", "c", "d", "e", "f"],
            "issued_at": [dt(2026, 3, 2, 9, 0)] * 6,
            # waits: 20:00 (within: <= 20), 20:01 (not), none, 5 min no_show, 5 min called after as-of
            "called_at": [
                dt(2026, 3, 2, 9, 20),
                dt(2026, 3, 2, 9, 20, 1),
                None,
                dt(2026, 3, 2, 9, 5),
                dt(2026, 3, 2, 9, 5),
                dt(2026, 3, 4, 9, 5),
            ],
            "window_id": ["W1"] * 6,
            "status": ["served", "served", "served", "no_show", "served", "served"],
        }
    )
    w = ticket_waits(q, date(2026, 3, 3)).collect().sort("ticket_id")
    assert w["ticket_id"].to_list() == ["a", "b", "e"]
    assert w["within_target"].to_list() == [True, False, True]
    assert w["wait_minutes"].to_list()[0] == 20.0


def test_early_warnings():
    # as of Fri 2026-03-06; add_working_days(03-06, 1) = Mon 03-09
    rows = [
        case("due_today", dt(2026, 3, 3, 9)),  # Tue + 3 = Fri 03-06 -> 预警
        case("due_monday", dt(2026, 3, 4, 9)),  # Wed + 3 = Mon 03-09 -> 预警
        case("due_tuesday", dt(2026, 3, 5, 9)),  # Thu + 3 = Tue 03-10 -> nothing yet
        case("overdue", dt(2026, 3, 2, 9)),  # Mon + 3 = Thu 03-05 < 03-06 -> 超期
        case("done", dt(2026, 3, 2, 9), dt(2026, 3, 5, 9)),  # completed: nothing
    ]
    t = case_timeliness(pl.DataFrame(rows), MATTERS, CAL, date(2026, 3, 6), WINDOWS)
    cw = case_warnings(t, CAL, date(2026, 3, 6)).collect()
    got = dict(zip(cw["case_id"], cw["level_zh"]))
    assert got == {"due_today": "预警", "due_monday": "预警", "overdue": "超期"}
    assert cw.filter(pl.col("case_id") == "overdue")["days_past_deadline"].item() == 1
    ww = window_warnings(cw).collect().row(0, named=True)
    assert (ww["window_id"], ww["due_soon_cases"], ww["overdue_cases"], ww["dept_id"]) == ("W1", 2, 1, "D9")
