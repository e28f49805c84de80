"""Queueing math of the staffing assets: Erlang B/C, the M/M/c simulation, the advice."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from assets.staffing.advice import (
    ADVICE_SCHEMA,
    advice_and_peaks,
    PEAKS_SCHEMA,
    recurring_peaks,
    slot_profile,
    staffing_advice,
)
from assets.staffing.erlang import (
    erlang_b,
    erlang_c,
    expected_wait,
    fewest_servers,
    service_level,
    traffic_erlangs,
)
from assets.staffing.simulation import simulate_mmc

# ---- Erlang B / C -------------------------------------------------------------


def test_published_erlang_c_example():
    # 200 customers/hour, AHT 180 s -> A = 10 Erlangs; 14 servers; target 20 s.
    a = traffic_erlangs(200, 180)
    assert a == pytest.approx(10.0)
    assert round(erlang_c(14, a), 3) == 0.174
    assert round(service_level(14, a, 180, 20), 3) == 0.888
    # mean wait = C * AHT / (c - A) = 0.17413 * 180 / 4
    assert expected_wait(14, a, 180) == pytest.approx(7.836, abs=1e-3)
    # and 14 is the fewest servers for 80 % in 20 s: 13 misses it
    res = fewest_servers(200, 180, 0.8, 20)
    assert res.servers == 14
    assert service_level(13, a, 180, 20) < 0.8
    assert res.p_wait == pytest.approx(erlang_c(14, a))


def test_erlang_b_textbook_values():
    assert erlang_b(10, 5) == pytest.approx(0.01838, abs=5e-6)
    assert erlang_b(1, 1) == pytest.approx(0.5)
    assert erlang_b(2, 1) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


def test_erlang_b_matches_poisson_ratio():
    stats = pytest.importorskip("scipy.stats")
    for c, a in [(1, 0.3), (10, 5), (30, 25.5), (120, 100), (200, 190)]:
        expected = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
        assert erlang_b(c, a) == pytest.approx(expected, rel=1e-9)


def test_stable_at_200_servers():
    for a in (150.0, 190.0, 199.9):
        b, c = erlang_b(200, a), erlang_c(200, a)
        sl, ew = service_level(200, a, 300, 20), expected_wait(200, a, 300)
        for x in (b, c, sl):
            assert math.isfinite(x) and 0.0 <= x <= 1.0
        assert math.isfinite(ew) and ew >= 0
    assert 0.0 < erlang_c(200, 190) < 1.0
    # lambda giving A = 190 with AHT 300 s: the search runs the recursion to 200 without overflow
    res = fewest_servers(190 * 3600 / 300, 300, 0.8, 20)
    assert 190 < res.servers <= 200 and math.isfinite(res.expected_wait_seconds)


def test_unstable_and_empty_edges():
    assert erlang_c(10, 10) == 1.0 and erlang_c(10, 12.5) == 1.0
    assert service_level(10, 12.5, 180, 20) == 0.0
    assert expected_wait(10, 10, 180) == math.inf
    assert erlang_c(3, 0.0) == 0.0 and service_level(3, 0.0, 180, 20) == 1.0
    # no arrivals -> no window needed
    assert tuple(fewest_servers(0, 180, 0.8, 20)) == (0, 0.0, 1.0, 0.0)
    # more traffic than max_servers: capped, unreachable, reported honestly
    res = fewest_servers(1000, 3600, 0.8, 20, max_servers=50)  # A = 1000
    assert res == (50, 1.0, 0.0, math.inf)
    # reachable only beyond the cap: result at the cap, below target
    res = fewest_servers(200, 180, 0.8, 20, max_servers=12)
    assert res.servers == 12 and res.service_level < 0.8
    with pytest.raises(ValueError):
        fewest_servers(10, 180, 1.0, 20)
    with pytest.raises(ValueError):
        fewest_servers(-1, 180, 0.8, 20)
    with pytest.raises(ValueError):
        erlang_b(2.5, 1)


def test_fewest_servers_minimal_and_monotone_in_traffic():
    previous = 0
    for rate in range(0, 2401, 7):  # up to A = 120 Erlangs
        c, pw, sl, ew = fewest_servers(rate, 180, 0.8, 20)
        a = traffic_erlangs(rate, 180)
        assert c >= previous, f"fewer windows for more traffic at rate {rate}"
        previous = c
        if rate:
            assert c > a and sl >= 0.8 and 0 <= pw <= 1 and ew >= 0
            assert c - 1 <= a or service_level(c - 1, a, 180, 20) < 0.8
    # stricter targets never need fewer windows
    for rate in (30, 200, 900):
        counts = [fewest_servers(rate, 300, share, 60).servers for share in (0.5, 0.7, 0.8, 0.9, 0.95)]
        assert counts == sorted(counts)


# ---- simulation ----------------------------------------------------------------


def test_simulation_agrees_with_erlang_c():
    # A = 10, c = 14, AHT 180 s, target 20 s, 200k customers, seed 7.
    # Tolerances: |dSL| <= 0.02, |dP(wait)| <= 0.02, mean wait within 15 %.
    sim = simulate_mmc(200, 180, 14, 20, customers=200_000, seed=7)
    assert sim.customers == 200_000
    assert abs(sim.service_level - service_level(14, 10, 180, 20)) <= 0.02
    assert abs(sim.p_wait - erlang_c(14, 10)) <= 0.02
    assert sim.mean_wait_seconds == pytest.approx(expected_wait(14, 10, 180), rel=0.15)
    assert simulate_mmc(200, 180, 14, 20, customers=5_000, seed=3) == simulate_mmc(
        200, 180, 14, 20, customers=5_000, seed=3
    )


def test_simulation_heavy_load_agrees():
    # rho = 0.85 at 20 servers (SL ~0.79, near the default target): slower to converge, so a
    # looser 0.03 on P(wait)/SL; over seeds 0-29 the largest miss was 0.018.
    a, c, aht = 17.0, 20, 300
    sim = simulate_mmc(a * 3600 / aht, aht, c, 60, customers=200_000, seed=11, warmup=5_000)
    assert abs(sim.p_wait - erlang_c(c, a)) <= 0.03
    assert abs(sim.service_level - service_level(c, a, aht, 60)) <= 0.03


# ---- advice --------------------------------------------------------------------

MONDAYS = [date(2026, 3, 2) + timedelta(weeks=k) for k in range(5)]
TICKET_SCHEMA = {
    "hall_id": pl.String,
    "ticket_id": pl.String,
    "issued_at": pl.Datetime("us"),
    "called_at": pl.Datetime("us"),
    "finished_at": pl.Datetime("us"),
    "window_id": pl.String,
    "service_category": pl.String,
    "status": pl.String,
}


def _tickets() -> pl.DataFrame:
    """Five Mondays of hall H1, category 社保 (handling 600 s, called 1 min after
    issue, 30 min in the two hours short of windows):

    * 09:00 weeks 1-4: 30 tickets (every 10th a no-show), windows W1, W2 -> the peak;
    * 10:00 every week: 4 tickets on 4 windows        -> over-staffed;
    * 11:00 every week: 4 tickets on W1/W2 + 1 cancelled -> ok;
      plus 1 ticket without category on W5 (300 s)     -> '未分类';
    * 14:00 weeks 1-2 only: 12 tickets on W1          -> under-staffed on average,
      but only 2 of 5 weeks: not a recurring peak;
    * one Tuesday ticket: a weekday open in 1 of 5 weeks, left out.
    """
    rows: list[tuple] = []

    def add(day, hour, minute, window, cat="社保", status="served", handle=600, wait=1):
        issued = datetime(day.year, day.month, day.day, hour, minute)
        called = None if status == "cancelled" else issued + timedelta(minutes=wait)
        finished = called + timedelta(seconds=handle) if status == "served" else None
        rows.append(("H1", f"T{len(rows):05d}", issued, called, finished, window, cat, status))

    for k, d in enumerate(MONDAYS):
        if k < 4:
            for i in range(30):
                add(d, 9, 2 * i, f"W{1 + i % 2}", status="no_show" if i % 10 == 9 else "served", wait=30)
        for i in range(4):
            add(d, 10, 10 * i, f"W{1 + i}")
        for i in range(4):
            add(d, 11, 10 * i, f"W{1 + i % 2}")
        add(d, 11, 50, None, status="cancelled")
        add(d, 11, 55, "W5", cat=None, handle=300)
        if k < 2:
            for i in range(12):
                add(d, 14, 5 * i, "W1", wait=30)
    add(date(2026, 3, 3), 9, 0, "W1")
    return pl.DataFrame(rows, schema=TICKET_SCHEMA, orient="row")


def _slot(frame: pl.DataFrame, category: str, weekday: int, hour: int) -> dict:
    rows = frame.filter(
        (pl.col("service_category") == category) & (pl.col("weekday") == weekday) & (pl.col("hour") == hour)
    ).to_dicts()
    assert len(rows) == 1, (category, weekday, hour)
    return rows[0]


def test_advice_flags_peak_and_statuses():
    advice = staffing_advice(_tickets())
    assert advice.schema == pl.Schema(ADVICE_SCHEMA)

    peak = _slot(advice, "社保", 1, 9)
    assert peak["open_days"] == 5  # the 5th Monday was open, just no 09:00 tickets
    assert peak["arrivals_per_hour"] == pytest.approx(120 / 5)
    assert peak["no_show_rate"] == pytest.approx(0.1)
    assert peak["offered_per_hour"] == pytest.approx(108 / 5)
    assert peak["handling_seconds"] == pytest.approx(600)
    assert peak["traffic_erlangs"] == pytest.approx(108 / 5 * 600 / 3600)
    assert peak["actual_windows"] == pytest.approx(8 / 5)
    expected = fewest_servers(108 / 5, 600, 0.8, 1200)
    assert peak["recommended_windows"] == expected.servers == 5
    assert peak["p_wait"] == pytest.approx(expected.p_wait)
    assert peak["status"] == "under_staffed"
    assert peak["target_reachable"] is True

    assert _slot(advice, "社保", 1, 10)["status"] == "over_staffed"  # 4 windows, 2 needed
    quiet = _slot(advice, "社保", 1, 11)
    assert quiet["status"] == "ok" and quiet["arrivals_per_hour"] == pytest.approx(5.0)
    assert quiet["no_show_rate"] == 0.0  # the cancelled ticket is demand, not a no-show
    assert _slot(advice, "社保", 1, 14)["status"] == "under_staffed"
    uncategorised = _slot(advice, "未分类", 1, 11)
    assert uncategorised["handling_seconds"] == pytest.approx(300) and uncategorised["status"] == "ok"
    # the hall opened on one Tuesday in five weeks: no weekly pattern to advise on
    assert advice.filter(pl.col("weekday") == 2).is_empty()


def test_recurring_peaks_rule():
    peaks = recurring_peaks(_tickets())
    assert peaks.schema == pl.Schema(PEAKS_SCHEMA)
    # only the 09:00 peak: under-staffed 4 of 5 weeks; 14:00 only 2 of 5
    assert peaks.select("service_category", "weekday", "hour").rows() == [("社保", 1, 9)]
    row = peaks.row(0, named=True)
    assert (row["weeks_observed"], row["weeks_under_staffed"]) == (5, 4)
    assert row["share_under_staffed"] == pytest.approx(0.8)
    # on a peak day 27 customers/hour x 600 s need fewest_servers(27, 600) windows; 2 were open
    assert row["temporary_windows"] == fewest_servers(27, 600, 0.8, 1200).servers - 2
    # a stricter share or more weeks than observed drop it
    assert recurring_peaks(_tickets(), min_share=0.8).is_empty()
    assert recurring_peaks(_tickets(), min_weeks=6).is_empty()


def test_advice_pooled_fallbacks_and_empty():
    pooled = staffing_advice(_tickets(), by_category=False)
    assert set(pooled["service_category"]) == {"全部"}
    pooled_11 = _slot(pooled, "全部", 1, 11)
    assert pooled_11["actual_windows"] == pytest.approx(3.0)  # W1, W2, W5
    assert pooled_11["recommended_windows"] == 2 and pooled_11["status"] == "ok"  # rec + 1 is still ok

    # a slot with only a no-show borrows the category's handling time; null hall -> 'main'
    extra = pl.DataFrame(
        [
            (None, "X1", datetime(2026, 3, 4, 9), datetime(2026, 3, 4, 9, 1), datetime(2026, 3, 4, 9, 5), "W1", "医保", "served"),
            (None, "X2", datetime(2026, 3, 4, 15), datetime(2026, 3, 4, 15, 1), None, "W1", "医保", "no_show"),
            (None, "X3", datetime(2026, 3, 4, 16), None, None, None, "医保", "cancelled"),
        ],
        schema=TICKET_SCHEMA,
        orient="row",
    )
    prof = slot_profile(extra)
    assert set(prof["hall_id"]) == {"main"}
    assert _slot(prof, "医保", 3, 15)["handling_from"] == "category"
    assert _slot(prof, "医保", 3, 15)["handling_seconds"] == pytest.approx(240)
    cancelled_only = _slot(staffing_advice(extra), "医保", 3, 16)
    assert cancelled_only["recommended_windows"] == 1 and cancelled_only["actual_windows"] == 0.0

    empty = staffing_advice(_tickets().clear())
    assert empty.is_empty() and empty.schema == pl.Schema(ADVICE_SCHEMA)
    assert recurring_peaks(_tickets().clear()).is_empty()
    with pytest.raises(ValueError, match="window_id"):
        staffing_advice(_tickets().drop("window_id"))


def test_arrivals_before_opening_count_in_the_opening_hour():
    # Three Wednesdays: 10 tickets issued 08:00-08:45, all called 09:30-09:57 by W1.
    # Nobody can be served before the first call (09:30, opening hour 09:00),
    # so the 08:xx arrivals belong to the 09:00 slot: 10 arrivals per hour,
    # 1 window calling. A = 10 x 180 / 3600 = 0.5 Erlang; one window gives
    # P(wait) = 0.5 and SL = 1 - 0.5 e^(-(1 - 0.5) x 1200/180) = 0.982 >= 0.8.
    rows = []
    for k in range(3):
        d = date(2026, 3, 4) + timedelta(weeks=k)
        for i in range(10):
            issued = datetime(d.year, d.month, d.day, 8, 5 * i)
            called = datetime(d.year, d.month, d.day, 9, 30) + timedelta(minutes=3 * i)
            rows.append(("H2", f"{k}-{i}", issued, called, called + timedelta(minutes=3), "W1", "不动产", "served"))
    tickets = pl.DataFrame(rows, schema=TICKET_SCHEMA, orient="row")
    advice = staffing_advice(tickets)
    assert advice.filter(pl.col("hour") == 8).height == 0
    nine = _slot(advice, "不动产", 3, 9)
    assert nine["arrivals_per_hour"] == 10.0 and nine["actual_windows"] == 1.0
    assert nine["recommended_windows"] == 1
    # The observed waits still run from the real ticket time (all over 20
    # minutes), and 30 tickets all missing the target outrank the model.
    assert nine["observed_service_level"] == 0.0 and nine["status"] == "under_staffed"
    assert recurring_peaks(tickets).height == 0



def test_measured_waits_missing_target_flag_a_slot_the_model_finds_enough():
    # Four Mondays, 09:00: 8 tickets, 3-minute service, 2 windows calling; the
    # model needs 1 window (A = 8 x 180 / 3600 = 0.4) but every ticket waited
    # 30 minutes: under-staffed by what was measured (32 tickets >= 20).
    rows = []
    for k in range(4):
        d = date(2026, 3, 2) + timedelta(weeks=k)
        for i in range(8):
            issued = datetime(d.year, d.month, d.day, 9, 2 * i)
            called = issued + timedelta(minutes=30)
            rows.append(("H1", f"{k}-{i}", issued, called, called + timedelta(minutes=3), f"W{i % 2}", "税务", "served"))
    slot = _slot(staffing_advice(pl.DataFrame(rows, schema=TICKET_SCHEMA, orient="row")), "税务", 1, 9)
    assert slot["recommended_windows"] == 1 and slot["actual_windows"] == 2.0
    assert slot["status"] == "under_staffed"


def _wednesdays_of_h1(extra: list[tuple]) -> pl.DataFrame:
    """Eight Wednesdays on which hall H1 opens (one 09:00 ticket each, called
    at once), plus ``extra`` rows."""
    rows = []
    for k in range(8):
        d = datetime(2026, 3, 4, 9) + timedelta(weeks=k)
        rows.append(("H1", f"open-{k}", d, d, d + timedelta(minutes=5), "W9", "开门", "served"))
    return pl.DataFrame(rows + extra, schema=TICKET_SCHEMA, orient="row")


def test_a_quiet_slot_served_in_time_is_not_under_staffed():
    # 公积金 Wednesdays 12:00: 2 tickets in 8 weeks, called after 8 minutes,
    # 5 minutes each. Offered 2 / 8 = 0.25 an hour, A = 0.25 x 300 / 3600:
    # one window is the fewest. Windows seen calling: 2 days of 8 = 0.25,
    # which is below 1 only because an idle window calls nobody; both people
    # were called within 20 minutes (2 of 2 >= 80 %), so the slot is ok.
    def ticket(tid, week, hour, minute, status="served", wait=8, window="W1", cat="公积金"):
        issued = datetime(2026, 3, 4, hour, minute) + timedelta(weeks=week)
        called = None if status == "cancelled" else issued + timedelta(minutes=wait)
        finished = called + timedelta(minutes=5) if status == "served" else None
        return ("H1", tid, issued, called, finished, window if called else None, cat, status)

    quiet = [ticket("q1", 1, 12, 10), ticket("q2", 5, 12, 40)]
    # 不动产 13:00: nobody was ever called (2 cancelled): nothing measured, the model decides
    unmeasured = [ticket("u1", 2, 13, 0, "cancelled"), ticket("u2", 6, 13, 30, "cancelled")]
    # 税务 14:00: 1 called in time, 4 gave up: 1 of 5 in time counting them, so not cleared
    gave_up = [ticket("g1", 0, 14, 0, cat="税务")] + [ticket(f"g{i}", i, 14, 5, "cancelled", cat="税务") for i in range(2, 6)]
    advice = staffing_advice(_wednesdays_of_h1(quiet + unmeasured + gave_up))

    q = _slot(advice, "公积金", 3, 12)
    assert (q["open_days"], q["tickets"], q["actual_windows"], q["recommended_windows"]) == (8, 2, 0.25, 1)
    assert q["observed_service_level"] == 1.0 and q["status"] == "ok"
    u = _slot(advice, "公积金", 3, 13)
    assert u["observed_service_level"] is None and u["observed_share_with_cancelled"] == 0.0
    assert (u["actual_windows"], u["recommended_windows"], u["status"]) == (0.0, 1, "under_staffed")
    g = _slot(advice, "税务", 3, 14)
    assert g["observed_service_level"] == 1.0 and g["observed_share_with_cancelled"] == pytest.approx(0.2)
    assert (g["actual_windows"], g["recommended_windows"], g["status"]) == (0.125, 1, "under_staffed")


def test_a_make_up_saturday_is_no_weekly_pattern():
    # H1 opens 8 Wednesdays and one make-up Saturday (调休, 2026-03-14) with
    # 30 tickets: a Saturday in 1 of 8 open weeks is left out of the advice and
    # the peaks. H2 opens every Saturday of the same 8 weeks: kept, 8 open days.
    make_up = [
        ("H1", f"s{i}", datetime(2026, 3, 14, 9, 2 * i), datetime(2026, 3, 14, 9, 2 * i, 30),
         datetime(2026, 3, 14, 9, 2 * i + 1), "W1", "社保", "served")
        for i in range(30)
    ]
    weekly = [
        ("H2", f"h2-{k}", datetime(2026, 3, 7, 9) + timedelta(weeks=k), datetime(2026, 3, 7, 9, 1) + timedelta(weeks=k),
         datetime(2026, 3, 7, 9, 6) + timedelta(weeks=k), "W1", "社保", "served")
        for k in range(8)
    ]
    advice, peaks = advice_and_peaks(_wednesdays_of_h1(make_up + weekly))
    assert sorted(set(advice.select("hall_id", "weekday").iter_rows())) == [("H1", 3), ("H2", 6)]
    saturday = advice.filter(pl.col("hall_id") == "H2").row(0, named=True)
    assert (saturday["open_days"], saturday["arrivals_per_hour"]) == (8, 1.0)
    assert peaks.filter(pl.col("weekday") == 6).is_empty()
