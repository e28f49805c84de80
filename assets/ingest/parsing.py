"""Polars expressions that turn the raw text of a cell into a typed value.

Each parser yields null where the text cannot be parsed; validation turns
"raw present but parsed null" into a quarantine reason. Everything here is
vectorised: no Python per row.

Parsing runs in two passes (see ``validate.parse_columns``). The fast pass
reads the one form nearly every cell has (``2026-03-05 09:00:07``, ``7``) with
a plain strptime or cast, and only where the text is exactly in that form, so
it accepts nothing the general parser would read differently. The general
pass (regexes) then sees only the cells the fast pass left null; on the few
odd cells of a real export it costs next to nothing, where running it over
every cell cost seconds per file.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from assets.ingest import contract as c

# An offset in use on Earth: -12:00 to +14:00, minutes 00-59. Any other
# (+25:00, +08:60, -13:00) leaves the text unmatched: an impossible time. Said
# in the regex, which runs anyway, rather than by checks on every row.
_OFFSET_RE = (
    r"[+-](?:0\d|1[01])(?::?[0-5]\d)?"  # -11:59 .. +11:59
    r"|\+1[23](?::?[0-5]\d)?"  # +12:00 .. +13:59
    r"|\+14(?::?00)?|-12(?::?00)?"
)
# YYYY-MM-DD or YYYY/MM/DD, then ' ' or 'T', then H:MM[:SS[.f]], then an
# optional offset. Month, day and hour may have one digit (2026/3/5 9:05).
# Minutes and seconds stop at 59: strptime would take a 60th second and roll
# it over into the next minute (23:59:60 into the next year).
_TIMESTAMP_RE = (
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):([0-5]\d)"
    rf"(?::([0-5]\d)(?:[.,](\d{{1,9}}))?)?\s*(Z|z|{_OFFSET_RE})?$"
)
# A date alone; Excel date cells read as text carry a midnight time.
_DATE_RE = r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"

# The forms the fast pass reads, as a format and as an exact shape (ASCII
# digits). Text of that shape matches the regexes above with every part
# already two digits wide, so the general parser would hand strptime the very
# same text: both passes give the same value.
CANONICAL_TIMESTAMP = "%Y-%m-%d %H:%M:%S"
CANONICAL_TIMESTAMP_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-5][0-9]:[0-5][0-9]$"
CANONICAL_DATE = "%Y-%m-%d"
CANONICAL_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

SHANGHAI_OFFSET_MINUTES = 8 * 60

TRUE_WORDS = ["true", "1", "是", "y"]
FALSE_WORDS = ["false", "0", "否", "n"]

# Kinds whose cells go through the fast pass before the general one.
FAST_KINDS = (c.TIMESTAMP, c.DATE, c.COUNT, c.SCORE)


# A cell is cleaned in two steps, each materialised by validation: the strip
# copies every string, so it must run once per column, not once per use.
def stripped(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars()


def empty_as_null(text: pl.Expr) -> pl.Expr:
    """Stripped text that is empty is an empty cell (null)."""
    return pl.when(text.str.len_bytes() > 0).then(text)


# ---- fast pass: the canonical form only, on cleaned text ---------------------


def fast_timestamp(text: pl.Expr) -> pl.Expr:
    value = text.str.strptime(pl.Datetime("us"), CANONICAL_TIMESTAMP, strict=False)
    return pl.when(text.str.contains(CANONICAL_TIMESTAMP_SHAPE)).then(value)


def fast_date(text: pl.Expr) -> pl.Expr:
    value = text.str.strptime(pl.Date, CANONICAL_DATE, strict=False)
    return pl.when(text.str.contains(CANONICAL_DATE_SHAPE)).then(value)


def fast_integer(text: pl.Expr) -> pl.Expr:
    """Plain digits ('7', '-2'): those whose value written back is the text.
    '+7', '07' and '7.0' are left to the general pass."""
    value = text.cast(pl.Int64, strict=False)
    return pl.when(value.cast(pl.String) == text).then(value)


def fast_parser(kind: str, text: pl.Expr) -> pl.Expr:
    match kind:
        case c.TIMESTAMP:
            return fast_timestamp(text)
        case c.DATE:
            return fast_date(text)
        case c.COUNT | c.SCORE:
            return fast_integer(text)
    raise ValueError(f"no fast pass for {kind}")


# ---- typed cells (Parquet): already values, no text to parse -----------------


def _year_in_text_range(value: pl.Expr) -> pl.Expr:
    # As text these cells would carry a 4-digit year or fail to parse.
    return pl.when(value.dt.year().is_between(0, 9999)).then(value)


def typed_parser(kind: str, dtype: pl.DataType) -> Callable[[pl.Expr], pl.Expr] | None:
    """For a typed (non-text) cell of this kind, a function column -> value
    giving what the cell's text would have parsed to; None when the cell has
    to go through its text instead."""
    if kind == c.TIMESTAMP and isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return lambda col: _year_in_text_range(col.cast(pl.Datetime("us")))
    if kind == c.DATE and dtype == pl.Date:
        return _year_in_text_range
    if kind == c.BOOL and dtype == pl.Boolean:
        return lambda col: col
    if kind in (c.COUNT, c.SCORE) and dtype.is_integer():
        return lambda col: col.cast(pl.Int64, strict=False)
    return None


# ---- general pass: every accepted form, on cleaned text ----------------------


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    g = text.str.extract_groups(_TIMESTAMP_RE)
    parts = [g.struct.field(str(i)) for i in range(1, 9)]
    year, month, day, hour, minute, second, fraction, offset = parts
    canonical = pl.concat_str(
        [
            year,
            pl.lit("-"),
            month.str.zfill(2),
            pl.lit("-"),
            day.str.zfill(2),
            pl.lit(" "),
            hour.str.zfill(2),
            pl.lit(":"),
            minute,
            pl.lit(":"),
            second.fill_null("00"),
        ]
    )
    # strict=False: impossible dates (2026-02-30) and hours (25:00) become null.
    base = canonical.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    micros = fraction.str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64).fill_null(0)
    offset_minutes = _offset_minutes(offset)
    shift = pl.when(offset.is_null()).then(0).otherwise(SHANGHAI_OFFSET_MINUTES - offset_minutes)
    return base + pl.duration(microseconds=micros) + pl.duration(minutes=shift)


def _offset_minutes(offset: pl.Expr) -> pl.Expr:
    digits = offset.str.replace(":", "")
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    hours = digits.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0)
    minutes = digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    return pl.when(offset.str.to_lowercase() == "z").then(0).otherwise(sign * (hours * 60 + minutes))


def parse_date(text: pl.Expr) -> pl.Expr:
    g = text.str.extract_groups(_DATE_RE)
    text = pl.concat_str(
        [
            g.struct.field("1"),
            pl.lit("-"),
            g.struct.field("2").str.zfill(2),
            pl.lit("-"),
            g.struct.field("3").str.zfill(2),
        ]
    )
    return text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def parse_bool(text: pl.Expr) -> pl.Expr:
    text = text.str.to_lowercase()
    return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False)


def _integral_text(text: pl.Expr) -> pl.Expr:
    """Digits with an optional sign; '3.0' (Excel numbers) counts as 3."""
    return text.str.extract(r"^([+-]?\d+)(?:\.0+)?$", 1)


def parse_count(text: pl.Expr) -> pl.Expr:
    """Any integer; the sign is checked by validation (negative count)."""
    return _integral_text(text).cast(pl.Int64, strict=False)


def parse_number(text: pl.Expr) -> pl.Expr:
    """A finite number: the cast reads 'nan' and 'inf' too, which are none."""
    value = text.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def parse_score(text: pl.Expr) -> pl.Expr:
    """1..5 as a number or one of the five Chinese words; range checked later."""
    word = text.replace_strict(c.SCORE_WORDS, default=None, return_dtype=pl.Int64)
    return pl.coalesce(word, _integral_text(text).cast(pl.Int64, strict=False))


def parse_code(text: pl.Expr, codes: dict[str, str]) -> pl.Expr:
    """English code or its Chinese word, any letter case -> the English code."""
    lookup: dict[str, str] = {}
    for code, zh in codes.items():
        lookup[code.lower()] = code
        lookup[zh.lower()] = code
    return text.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)


def parser_for(column: c.Column, text: pl.Expr) -> pl.Expr:
    """The general parser of the column's kind over cleaned text."""
    match column.kind:
        case c.TIMESTAMP:
            return parse_timestamp(text)
        case c.DATE:
            return parse_date(text)
        case c.BOOL:
            return parse_bool(text)
        case c.COUNT:
            return parse_count(text)
        case c.NUMBER:
            return parse_number(text)
        case c.SCORE:
            return parse_score(text)
        case c.CODE:
            return parse_code(text, column.codes)
        case _:
            return text


def staged_value(kind: str, value: pl.Expr) -> pl.Expr:
    """The parsed value narrowed to what is staged; a score past Int8 is null."""
    return value.cast(pl.Int8, strict=False) if kind == c.SCORE else value


# Reason codes of quarantined rows, each with a Chinese label for the office.
REASONS = {
    "missing_value": "必填项为空",
    "bad_timestamp": "时间无法识别",
    "bad_date": "日期无法识别",
    "bad_boolean": "是/否值无法识别",
    "bad_number": "数值无法识别",
    "negative_count": "次数为负数",
    "out_of_range": "数值超出范围",
    "unknown_code": "代码不存在",
    "finish_before_start": "结束早于开始",
    "after_export_day": "晚于文件的导出日期",
    "unknown_case": "找不到办件",
    "case_in_other_hall": "与办件所属大厅不一致",
    "duplicate_key": "编号重复",
}

PARSE_FAILURE_REASON = {
    c.TIMESTAMP: "bad_timestamp",
    c.DATE: "bad_date",
    c.BOOL: "bad_boolean",
    c.COUNT: "bad_number",
    c.NUMBER: "bad_number",
    c.SCORE: "out_of_range",
    c.CODE: "unknown_code",
}
