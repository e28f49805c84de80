"""Per staff member scores (服务明星 service stars).

The same method as for windows, keyed by (hall_id, staff_id):
- T: cases the staff member handled (cases.staff_id), by evaluation date;
  queue tickets carry no staff, so wait_rate never exists and its weight
  goes to on_time_rate.
- Q: base over the cases they completed; deductions = their own attendance
  days, monitoring events naming them, verified callback problems on cases
  they handled.
- S: ratings naming them (ratings.staff_id) and callbacks on their cases,
  shrunk towards the mean of ALL ratings (callbacks) of the hall in the period.
- Monthly rank within the hall with the same min volume (evaluated cases +
  ratings); service_star = rank <= list_size.
"""

from __future__ import annotations

import polars as pl

from assets.method_config import MethodConfig
from assets.scores._common import DAY, MONTH, Frame, reference
from assets.scores.composite import ScoreFacts, entity_scores, rank_within_hall, scores_from_sums

STAFF_KEYS = ("hall_id", "staff_id")


def staff_day_scores(facts: ScoreFacts, cfg: MethodConfig, staff: Frame | None) -> pl.LazyFrame:
    """entity_scores per (hall_id, staff_id) and day plus staff_name,
    dept_id, usual_window_id, role."""
    return _staff_columns(entity_scores(facts, STAFF_KEYS, DAY, cfg), DAY, cfg, staff)


def staff_month_scores(staff_months: Frame, means: Frame, cfg: MethodConfig, staff: Frame | None) -> pl.LazyFrame:
    """Monthly staff scores from the staff members' month sums (``month_sums``
    of their day rows) and the month's hall means (from the windows' sums:
    every rating of the hall, as for the days); volume, eligible, rank,
    service_star."""
    return _staff_columns(scores_from_sums(staff_months, means, STAFF_KEYS, cfg), MONTH, cfg, staff)


def _staff_columns(lf: pl.LazyFrame, level: str, cfg: MethodConfig, staff: Frame | None) -> pl.LazyFrame:
    st = reference(staff, "staff").select(
        "staff_id", "staff_name", "dept_id", pl.col("window_id").alias("usual_window_id"), "role"
    )
    lf = lf.join(st, on="staff_id", how="left")
    if level == MONTH:
        lf = rank_within_hall(lf, "staff_id", cfg).drop("list").with_columns(
            service_star=(pl.col("rank") <= cfg.scoring.ranking.list_size).fill_null(False)
        )
    else:
        lf = lf.with_columns(
            volume=pl.col("evaluated_cases") + pl.col("ratings"),
            rank=pl.lit(None, dtype=pl.Int64),
            service_star=pl.lit(False),
        )
    return lf.sort("period", "hall_id", "staff_id")
