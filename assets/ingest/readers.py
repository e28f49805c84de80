"""Read one inbox file, whatever its form, into a frame of cells.

Every reader returns the same shape: one column per header exactly as the
file spelled it, in file order, plus nothing else. Cells are text, except
Parquet columns already typed as datetime, date, boolean or integer: those
stay typed (a time zone converted to Asia/Shanghai, then dropped), since
writing millions of timestamps out as text only to parse them back cost more
than anything else in staging. ``as_text`` gives the text such a cell stands
for; validation uses it wherever the raw cell is shown (quarantine), and
parses it whenever the column's kind does not match the cell's type. A
Parquet column that cannot be cast to text (a list, array or struct, a
duration, bytes that are not UTF-8) rejects the file when it is one of the
source's contract columns, and is written out as text when it is an extra
column (ignored, but shown in the quarantine's raw values).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from assets.ingest.contract import Source

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".parquet")
ROW_NUMBER = "__row"  # 1-based data row, header not counted


class FileRejected(Exception):
    """The whole file cannot be used; the message says why, in plain words."""


def decode(data: bytes) -> tuple[str, str]:
    """The file's encoding and text: UTF-8 (with or without BOM) if it decodes
    as such, else GB18030. Raises UnicodeDecodeError when neither fits.

    GB18030 is a superset of GBK and GB2312, so it is the right fallback for
    exports from Chinese office software; a file that is valid UTF-8 is almost
    never meant as GB18030.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data.decode("utf-8-sig")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030", data.decode("gb18030")


def read_csv_text(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    try:
        encoding, text = decode(data)
    except UnicodeDecodeError as exc:
        raise FileRejected(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）: {exc}") from exc
    if not text.strip():
        raise FileRejected("文件为空 (empty file)")
    # Bytes already in UTF-8 go to the parser as they are (without the BOM).
    if encoding == "gb18030":
        utf8 = text.encode("utf-8")
    else:
        utf8 = data[3:] if encoding == "utf-8-sig" else data
    try:
        return pl.read_csv(
            io.BytesIO(utf8),
            infer_schema=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        # polars does not say where: the text is scanned again to find the row.
        raise FileRejected(f"CSV 格式错误：{csv_fault(text) or first_line(exc)}") from exc


# A line without quotes (a whole record), and one field of a record as polars
# splits it: every quote opens or closes a quoted stretch, wherever it stands.
_PLAIN_LINE = re.compile(r'[^"\n]*(?:\n|\Z)')
_FIELD = re.compile(r'((?:[^,"\n]|"[^"]*")*)([,\n"]|\Z)')
_QUOTED_FIELD = re.compile(r'"(?:[^"]|"")*"')


def csv_fault(text: str) -> str | None:
    """Where and why the CSV parser gives up on this (decoded) text, in the
    bilingual words of a rejection: "第 3 行多出字段 (row 3: more fields than
    the header)". Rows are numbered as ``__row`` numbers them (data rows from
    1, blank lines included, a quoted line break not starting a row); None when
    no fault is found. Only called once the parser has failed."""
    width: int | None = None
    row, pos, end = 0, 0, len(text)
    while pos < end:
        plain = _PLAIN_LINE.match(text, pos)
        if plain:
            fields, pos = plain.group().count(",") + 1, plain.end()
        else:
            fields = 0
            while True:
                field = _FIELD.match(text, pos)
                cell, stop = field.groups()
                fields, pos = fields + 1, field.end()
                if stop == '"':  # a quote opened and never closed
                    return _csv_fault_at(row, "引号不成对", "unbalanced quote")
                if stop != ",":
                    cell = cell.removesuffix("\r")
                if cell.startswith('"') and not _QUOTED_FIELD.fullmatch(cell):
                    return _csv_fault_at(row, "引号后有多余字符", "text after a closing quote")
                if stop != ",":
                    break
        if width is None:
            width = fields
        elif fields > width:
            return _csv_fault_at(row, "多出字段", "more fields than the header")
        row += 1
    return None


def _csv_fault_at(row: int, zh: str, en: str) -> str:
    if row == 0:
        return f"表头{zh} (header: {en})"
    return f"第 {row} 行{zh} (row {row}: {en})"


def read_xlsx_text(path: Path) -> pl.DataFrame:
    try:
        # Every cell as text: calamine writes datetime cells as
        # 'YYYY-MM-DD HH:MM:SS' and whole numbers without '.0'. Blank rows are
        # kept (and dropped by read_text_frame once numbered), so that row
        # numbers count them as they do in a CSV.
        frame = pl.read_excel(path, sheet_id=1, engine="calamine", infer_schema_length=0, drop_empty_rows=False)
    except Exception as exc:  # fastexcel raises its own exception types
        raise FileRejected(f"Excel 文件无法读取：{unreadable_reason(path, 'xlsx', exc)}") from exc
    return _time_only_cells_as_times(frame, _excel_day_zero(path))


def _excel_day_zero(path: Path) -> str:
    """The day calamine gives a cell holding a time alone (a serial below 1):
    1899-12-31, or 1904-01-01 in a workbook on the 1904 date system."""
    try:
        with zipfile.ZipFile(path) as book:
            workbook = book.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return "1899-12-31"
    return "1904-01-01" if _DATE_1904.search(workbook) else "1899-12-31"


_DATE_1904 = re.compile(rb"""\bdate1904\s*=\s*["'](?:1|true)["']""")


def _time_only_cells_as_times(frame: pl.DataFrame, day_zero: str) -> pl.DataFrame:
    """A time-only cell (9:05) reads as '<day zero> 09:05:00': it becomes the
    time it shows, '09:05:00', which is unparseable where a timestamp is due,
    as the text '09:05' is (inputs.md: a time alone)."""
    pattern = rf"^{day_zero} ([0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]+)?)$"
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    # Rewriting is done only in the columns that have such a cell (most have none).
    found = frame.select(pl.col(text).str.starts_with(day_zero).any()).row(0, named=True)
    return frame.with_columns(pl.col(name).str.replace(pattern, "$1") for name in text if found[name])


def read_parquet_text(path: Path, source: Source | None = None) -> pl.DataFrame:
    """The file's cells (see the module doc). A column that cannot be turned
    into text rejects the file when it is one of ``source``'s columns (any
    column, without a source) and is written out as text when it is extra."""
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise FileRejected(f"Parquet 文件无法读取：{unreadable_reason(path, 'parquet', exc)}") from exc
    if not any(dtype.is_nested() for dtype in frame.dtypes):
        try:
            return frame.select([_kept_or_text(name, dtype) for name, dtype in frame.schema.items()])
        except pl.exceptions.PolarsError:
            pass  # a column that cannot be text (a duration, bytes not UTF-8): found below
    contract = set(frame.columns) if source is None else contract_headers(source, frame.columns)
    return pl.DataFrame([_column_as_text(frame, name, name in contract) for name in frame.columns])


def contract_headers(source: Source, headers: list[str]) -> set[str]:
    """The headers validation takes for the source's columns (the first one
    naming a column); every other header is an extra column."""
    from assets.ingest.validate import map_headers  # validate imports this module

    return set(map_headers(source, headers).values())


def _column_as_text(frame: pl.DataFrame, name: str, is_contract: bool) -> pl.Series:
    dtype = frame.schema[name]
    if not dtype.is_nested():
        try:
            return frame.select(_kept_or_text(name, dtype)).to_series()
        except pl.exceptions.PolarsError:
            pass
    if is_contract:
        if dtype == pl.Binary:
            raise FileRejected(
                f"列 {name} 是二进制数据，不是 UTF-8 文本 (column {name}: binary data that is not UTF-8 text)"
            )
        kind = "Duration" if isinstance(dtype, pl.Duration) else str(dtype)
        raise FileRejected(f"列 {name} 的类型 {kind} 无法读作文本 (column {name}: {kind} cannot be read as text)")
    return pl.Series(name, [None if v is None else _value_text(v) for v in frame[name].to_list()], pl.String)


def _value_text(value: object) -> str:
    """An extra column's cell that polars cannot cast to text, written out:
    bytes as UTF-8 (else 0x and hex), a duration as 1:30:00, lists and
    structs as JSON."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + value.hex()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_value_text)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def is_kept_typed(dtype: pl.DataType) -> bool:
    """Types whose cells a reader hands on as they are (see the module doc)."""
    return isinstance(dtype, (pl.Datetime, pl.Date)) or dtype == pl.Boolean or dtype.is_integer()


def _kept_or_text(name: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return pl.col(name).dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
    return pl.col(name) if is_kept_typed(dtype) else as_text(name, dtype)


def as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """The cell as text, as a person reading the file would write it."""
    col = pl.col(name)
    if dtype == pl.String:
        return col
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            col = col.dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
        return col.dt.strftime("%Y-%m-%d %H:%M:%S%.f").alias(name)
    if isinstance(dtype, pl.Date):
        return col.dt.strftime("%Y-%m-%d").alias(name)
    if dtype == pl.Boolean:
        return col.cast(pl.String).alias(name)
    if dtype.is_float():
        # NaN is how pandas writes a missing number: an empty cell. Infinity
        # and whole numbers past Int64 stay as written (no number: bad_number
        # where a number is due), never an empty cell.
        whole = col.cast(pl.Int64, strict=False)
        return (
            pl.when(col.is_nan())
            .then(pl.lit(None, pl.String))
            .when(col.is_finite() & (col == col.round(0)) & whole.is_not_null())
            .then(whole.cast(pl.String))
            .otherwise(col.cast(pl.String))
        ).alias(name)
    return col.cast(pl.String).alias(name)


def read_text_frame(path: Path, source: Source | None = None) -> pl.DataFrame:
    """The file's cells plus ``__row``; raises FileRejected with a reason.
    ``source`` tells a Parquet file's contract columns from its extra ones
    (see read_parquet_text)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = read_csv_text(path)
    elif suffix == ".xlsx":
        frame = read_xlsx_text(path)
    elif suffix == ".parquet":
        frame = read_parquet_text(path, source)
    else:
        raise FileRejected(f"不支持的文件类型 {suffix or '(无扩展名)'}；只接受 CSV、XLSX、Parquet")
    if frame.width == 0:
        raise FileRejected("文件没有表头 (no header row)")
    # Row numbers are taken before blank lines are dropped, so that a row
    # number always points at the line a person sees in the file.
    frame = frame.with_row_index(ROW_NUMBER, offset=1).with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    cells = [name for name in frame.columns if name != ROW_NUMBER]
    return frame.filter(~pl.all_horizontal(pl.col(cells).is_null()))


def why_unreadable(path: Path, kind: str) -> str:
    """What the first bytes of a file the library could not open say about
    it, in words the office can act on ('' when they say nothing). ``kind``
    is 'xlsx' or 'parquet'. The library's own words follow it in the reason,
    for the IT person."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return ""
    if not head:
        return "文件是空的（0 字节），请重新导出"
    if kind == "xlsx":
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            # Office 97-2003 files (and password-protected .xlsx) are OLE containers
            return "这是旧版 .xls 文件或加了密码的工作簿，请在 Excel 中去掉密码并另存为 .xlsx"
        if not head.startswith(b"PK"):
            return "文件内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或文本文件）"
        return "工作簿已损坏或未写完，请重新导出或在 Excel 中另存"
    if kind == "parquet":
        if not head.startswith(b"PAR1"):
            return "文件内容不是 Parquet（可能是改了扩展名的其他文件）"
        return "Parquet 文件已损坏或未写完，请重新导出"
    return ""


def unreadable_reason(path: Path, kind: str, exc: BaseException) -> str:
    """'<what the bytes say> (<the library's first line>)'."""
    why = why_unreadable(path, kind)
    return f"{why} ({first_line(exc)})" if why else first_line(exc)


def first_line(exc: BaseException) -> str:
    """An error's first line, at most 300 characters, for a one-line reason."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
