"""T, Q, S and the composite C per entity and period; ranking; red/black lists; export.

Every figure of a month is recomputed from the month's counts (not averaged
from days): the counts and sums of points of its days added up (month_sums),
and the hall means of the shrinkage from the hall's windows' sums.
Renormalisation (``_common.renormalised``) is applied inside T, inside Q's
base, inside S and for C: a missing part's weight goes to the parts that
exist, in proportion; with no part at all the score is null.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from assets.method_config import MethodConfig
from assets.scores._common import DAY, MONTH, Frame, period_expr, rate, reference, renormalised
from assets.scores.deductions import deduction_facts
from assets.scores.satisfaction import (
    callback_satisfaction_facts,
    hall_means,
    satisfaction_from_sums,
    satisfaction_sums,
)

WINDOW_KEYS = ("hall_id", "window_id")

EXPORT_COLUMNS = (
    "period",
    "hall_id",
    "window_id",
    "dept_id",
    "timeliness",
    "quality",
    "satisfaction",
    "composite",
    "rank",
    "evaluated_cases",
    "on_time_cases",
    "served_tickets",
    "tickets_within_target",
    "ratings",
    "bad_ratings",
    "callbacks",
    "deductions",
)
COUNT_COLUMNS = (
    "evaluated_cases",
    "on_time_cases",
    "completed_cases",
    "one_notice_cases",
    "one_trip_cases",
    "one_trip_ok_cases",
    "served_tickets",
    "tickets_within_target",
    "ratings",
    "good_ratings",
    "bad_ratings",
    "callbacks",
)
POINT_COLUMNS = ("deductions", "attendance_deductions", "behaviour_deductions", "callback_deductions")


@dataclass(frozen=True)
class ScoreFacts:
    """Row-level facts, each already limited to what is dated <= as_of.

    cases: timeliness.case_timeliness; tickets: waits.ticket_waits;
    ticket_activity: waits.ticket_activity; attendance_days:
    attendance.staff_attendance_days; punches: attendance.punch_days;
    events: deductions.monitoring_events; callbacks:
    deductions.callbacks_at_windows; ratings: satisfaction.rating_facts.
    """

    cases: pl.LazyFrame
    tickets: pl.LazyFrame
    ticket_activity: pl.LazyFrame
    attendance_days: pl.LazyFrame
    punches: pl.LazyFrame
    events: pl.LazyFrame
    callbacks: pl.LazyFrame
    ratings: pl.LazyFrame
    as_of: date


def _has(lf: pl.LazyFrame, cols: Sequence[str]) -> bool:
    names = lf.collect_schema().names()
    return all(c in names for c in cols)


def activity_days(facts: ScoreFacts, keys: Sequence[str]) -> pl.LazyFrame:
    """(keys, date) of every day an entity has a row (scoring.md, first section):
    a case received, completed or evaluated; a ticket issued or called; a
    monitoring event (counting or not); a rating; a callback (any outcome, at
    its case's window); a punch or an attendance deduction of a staff member
    whose usual window it is."""
    keys = list(keys)
    c = facts.cases
    parts = [
        c.select(*keys, date=pl.col("received_date")),
        c.select(*keys, date=pl.col("completed_date")),
        c.filter(pl.col("evaluated")).select(*keys, date=pl.col("evaluation_date")),
        facts.events.select(*keys, "date"),
        facts.ratings.select(*keys, "date"),
        facts.callbacks.select(*keys, "date"),
        facts.punches.select(*keys, "date"),
        facts.attendance_days.filter(pl.col("deduction") > 0).select(*keys, "date"),
    ]
    if _has(facts.ticket_activity, keys):
        parts.append(facts.ticket_activity.select(*keys, "date"))
    return (
        pl.concat(parts)
        .drop_nulls()
        .filter(pl.col("date") <= facts.as_of)
        .unique()
    )


# What a period's figures are made of, per entity: counts and sums of points
# over the facts dated in the period. A month's are the sums of its days'
# (month_sums), so a night that recomputes a few days rolls the month up from
# the stored days instead of recomputing it from its facts.
SUM_COLUMNS = (*COUNT_COLUMNS, *POINT_COLUMNS, "rating_sum", "callback_sum")
SCORE_COLUMNS = (
    "on_time_rate",
    "wait_rate",
    "timeliness",
    "one_notice_rate",
    "one_trip_rate",
    "quality_base",
    "quality",
    "rating_part",
    "callback_part",
    "good_rate",
    "bad_rate",
    "satisfaction",
    "composite",
)


def entity_sums(facts: ScoreFacts, keys: Sequence[str], level: str, cfg: MethodConfig) -> pl.LazyFrame:
    """SUM_COLUMNS (0 when none) per (keys, period) for every entity-period that has a row."""
    keys = list(keys)
    grp = [*keys, "period"]
    s = cfg.scoring

    rows = activity_days(facts, keys).with_columns(period_expr(level)).select(grp).unique()

    evaluated = (
        facts.cases.filter(pl.col("evaluated"))
        .drop_nulls(keys)
        .with_columns(period_expr(level, "evaluation_date"))
        .group_by(grp)
        .agg(evaluated_cases=pl.len(), on_time_cases=pl.col("on_time").sum())
    )
    completed = (
        facts.cases.filter(pl.col("is_completed"))
        .drop_nulls(keys)
        .with_columns(period_expr(level, "completed_date"))
        .group_by(grp)
        .agg(
            completed_cases=pl.len(),
            one_notice_cases=(pl.col("supplement_count") <= s.one_notice_max_supplements).sum(),
            one_trip_cases=pl.col("one_trip").sum(),
            one_trip_ok_cases=(pl.col("one_trip") & (pl.col("visit_count") <= s.one_trip_max_visits)).sum(),
        )
    )
    parts = [evaluated, completed]
    if _has(facts.tickets, keys):
        parts.append(
            facts.tickets.drop_nulls(keys)
            .with_columns(period_expr(level))
            .group_by(grp)
            .agg(served_tickets=pl.len(), tickets_within_target=pl.col("within_target").sum())
        )
    ded = deduction_facts(facts.attendance_days, facts.events, facts.callbacks)
    parts.append(
        ded.drop_nulls(keys)
        .with_columns(period_expr(level))
        .group_by(grp)
        .agg(
            deductions=pl.col("points").sum(),
            attendance_deductions=pl.col("points").filter(pl.col("kind") == "attendance").sum(),
            behaviour_deductions=pl.col("points").filter(pl.col("kind") == "behaviour").sum(),
            callback_deductions=pl.col("points").filter(pl.col("kind") == "callback").sum(),
        )
    )
    parts.append(satisfaction_sums(facts.ratings, callback_satisfaction_facts(facts.callbacks, cfg), keys, level))

    lf = rows
    for p in parts:
        lf = lf.join(p, on=grp, how="left")
    names = lf.collect_schema().names()
    fills = [
        (pl.col(c).fill_null(0).cast(pl.Int64) if c in names else pl.lit(0, dtype=pl.Int64)).alias(c)
        for c in COUNT_COLUMNS
    ] + [
        (pl.col(c).fill_null(0.0).cast(pl.Float64) if c in names else pl.lit(0.0)).alias(c)
        for c in (*POINT_COLUMNS, "rating_sum", "callback_sum")
    ]
    return lf.with_columns(fills).select(*grp, *SUM_COLUMNS)


def month_sums(day_sums: Frame, keys: Sequence[str]) -> pl.LazyFrame:
    """A month's SUM_COLUMNS per keys: the sums of its days' (a month has a
    row when one of its days has)."""
    grp = [*keys, "period"]
    return (
        day_sums.lazy()
        .select(*keys, pl.col("period").str.slice(0, 7), *SUM_COLUMNS)
        .group_by(grp)
        .agg([pl.col(c).sum() for c in SUM_COLUMNS])
    )


def scores_from_sums(sums: Frame, means: Frame, keys: Sequence[str], cfg: MethodConfig) -> pl.LazyFrame:
    """Counts, parts and scores per (keys, period) from ``sums`` (SUM_COLUMNS)
    and the hall means μ (``means``: satisfaction.hall_means or hall_means_from_sums).

    Columns: *keys, period, the COUNT_COLUMNS and POINT_COLUMNS,
    SCORE_COLUMNS, rating_sum, callback_sum.
    """
    grp = [*keys, "period"]
    w = cfg.scoring.weights
    lf = satisfaction_from_sums(sums, means, cfg).with_columns(
        on_time_rate=rate("on_time_cases", "evaluated_cases"),
        wait_rate=rate("tickets_within_target", "served_tickets"),
        one_notice_rate=rate("one_notice_cases", "completed_cases"),
        one_trip_rate=rate("one_trip_ok_cases", "one_trip_cases"),
    ).with_columns(
        timeliness=100.0
        * renormalised(
            [(pl.col("on_time_rate"), w.timeliness.on_time_rate), (pl.col("wait_rate"), w.timeliness.wait_rate)]
        ),
        quality_base=(
            100.0
            * renormalised(
                [
                    (pl.col("one_notice_rate"), w.quality_base.one_notice_rate),
                    (pl.col("one_trip_rate"), w.quality_base.one_trip_rate),
                ]
            )
        ).fill_null(100.0),
    )
    lf = lf.with_columns(
        quality=pl.max_horizontal(pl.lit(0.0), pl.col("quality_base") - pl.col("deductions")),
    ).with_columns(
        composite=renormalised(
            [
                (pl.col("timeliness"), w.composite.timeliness),
                (pl.col("quality"), w.composite.quality),
                (pl.col("satisfaction"), w.composite.satisfaction),
            ]
        )
    )
    return lf.select(*grp, *COUNT_COLUMNS, *POINT_COLUMNS, *SCORE_COLUMNS, "rating_sum", "callback_sum").sort(grp)


def entity_scores(
    facts: ScoreFacts, keys: Sequence[str], level: str, cfg: MethodConfig
) -> pl.LazyFrame:
    """scores_from_sums of the entity's sums in each period, with μ from
    every rating (callback) of the hall in that period."""
    means = hall_means(facts.ratings, callback_satisfaction_facts(facts.callbacks, cfg), level)
    return scores_from_sums(entity_sums(facts, keys, level, cfg), means, keys, cfg)


def rank_within_hall(frame: Frame, entity_col: str, cfg: MethodConfig) -> pl.LazyFrame:
    """Adds volume (evaluated_cases + ratings), eligible, rank (1 = best within
    (hall_id, period) by composite, ties by entity id; null when not eligible),
    eligible_count and list ('red' / 'black' / null).

    Eligible: volume >= min_volume and a composite. The lists take
    k = min(list_size, eligible_count // 2) windows each, so no window is on
    both: the k best are red, the k worst black.
    """
    r = cfg.scoring.ranking
    lf = frame.lazy().with_columns(volume=pl.col("evaluated_cases") + pl.col("ratings")).with_columns(
        eligible=(pl.col("volume") >= r.min_volume) & pl.col("composite").is_not_null()
    )
    grp = ["hall_id", "period"]
    ranked = (
        lf.filter(pl.col("eligible"))
        .select(*grp, entity_col, "composite")
        .sort([*grp, "composite", entity_col], descending=[False, False, True, False])
        .with_columns(
            rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(grp),
            eligible_count=pl.len().over(grp).cast(pl.Int64),
        )
        .select(*grp, entity_col, "rank", "eligible_count")
    )
    k = pl.min_horizontal(pl.lit(r.list_size, dtype=pl.Int64), pl.col("eligible_count") // 2)
    return (
        lf.join(ranked, on=[*grp, entity_col], how="left")
        .with_columns(
            list=pl.when(pl.col("rank") <= k)
            .then(pl.lit("red"))
            .when(pl.col("rank") > pl.col("eligible_count") - k)
            .then(pl.lit("black"))
            .otherwise(None)
        )
    )


def window_day_scores(facts: ScoreFacts, cfg: MethodConfig, windows: Frame | None) -> pl.LazyFrame:
    """entity_scores per (hall_id, window_id) and day, with the windows reference."""
    return _window_columns(entity_scores(facts, WINDOW_KEYS, DAY, cfg), DAY, cfg, windows)


def window_month_scores(window_months: Frame, means: Frame, cfg: MethodConfig, windows: Frame | None) -> pl.LazyFrame:
    """Monthly window scores from the windows' month sums (``month_sums`` of
    their day rows) and the hall means (``hall_means_from_sums`` of the same),
    with volume, eligible, rank, eligible_count and list."""
    return _window_columns(scores_from_sums(window_months, means, WINDOW_KEYS, cfg), MONTH, cfg, windows)


def _window_columns(lf: pl.LazyFrame, level: str, cfg: MethodConfig, windows: Frame | None) -> pl.LazyFrame:
    """dept_id and window_name from the windows reference; monthly frames
    also get volume, eligible, rank, eligible_count and list; daily frames a null rank."""
    win = reference(windows, "windows").select("hall_id", "window_id", "dept_id", "window_name", "window_type")
    lf = lf.join(win, on=list(WINDOW_KEYS), how="left")
    if level == MONTH:
        lf = rank_within_hall(lf, "window_id", cfg)
    else:
        lf = lf.with_columns(
            volume=pl.col("evaluated_cases") + pl.col("ratings"),
            eligible=pl.lit(None, dtype=pl.Boolean),
            rank=pl.lit(None, dtype=pl.Int64),
            eligible_count=pl.lit(None, dtype=pl.Int64),
            list=pl.lit(None, dtype=pl.String),
        )
    return lf.sort("period", "hall_id", "window_id")


def red_black_lists(monthly: Frame) -> pl.LazyFrame:
    """红榜 / 黑榜 per (period, hall): period, hall_id, list, list_zh, position
    (1 = best of red, 1 = worst of black), window_id, dept_id, composite, rank."""
    lf = monthly.lazy().filter(pl.col("list").is_not_null())
    return (
        lf.with_columns(
            list_zh=pl.when(pl.col("list") == "red").then(pl.lit("红榜")).otherwise(pl.lit("黑榜")),
            position=pl.when(pl.col("list") == "red")
            .then(pl.col("rank"))
            .otherwise(pl.col("eligible_count") - pl.col("rank") + 1),
        )
        .select("period", "hall_id", "list", "list_zh", "position", "window_id", "dept_id", "composite", "rank")
        .sort("period", "hall_id", "list", "position", descending=[False, False, True, False])
    )


def export_frame(scores: Frame) -> pl.DataFrame:
    """The scores export of scoring.md: exactly EXPORT_COLUMNS; scores and
    deductions rounded to 2 decimals (half away from zero), counts Int64,
    nulls left null (written as empty cells)."""
    lf = scores.lazy()
    score_cols = ["timeliness", "quality", "satisfaction", "composite", "deductions"]
    count_cols = [
        "evaluated_cases",
        "on_time_cases",
        "served_tickets",
        "tickets_within_target",
        "ratings",
        "bad_ratings",
        "callbacks",
    ]
    return (
        lf.with_columns(
            [pl.col(c).cast(pl.Float64).round(2, mode="half_away_from_zero") for c in score_cols]
            + [pl.col(c).cast(pl.Int64) for c in count_cols]
            + [pl.col("rank").cast(pl.Int64)]
        )
        .select(EXPORT_COLUMNS)
        .sort("period", "hall_id", "window_id")
        .collect()
    )


def export_csv_bytes(export: pl.DataFrame) -> bytes:
    """The export frame as CSV bytes: UTF-8 with BOM, 2 decimals, empty cells for nulls.

    (The caller writes the bytes; no file I/O here.)
    """
    text = export.write_csv(float_precision=2, null_value="")
    return b"\xef\xbb\xbf" + text.encode("utf-8")


__all__ = [
    "DAY",
    "export_csv_bytes",
    "MONTH",
    "EXPORT_COLUMNS",
    "ScoreFacts",
    "activity_days",
    "entity_scores",
    "entity_sums",
    "export_frame",
    "month_sums",
    "scores_from_sums",
    "SUM_COLUMNS",
    "rank_within_hall",
    "red_black_lists",
    "window_day_scores",
    "window_month_scores",
]
