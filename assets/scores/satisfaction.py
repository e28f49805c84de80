"""Satisfaction S (满意度), scoring.md "Satisfaction S".

rating points = (score − 1) × 25; a window's rating_part in a period is
(Σ points + m·μ) ÷ (n + m) with μ the mean points of all ratings of its hall
in that period (m = 10): few ratings are pulled towards the hall. The
callback_part is the same over reached callbacks carrying a satisfaction (by
date(called_at), with the hall's callback mean). A part exists only when the
window has at least one such rating / callback in the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from assets.method_config import MethodConfig
from assets.scores._common import Frame, daily, date_of, hall, period_expr, rate, renormalised


def rating_facts(ratings: Frame, cfg: MethodConfig, as_of: date) -> pl.LazyFrame:
    """Ratings dated <= as_of: rating_id, hall_id, window_id, staff_id, case_id,
    date, score, points, good (score >= 3), bad (score <= 2)."""
    s = cfg.scoring
    return (
        daily(ratings, "ratings", as_of)
        .with_columns(hall(), date=date_of("rated_at"))
        .filter(pl.col("date") <= as_of)
        .with_columns(
            points=(pl.col("score").cast(pl.Float64) - 1.0) * s.rating_points_per_level,
            good=pl.col("score") >= s.good_min_score,
            bad=pl.col("score") <= s.bad_max_score,
        )
        .select("rating_id", "hall_id", "window_id", "staff_id", "case_id", "date", "score", "points", "good", "bad")
    )


def callback_satisfaction_facts(callbacks_w: Frame, cfg: MethodConfig) -> pl.LazyFrame:
    """Reached callbacks carrying a satisfaction (from deductions.callbacks_at_windows):
    callback_id, hall_id, window_id, staff_id, date, score, points."""
    return (
        callbacks_w.lazy()
        .filter(pl.col("has_satisfaction"))
        .select(
            "callback_id",
            "hall_id",
            "window_id",
            "staff_id",
            "date",
            score=pl.col("satisfaction"),
            points=(pl.col("satisfaction").cast(pl.Float64) - 1.0) * cfg.scoring.rating_points_per_level,
        )
    )


def _shrunk(total: str, n: str, hall_mean: str, m: float) -> pl.Expr:
    """(Σ points + m·μ) ÷ (n + m); null where n is 0 (no part)."""
    return (
        pl.when(pl.col(n) > 0)
        .then((pl.col(total) + m * pl.col(hall_mean)) / (pl.col(n).cast(pl.Float64) + m))
        .otherwise(None)
    )


# What a period's satisfaction is made of, per entity: counts and sums of
# points, which add up from days to a month (see composite.month_sums).
SATISFACTION_SUMS = ("ratings", "good_ratings", "bad_ratings", "rating_sum", "callbacks", "callback_sum")


def satisfaction_sums(rating_f: Frame, callback_f: Frame, keys: Sequence[str], level: str) -> pl.LazyFrame:
    """Per (keys, period) with a rating or a callback satisfaction: SATISFACTION_SUMS."""
    keys = list(keys)
    grp = [*keys, "period"]
    r = (
        rating_f.lazy()
        .drop_nulls(keys)
        .with_columns(period_expr(level))
        .group_by(grp)
        .agg(
            ratings=pl.len().cast(pl.Int64),
            good_ratings=pl.col("good").sum().cast(pl.Int64),
            bad_ratings=pl.col("bad").sum().cast(pl.Int64),
            rating_sum=pl.col("points").sum(),
        )
    )
    c = (
        callback_f.lazy()
        .drop_nulls(keys)
        .with_columns(period_expr(level))
        .group_by(grp)
        .agg(callbacks=pl.len().cast(pl.Int64), callback_sum=pl.col("points").sum())
    )
    return (
        r.join(c, on=grp, how="full", coalesce=True)
        .with_columns(
            [pl.col(n).fill_null(0) for n in ("ratings", "good_ratings", "bad_ratings", "callbacks")]
            + [pl.col(n).fill_null(0.0) for n in ("rating_sum", "callback_sum")]
        )
        .select(*grp, *SATISFACTION_SUMS)
    )


def hall_means(rating_f: Frame, callback_f: Frame, level: str) -> pl.LazyFrame:
    """μ per (hall_id, period) from the facts: rating_hall_mean, callback_hall_mean."""
    def mean(f: Frame, name: str) -> pl.LazyFrame:
        return f.lazy().with_columns(period_expr(level)).group_by("hall_id", "period").agg(pl.col("points").mean().alias(name))

    return mean(rating_f, "rating_hall_mean").join(
        mean(callback_f, "callback_hall_mean"), on=["hall_id", "period"], how="full", coalesce=True
    )


def hall_means_from_sums(window_sums: Frame) -> pl.LazyFrame:
    """μ per (hall_id, period) from the windows' SATISFACTION_SUMS of that
    period: every loaded rating and callback has a window (inputs.md), so the
    windows' sums add up to the hall's."""
    return (
        window_sums.lazy()
        .group_by("hall_id", "period")
        .agg(pl.col("rating_sum", "ratings", "callback_sum", "callbacks").sum())
        .select("hall_id", "period", rating_hall_mean=rate("rating_sum", "ratings"),
                callback_hall_mean=rate("callback_sum", "callbacks"))
    )


def satisfaction_from_sums(sums: Frame, means: Frame, cfg: MethodConfig) -> pl.LazyFrame:
    """``sums`` (SATISFACTION_SUMS per keys and period) with rating_part,
    callback_part (shrunk towards ``means``), good_rate, bad_rate and satisfaction."""
    m = cfg.scoring.shrinkage_m
    w = cfg.scoring.weights.satisfaction
    return (
        sums.lazy()
        .join(means.lazy(), on=["hall_id", "period"], how="left")
        .with_columns(
            rating_part=_shrunk("rating_sum", "ratings", "rating_hall_mean", m),
            callback_part=_shrunk("callback_sum", "callbacks", "callback_hall_mean", m),
            good_rate=rate("good_ratings", "ratings"),
            bad_rate=rate("bad_ratings", "ratings"),
        )
        .with_columns(
            satisfaction=renormalised(
                [(pl.col("rating_part"), w.rating_part), (pl.col("callback_part"), w.callback_part)]
            )
        )
    )
