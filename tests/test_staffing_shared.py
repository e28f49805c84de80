"""The staffing step makes its advice and its recurring peaks from one pass
over the tickets (``advice_and_peaks``): the tables are those of the two
public functions, and the peak is the one worked out by hand in test_erlang."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from assets.staffing.advice import advice_and_peaks, recurring_peaks, staffing_advice
from assets.staffing.erlang import fewest_servers
from tests.test_erlang import _tickets


def test_advice_and_peaks_equal_the_two_tables():
    tickets = _tickets()
    advice, peaks = advice_and_peaks(tickets)
    assert_frame_equal(advice, staffing_advice(tickets), check_exact=True)
    assert_frame_equal(peaks, recurring_peaks(tickets), check_exact=True)
    # the hand-worked peak (test_erlang): Mondays 09:00, under-staffed 4 of 5 weeks,
    # 27 customers an hour on a peak day need fewest_servers(27, 600) windows, 2 were open
    assert peaks.select("service_category", "weekday", "hour", "weeks_observed", "weeks_under_staffed").rows() == [
        ("社保", 1, 9, 5, 4)
    ]
    assert peaks["temporary_windows"].to_list() == [fewest_servers(27, 600, 0.8, 1200).servers - 2]
    # 社保 Mon 9/10/11/14, 15 (W1 calling the late 14:00 arrivals), 未分类 Mon 11;
    # the lone Tuesday is no weekly pattern
    assert advice.height == 6


def test_advice_and_peaks_other_settings():
    tickets = _tickets()
    for kwargs in ({"by_category": False}, {"min_share": 0.8}, {"min_weeks": 6}, {"max_servers": 3}):
        split = {k: v for k, v in kwargs.items() if k in ("by_category", "max_servers")}
        advice, peaks = advice_and_peaks(tickets, 0.8, 1200, **kwargs)
        assert_frame_equal(advice, staffing_advice(tickets, 0.8, 1200, **split), check_exact=True)
        assert_frame_equal(peaks, recurring_peaks(tickets, 0.8, 1200, **kwargs), check_exact=True)
    # three windows at most: the 09:00 peak needs 5, so the advice says the target is out of reach
    capped, _ = advice_and_peaks(tickets, max_servers=3)
    peak = capped.filter((pl.col("weekday") == 1) & (pl.col("hour") == 9) & (pl.col("service_category") == "社保"))
    assert peak.select("recommended_windows", "target_reachable").rows() == [(3, False)]


def test_advice_and_peaks_ignore_row_order():
    """Shuffled tickets give the same tables (the one pass keeps no row order)."""
    tickets = _tickets()
    shuffled = tickets.sample(fraction=1.0, shuffle=True, seed=7)
    for a, b in zip(advice_and_peaks(tickets), advice_and_peaks(shuffled)):
        assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
