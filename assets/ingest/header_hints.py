"""Say where a rejected file's header actually is.

Offices often export a title line above the header (《2026年3月回访记录》)
or save a workbook with a notes sheet in front of the data. The contract
reads the header from the first line of the first sheet, so such a file is
rejected for missing columns (or, in a CSV, for a row longer than the
one-cell "header"), and that message lists columns the office can plainly
see in the file. When the rejected file does hold the contract's header a
few lines down, or on another sheet, the reason says so instead.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assets.ingest import contract as c
from assets.ingest.readers import FileRejected, decode
from assets.ingest.validate import map_headers, missing_required

# title lines looked through above a header: a title, a subtitle, a date line, a blank
TITLE_LINES_SEARCHED = 10


def explained(exc: FileRejected, path: Path, source: c.Source) -> FileRejected:
    """The rejection with the place of the header in front, when the file
    has the header somewhere the contract does not read it; else ``exc``."""
    try:
        hint = misplaced_header(path, source)
    except Exception:  # the file could not be read: the first reason stands
        return exc
    return FileRejected(f"{hint}（{exc}）") if hint else exc


def misplaced_header(path: Path, source: c.Source) -> str | None:
    """Where the header is, in the office's words, when it is not on line 1
    of the first sheet; None when it is nowhere in the searched lines (or
    where it belongs)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheets = [(None, _csv_lines(path))]
    elif suffix == ".xlsx":
        sheets = _xlsx_sheets(path)
    else:
        return None
    for index, (sheet, lines) in enumerate(sheets):
        line = _header_line(source, lines)
        if line is None:
            continue
        if index == 0:
            if not any(_filled(cells) for cells in lines[: line - 1]):
                return None  # blank lines above a header are read past
            above = line - 1
            return (
                f"表头应在第 1 行：本文件的表头在第 {line} 行，请删去上面的 {above} 行"
                f" (the header must be on line 1; this file's header is on line {line}: "
                f"delete the {above} line{'s' if above > 1 else ''} above it)"
            )
        where_zh = f"工作表“{sheet}”" + (f"的第 {line} 行" if line > 1 else "")
        where_en = f"sheet '{sheet}'" + (f", line {line}" if line > 1 else "")
        return (
            f"数据应在第一个工作表，表头在{where_zh}：请把它移到最前面，表头放在第 1 行"
            f" (the data must be on the first sheet; the header is on {where_en}: "
            f"move that sheet to the front, with the header on line 1)"
        )
    return None


def _filled(cells: list[str]) -> bool:
    return any(cell and cell.strip() for cell in cells)


def _header_line(source: c.Source, lines: list[list[str]]) -> int | None:
    """The 1-based line holding every required column of ``source``."""
    for number, cells in enumerate(lines[: TITLE_LINES_SEARCHED + 1], start=1):
        headers = [cell.strip() for cell in cells if cell and cell.strip()]
        if headers and not missing_required(source, map_headers(source, headers)):
            return number
    return None


def _csv_lines(path: Path) -> list[list[str]]:
    _encoding, text = decode(path.read_bytes())
    head = "\n".join(text.splitlines()[: TITLE_LINES_SEARCHED + 1])
    return list(csv.reader(io.StringIO(head)))


def _xlsx_sheets(path: Path) -> list[tuple[str, list[list[str]]]]:
    # openpyxl, not calamine: calamine starts a sheet at its first filled row,
    # and the line named must be the one Excel shows
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [
            (
                sheet.title,
                [
                    ["" if v is None else str(v) for v in row]
                    for row in sheet.iter_rows(min_row=1, max_row=TITLE_LINES_SEARCHED + 1, values_only=True)
                ],
            )
            for sheet in book.worksheets
        ]
    finally:
        book.close()
