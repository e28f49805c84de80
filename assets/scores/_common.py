"""Small shared helpers of the scoring modules (pure, polars expressions)."""

from __future__ import annotations

import functools
import operator
from datetime import date

import polars as pl

from assets.ingest.contract import DAILY_SOURCES, DEFAULT_HALL, REFERENCE_SOURCES, staged_schema

Frame = pl.DataFrame | pl.LazyFrame

DAY = "day"
MONTH = "month"
LEVELS = (DAY, MONTH)

EXCLUDED_CASE_STATUSES = ("rejected", "returned", "withdrawn")


def lazy(frame: Frame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def with_schema(frame: Frame, schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Lazy frame with every column of ``schema`` (missing ones added as nulls), cast to it.

    Extra columns are kept. Lets tests and callers pass frames carrying only
    the columns they fill in.
    """
    lf = lazy(frame)
    have = lf.collect_schema()
    exprs = []
    for name, dtype in schema.items():
        if name in have:
            if have[name] != dtype:
                exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return lf.with_columns(exprs) if exprs else lf


def daily(frame: Frame, source: str, as_of: date | None = None) -> pl.LazyFrame:
    """A staged daily source with its full schema; partitions dated after as_of dropped."""
    lf = with_schema(frame, staged_schema(source))
    if as_of is not None:
        lf = lf.filter(pl.col("partition_date").is_null() | (pl.col("partition_date") <= as_of))
    return lf


def reference(frame: Frame | None, source: str) -> pl.LazyFrame:
    schema = REFERENCE_SOURCES[source].staged_schema
    if frame is None:
        return pl.LazyFrame(schema=schema)
    lf = with_schema(frame, schema)
    if "hall_id" in schema:
        lf = lf.with_columns(hall())
    return lf


def hall(col: str = "hall_id", default: pl.Expr | str | None = None) -> pl.Expr:
    """hall_id, else ``default`` (an expression, e.g. the staff member's hall), else 'main'."""
    parts = [pl.col(col)]
    if default is not None:
        parts.append(pl.col(default) if isinstance(default, str) else default)
    parts.append(pl.lit(DEFAULT_HALL))
    return pl.coalesce(parts).alias("hall_id")


def period_expr(level: str, date_col: str = "date") -> pl.Expr:
    """'YYYY-MM-DD' for a day, 'YYYY-MM' for a month."""
    if level == DAY:
        return pl.col(date_col).dt.strftime("%Y-%m-%d").alias("period")
    if level == MONTH:
        return pl.col(date_col).dt.strftime("%Y-%m").alias("period")
    raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def renormalised(parts: list[tuple[pl.Expr, float]]) -> pl.Expr:
    """Σ wᵢ·xᵢ ÷ Σ wᵢ over the parts that are not null; null when none is.

    A missing part's weight goes to the parts that exist, in proportion.
    """
    # The weights are summed as a column: a when/then of literals comes out
    # as one scalar when its condition is the same on every row of a chunk,
    # and polars divides by a scalar as a multiplication by its reciprocal,
    # which moves the last bit, so a figure would depend on the rows computed
    # with it (a night's recompute of one month must equal a full run's).
    # Plain + adds the parts in one fixed order.
    num = functools.reduce(operator.add, [pl.when(x.is_not_null()).then(x * w).otherwise(0.0) for x, w in parts])
    den = functools.reduce(operator.add, [x.is_not_null().cast(pl.Float64) * float(w) for x, w in parts])
    return pl.when(den > 0).then(num / den).otherwise(None).cast(pl.Float64)


def rate(numerator: str, denominator: str) -> pl.Expr:
    """numerator ÷ denominator as float, null when the denominator is 0 (no data)."""
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator).cast(pl.Float64))
        .otherwise(None)
    )


def date_of(col: str) -> pl.Expr:
    return pl.col(col).dt.date()


__all__ = [
    "DAILY_SOURCES",
    "DAY",
    "MONTH",
    "EXCLUDED_CASE_STATUSES",
    "Frame",
    "daily",
    "reference",
    "hall",
    "lazy",
    "period_expr",
    "rate",
    "renormalised",
    "with_schema",
    "date_of",
]
