"""Department workbooks written side by side, and the shortcuts in writing
them (widths past the cap, passes skipped on columns with nothing to escape):
the same files as one at a time, cell for cell."""

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import openpyxl
import polars as pl

from assets.rectification.department_lists import export_department_lists
from assets.rectification.items import CATEGORY, ITEM_SCHEMA, item_id

AS_OF = date(2026, 4, 10)


def row(n: int, dept: str | None, deadline: date, status: str, description: str, subject: str | None = None) -> dict:
    subject = subject or f"R{n}"
    return {
        "item_id": item_id("bad_rating", "main", subject),
        "rule": "bad_rating",
        "category": CATEGORY["bad_rating"],
        "hall_id": "main",
        "window_id": f"A{n:02d}",
        "dept_id": dept,
        "staff_id": None,
        "subject_ref": subject,
        "detected_on": date(2026, 3, 20),
        "deadline": deadline,
        "description": description,
        "status": status,
        "resolved_on": date(2026, 4, 1) if status == "resolved" else None,
    }


SCHEMA = {**ITEM_SCHEMA, "status": pl.String, "resolved_on": pl.Date}
LEDGER = pl.DataFrame(
    [
        row(1, "D_LAND", date(2026, 4, 2), "overdue", "差评：等候太久 & 态度<差>"),
        row(2, "D_LAND", date(2026, 4, 14), "open", " 以空格开头的描述"),
        row(3, "D_LAND", date(2026, 3, 16), "escalated", "控制字符\x01在此"),
        row(4, "D_LAND", date(2026, 4, 1), "resolved", "已整改"),
        row(5, "D_HR", date(2026, 4, 20), "open", "字" * 40_000),  # past Excel's 32,767 characters
        row(6, "D_HR", date(2026, 4, 9), "withdrawn", "撤销的不发"),
        row(7, None, date(2026, 4, 15), "in_progress", "literal _x0041_ text"),
        row(8, "D_ONLY_WITHDRAWN", date(2026, 4, 15), "withdrawn", "整个部门只有撤销事项"),
        # 29 Chinese characters: 58 columns wide, so capped at 60 like the long text
        row(9, "D_HR", date(2026, 4, 21), "open", "短", subject="对" * 29),
    ],
    schema=SCHEMA,
)
_CREATED = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def parts(path) -> dict[str, bytes]:
    """Every part of a workbook, the creation time left out."""
    with zipfile.ZipFile(path) as z:
        return {n: _CREATED.sub(b"", z.read(n)) for n in z.namelist()}


def test_workbooks_written_by_two_threads_are_the_ones_written_one_at_a_time(tmp_path):
    one: list = []
    alone = export_department_lists(LEDGER, tmp_path / "one", as_of=AS_OF, written=one)
    two: list = []
    with ThreadPoolExecutor(2) as pool:
        side = export_department_lists(LEDGER, tmp_path / "two", as_of=AS_OF, written=two, pool=pool)
    # a department with withdrawn items only gets no list; items without a department get 未分配
    assert list(alone) == list(side) == ["D_HR", "D_LAND", None]
    assert [p.name for p in one] == [p.name for p in two] == [
        "整改清单_D_HR_20260410.xlsx", "整改清单_D_LAND_20260410.xlsx", "整改清单_未分配_20260410.xlsx"]
    for dept in alone:
        assert parts(alone[dept]) == parts(side[dept])
    # run again with the pool: nothing changed, nothing written
    again: list = []
    with ThreadPoolExecutor(2) as pool:
        assert export_department_lists(LEDGER, tmp_path / "two", as_of=AS_OF, written=again, pool=pool) == side
    assert again == []


def test_cells_widths_and_escapes(tmp_path):
    paths = export_department_lists(LEDGER, tmp_path, as_of=AS_OF)
    ws = openpyxl.load_workbook(paths["D_HR"]).worksheets[0]
    header = [c.value for c in ws[1]]
    desc, subj = header.index("问题描述") + 1, header.index("问题对象") + 1
    # open items by deadline (04-20, 04-21); the withdrawn one is not sent
    assert [ws.cell(row=r, column=subj).value for r in range(2, ws.max_row + 1)] == ["R5", "对" * 29]
    assert ws.cell(row=2, column=desc).value == "字" * 32_767
    letter = openpyxl.utils.get_column_letter
    # widths: min(max(width, 6) + 2, 60) (xlsxwriter stores n + 0.7109375, Excel's padding);
    # 问题描述 is 40,000 characters, 问题对象 58 columns
    assert ws.column_dimensions[letter(desc)].width == 60.7109375
    assert ws.column_dimensions[letter(subj)].width == 60.7109375

    land = openpyxl.load_workbook(paths["D_LAND"]).worksheets[0]
    xml = zipfile.ZipFile(paths["D_LAND"]).read("xl/worksheets/sheet1.xml").decode("utf-8")
    # escalated (03-16), overdue (04-02), open (04-14), then the resolved one (openpyxl
    # leaves the _xHHHH_ of an inline string as it is)
    assert [land.cell(row=r, column=desc).value for r in range(2, 6)] == [
        "控制字符_x0001_在此", "差评：等候太久 & 态度<差>", " 以空格开头的描述", "已整改"]
    assert "<t>差评：等候太久 &amp; 态度&lt;差&gt;</t>" in xml
    assert '<t xml:space="preserve"> 以空格开头的描述</t>' in xml and "<t>控制字符_x0001_在此</t>" in xml
    unassigned = zipfile.ZipFile(paths[None]).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<t>literal _x005F_x0041_ text</t>" in unassigned


def test_the_sheet_part_is_plain_deflate_any_reader_opens(tmp_path):
    """The sheet part is compressed by ISA-L (sheet_rows.fast_deflate), not
    zlib: it must still be a deflated zip entry whose CRC Python's own zip
    reader checks, and a workbook openpyxl reads row by row."""
    paths = export_department_lists(LEDGER, tmp_path, as_of=AS_OF)
    with zipfile.ZipFile(paths["D_LAND"]) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED
        assert z.testzip() is None
    sheet = openpyxl.load_workbook(paths["D_LAND"], read_only=True).worksheets[0]
    ids = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    # by hand: D_LAND's four items, unresolved first by deadline (R3: 16 March,
    # R1: 2 April, R2: 14 April), then the resolved one (R4)
    assert ids == [item_id("bad_rating", "main", f"R{n}") for n in (3, 1, 2, 4)]
