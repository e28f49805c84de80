"""The data rows of a department sheet as SpreadsheetML, built column-wise.

xlsxwriter spends about 10 µs of Python per cell; a department of 100 k
items has 1.7 M cells. So department_lists.py lets xlsxwriter write the
workbook shell (styles, header, widths, frozen pane, filter, drop-down, the
notes sheet) and this module writes the ``<row>`` elements with polars
expressions, then splices them into the sheet part of the finished file.

The cells are what xlsxwriter's constant_memory mode writes for the same
calls: strings inline (``t="inlineStr"``, control characters as ``_xHHHH_``,
a literal ``_xHHHH_`` as ``_x005F_xHHHH_``, ``xml:space="preserve"`` for
leading or trailing white space, ``& < >`` escaped), dates as serial-day
numbers, empty cells as ``<c r=".." s=".."/>`` carrying their format.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Collection, Iterator, Mapping, Sequence

import polars as pl
from isal import isal_zlib

# rows per slice: bounds the memory of one slice's XML (~1 KB a row)
SLICE_ROWS = 50_000
# Excel's limit on the characters in a cell (xlsxwriter truncates the same way)
MAX_CELL_CHARS = 32767
_CONTROL = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_CONTROL_RE = "[" + "".join(f"\\x{{{c:02X}}}" for c in _CONTROL) + "]"


def column_letter(j: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        s = chr(65 + rem) + s
    return s


# Anything a text cell may need beyond being copied: a literal ``_x``, a
# control character, markup, white space at either end. Most columns (ids,
# codes, the descriptions we write) have none of it, and one search over
# the column for all of it costs what each of the separate passes did.
_NEEDS_WORK_RE = r"_x|" + _CONTROL_RE + r"|[&<>]|^\s|\s$"


def escape_cell_text(sheet: pl.DataFrame, columns: Sequence[str]) -> tuple[pl.DataFrame, frozenset[str]]:
    """Text columns as they go inside ``<t>``: truncated, control characters
    and ``&<>`` escaped; and the columns with a ``_<column>_preserve`` flag
    (white space at an end of some cell), which ``row_xml`` is told of.

    A column none of whose cells needs anything is left as it is after one
    search; otherwise each pass runs only if that column needs it (every
    pass copies the column)."""
    exprs, worked = [], []
    for c in columns:
        col = sheet.get_column(c)
        e = pl.col(c)
        if (col.str.len_bytes().max() or 0) > MAX_CELL_CHARS:  # bytes >= characters
            e = e.str.slice(0, MAX_CELL_CHARS)
        elif not col.str.contains(_NEEDS_WORK_RE).any():
            continue
        if col.str.contains("_x", literal=True).any():
            e = e.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1")
        if col.str.contains(_CONTROL_RE).any():
            for code in _CONTROL:
                e = e.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
        exprs.append(e.alias(c))
        worked.append(c)
    escaped = sheet.with_columns(exprs)
    flags = escaped.select([pl.col(c).str.contains(r"^\s|\s$").fill_null(False).alias(f"_{c}_preserve") for c in worked])
    preserved = [c for c in worked if flags.get_column(f"_{c}_preserve").any()]
    markup = [c for c in worked if escaped.get_column(c).str.contains("[&<>]").any()]
    return escaped.with_columns(
        [flags.get_column(f"_{c}_preserve") for c in preserved]
        + [pl.col(c).str.replace_all("&", "&amp;", literal=True)
           .str.replace_all("<", "&lt;", literal=True)
           .str.replace_all(">", "&gt;", literal=True).alias(c) for c in markup]
    ), frozenset(preserved)


def row_xml(columns: Sequence[tuple[str, str]], blanks: Sequence[str], preserved: Collection[str] = frozenset()) -> pl.Expr:
    """One ``<row>`` string per frame row.

    ``columns``: (column, kind) with kind ``text`` / ``wrap`` (String, after
    ``escape_cell_text``) or ``date`` (serial day, Int64); then one empty
    reply cell per kind in ``blanks`` (e.g. text, wrap, text, datetime).
    The frame also has ``_r`` (the sheet row number) and ``_style_<kind>``
    (the row's style index for kinds text, wrap, date, datetime), as text;
    ``row_slices`` adds them."""
    r = pl.col("_r")

    def open_cell(j: int, kind: str) -> list[pl.Expr]:
        return [pl.lit(f'<c r="{column_letter(j)}'), r, pl.lit('" s="'), pl.col(f"_style_{kind}")]

    def blank(j: int, kind: str) -> pl.Expr:
        return pl.concat_str([*open_cell(j, kind), pl.lit('"/>')])

    parts: list[pl.Expr] = [pl.lit('<row r="'), r, pl.lit('">')]
    for j, (col, kind) in enumerate(columns):
        v = pl.col(col)
        if kind == "date":
            filled = pl.concat_str([*open_cell(j, "date"), pl.lit('"><v>'), v.cast(pl.String), pl.lit("</v></c>")])
        else:
            if col in preserved:
                preserve = pl.when(pl.col(f"_{col}_preserve")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
                start = [*open_cell(j, kind), pl.lit('" t="inlineStr"><is><t'), preserve, pl.lit(">")]
            else:
                start = [*open_cell(j, kind), pl.lit('" t="inlineStr"><is><t>')]
            filled = pl.concat_str([*start, v, pl.lit("</t></is></c>")])
        parts.append(pl.when(v.is_null()).then(blank(j, "text")).otherwise(filled))
    n = len(columns)
    parts += [blank(n + k, kind) for k, kind in enumerate(blanks)]
    parts.append(pl.lit("</row>"))
    return pl.concat_str(parts)


def row_slices(
    frame: pl.DataFrame, xml: pl.Expr, styles: Mapping[str, pl.Expr], first_row: int
) -> Iterator[bytes]:
    """The frame's rows as UTF-8 XML (``xml`` from ``row_xml``), ``SLICE_ROWS``
    at a time. ``styles``: kind -> the row's style index as text; computed
    once per row here, not once per cell."""
    for start in range(0, frame.height, SLICE_ROWS):
        part = frame.slice(start, SLICE_ROWS).with_columns(
            pl.int_range(first_row + start, first_row + start + pl.len()).cast(pl.String).alias("_r"),
            *[e.alias(f"_style_{kind}") for kind, e in styles.items()],
        )
        # as bytes straight from polars' UTF-8: a Python str of a slice's
        # Chinese text costs a decode and an encode of ~50 MB
        yield part.select(xml.str.join("").cast(pl.Binary)).item()


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)1:([A-Z]+)1"/>')


def splice_rows(xlsx: Path, sheet_part: str, rows: Iterator[bytes], last_row: int, out: Path) -> None:
    """Copy ``xlsx`` to ``out``, inserting ``rows`` before ``</sheetData>`` of
    ``sheet_part`` (which holds the header row only) and widening its
    dimension to ``last_row``."""
    with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != sheet_part:
                zout.writestr(info, data)
                continue
            head, sep, tail = data.partition(b"</sheetData>")
            if not sep:
                raise ValueError(f"{xlsx.name}: {sheet_part} has no sheetData")
            if last_row > 1:
                head = _DIMENSION.sub(lambda m: b'<dimension ref="%s1:%s%d"/>' % (m[1], m[2], last_row), head, count=1)
            with zout.open(info.filename, "w", force_zip64=True) as fh:
                fast_deflate(fh)
                fh.write(head)
                for chunk in rows:
                    fh.write(chunk)
                fh.write(sep + tail)


def fast_deflate(entry) -> None:
    """Compress a zip entry just opened for writing with ISA-L's deflate at
    level 1 instead of zlib's: the sheet part of a department's list is tens
    of MB of XML, which zlib's fastest level took ~1 s of a night's CPU to
    compress for all departments; ISA-L does it in a quarter of that, to a
    slightly smaller file (the same deflate format, read by any unzip). The
    entry is a ``zipfile`` object that compresses through its
    ``_compressor``; where a Python version has none, zlib's stays."""
    if getattr(entry, "_compressor", None) is not None:
        entry._compressor = isal_zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
