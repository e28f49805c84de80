"""Polars expressions that turn the raw text of a cell into a typed value.

Each ``parse_*`` returns an expression that yields null where the text cannot
be parsed; validation turns "raw present but parsed null" into a quarantine
reason. Everything here is vectorised: no Python per row.
"""

from __future__ import annotations

import polars as pl

from assets.ingest import contract as c

# YYYY-MM-DD or YYYY/MM/DD, then ' ' or 'T', then H:MM[:SS[.f]], then an
# optional offset. Month, day and hour may have one digit (2026/3/5 9:05).
_TIMESTAMP_RE = (
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})"
    r"(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
# A date alone; Excel date cells read as text carry a midnight time.
_DATE_RE = r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$"

SHANGHAI_OFFSET_MINUTES = 8 * 60

TRUE_WORDS = ["true", "1", "是", "y"]
FALSE_WORDS = ["false", "0", "否", "n"]


def cleaned(col: str) -> pl.Expr:
    """The raw text stripped; empty text is null (an empty cell)."""
    text = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def parse_timestamp(col: str) -> pl.Expr:
    g = cleaned(col).str.extract_groups(_TIMESTAMP_RE)
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


def parse_date(col: str) -> pl.Expr:
    g = cleaned(col).str.extract_groups(_DATE_RE)
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


def parse_bool(col: str) -> pl.Expr:
    text = cleaned(col).str.to_lowercase()
    return pl.when(text.is_in(TRUE_WORDS)).then(True).when(text.is_in(FALSE_WORDS)).then(False)


def _integral_text(col: str) -> pl.Expr:
    """Digits with an optional sign; '3.0' (Excel numbers) counts as 3."""
    return cleaned(col).str.extract(r"^([+-]?\d+)(?:\.0+)?$", 1)


def parse_count(col: str) -> pl.Expr:
    """Any integer; the sign is checked by validation (negative count)."""
    return _integral_text(col).cast(pl.Int64, strict=False)


def parse_number(col: str) -> pl.Expr:
    return cleaned(col).cast(pl.Float64, strict=False)


def parse_score(col: str) -> pl.Expr:
    """1..5 as a number or one of the five Chinese words; range checked later."""
    text = cleaned(col)
    word = text.replace_strict(c.SCORE_WORDS, default=None, return_dtype=pl.Int64)
    return pl.coalesce(word, _integral_text(col).cast(pl.Int64, strict=False))


def parse_code(col: str, codes: dict[str, str]) -> pl.Expr:
    """English code or its Chinese word, any letter case -> the English code."""
    lookup: dict[str, str] = {}
    for code, zh in codes.items():
        lookup[code.lower()] = code
        lookup[zh.lower()] = code
    return cleaned(col).str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)


def parser_for(column: c.Column) -> pl.Expr:
    name = column.name
    match column.kind:
        case c.TIMESTAMP:
            return parse_timestamp(name)
        case c.DATE:
            return parse_date(name)
        case c.BOOL:
            return parse_bool(name)
        case c.COUNT:
            return parse_count(name)
        case c.NUMBER:
            return parse_number(name)
        case c.SCORE:
            return parse_score(name).cast(pl.Int8, strict=False)
        case c.CODE:
            return parse_code(name, column.codes)
        case _:
            return cleaned(name)


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
    "unknown_case": "办件编号不存在",
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
