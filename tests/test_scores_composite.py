"""T, Q, S, composite, ranking, red/black lists, row rule and export — with the
worked example of docs/METHODOLOGY.md computed by hand."""

from datetime import date, datetime as dt, timedelta

import polars as pl
import pytest

from assets.method_config import config_from_dict, load_config
from assets.scores import compute_scores, empty_inputs
from assets.scores._common import renormalised
from assets.scores.composite import EXPORT_COLUMNS, rank_within_hall

CFG = load_config()
AS_OF = date(2026, 3, 31)
WINDOWS = pl.DataFrame(
    {
        "window_id": ["W1", "W2"],
        "window_name": ["综合受理一", "综合受理二"],
        "dept_id": ["D1", "D2"],
        "window_type": ["comprehensive", "comprehensive"],
    }
)
STAFF = pl.DataFrame(
    {"staff_id": ["S1"], "staff_name": ["张三"], "dept_id": ["D1"], "window_id": ["W1"], "role": ["staff"]}
)
MATTERS = pl.DataFrame(
    {
        "matter_code": ["M1"],
        "matter_name": ["营业执照变更"],
        "dept_id": ["D1"],
        "matter_kind": ["promised"],
        "promised_days": [3],
        "one_trip": [True],
    }
)


def case(cid, received, completed, supp, visits, window="W1", staff="S1"):
    return {
        "case_id": cid,
        "window_id": window,
        "staff_id": staff,
        "matter_code": "M1",
        "received_at": received,
        "completed_at": completed,
        "status": "completed" if completed else "in_progress",
        "supplement_count": supp,
        "visit_count": visits,
        "channel": "window",
        "updated_at": completed or received,
    }


def worked_example_inputs():
    """The window W1 of docs/METHODOLOGY.md, March 2026 (W2 only supplies hall means)."""
    cases = pl.DataFrame(
        [
            # deadlines: Mon 03-02 + 3 = Thu 03-05; Tue 03-03 + 3 = Fri 03-06
            case("C1", dt(2026, 3, 2, 9), dt(2026, 3, 4, 15), 0, 1),  # on time
            case("C2", dt(2026, 3, 2, 10), dt(2026, 3, 5, 16), 1, 1),  # on time (on the deadline)
            case("C3", dt(2026, 3, 3, 9), dt(2026, 3, 5, 11), 0, 1),  # on time
            case("C4", dt(2026, 3, 3, 10), dt(2026, 3, 10, 10), 2, 2),  # late, evaluated 03-07
            case("C9", dt(2026, 3, 2, 9), dt(2026, 3, 3, 9), 0, 1, window="W2", staff=None),
        ]
    )
    waits = [5, 10, 20, 25, 40]  # minutes; 3 within 20
    queue = pl.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(6)],
            "issued_at": [dt(2026, 3, 2, 9)] * 6,
            "called_at": [dt(2026, 3, 2, 9) + timedelta(minutes=m) for m in waits] + [None],
            "window_id": ["W1"] * 6,
            "status": ["served"] * 5 + ["no_show"],
        }
    )
    attendance = pl.DataFrame(
        {"staff_id": ["S1", "S1"], "punch_at": [dt(2026, 3, 2, 9, 12), dt(2026, 3, 2, 17, 30)]}  # late: 1
    )
    monitoring = pl.DataFrame(
        {
            "event_id": ["E1", "E2"],
            "occurred_at": [dt(2026, 3, 3, 10), dt(2026, 3, 3, 11)],
            "window_id": ["W1", "W1"],
            "event_type": ["phone", "sleeping"],
            "source": ["patrol", "ai_camera"],  # patrol phone counts 2; unconfirmed camera 0
            "confirmed": [False, False],
        }
    )
    ratings = pl.DataFrame(
        {
            "rating_id": ["R1", "R2", "R3", "R4", "R5"],
            "rated_at": [dt(2026, 3, 2, 11)] * 5,
            "window_id": ["W1", "W1", "W2", "W2", "W2"],
            "score": [5, 4, 5, 5, 1],
        }
    )
    callbacks = pl.DataFrame(
        {
            "callback_id": ["K1", "K2"],
            "case_id": ["C1", "C9"],
            "called_at": [dt(2026, 3, 4, 15), dt(2026, 3, 4, 16)],
            "outcome": ["reached", "reached"],
            "satisfaction": [5, 3],
            "problem_type": ["none", "none"],
            "problem_verified": [False, False],
        }
    )
    return empty_inputs(
        cases_current=cases,
        queue=queue,
        attendance=attendance,
        monitoring=monitoring,
        ratings=ratings,
        callbacks=callbacks,
        attendance_delivered_dates={date(2026, 3, 2)},
        windows=WINDOWS,
        staff=STAFF,
        matters=MATTERS,
    )


def test_worked_example_month():
    t = compute_scores(worked_example_inputs(), CFG, AS_OF)
    w1 = t.window_monthly.filter(pl.col("window_id") == "W1").row(0, named=True)
    # T: on_time_rate = 3/4 = 0.75; wait_rate = 3/5 = 0.6
    #    T = 100 × (0.7×0.75 + 0.3×0.6) = 100 × (0.525 + 0.18) = 70.5
    assert (w1["evaluated_cases"], w1["on_time_cases"]) == (4, 3)
    assert (w1["served_tickets"], w1["tickets_within_target"]) == (5, 3)
    assert w1["timeliness"] == pytest.approx(70.5)
    # Q: completed 4; supplement ≤ 1: C1, C2, C3 -> 3/4; one-trip visits ≤ 1: 3/4
    #    base = 100 × (0.5×0.75 + 0.5×0.75) = 75; deductions = late 1 + phone 2 = 3; Q = 72
    assert w1["quality_base"] == pytest.approx(75.0)
    assert w1["deductions"] == pytest.approx(3.0)
    assert w1["quality"] == pytest.approx(72.0)
    # S: ratings W1 5,4 -> 100 + 75 = 175 (n=2); hall μ = (175 + 100 + 100 + 0)/5 = 75
    #    rating_part = (175 + 10×75)/(2+10) = 925/12 = 77.083333
    #    callbacks: W1 5 -> 100 (n=1); hall μ = (100 + 50)/2 = 75; part = (100 + 750)/11 = 850/11 = 77.272727
    #    S = 0.7×77.083333 + 0.3×77.272727 = 53.958333 + 23.181818 = 77.140152
    assert w1["rating_part"] == pytest.approx(925 / 12)
    assert w1["callback_part"] == pytest.approx(850 / 11)
    assert w1["satisfaction"] == pytest.approx(0.7 * 925 / 12 + 0.3 * 850 / 11)
    # C = 0.35×70.5 + 0.35×72 + 0.30×77.140152 = 24.675 + 25.2 + 23.142045 = 73.017045
    assert w1["composite"] == pytest.approx(73.017045, abs=1e-6)
    # volume 4 + 2 = 6 < 30: not ranked; nobody in the month reaches the minimum: no lists
    assert w1["rank"] is None
    assert t.window_monthly["rank"].is_null().all()
    assert t.red_black.height == 0
    ex = t.export_monthly.filter(pl.col("window_id") == "W1").row(0, named=True)
    assert ex == {
        "period": "2026-03",
        "hall_id": "main",
        "window_id": "W1",
        "dept_id": "D1",
        "timeliness": 70.5,
        "quality": 72.0,
        "satisfaction": 77.14,
        "composite": 73.02,
        "rank": None,
        "evaluated_cases": 4,
        "on_time_cases": 3,
        "served_tickets": 5,
        "tickets_within_target": 3,
        "ratings": 2,
        "bad_ratings": 0,
        "callbacks": 1,
        "deductions": 3.0,
    }
    assert tuple(t.export_daily.columns) == EXPORT_COLUMNS


def test_worked_example_day_rows_and_no_tickets_day():
    t = compute_scores(worked_example_inputs(), CFG, AS_OF)
    w1 = t.window_daily.filter(pl.col("window_id") == "W1")
    # received 03-02, 03-03; completed 03-04, 03-05, 03-10; C4 evaluated Sat 03-07;
    # tickets, punch and ratings 03-02; events 03-03; callback 03-04
    assert w1["period"].to_list() == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-07", "2026-03-10"]
    # 03-05: C2, C3 evaluated on time, no tickets that day -> wait weight moves to
    # on_time_rate: T = 100 × on_time_rate = 100 × 2/2 = 100
    d5 = w1.filter(pl.col("period") == "2026-03-05").row(0, named=True)
    assert d5["served_tickets"] == 0 and d5["wait_rate"] is None
    assert d5["timeliness"] == pytest.approx(100.0)
    # 03-07: only C4 evaluated late -> T = 0; Q base 100 (nothing completed), S empty
    # C = (0.35×0 + 0.35×100) / (0.35 + 0.35) = 50
    d7 = w1.filter(pl.col("period") == "2026-03-07").row(0, named=True)
    assert d7["timeliness"] == 0.0 and d7["quality"] == 100.0 and d7["satisfaction"] is None
    assert d7["composite"] == pytest.approx(50.0)
    # 03-02: nothing evaluated, waits 3/5 -> T = 100 × 0.6 = 60 (on_time weight moves to waits)
    d2 = w1.filter(pl.col("period") == "2026-03-02").row(0, named=True)
    assert d2["timeliness"] == pytest.approx(60.0) and d2["deductions"] == 1.0
    assert t.export_daily.filter(pl.col("window_id") == "W1")["rank"].is_null().all()


def test_nothing_after_as_of_counts():
    # as of 03-05: C4 (deadline 03-06) not evaluated yet, its completion 03-10 unknown
    t = compute_scores(worked_example_inputs(), CFG, date(2026, 3, 5))
    w1 = t.window_monthly.filter(pl.col("window_id") == "W1").row(0, named=True)
    assert (w1["evaluated_cases"], w1["on_time_cases"]) == (3, 3)
    assert t.window_daily["period"].max() <= "2026-03-05"


def test_renormalised_no_part_is_null_not_zero():
    df = pl.DataFrame({"a": [None, 1.0, None], "b": [None, None, 0.5]}, schema={"a": pl.Float64, "b": pl.Float64})
    out = df.select(r=renormalised([(pl.col("a"), 0.7), (pl.col("b"), 0.3)]))["r"].to_list()
    # row 0: no part -> null; row 1: only a -> a = 1.0; row 2: only b -> b = 0.5
    assert out[0] is None
    assert out[1:] == pytest.approx([1.0, 0.5])


def test_window_with_only_a_rating_has_no_timeliness():
    inp = empty_inputs(
        ratings=pl.DataFrame({"rating_id": ["R"], "rated_at": [dt(2026, 3, 2, 10)], "window_id": ["W2"], "score": [3]}),
        windows=WINDOWS,
    )
    t = compute_scores(inp, CFG, AS_OF)
    r = t.window_daily.row(0, named=True)
    # T empty; Q = 100 (no completed case, no deduction); S: single rating 50 = hall mean -> (50 + 500)/11 = 50
    # C = (0.35×100 + 0.30×50)/(0.35 + 0.30) = (35 + 15)/0.65 = 76.923077
    assert r["timeliness"] is None and r["quality"] == 100.0
    assert r["satisfaction"] == pytest.approx(50.0)
    assert r["composite"] == pytest.approx(50 / 0.65)
    assert t.export_daily.row(0, named=True)["timeliness"] is None


def _month(composites, volumes):
    n = len(composites)
    return pl.DataFrame(
        {
            "hall_id": ["main"] * n,
            "period": ["2026-03"] * n,
            "window_id": [f"W{i}" for i in range(1, n + 1)],
            "composite": composites,
            "evaluated_cases": volumes,
            "ratings": [0] * n,
        }
    )


def test_rank_ties_by_window_id_and_red_black_lists():
    # W1..W7 composites; W2 and W3 tie at 90 -> W2 first; W7 below the min volume (29)
    m = _month([80.0, 90.0, 90.0, 70.0, 95.0, 60.0, 99.0], [30, 30, 40, 30, 30, 30, 29])
    out = rank_within_hall(m, "window_id", CFG).collect().sort("window_id")
    # eligible 6: W5 95 (1), W2 90 (2), W3 90 (3), W1 80 (4), W4 70 (5), W6 60 (6)
    assert out["rank"].to_list() == [4, 2, 3, 5, 1, 6, None]
    # k = min(3, 6 // 2) = 3: red W5, W2, W3; black W1, W4, W6
    assert out["list"].to_list() == ["black", "red", "red", "black", "red", "black", None]


def test_few_eligible_windows_never_on_both_lists():
    # 4 eligible: k = min(3, 4 // 2) = 2 -> red ranks 1-2, black ranks 3-4
    out = rank_within_hall(_month([50.0, 60.0, 70.0, 80.0], [30] * 4), "window_id", CFG).collect().sort("window_id")
    assert out["rank"].to_list() == [4, 3, 2, 1]
    assert out["list"].to_list() == ["black", "black", "red", "red"]
    # 1 eligible: ranked 1, no list
    one = rank_within_hall(_month([50.0], [30]), "window_id", CFG).collect()
    assert one["rank"].to_list() == [1] and one["list"].to_list() == [None]


def test_min_volume_from_config():
    cfg = config_from_dict({"scoring": {"ranking": {"min_volume": 6}}})
    t = compute_scores(worked_example_inputs(), cfg, AS_OF)
    # W1 volume 4 + 2 = 6 -> ranked; W2: 1 evaluated + 3 ratings = 4 -> not
    m = t.window_monthly.sort("window_id")
    assert m["rank"].to_list() == [1, None]
    assert t.red_black.height == 0  # 1 eligible: k = min(3, 1 // 2) = 0


def test_export_csv_bytes():
    from assets.scores.composite import export_csv_bytes

    t = compute_scores(worked_example_inputs(), CFG, AS_OF)
    data = export_csv_bytes(t.export_monthly)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    # the row of docs/METHODOLOGY.md §8
    assert "2026-03,main,W1,D1,70.50,72.00,77.14,73.02,,4,3,5,3,2,0,1,3.00" in lines


def test_export_rounding_and_types():
    t = compute_scores(worked_example_inputs(), CFG, AS_OF)
    ex = t.export_daily
    assert ex.schema["rank"] == pl.Int64 and ex.schema["evaluated_cases"] == pl.Int64
    assert ex.schema["composite"] == pl.Float64
    for c in ("timeliness", "quality", "satisfaction", "composite", "deductions"):
        vals = [v for v in ex[c].to_list() if v is not None]
        assert all(round(v, 2) == v for v in vals)


def test_staff_and_department_scores():
    t = compute_scores(worked_example_inputs(), CFG, AS_OF)
    s1 = t.staff_monthly.filter(pl.col("staff_id") == "S1").row(0, named=True)
    # S1 handled C1..C4: T from on_time_rate only (tickets name no staff): 100 × 3/4 = 75
    # Q: base 75 − (own late 1) = 74 (the patrol event names nobody)
    # S: no rating names S1; callback K1 on C1: part = (100 + 10×75)/11 = 850/11
    # C = 0.35×75 + 0.35×74 + 0.30×77.272727 = 26.25 + 25.9 + 23.181818 = 75.331818
    assert s1["timeliness"] == pytest.approx(75.0)
    assert s1["quality"] == pytest.approx(74.0)
    assert s1["satisfaction"] == pytest.approx(850 / 11)
    assert s1["composite"] == pytest.approx(75.331818, abs=1e-6)
    d = t.dept_monthly.sort("dept_id")
    assert d["dept_id"].to_list() == ["D1", "D2"]
    w = t.window_monthly.sort("window_id")
    assert d["composite"].to_list() == pytest.approx(w["composite"].to_list())  # one window each


def test_month_rolled_up_from_day_sums_by_hand():
    """A month's figures come from its days' counts and sums of points
    (composite.month_sums), the hall mean from the windows' sums: worked by hand.

    W1: 03-02 two ratings (5 and 1 stars: 100 + 0 points), two evaluated cases
    (one on time), 1 point off; 03-03 one rating (4 stars: 75 points), one
    evaluated case on time. W2: 03-02 one rating (3 stars: 50 points).
    Hall mean μ = (100 + 0 + 75 + 50) / 4 = 56.25.
    W1 March: rating_part = (175 + 10 × 56.25) / (3 + 10) = 737.5 / 13;
    on_time_rate = 2/3, no tickets -> T = 100 × 2/3; no completed case -> Q base
    100, Q = 100 − 1 = 99; S = rating_part (no callback).
    """
    from assets.scores.composite import COUNT_COLUMNS, POINT_COLUMNS, SUM_COLUMNS, month_sums, window_month_scores
    from assets.scores.satisfaction import hall_means_from_sums

    def day(window, period, **values):
        row = {"hall_id": "main", "window_id": window, "period": period}
        row.update({c: 0 for c in COUNT_COLUMNS})
        row.update({c: 0.0 for c in (*POINT_COLUMNS, "rating_sum", "callback_sum")})
        row.update(values)
        return row

    days = pl.DataFrame(
        [
            day("W1", "2026-03-02", ratings=2, good_ratings=1, bad_ratings=1, rating_sum=100.0,
                evaluated_cases=2, on_time_cases=1, deductions=1.0, attendance_deductions=1.0),
            day("W1", "2026-03-03", ratings=1, good_ratings=1, rating_sum=75.0, evaluated_cases=1, on_time_cases=1),
            day("W2", "2026-03-02", ratings=1, good_ratings=1, rating_sum=50.0),
        ]
    ).select("hall_id", "window_id", "period", *SUM_COLUMNS)
    months = month_sums(days, ["hall_id", "window_id"])
    month = window_month_scores(months, hall_means_from_sums(months), CFG, WINDOWS.with_columns(hall_id=pl.lit("main"))).collect()
    w1 = month.filter(pl.col("window_id") == "W1").row(0, named=True)
    assert w1["period"] == "2026-03"
    assert (w1["ratings"], w1["bad_ratings"], w1["evaluated_cases"], w1["on_time_cases"]) == (3, 1, 3, 2)
    assert w1["rating_sum"] == 175.0 and w1["deductions"] == 1.0
    rating_part = 737.5 / 13
    assert w1["rating_part"] == pytest.approx(rating_part)
    assert w1["satisfaction"] == pytest.approx(rating_part)
    assert w1["timeliness"] == pytest.approx(100 * 2 / 3)
    assert w1["quality"] == pytest.approx(99.0)
    assert w1["composite"] == pytest.approx(0.35 * 100 * 2 / 3 + 0.35 * 99.0 + 0.30 * rating_part)
    w2 = month.filter(pl.col("window_id") == "W2").row(0, named=True)
    assert w2["rating_part"] == pytest.approx((50 + 10 * 56.25) / 11)
