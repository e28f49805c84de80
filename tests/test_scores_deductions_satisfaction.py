"""Monitoring events, verified callback problems, and shrinkage of ratings."""

from datetime import date, datetime as dt

import polars as pl
import pytest

from assets.method_config import load_config
from assets.scores.deductions import callbacks_at_windows, monitoring_events
from assets.scores.satisfaction import (
    callback_satisfaction_facts,
    hall_means,
    rating_facts,
    satisfaction_from_sums,
    satisfaction_sums,
)
from assets.scores._common import DAY, MONTH

CFG = load_config()
AS_OF = date(2026, 3, 31)


def test_monitoring_ai_camera_only_when_confirmed():
    ev = pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4", "e5"],
            "occurred_at": [dt(2026, 3, 2, 10)] * 4 + [dt(2026, 4, 2, 10)],
            "window_id": ["W1"] * 5,
            "event_type": ["sleeping", "sleeping", "phone", "dress", "off_post"],
            "source": ["ai_camera", "ai_camera", "patrol", "mystery_shopper", "patrol"],
            "confirmed": [False, True, None, False, False],
        }
    )
    out = monitoring_events(ev, CFG, AS_OF).collect().sort("event_id")
    # e5 is after the as-of date; e1 unconfirmed camera: listed, not counting
    assert out["event_id"].to_list() == ["e1", "e2", "e3", "e4"]
    assert out["counts"].to_list() == [False, True, True, True]
    assert out["points"].to_list() == [0.0, 3.0, 2.0, 0.5]  # sleeping 3, phone 2, dress 0.5


def test_callback_problem_needs_reached_verified_and_a_problem_and_sits_at_the_case_window():
    cases = pl.DataFrame(
        {"case_id": ["C1", "C2"], "window_id": ["W7", "W8"], "staff_id": ["S7", "S8"], "hall_id": [None, "east"]}
    )
    cb = pl.DataFrame(
        {
            "callback_id": ["k1", "k2", "k3", "k4", "k5", "k6"],
            "case_id": ["C1", "C1", "C1", "C1", "C2", "C9"],
            "called_at": [dt(2026, 3, 5, 10)] * 6,
            "outcome": ["reached", "reached", "unreachable", "reached", "reached", "reached"],
            "satisfaction": [2, 4, None, 5, 1, 5],
            "problem_type": ["misconduct", "bad_attitude", "extra_trip", "none", "extra_trip", "other"],
            "problem_verified": [True, False, True, True, True, True],
            "hall_id": ["ignored"] * 6,
        }
    )
    out = callbacks_at_windows(cb, cases, CFG, AS_OF).collect().sort("callback_id")
    # k6's case is unknown: no window, left out
    assert out["callback_id"].to_list() == ["k1", "k2", "k3", "k4", "k5"]
    assert out["window_id"].to_list() == ["W7", "W7", "W7", "W7", "W8"]
    assert out["hall_id"].to_list() == ["main"] * 4 + ["east"]
    assert out["staff_id"].to_list() == ["S7"] * 4 + ["S8"]
    # k1 misconduct 10; k2 not verified; k3 not reached; k4 none; k5 extra_trip 2
    assert out["points"].to_list() == [10.0, 0.0, 0.0, 0.0, 2.0]
    assert out["has_satisfaction"].to_list() == [True, True, False, True, True]


def satisfaction_parts(rating_f, callback_f, keys, level, cfg):
    """The satisfaction figures as the score step makes them: the entities'
    sums, shrunk towards the hall means of the same facts."""
    sums = satisfaction_sums(rating_f, callback_f, keys, level)
    return satisfaction_from_sums(sums, hall_means(rating_f, callback_f, level), cfg)


def _ratings(window_scores):
    rows = []
    for w, scores in window_scores.items():
        for i, s in enumerate(scores):
            rows.append({"rating_id": f"{w}-{i}", "rated_at": dt(2026, 3, 2, 10), "window_id": w, "score": s})
    return pl.DataFrame(rows)


def test_shrinkage_two_ratings_beside_two_hundred():
    # W1: 2 ratings of 5 -> points 100 + 100 = 200
    # W2: 100 ratings of 4 (75 points) + 100 of 3 (50) -> 7500 + 5000 = 12500
    # hall mean μ = (200 + 12500) / 202 = 12700/202 = 62.871287...
    # W1 part = (200 + 10 μ) / (2 + 10)   = (200 + 628.71287) / 12  = 69.0594059
    # W2 part = (12500 + 10 μ) / (200 + 10) = (12500 + 628.71287) / 210 = 62.5176803
    r = rating_facts(_ratings({"W1": [5, 5], "W2": [4] * 100 + [3] * 100}), CFG, AS_OF)
    empty_cb = callback_satisfaction_facts(callbacks_at_windows(pl.DataFrame(schema={"case_id": pl.String}), pl.DataFrame(schema={"case_id": pl.String}), CFG, AS_OF), CFG)
    s = satisfaction_parts(r, empty_cb, ["hall_id", "window_id"], DAY, CFG).collect().sort("window_id")
    mu = 12700 / 202
    assert s["rating_part"].to_list() == pytest.approx([(200 + 10 * mu) / 12, (12500 + 10 * mu) / 210])
    assert s["rating_part"].to_list() == pytest.approx([69.0594059, 62.5176803])
    # no callbacks: S = rating_part (the callback weight moves to ratings)
    assert s["satisfaction"].to_list() == pytest.approx(s["rating_part"].to_list())
    assert s["callback_part"].to_list() == [None, None]
    # unshrunk good/bad rates: W1 2/2 good; W2 all score >= 3 -> good 1.0, bad 0.0
    assert s["good_rate"].to_list() == [1.0, 1.0] and s["bad_rate"].to_list() == [0.0, 0.0]
    assert s["ratings"].to_list() == [2, 200]


def test_hall_mean_is_per_hall_and_per_period():
    rows = [
        {"rating_id": "a", "rated_at": dt(2026, 3, 2, 10), "window_id": "W1", "score": 5},  # 100
        {"rating_id": "b", "rated_at": dt(2026, 3, 2, 11), "window_id": "W2", "score": 1},  # 0
        {"rating_id": "c", "rated_at": dt(2026, 3, 3, 11), "window_id": "W2", "score": 3},  # 50
        {"rating_id": "d", "rated_at": dt(2026, 3, 2, 11), "window_id": "W1", "score": 1, "hall_id": "east"},  # other hall
    ]
    r = rating_facts(pl.DataFrame(rows), CFG, AS_OF)
    none = r.filter(pl.lit(False)).select("hall_id", "window_id", "staff_id", "date", "points")
    day = satisfaction_parts(r, none, ["hall_id", "window_id"], DAY, CFG).collect()
    # main, 03-02: μ = (100 + 0)/2 = 50; W1 = (100 + 500)/11 = 54.5454..., W2 = (0 + 500)/11 = 45.4545...
    d2 = day.filter((pl.col("period") == "2026-03-02") & (pl.col("hall_id") == "main")).sort("window_id")
    assert d2["rating_part"].to_list() == pytest.approx([600 / 11, 500 / 11])
    # main, 03-03: only W2 (50): μ = 50; part = (50 + 500)/11 = 50
    d3 = day.filter(pl.col("period") == "2026-03-03")
    assert d3["rating_part"].item() == pytest.approx(50.0)
    # east, 03-02: only d (0): μ = 0; part = 0
    assert day.filter(pl.col("hall_id") == "east")["rating_part"].item() == 0.0
    # main, month: μ = (100 + 0 + 50)/3 = 50; W1 (n=1, Σ=100): 600/11; W2 (n=2, Σ=50): (50+500)/12 = 45.8333
    mon = satisfaction_parts(r, none, ["hall_id", "window_id"], MONTH, CFG).collect()
    m = mon.filter(pl.col("hall_id") == "main").sort("window_id")
    assert m["rating_part"].to_list() == pytest.approx([600 / 11, 550 / 12])
    assert m["bad_ratings"].to_list() == [0, 1]
