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


def shrunk_part(
    facts: Frame, keys: Sequence[str], level: str, m: float, prefix: str, hall_facts: Frame | None = None
) -> pl.LazyFrame:
    """Per (keys, period): {prefix}_n, {prefix}_sum, {prefix}_hall_mean, {prefix}_part.

    ``hall_facts`` (default ``facts``) gives μ, the mean points per (hall_id, period):
    for staff scores it is every rating of the hall, not only those naming a staff member.
    """
    f = facts.lazy().with_columns(period_expr(level))
    hf = (hall_facts if hall_facts is not None else facts).lazy().with_columns(period_expr(level))
    mu = hf.group_by("hall_id", "period").agg(pl.col("points").mean().alias(f"{prefix}_hall_mean"))
    keys = list(keys)
    grp = [*keys, "period"]
    agg = f.drop_nulls(keys).group_by(grp).agg(
        pl.len().alias(f"{prefix}_n"), pl.col("points").sum().alias(f"{prefix}_sum")
    )
    on = ["hall_id", "period"]
    return agg.join(mu, on=on, how="left").with_columns(
        (
            (pl.col(f"{prefix}_sum") + m * pl.col(f"{prefix}_hall_mean"))
            / (pl.col(f"{prefix}_n").cast(pl.Float64) + m)
        ).alias(f"{prefix}_part")
    )


def satisfaction_parts(
    rating_f: Frame,
    callback_f: Frame,
    keys: Sequence[str],
    level: str,
    cfg: MethodConfig,
    hall_rating_f: Frame | None = None,
    hall_callback_f: Frame | None = None,
) -> pl.LazyFrame:
    """Per (keys, period) with a rating or a callback satisfaction:
    ratings, good_ratings, bad_ratings, good_rate, bad_rate, rating_part,
    rating_hall_mean, callbacks, callback_part, callback_hall_mean, satisfaction."""

    m = cfg.scoring.shrinkage_m
    w = cfg.scoring.weights.satisfaction
    keys = list(keys)
    grp = [*keys, "period"]
    r = shrunk_part(rating_f, keys, level, m, "rating", hall_rating_f)
    gb = (
        rating_f.lazy()
        .drop_nulls(keys)
        .with_columns(period_expr(level))
        .group_by(grp)
        .agg(good_ratings=pl.col("good").sum().cast(pl.Int64), bad_ratings=pl.col("bad").sum().cast(pl.Int64))
    )
    c = shrunk_part(callback_f, keys, level, m, "callback", hall_callback_f)
    both = (
        r.join(gb, on=grp, how="left")
        .join(c, on=grp, how="full", coalesce=True)
        .with_columns(
            ratings=pl.col("rating_n").fill_null(0).cast(pl.Int64),
            callbacks=pl.col("callback_n").fill_null(0).cast(pl.Int64),
            good_ratings=pl.col("good_ratings").fill_null(0),
            bad_ratings=pl.col("bad_ratings").fill_null(0),
        )
        .with_columns(
            good_rate=rate("good_ratings", "ratings"),
            bad_rate=rate("bad_ratings", "ratings"),
            satisfaction=renormalised(
                [(pl.col("rating_part"), w.rating_part), (pl.col("callback_part"), w.callback_part)]
            ),
        )
    )
    return both.select(
        *grp,
        "ratings",
        "good_ratings",
        "bad_ratings",
        "good_rate",
        "bad_rate",
        "rating_part",
        "rating_hall_mean",
        "callbacks",
        "callback_part",
        "callback_hall_mean",
        "satisfaction",
    )
