"""Masking of a quarantined row's raw values: the JSON object of its cells
under the file's own headers (``{"case_id":"…","申请人":"张三"}``).

Masking the JSON as one text misses what the headers say: a name in a
column headed 申请人 has no cue inside its cell, and an ID-shaped case
number in case_id is no ID. So each cell is masked by what its header is:

* a contract column that is an identifier (``…_id``: case, ticket, window,
  staff numbers) stays as written: the office needs it to find the row, and
  government case numbers look like ID numbers. A reply's 整改编号 stays only
  when it has the ledger's own form (``RX-`` + 12 hex), since a department
  may type anything there;
* a phone column (the contract's 联系电话, or an extra column headed like
  one) is free text, then every number the phone patterns left keeps only
  its last four digits: a phone whatever its shape (82345678 -> ****5678);
* any other contract column is free text (``mask_text``);
* an extra column whose header names a person (申请人, 姓名, 联系人,
  ``name`` …) is a name field (``mask_name``), whatever it holds;
* every other extra column is free text.

The text is written again only when a cell changed, so an unmasked row keeps
the bytes the reader wrote.
"""

from __future__ import annotations

import json
import re

import polars as pl

from assets.ingest import contract as c

from .items import ITEM_ID_FORM
from .masking import mask_name, mask_text

_PERSON_HEADER = re.compile(
    "姓名|名字|申请人|办事人|联系人|当事人|来电人|来访人|投诉人|反映人|评价人|受访人|被访人|代理人|家属|群众|市民"
    r"|name|applicant|contact|rater|caller|person",
    re.IGNORECASE,
)
_ITEM_ID = re.compile(ITEM_ID_FORM)
# a phone column (the contract's 联系电话 of ratings and callbacks, or an
# extra column headed like one) holds a phone whatever its shape
_PHONE_HEADER = re.compile(r"电话|手机|phone|mobile|^tel", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"(?<![0-9*])\d(?:[ \-\u3000]*\d)+(?![0-9*])")  # not a masked number's part


def _mask_phone_cell(value: str) -> str:
    """A phone column's cell: masked as free text, then any run of more than
    four digits the phone patterns did not know (82345678, a number one digit
    short) keeps only its last four (****5678)."""

    def hide(m: re.Match) -> str:
        run = m.group(0)
        digits = sum(ch.isdigit() for ch in run)
        if digits <= 4:
            return run
        out, seen = [], 0
        for ch in run:
            if ch.isdigit():
                out.append("*" if seen < digits - 4 else ch)
                seen += 1
            else:
                out.append(ch)
        return "".join(out)

    return _DIGIT_RUN.sub(hide, mask_text(value))


def _contract_columns(sources) -> dict[str, str]:
    columns: dict[str, str] = {}
    for source in sources:
        columns.update(c.header_aliases(source))
    return columns


# a quarantine row's source -> its headers (normalised) -> contract column;
# reference rows all say "reference", so they get every reference file's
_COLUMNS: dict[str, dict[str, str]] = {
    **{name: _contract_columns([source]) for name, source in c.DAILY_SOURCES.items()},
    "reference": _contract_columns(c.REFERENCE_SOURCES.values()),
    c.UPDATES_SOURCE.name: _contract_columns([c.UPDATES_SOURCE]),
}


def _masked_cell(column: str | None, header: str, value):
    if not isinstance(value, str):
        return value
    if column == "item_id":
        return value if _ITEM_ID.match(value) else mask_text(value)
    if column is not None and column.endswith("_id"):
        return value
    if _PHONE_HEADER.search(header):
        return _mask_phone_cell(value)
    if column is None and _PERSON_HEADER.search(header):
        return mask_name(value)
    return mask_text(value)


def mask_raw_values(raw: str | None, source: str | None) -> str | None:
    """``raw`` (a row's cells as a JSON object) with personal data masked;
    text that is no JSON object is masked as free text."""
    if raw is None:
        return None
    try:
        cells = json.loads(raw)
    except ValueError:
        return mask_text(raw)
    if not isinstance(cells, dict):
        return mask_text(raw)
    columns = _COLUMNS.get(source or "", {})
    masked = {
        header: _masked_cell(columns.get(c.normalise_header(header)), header, value)
        for header, value in cells.items()
    }
    if masked == cells:
        return raw
    return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


def mask_raw_values_expr(raw: str = "raw_values", source: str = "source") -> pl.Expr:
    """Polars expression: ``mask_raw_values`` over the ``raw`` column, each
    distinct (raw, source) pair masked once; keeps the name ``raw``."""

    def run(rows: pl.Series) -> pl.Series:
        pairs = rows.to_frame("row").unnest("row")
        distinct = pairs.unique()
        distinct = distinct.with_columns(
            pl.Series("masked", [mask_raw_values(r, s) for r, s in distinct.iter_rows()], dtype=pl.String)
        )
        return pairs.join(distinct, on=[raw, source], how="left", nulls_equal=True, maintain_order="left")["masked"]

    return pl.struct(raw, source).map_batches(run, return_dtype=pl.String).alias(raw)
