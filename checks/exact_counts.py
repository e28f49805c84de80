"""Every suite rule counted exactly over all rows, in polars, and the GX sample.

Great Expectations validates pandas frames; converting a city-year run (27 M
case versions) to pandas took ~12 GiB and ~1 min. So GX validates at most a
bounded sample of a large run (``sample``), and this module counts, for every
rule of the suite, the rows that break it over *all* rows of the run, in one
streaming polars pass over only the columns the suite names
(``count_unexpected``). A bad row outside the sample still fails the check.

Each rule's polars predicate mirrors what GX does over pandas: nulls (and NaN
in a float column, which pandas treats as null) are left to the not-null rule;
a pair is compared only when both values are present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # gx_suites imports this module
    from checks.gx_suites import Rule

# A row is in the sample when its hash falls below a threshold. The hash is
# plain integer arithmetic on the row's lineage (day, row number in its file):
# the same row is sampled the same way on every run and every library version,
# and the golden-ratio multiplier spreads the chosen rows evenly within each
# day instead of in runs of neighbours.
_PRIME = 2_147_483_647  # 2**31 - 1: every product below stays under 2**62
_MULTIPLIER = 1_327_217_885  # ~ _PRIME / golden ratio
_ROWS_PER_DAY = 1_000_003  # spacing of days in the key; a file has fewer rows


@dataclass
class ExactCounts:
    """Rows of the run and, per rule (by position in the suite), rows breaking it."""

    rows: int
    unexpected: dict[int, int] = field(default_factory=dict)  # rule index -> rows
    first_day: date | None = None
    last_day: date | None = None


def _present(column: str, schema: pl.Schema) -> pl.Expr:
    col = pl.col(column)
    if schema[column].is_float():
        return col.is_not_null() & col.is_not_nan()
    return col.is_not_null()


def _countable(rule: Rule, schema: pl.Schema) -> bool:
    """Whether polars can count ``rule`` on these dtypes; a staged frame always
    has the contract's, but a frame with a column of another type is left to
    GX, which reports the error instead of this pass raising one."""
    dtypes = [schema[col] for col in rule.columns]
    if rule.expectation == "ExpectColumnValuesToBeInSet":
        return dtypes[0] == pl.String
    if rule.expectation == "ExpectColumnValuesToBeBetween":
        return dtypes[0].is_numeric()
    if rule.expectation == "ExpectColumnPairValuesAToBeGreaterThanB":
        return all(d.is_temporal() for d in dtypes) or all(d.is_numeric() for d in dtypes)
    return True


def unexpected(rule: Rule, schema: pl.Schema) -> pl.Expr | None:
    """True where the row breaks ``rule``; None for a rule on the schema itself
    (``ExpectColumnToExist``), on a column the frame lacks or of a type the
    rule does not fit."""
    if rule.expectation == "ExpectColumnToExist" or any(col not in schema for col in rule.columns):
        return None
    if not _countable(rule, schema):
        return None
    kw = rule.kwargs
    if rule.expectation == "ExpectColumnValuesToNotBeNull":
        return ~_present(kw["column"], schema)
    if rule.expectation == "ExpectColumnValuesToBeInSet":
        col = pl.col(kw["column"])
        return col.is_not_null() & ~col.is_in(list(kw["value_set"]))
    if rule.expectation == "ExpectColumnValuesToBeBetween":
        col = pl.col(kw["column"])
        outside = pl.lit(False)
        if kw.get("min_value") is not None:
            outside = outside | (col < kw["min_value"])
        if kw.get("max_value") is not None:
            outside = outside | (col > kw["max_value"])
        return _present(kw["column"], schema) & outside
    if rule.expectation == "ExpectColumnPairValuesAToBeGreaterThanB":
        assert kw.get("ignore_row_if") == "either_value_is_missing", rule
        a, b = pl.col(kw["column_A"]), pl.col(kw["column_B"])
        below = a < b if kw.get("or_equal") else a <= b
        return _present(kw["column_A"], schema) & _present(kw["column_B"], schema) & below
    raise ValueError(f"no polars count for {rule.expectation}")  # suite_rules makes no other


def count_unexpected(rules: list[Rule], frame: pl.LazyFrame) -> ExactCounts:
    """One streaming pass: the run's rows, its first and last day, and per rule
    the rows that break it."""
    schema = frame.collect_schema()
    exprs = [pl.len().alias("rows")]
    counted: list[int] = []
    for i, rule in enumerate(rules):
        expr = unexpected(rule, schema)
        if expr is not None:
            exprs.append(expr.sum().alias(f"r{i}"))
            counted.append(i)
    if "partition_date" in schema:
        day = pl.col("partition_date")
        exprs += [day.min().alias("first_day"), day.max().alias("last_day")]
    row = frame.select(exprs).collect(engine="streaming").row(0, named=True)
    return ExactCounts(
        rows=int(row["rows"]),
        unexpected={i: int(row[f"r{i}"] or 0) for i in counted},
        first_day=row.get("first_day"),
        last_day=row.get("last_day"),
    )


def examples(rule: Rule, frame: pl.LazyFrame, limit: int) -> list:
    """The first ``limit`` values (pairs for a pair rule) breaking ``rule``, in
    row order, as GX's partial_unexpected_list would list them."""
    expr = unexpected(rule, frame.collect_schema())
    if expr is None:
        return []
    found = frame.filter(expr).select(rule.columns).head(limit).collect(engine="streaming")
    if len(rule.columns) == 1:
        return found.to_series().to_list()
    return list(found.iter_rows())


def sample(frame: pl.LazyFrame, rows: int, limit: int) -> pl.LazyFrame:
    """About ``limit`` of the frame's ``rows`` rows, the same ones on every run:
    all of them when ``rows <= limit``, else a fraction of every day."""
    if rows <= limit:
        return frame
    threshold = math.ceil(limit / rows * _PRIME)
    schema = frame.collect_schema()
    if "partition_date" in schema and "source_row" in schema:
        key = (
            pl.col("partition_date").cast(pl.Int32).cast(pl.Int64) * _ROWS_PER_DAY
            + pl.col("source_row").cast(pl.Int64)
        )
    else:  # no lineage (not a staged frame): the position in the frame
        key = pl.int_range(pl.len(), dtype=pl.Int64)
    chosen = ((key % _PRIME).abs() * _MULTIPLIER) % _PRIME < threshold
    return frame.filter(chosen)
