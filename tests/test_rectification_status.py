"""Item status as of D (rectification.md, "Status"), deadlines worked by hand.

The test calendar is written out by hand from the State Council's 2026
schedule (checked against the installed chinese_calendar below); other years
fall back to Monday-Friday, as scoring.md prescribes for uncovered years —
chinese_calendar 1.11 knows nothing of 2027.
"""

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from assets.rectification.status import (
    compute_status,
    latest_updates,
    normalise_update_status,
    parse_timestamp,
    validate_updates,
)

HOLIDAYS_2026 = {
    date(2026, 1, 1), date(2026, 1, 2),
    *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),
    date(2026, 4, 6),
    date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5),
    date(2026, 6, 19),
    date(2026, 9, 25),
    *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
}
MAKEUP_WORKDAYS_2026 = {
    date(2026, 1, 4),  # Sunday
    date(2026, 2, 14), date(2026, 2, 28),  # Saturdays
    date(2026, 5, 9),  # Saturday
    date(2026, 9, 20),  # Sunday
    date(2026, 10, 10),  # Saturday
}


def is_workday(d: date) -> bool:
    if d in HOLIDAYS_2026:
        return False
    if d in MAKEUP_WORKDAYS_2026:
        return True
    return d.weekday() < 5


def add_wd(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def test_hand_calendar_matches_chinese_calendar_2026():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    d = date(2026, 1, 1)
    while d.year == 2026:
        assert is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_hand_worked_deadlines():
    assert add_wd(date(2026, 3, 5), 0) == date(2026, 3, 5)
    # make-up Saturday 2026-02-14 counts, Spring Festival 16-20 and 23 do not
    assert add_wd(date(2026, 2, 13), 3) == date(2026, 2, 25)
    # National Day: 09-30 (1), 10-08 (2), 10-09 (3), Saturday 10-10 make-up (4), 10-12 (5)
    assert add_wd(date(2026, 9, 29), 5) == date(2026, 10, 12)
    # make-up Sunday 09-20
    assert add_wd(date(2026, 9, 18), 1) == date(2026, 9, 20)
    # into 2027 (Mon-Fri fallback): 12-25, 28, 29, 30, 31, 01-01, 04..08, 11..14
    assert add_wd(date(2026, 12, 24), 15) == date(2027, 1, 14)


ITEM = "RX-000000000001"


def items(deadline: date, withdrawn: bool | None = None, item_id: str = ITEM) -> pl.DataFrame:
    data = {"item_id": [item_id], "rule": ["bad_rating"], "deadline": [deadline]}
    if withdrawn is not None:
        data["withdrawn"] = [withdrawn]
    return pl.DataFrame(data)


def updates(*rows) -> pl.DataFrame:
    """rows: (status, updated_at, source_file, source_row[, note])"""
    return pl.DataFrame(
        [
            {
                "item_id": ITEM,
                "status": r[0],
                "note": r[4] if len(r) > 4 else "已处理",
                "updated_by": "李科长",
                "updated_at": r[1],
                "source_file": r[2],
                "source_row": r[3],
            }
            for r in rows
        ],
        schema={
            "item_id": pl.String, "status": pl.String, "note": pl.String, "updated_by": pl.String,
            "updated_at": pl.Datetime("us"), "source_file": pl.String, "source_row": pl.Int64,
        },
    )


NO_UPDATES = updates()


def status_of(deadline, upd, as_of, **kw):
    out = compute_status(items(deadline, kw.pop("withdrawn", None)), upd, as_of, add_wd, **kw)
    assert out.height == 1
    return out.row(0, named=True)


# National Day item: detected 2026-09-29, 5 working days -> deadline 2026-10-12;
# escalation after add_wd(10-12, 5) = 10-19.
ND_DEADLINE = add_wd(date(2026, 9, 29), 5)


def test_open():
    r = status_of(ND_DEADLINE, NO_UPDATES, date(2026, 10, 12))  # on the deadline day: not yet overdue
    assert r["status"] == "open" and r["status_zh"] == "待整改"
    assert r["escalate_after"] == date(2026, 10, 19)
    assert r["resolved_on"] is None and r["resolved_late"] is None


def test_in_progress():
    upd = updates(("in_progress", datetime(2026, 10, 9, 10, 0), "a.xlsx", 1))
    assert status_of(ND_DEADLINE, upd, date(2026, 10, 10))["status"] == "in_progress"
    # an update dated after D is not yet used
    assert status_of(ND_DEADLINE, upd, date(2026, 10, 8))["status"] == "open"


def test_disputed():
    upd = updates(
        ("in_progress", datetime(2026, 10, 8, 9, 0), "a.xlsx", 1),
        ("disputed", datetime(2026, 10, 9, 9, 0), "b.xlsx", 1),
    )
    r = status_of(ND_DEADLINE, upd, date(2026, 10, 12))
    assert r["status"] == "disputed" and r["last_status"] == "disputed"


def test_overdue_over_the_holiday_and_makeup_saturday():
    # 10-13: after the deadline 10-12
    assert status_of(ND_DEADLINE, NO_UPDATES, date(2026, 10, 13))["status"] == "overdue"
    # a disputed or in-progress item past its deadline is overdue all the same
    upd = updates(("disputed", datetime(2026, 10, 9, 9, 0), "b.xlsx", 1))
    assert status_of(ND_DEADLINE, upd, date(2026, 10, 13))["status"] == "overdue"
    # 10-19 is add_wd(deadline, 5): not yet escalated
    assert status_of(ND_DEADLINE, NO_UPDATES, date(2026, 10, 19))["status"] == "overdue"


def test_escalated():
    r = status_of(ND_DEADLINE, NO_UPDATES, date(2026, 10, 20))
    assert r["status"] == "escalated" and r["status_zh"] == "超期通报"


def test_makeup_saturday_in_escalation():
    # detected 2026-02-13 (Fri), 3 working days -> 02-25; escalation +5:
    # 02-26, 02-27, Saturday 02-28 (make-up), 03-02, 03-03
    deadline = add_wd(date(2026, 2, 13), 3)
    assert deadline == date(2026, 2, 25)
    assert status_of(deadline, NO_UPDATES, date(2026, 3, 3))["status"] == "overdue"
    assert status_of(deadline, NO_UPDATES, date(2026, 3, 4))["status"] == "escalated"
    assert status_of(deadline, NO_UPDATES, date(2026, 3, 4))["escalate_after"] == date(2026, 3, 3)


def test_deadline_into_2027():
    deadline = add_wd(date(2026, 12, 24), 15)  # 2027-01-14
    assert status_of(deadline, NO_UPDATES, date(2027, 1, 14))["status"] == "open"
    assert status_of(deadline, NO_UPDATES, date(2027, 1, 15))["status"] == "overdue"
    # escalate after 01-15, 18, 19, 20, 21 -> 2027-01-21
    assert status_of(deadline, NO_UPDATES, date(2027, 1, 21))["status"] == "overdue"
    r = status_of(deadline, NO_UPDATES, date(2027, 1, 22))
    assert r["status"] == "escalated" and r["escalate_after"] == date(2027, 1, 21)


def test_resolved_on_time_and_late():
    on_time = updates(("resolved", datetime(2026, 10, 12, 16, 30), "a.xlsx", 2))
    r = status_of(ND_DEADLINE, on_time, date(2026, 10, 30))
    assert (r["status"], r["resolved_on"], r["resolved_late"]) == ("resolved", date(2026, 10, 12), False)
    late = updates(("resolved", datetime(2026, 10, 21, 8, 0), "a.xlsx", 2))
    r = status_of(ND_DEADLINE, late, date(2026, 10, 30))
    assert (r["status"], r["resolved_on"], r["resolved_late"]) == ("resolved", date(2026, 10, 21), True)
    # before the resolution date the item was escalated
    assert status_of(ND_DEADLINE, late, date(2026, 10, 20))["status"] == "escalated"


def test_latest_update_decides_even_after_resolved():
    upd = updates(
        ("resolved", datetime(2026, 10, 9, 9, 0), "a.xlsx", 1),
        ("in_progress", datetime(2026, 10, 10, 9, 0), "b.xlsx", 1),  # reopened
    )
    assert status_of(ND_DEADLINE, upd, date(2026, 10, 12))["status"] == "in_progress"


def test_ties_broken_by_later_file_then_later_row():
    t = datetime(2026, 10, 9, 9, 0)
    by_file = updates(("disputed", t, "2026-10-09_b.xlsx", 1), ("resolved", t, "2026-10-09_a.xlsx", 7))
    assert status_of(ND_DEADLINE, by_file, date(2026, 10, 12))["status"] == "disputed"
    by_row = updates(("in_progress", t, "a.xlsx", 5), ("resolved", t, "a.xlsx", 3))
    assert status_of(ND_DEADLINE, by_row, date(2026, 10, 12))["status"] == "in_progress"
    # input order does not matter
    assert status_of(ND_DEADLINE, by_row.reverse(), date(2026, 10, 12))["status"] == "in_progress"


def test_a_list_sent_again_with_a_correction_decides():
    """The same file name, row and 填报时间 with another answer: the one a
    later run recorded is the department's correction."""
    t = datetime(2026, 10, 9, 9, 0)
    first = updates(("resolved", t, "整改清单_D01_20261009.xlsx", 4)).with_columns(recorded_at=pl.lit(datetime(2026, 10, 10, 1, 30)))
    again = updates(("in_progress", t, "整改清单_D01_20261009.xlsx", 4)).with_columns(recorded_at=pl.lit(datetime(2026, 10, 11, 1, 30)))
    # without recorded_at the content decides, and resolved sorts after in_progress
    assert status_of(ND_DEADLINE, pl.concat([first, again]).drop("recorded_at"), date(2026, 10, 12))["status"] == "resolved"
    for order in (pl.concat([first, again]), pl.concat([again, first])):
        assert status_of(ND_DEADLINE, order, date(2026, 10, 12))["status"] == "in_progress"


def test_withdrawn_but_resolved_stays_resolved():
    r = status_of(ND_DEADLINE, NO_UPDATES, date(2026, 10, 20), withdrawn=True)
    assert r["status"] == "withdrawn"  # withdrawn beats escalated
    upd = updates(("resolved", datetime(2026, 10, 9, 9, 0), "a.xlsx", 1))
    assert status_of(ND_DEADLINE, upd, date(2026, 10, 20), withdrawn=True)["status"] == "resolved"
    # from the set of currently found item ids
    out = compute_status(items(ND_DEADLINE), NO_UPDATES, date(2026, 10, 1), add_wd, found_item_ids=["RX-other"])
    assert out["status"].to_list() == ["withdrawn"]
    out = compute_status(items(ND_DEADLINE), NO_UPDATES, date(2026, 10, 1), add_wd, found_item_ids=[ITEM])
    assert out["status"].to_list() == ["open"]


def test_escalation_days_from_config():
    rules = {"escalation": {"days": 1}}
    r = compute_status(items(ND_DEADLINE), NO_UPDATES, date(2026, 10, 14), add_wd, rules=rules).row(0, named=True)
    assert r["escalate_after"] == date(2026, 10, 13) and r["status"] == "escalated"


def test_empty_inputs():
    empty_items = items(ND_DEADLINE).clear()
    assert compute_status(empty_items, NO_UPDATES, date(2026, 10, 1), add_wd).height == 0
    assert latest_updates(NO_UPDATES, date(2026, 10, 1)).height == 0


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
def raw_updates(rows):
    return pl.DataFrame(
        [
            dict(zip(["item_id", "status", "note", "updated_by", "updated_at", "source_file", "source_row"], r))
            for r in rows
        ],
        schema={
            "item_id": pl.String, "status": pl.String, "note": pl.String, "updated_by": pl.String,
            "updated_at": pl.String, "source_file": pl.String, "source_row": pl.Int64,
        },
    )


def test_validate_updates():
    raw = raw_updates(
        [
            (ITEM, "已整改", "已约谈", "李科长", "2026-03-10 09:00", "r.xlsx", 1),
            (ITEM, " RESOLVED ", "done", "Li", "2026/3/10 9:05", "r.xlsx", 2),
            (ITEM, "整改中", None, "赵", "2026-03-10T01:00:00Z", "r.xlsx", 3),
            (ITEM, "申诉", "不属实", "王", "2026年3月11日 8:30", "r.xlsx", 4),
            ("RX-nope", "已整改", "x", "王", "2026-03-10 09:00", "r.xlsx", 5),
            (ITEM, "搞定了", "x", "王", "2026-03-10 09:00", "r.xlsx", 6),
            (ITEM, "已整改", "  ", "王", "2026-03-10 09:00", "r.xlsx", 7),
            (ITEM, None, None, None, None, "r.xlsx", 8),
            (ITEM, "  ", None, None, None, "r.xlsx", 9),
            (ITEM, "整改中", "x", "王", "2026-02-30 09:00", "r.xlsx", 10),
            (ITEM, "申诉", "不属实", "王", "2026-03-11", "r.xlsx", 11),  # a date alone
            (ITEM, "整改中", "x", None, "2026-03-11 10:00", "r.xlsx", 12),
            (ITEM, "整改中", "x", "  ", "2026-03-11 10:00", "r.xlsx", 13),
        ]
    )
    res = validate_updates(raw, {ITEM})
    accepted, refused = res
    assert res.skipped == 2
    assert accepted["status"].to_list() == ["resolved", "resolved", "in_progress", "disputed"]
    assert accepted["updated_at"].to_list() == [
        datetime(2026, 3, 10, 9, 0),
        datetime(2026, 3, 10, 9, 5),
        datetime(2026, 3, 10, 9, 0),  # Z converted to Shanghai
        datetime(2026, 3, 11, 8, 30),
    ]
    assert refused["reason_code"].to_list() == [
        "unknown_item", "unknown_status", "resolved_without_note", "bad_updated_at", "bad_updated_at",
        "missing_updated_by", "missing_updated_by",
    ]
    assert refused.filter(pl.col("reason_code") == "unknown_status")["status"].to_list() == ["搞定了"]
    assert "搞定了" in refused.filter(pl.col("reason_code") == "unknown_status")["reason"][0]
    assert refused.filter(pl.col("reason_code") == "bad_updated_at")["updated_at_raw"].to_list() == [
        "2026-02-30 09:00", "2026-03-11",
    ]
    assert refused["source_row"].to_list() == [5, 6, 7, 10, 11, 12, 13]


def test_status_words_and_timestamps():
    assert normalise_update_status("已整改") == "resolved"
    assert normalise_update_status("In_Progress") == "in_progress"
    assert normalise_update_status("申诉 ") == "disputed"
    assert normalise_update_status("closed") is None
    # the word the list's 当前状态 column shows for a disputed item
    assert normalise_update_status("申诉中") == "disputed"
    assert normalise_update_status("已完成") is None
    assert parse_timestamp("2026年3月5日15时30分") == datetime(2026, 3, 5, 15, 30)
    assert parse_timestamp("2026年3月5日15时30分20秒") == datetime(2026, 3, 5, 15, 30, 20)
    assert parse_timestamp("2026年3月5日15时") is None
    assert parse_timestamp("2026-03-05 9:05") == datetime(2026, 3, 5, 9, 5)
    assert parse_timestamp("2026-03-05T09:05:00.5+08:00") == datetime(2026, 3, 5, 9, 5, 0, 500000)
    assert parse_timestamp("2026-03-05") is None  # a date alone (inputs.md)
    assert parse_timestamp("2026年3月5日") is None
    assert parse_timestamp(date(2026, 3, 5)) is None
    assert parse_timestamp("09:05") is None
    assert parse_timestamp("2026-13-01 09:00") is None
