"""Split one file's text frame into loaded rows, quarantined rows and duplicates.

The invariant kept for every file: rows read = loaded + quarantined +
duplicates removed. A row is quarantined for its first problem (in column
order); ``detail`` lists every problem the row has, in Chinese, so the office
can fix the source in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from assets.ingest import contract as c
from assets.ingest.parsing import (
    FAST_KINDS,
    PARSE_FAILURE_REASON,
    REASONS,
    empty_as_null,
    fast_parser,
    parser_for,
    staged_value,
    stripped,
    typed_parser,
)
from assets.ingest.readers import ROW_NUMBER, FileRejected, as_text

KEY_SEP = "\x1f"

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "file": pl.String(),
    "partition_date": pl.Date(),
    "row": pl.Int64(),
    "reason": pl.String(),
    "detail": pl.String(),
    "raw_values": pl.String(),  # JSON object: the row's cells under the file's own headers
}


@dataclass(frozen=True)
class ReferenceKeys:
    """What codes in daily rows are checked against."""

    halls: frozenset[str]
    windows: frozenset[str]  # hall_id + KEY_SEP + window_id
    staff_hall: dict[str, str]  # staff_id -> hall_id
    matters: frozenset[str]

    @classmethod
    def empty(cls) -> "ReferenceKeys":
        return cls(frozenset(), frozenset(), {}, frozenset())


@dataclass
class ValidatedFile:
    loaded: pl.DataFrame
    quarantined: pl.DataFrame
    rows_read: int
    duplicates_removed: int


def map_headers(source: c.Source, headers: list[str]) -> dict[str, str]:
    """Canonical column -> the file's header for it (first one wins)."""
    aliases = c.header_aliases(source)
    found: dict[str, str] = {}
    for header in headers:
        canonical = aliases.get(c.normalise_header(header))
        if canonical and canonical not in found:
            found[canonical] = header
    return found


def missing_required(source: c.Source, mapping: dict[str, str]) -> list[c.Column]:
    return [col for col in source.columns if col.required and col.name not in mapping]


def describe_columns(columns: list[c.Column]) -> str:
    return "、".join(f"{col.name}（{col.zh}）" for col in columns)


def validate_file(
    source: c.Source,
    frame: pl.DataFrame,
    reference: ReferenceKeys,
    file_name: str,
    partition_date: date | None,
) -> ValidatedFile:
    raw_headers = [h for h in frame.columns if h != ROW_NUMBER]
    mapping = map_headers(source, raw_headers)
    missing = missing_required(source, mapping)
    if missing:
        raise FileRejected(f"缺少必需列 missing required columns: {describe_columns(missing)}")

    rows_read = frame.height
    first = first_occurrences(frame, raw_headers, mapping.get(source.key) if source.key else None)
    duplicates = rows_read - first.height

    checked = parse_columns(source, first, mapping).with_columns(*_hall_resolution(source, reference))
    problems = _problems(source, reference) + _after_export_day(source, partition_date)
    reason = pl.coalesce([code for code, _ in problems]) if problems else pl.lit(None, pl.String)
    is_bad = checked.select(reason.is_not_null()).to_series()

    loaded = checked.filter(~is_bad).select(
        *[_staged_value(source, col) for col in source.columns],
        pl.lit(partition_date, pl.Date).alias("partition_date"),
        pl.lit(file_name).alias("source_file"),
        pl.col(ROW_NUMBER).alias("source_row"),
    )
    # Reasons are worded and raw cells written out for the bad rows only:
    # a few rows, where doing it for every row cost as much as the parsing.
    bad = _as_raw_text(checked.filter(is_bad), [col.name for col in source.columns])
    raw_values = raw_values_by_row(first.filter(is_bad)).select("raw_values")
    quarantined = (
        bad.select(
            pl.lit(source.name).alias("source"),
            pl.lit(file_name).alias("file"),
            pl.lit(partition_date, pl.Date).alias("partition_date"),
            pl.col(ROW_NUMBER).alias("row"),
            reason.alias("reason"),
            _detail(problems).alias("detail"),
        )
        .hstack(raw_values)
        .cast(QUARANTINE_SCHEMA)
    )
    return ValidatedFile(loaded, quarantined, rows_read, duplicates)


def first_occurrences(frame: pl.DataFrame, raw_headers: list[str], key_header: str | None) -> pl.DataFrame:
    """The rows that are not an exact duplicate (identical in every cell,
    extra columns included) of an earlier row."""
    if not raw_headers:
        return frame
    is_first = pl.struct(raw_headers).is_first_distinct()
    if key_header is None:
        return frame.filter(is_first)
    # Identical rows share their id, so only rows whose id repeats need the
    # whole-row comparison; in a real export they are few or none.
    repeated = frame.select(pl.col(key_header).is_duplicated()).to_series()
    if not repeated.any():
        return frame
    dropped = frame.filter(repeated).filter(~is_first)[ROW_NUMBER]
    return frame.filter(~pl.col(ROW_NUMBER).is_in(dropped.implode()))


def parse_columns(source: c.Source, first: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    """``__row``, each contract column as cleaned text (or as its typed cell),
    and ``__v_<column>``: the parsed value, null where the cell cannot be read.

    Each step is materialised: polars evaluates every branch of when/then and
    coalesce, so the general parsers must see a column already nulled where
    the fast pass succeeded, or they would run over every cell anyway.
    """
    dtypes = first.schema
    cells, text, values, fast_columns = [], [], [], []
    for col in source.columns:
        name, value = col.name, f"__v_{col.name}"
        header = mapping.get(name)
        dtype = dtypes[header] if header is not None else pl.String()
        typed = None if dtype == pl.String else typed_parser(col.kind, dtype)
        if header is None:
            cells.append(pl.lit(None, pl.String).alias(name))
        elif typed is not None:
            cells.append(pl.col(header).alias(name))
        else:
            cells.append(stripped(as_text(header, dtype)).alias(name))
            text.append(empty_as_null(pl.col(name)).alias(name))

        if typed is not None:
            values.append(typed(pl.col(name)).alias(value))
        elif col.kind in FAST_KINDS:
            values.append(fast_parser(col.kind, pl.col(name)).alias(value))
            fast_columns.append(col)
        else:
            values.append(parser_for(col, pl.col(name)).alias(value))
    parsed = first.select(pl.col(ROW_NUMBER), *cells).with_columns(text).with_columns(values)
    parsed = parsed.with_columns(_general_pass(parsed, fast_columns))
    return parsed.with_columns(staged_value(col.kind, pl.col(f"__v_{col.name}")) for col in source.columns)


def _general_pass(parsed: pl.DataFrame, columns: list[c.Column]) -> list[pl.Expr]:
    """The general parser over the cells the fast pass left, for the columns
    that have any (most files have none)."""
    left = {col.name: pl.col(f"__v_{col.name}").is_null() & pl.col(col.name).is_not_null() for col in columns}
    if not left:
        return []
    has_left = parsed.select(mask.any().alias(name) for name, mask in left.items()).row(0, named=True)
    out = []
    for col in columns:
        if has_left[col.name]:
            value = pl.col(f"__v_{col.name}")
            rest = pl.when(value.is_null()).then(pl.col(col.name))
            out.append(pl.coalesce(value, parser_for(col, rest)).alias(value.meta.output_name()))
    return out


def raw_values_by_row(frame: pl.DataFrame) -> pl.DataFrame:
    """Each row of a file as read (``__row`` -> ``raw_values``): its cells as
    text under the file's own headers, the JSON a quarantined row shows."""
    headers = [h for h in frame.columns if h != ROW_NUMBER]
    return _as_raw_text(frame, headers).select(
        pl.col(ROW_NUMBER), pl.struct(headers).struct.json_encode().alias("raw_values")
    )


def _as_raw_text(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Typed cells (Parquet) among ``names`` turned into the text they stand for."""
    dtypes = frame.schema
    return frame.with_columns(as_text(name, dtypes[name]) for name in names if dtypes[name] != pl.String)


def _detail(problems: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    if not problems:
        return pl.lit(None, pl.String)
    return pl.concat_str([text for _, text in problems], separator="；", ignore_nulls=True)


def _staged_value(source: c.Source, col: c.Column) -> pl.Expr:
    value = pl.col(f"__v_{col.name}").cast(col.dtype)
    if (source.name, col.name) in c.EMPTY_MEANS_FALSE:
        value = value.fill_null(False)
    return value.alias(col.name)


def _hall_resolution(source: c.Source, reference: ReferenceKeys) -> list[pl.Expr]:
    """Fill __v_hall_id: the row's own, else the staff member's hall, else main."""
    if not source.daily or "hall_id" not in {col.name for col in source.columns}:
        return []
    given = pl.col("__v_hall_id")
    if source.name in ("attendance", "leave"):
        staff_hall = pl.col("__v_staff_id").replace_strict(reference.staff_hall, default=None, return_dtype=pl.String)
        return [pl.coalesce(given, staff_hall, pl.lit(c.DEFAULT_HALL)).alias("__v_hall_id")]
    if source.name == "callbacks":
        # A callback's hall is its case's; it is filled in when matched to the case.
        return []
    return [pl.coalesce(given, pl.lit(c.DEFAULT_HALL)).alias("__v_hall_id")]


def _problem(code: str, condition: pl.Expr, column: c.Column | None, raw: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    label = f"{column.name}（{column.zh}）" if column else ""
    parts = [pl.lit(f"{label}{REASONS[code]}")]
    if raw is not None:
        parts += [pl.lit("：'"), raw.fill_null(""), pl.lit("'")]
    text = pl.concat_str(parts)
    return (
        pl.when(condition).then(pl.lit(code)),
        pl.when(condition).then(text),
    )


def _problems(source: c.Source, ref: ReferenceKeys) -> list[tuple[pl.Expr, pl.Expr]]:
    out: list[tuple[pl.Expr, pl.Expr]] = []
    names = {col.name for col in source.columns}
    for col in source.columns:
        raw = pl.col(col.name)  # cleaned text, or a typed cell
        value = pl.col(f"__v_{col.name}")
        empty_is_false = (source.name, col.name) in c.EMPTY_MEANS_FALSE
        if col.required and not empty_is_false:
            out.append(_problem("missing_value", raw.is_null(), col))
        if col.kind != c.TEXT:
            failure = PARSE_FAILURE_REASON[col.kind]
            out.append(_problem(failure, raw.is_not_null() & value.is_null(), col, raw))
        if col.kind == c.COUNT:
            out.append(_problem("negative_count", value < 0, col, raw))
        if col.kind == c.NUMBER:
            out.append(_problem("out_of_range", value < 0, col, raw))
        if col.kind == c.SCORE:
            out.append(_problem("out_of_range", (value < 1) | (value > 5), col, raw))

    if source.daily:  # reference tables are linked to each other in reference.py
        out += _reference_problems(source, ref, names)
    out += _order_problems(source)
    if source.name == "cases":
        completed_without_time = (pl.col("__v_status") == "completed") & pl.col("__v_completed_at").is_null()
        out.append(_problem("missing_value", completed_without_time, source.column("completed_at")))
    return out


def _reference_problems(source: c.Source, ref: ReferenceKeys, names: set[str]) -> list[tuple[pl.Expr, pl.Expr]]:
    out = []
    hall = pl.col("__v_hall_id")
    if "hall_id" in names:
        unknown_hall = hall.is_not_null() & ~hall.is_in(list(ref.halls))
        out.append(_problem("unknown_code", unknown_hall, source.column("hall_id"), hall))
    if "window_id" in names:
        window = pl.col("__v_window_id")
        key = pl.concat_str([hall, pl.lit(KEY_SEP), window])
        out.append(
            _problem(
                "unknown_code",
                window.is_not_null() & hall.is_not_null() & ~key.is_in(list(ref.windows)),
                source.column("window_id"),
                window,
            )
        )
    if "staff_id" in names:
        staff = pl.col("__v_staff_id")
        out.append(
            _problem("unknown_code", staff.is_not_null() & ~staff.is_in(list(ref.staff_hall)), source.column("staff_id"), staff)
        )
    if "matter_code" in names:
        matter = pl.col("__v_matter_code")
        out.append(
            _problem("unknown_code", matter.is_not_null() & ~matter.is_in(list(ref.matters)), source.column("matter_code"), matter)
        )
    return out


# (earlier, later) pairs: the later time must not come before the earlier one.
TIME_ORDER = {
    "cases": [("received_at", "completed_at")],
    "queue": [("issued_at", "called_at"), ("called_at", "finished_at"), ("issued_at", "finished_at")],
    "leave": [("leave_start", "leave_end")],
}


# A day's export holds what happened by the end of that day (inputs.md: the
# file's date is its export date), so a later time is a mistyped one: a case
# version dated 2062 would hide its case until then, a ticket or rating
# would count in a month that has not come. Leave is planned ahead, and may
# lie in the future.
PLANNED_AHEAD = {"leave"}


def _after_export_day(source: c.Source, partition_date: date | None) -> list[tuple[pl.Expr, pl.Expr]]:
    if partition_date is None or source.name in PLANNED_AHEAD:
        return []
    next_day = datetime.combine(partition_date + timedelta(days=1), time())
    return [
        _problem("after_export_day", pl.col(f"__v_{col.name}") >= next_day, col, pl.col(col.name))
        for col in source.columns
        if col.kind == c.TIMESTAMP
    ]


def _order_problems(source: c.Source) -> list[tuple[pl.Expr, pl.Expr]]:
    out = []
    for earlier, later in TIME_ORDER.get(source.name, []):
        cond = pl.col(f"__v_{later}") < pl.col(f"__v_{earlier}")
        out.append(_problem("finish_before_start", cond, source.column(later), pl.col(later)))
    return out
