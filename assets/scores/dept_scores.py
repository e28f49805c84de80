"""Per department figures (部门), from its windows' scores.

A department answers for the windows whose windows.dept_id is it (in every
hall). For a period its counts and deductions are the sums over its windows,
and each of its scores (T, Q, S, C) is the plain mean of the scores of its
windows that have that score in the period (so a department's Q is not
driven to 0 by adding up the deductions of many windows). dept_rank ranks the
departments by that mean composite (ties by dept_id), over all departments
with a composite; no volume floor.
"""

from __future__ import annotations

import polars as pl

from assets.scores._common import Frame, reference

_SUMS = (
    "evaluated_cases",
    "on_time_cases",
    "completed_cases",
    "served_tickets",
    "tickets_within_target",
    "ratings",
    "bad_ratings",
    "callbacks",
    "deductions",
)
_MEANS = ("timeliness", "quality", "satisfaction", "composite")


def _mean_in_order(col: str) -> pl.Expr:
    """The mean of the non-null values, added up smallest first.

    A float sum depends on the order of its terms, and group_by's own mean
    depends on how rows are split across threads (by a per-process hash), so
    two runs could differ in the last bit; a cumulative sum over sorted values
    is one order every time (sorting before a plain mean would be optimised away).
    """
    values = pl.col(col).drop_nulls().sort()
    return (values.cum_sum().last() / pl.col(col).count()).alias(col)


def dept_scores(window_scores: Frame, departments: Frame | None = None) -> pl.LazyFrame:
    """Columns: period, dept_id, dept_name, windows, the summed counts,
    deductions, mean timeliness/quality/satisfaction/composite, dept_rank."""
    lf = window_scores.lazy().filter(pl.col("dept_id").is_not_null())
    out = lf.group_by("period", "dept_id").agg(
        pl.len().cast(pl.Int64).alias("windows"),
        *[pl.col(c).sum() for c in _SUMS],
        *[_mean_in_order(c) for c in _MEANS],
    )
    ranked = (
        out.filter(pl.col("composite").is_not_null())
        .sort(["period", "composite", "dept_id"], descending=[False, True, False])
        .with_columns(dept_rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("period"))
        .select("period", "dept_id", "dept_rank")
    )
    dep = reference(departments, "departments").select("dept_id", "dept_name")
    return (
        out.join(ranked, on=["period", "dept_id"], how="left")
        .join(dep, on="dept_id", how="left")
        .select("period", "dept_id", "dept_name", "windows", *_SUMS, *_MEANS, "dept_rank")
        .sort("period", "dept_id")
    )
