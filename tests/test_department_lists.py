"""Ledger CSV, department workbooks, and reading a returned list back."""

from datetime import date, datetime, timedelta

import openpyxl
import polars as pl
import pytest

from assets.rectification.department_lists import (
    LEDGER_CSV_COLUMNS,
    display_width,
    export_department_lists,
    read_returned_list,
    read_returned_list_with_counts,
)
import duckdb

from assets.rectification.items import CATEGORY, ITEM_SCHEMA, item_id
from assets.rectification.ledger_csv import write_ledger_csv
from assets.rectification.ledger_store import append_updates, open_ledger, read_ledger, upsert_items
from assets.rectification.status import validate_updates

HOLIDAYS = {date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5)}
MAKEUP = {date(2026, 5, 9)}


def add_wd(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d not in HOLIDAYS and (d in MAKEUP or d.weekday() < 5):
            n -= 1
    return d


AS_OF = date(2026, 4, 10)


def item(rule, subject, window, dept, detected, days, desc, staff=None):
    return {
        "item_id": item_id(rule, "main", subject),
        "rule": rule,
        "category": CATEGORY[rule],
        "hall_id": "main",
        "window_id": window,
        "dept_id": dept,
        "staff_id": staff,
        "subject_ref": subject,
        "detected_on": detected,
        "deadline": add_wd(detected, days),
        "description": desc,
    }


ITEMS = pl.DataFrame(
    [
        # deadline 04-02 -> overdue by 04-10 (escalation after 04-10: 04-03, 07, 08, 09, 10)
        item("bad_rating", "R1", "A03", "D_LAND", date(2026, 3, 12), 15,
             "2026年3月12日，A03窗口（不动产登记）收到差评（1星）：态度差；评价内容：申请人张*反映等候太久。", "S001"),
        # deadline 04-14 -> open
        item("behaviour", "E1", "A03", "D_LAND", date(2026, 4, 7), 5,
             "2026年4月7日10:12，A03窗口（不动产登记）工作人员（工号S001）存在玩手机问题。", "S001"),
        # deadline 03-16 -> escalated
        item("overdue_case", "C1", "A03", "D_LAND", date(2026, 3, 11), 3,
             "A03窗口受理的办件C1（不动产转移登记）于2026年3月12日办结，超过承诺期限2026年3月10日。", "S001"),
        # resolved
        item("absence", "S001@2026-03-03", "A03", "D_LAND", date(2026, 3, 3), 5,
             "2026年3月3日，A03窗口（不动产登记）工作人员（工号S001）旷工。", "S001"),
        # another department
        item("low_score", "B01@2026-03", "B01", "D_HR", date(2026, 4, 1), 10,
             "2026年3月，B01窗口（社保）月度综合得分76.50分，低于80分。"),
    ],
    schema=ITEM_SCHEMA,
)


@pytest.fixture
def ledger(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, ITEMS, as_of=AS_OF)
    absence = item_id("absence", "main", "S001@2026-03-03")
    acc, ref = validate_updates(
        pl.DataFrame({"item_id": [absence], "status": ["已整改"], "note": ["已谈话提醒"], "updated_by": ["王科长"],
                      "updated_at": ["2026-03-09 10:00"], "source_file": ["old.xlsx"], "source_row": [1]}),
        {absence},
    )
    append_updates(con, acc, ref)
    out = read_ledger(con, AS_OF, add_wd)
    con.close()
    return out


def test_ledger_statuses(ledger):
    st = dict(zip(ledger["subject_ref"], ledger["status"]))
    assert st == {"R1": "overdue", "E1": "open", "C1": "escalated", "S001@2026-03-03": "resolved",
                  "B01@2026-03": "open"}


def test_ledger_csv(ledger, tmp_path):
    # the published table as the nightly run leaves it, in a real warehouse
    # file, with one description that needs quoting
    quoted = "申请人反映：\"材料\"多, 跑了两次\n已记录"
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    published = ledger.with_columns(
        pl.when(pl.col("subject_ref") == "E1").then(pl.lit(quoted)).otherwise("description").alias("description")
    )
    con.execute("CREATE TABLE rectification_items AS SELECT * FROM published ORDER BY dept_id, deadline")
    path = write_ledger_csv(con, tmp_path / "out" / "ledger.csv")
    one_dept = write_ledger_csv(con, tmp_path / "out" / "d_hr.csv", dept="D_HR")
    con.close()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfitem_id,rule,")
    back = pl.read_csv(path, infer_schema=False)
    assert back.columns == LEDGER_CSV_COLUMNS
    assert back.height == 5
    assert back["item_id"].to_list() == sorted(ledger["item_id"].to_list())
    row = back.filter(pl.col("subject_ref") == "S001@2026-03-03").row(0, named=True)
    assert row["status"] == "resolved" and row["resolved_on"] == "2026-03-09" and row["detected_on"] == "2026-03-03"
    assert back.filter(pl.col("subject_ref") == "B01@2026-03")["staff_id"].to_list() == [None]
    assert back.filter(pl.col("subject_ref") == "E1")["description"].to_list() == [quoted]
    assert "张*" in raw.decode("utf-8-sig")
    assert pl.read_csv(one_dept, infer_schema=False)["subject_ref"].to_list() == ["B01@2026-03"]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left


def test_department_workbook_layout(ledger, tmp_path):
    paths = export_department_lists(ledger, tmp_path / "lists", as_of=AS_OF,
                                    departments={"D_LAND": "不动产登记中心", "D_HR": "人社局"})
    assert set(paths) == {"D_LAND", "D_HR"}
    assert paths["D_LAND"].name == "整改清单_D_LAND_不动产登记中心_20260410.xlsx"
    wb = openpyxl.load_workbook(paths["D_LAND"])
    ws = wb.worksheets[0]
    assert ws.title == "整改清单"
    header = [c.value for c in ws[1]]
    assert header[0] == "整改编号"
    assert header[-6:] == ["问题描述", "上次反馈", "整改状态", "整改情况", "填报人", "填报时间"]
    # the last accepted reply (S001's, the 5th row), 45 wide, wraps in a
    # column capped at 30 (+ 2 of padding; xlsxwriter stores 32.71)
    last_reply = openpyxl.utils.get_column_letter(header.index("上次反馈") + 1)
    assert [ws[f"{last_reply}{r}"].value for r in range(2, 6)] == [None, None, None, "已整改（2026-03-09 10:00 王科长）：已谈话提醒"]
    assert 32 <= ws.column_dimensions[last_reply].width < 33 and ws[f"{last_reply}5"].alignment.wrap_text
    assert ws.freeze_panes == "B2"  # the header and the item ids stay in view
    # printed on A4 landscape, one page wide, the header repeated on every page
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0  # 1 wide is the default, left out
    assert ws.print_title_rows == "$1:$1"
    assert "不动产登记中心" in ws.oddFooter.left.text and "&P" in ws.oddFooter.center.text
    # 整改情况 is written into wrapped, 填报时间 shows a date and a time
    assert ws.cell(row=2, column=header.index("整改情况") + 1).alignment.wrap_text
    assert ws.cell(row=2, column=header.index("填报时间") + 1).number_format == "yyyy-mm-dd hh:mm"
    # unresolved first by deadline, then the resolved one
    subjects = [ws.cell(row=r, column=header.index("问题对象") + 1).value for r in range(2, ws.max_row + 1)]
    assert subjects == ["C1", "R1", "E1", "S001@2026-03-03"]
    status_col = header.index("当前状态") + 1
    assert [ws.cell(row=r, column=status_col).value for r in range(2, 6)] == ["超期通报", "已超期", "待整改", "已整改"]
    fills = [ws.cell(row=r, column=1).fill.fgColor.rgb for r in range(2, 6)]
    assert fills[0].endswith("FF9B9B") and fills[1].endswith("FFC7CE")  # escalated, overdue
    assert fills[2] in (None, "00000000") and fills[3] in (None, "00000000")
    # dates are real dates
    assert ws.cell(row=2, column=header.index("整改期限") + 1).value == datetime(2026, 3, 16)
    # dropdown on 整改状态
    dv = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert len(dv) == 1 and "已整改" in dv[0].formula1
    col_letter = openpyxl.utils.get_column_letter(header.index("整改状态") + 1)
    assert str(dv[0].sqref).startswith(f"{col_letter}2")
    # widths fitted to Chinese text (CJK counts 2)
    desc_w = ws.column_dimensions[openpyxl.utils.get_column_letter(header.index("问题描述") + 1)].width
    assert desc_w >= 60
    cat_w = ws.column_dimensions[openpyxl.utils.get_column_letter(header.index("问题类别") + 1)].width
    assert cat_w >= display_width("行为规范问题") == 12
    assert wb.sheetnames == ["整改清单", "填报说明"]
    notes = [row[0] for row in wb["填报说明"].iter_rows(values_only=True)]
    assert any("填报人、填报时间必填" in line for line in notes)
    assert any("archive" in line for line in notes)  # the daily list points to the archives


def test_fill_two_replies_and_read_back(ledger, tmp_path):
    paths = export_department_lists(ledger, tmp_path / "lists", as_of=AS_OF)
    path = paths["D_LAND"]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in header}
    # a person answers rows 2 and 4, leaves row 3 and 5 empty
    ws.cell(row=2, column=col["整改状态"], value="已整改")
    ws.cell(row=2, column=col["整改情况"], value="已补办并向申请人张三（13812345678）致歉")
    ws.cell(row=2, column=col["填报人"], value="李四")
    ws.cell(row=2, column=col["填报时间"], value=datetime(2026, 4, 11, 9, 30))
    ws.cell(row=4, column=col["整改状态"], value="申诉")
    ws.cell(row=4, column=col["整改情况"], value="监控显示为工作需要接听电话")
    ws.cell(row=4, column=col["填报人"], value="王五")
    ws.cell(row=4, column=col["填报时间"], value="2026/4/12 8:05")
    wb.save(path)

    got, skipped = read_returned_list_with_counts(path)
    assert skipped == 2
    assert got.columns[:7] == ["item_id", "status", "note", "updated_by", "updated_at", "source_file", "source_row"]
    assert got.height == 2
    first, second = got.rows(named=True)
    c1, e1 = item_id("overdue_case", "main", "C1"), item_id("behaviour", "main", "E1")
    assert (first["item_id"], first["status"], first["updated_at"], first["source_row"]) == (
        c1, "已整改", datetime(2026, 4, 11, 9, 30), 1)
    assert (second["item_id"], second["status"], second["updated_at"], second["source_row"]) == (
        e1, "申诉", datetime(2026, 4, 12, 8, 5), 3)
    assert first["source_file"] == path.name
    accepted, refused = validate_updates(got, set(ledger["item_id"]))
    assert accepted["status"].to_list() == ["resolved", "disputed"] and refused.height == 0


def test_a_sheet_added_in_front_is_passed_over(ledger, tmp_path):
    """A department that puts a summary sheet first, or moves 填报说明 to the
    front, still has its answers read from the list's own sheet."""
    path = export_department_lists(ledger, tmp_path / "lists", as_of=AS_OF)["D_LAND"]
    wb = openpyxl.load_workbook(path)
    ws = wb["整改清单"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("整改状态") + 1, value="整改中")
    ws.cell(row=3, column=header.index("填报时间") + 1, value=datetime(2026, 4, 11, 9, 30))
    wb.move_sheet("填报说明", offset=-1)
    wb.create_sheet("汇总", 0).append(["本月共反馈 1 条"])
    wb.save(tmp_path / "returned.xlsx")
    assert wb.sheetnames == ["汇总", "填报说明", "整改清单"]
    got = read_returned_list(tmp_path / "returned.xlsx")
    assert got.select("status", "source_row").rows() == [("整改中", 2)]
    # a renamed list sheet behind a sheet without the header is found too
    wb["整改清单"].title = "Sheet1"
    wb.save(tmp_path / "renamed.xlsx")
    assert read_returned_list(tmp_path / "renamed.xlsx").select("status", "source_row").rows() == [("整改中", 2)]


def test_merged_reply_cells_answer_every_row_they_cover(ledger, tmp_path):
    """One 填报人 and one 填报时间 merged down three answered rows (Excel
    keeps the value in the top cell only): each row has them."""
    path = export_department_lists(ledger, tmp_path / "lists", as_of=AS_OF)["D_LAND"]
    wb = openpyxl.load_workbook(path)
    ws = wb["整改清单"]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in header}
    for row in (2, 3, 4):
        ws.cell(row=row, column=col["整改状态"], value="整改中")
    ws.cell(row=2, column=col["填报人"], value="李四")
    ws.cell(row=2, column=col["填报时间"], value=datetime(2026, 4, 11, 9, 30))
    letter = openpyxl.utils.get_column_letter
    ws.merge_cells(f"{letter(col['填报人'])}2:{letter(col['填报人'])}4")
    ws.merge_cells(f"{letter(col['填报时间'])}2:{letter(col['填报时间'])}4")
    wb.save(tmp_path / "merged.xlsx")
    got = read_returned_list(tmp_path / "merged.xlsx")
    assert got.select("updated_by", "updated_at", "source_row").rows() == [
        ("李四", datetime(2026, 4, 11, 9, 30), 1),
        ("李四", datetime(2026, 4, 11, 9, 30), 2),
        ("李四", datetime(2026, 4, 11, 9, 30), 3),
    ]


def test_read_returned_csv_encodings_and_english_headers(tmp_path):
    rows = [
        ("RX-1", "整改中", "正在整改", "张科", "2026-04-11 09:00"),
        ("RX-2", "", "", "", ""),
        ("RX-3", "resolved", "done", "Li", "2026-04-11"),  # a date alone: none (inputs.md)
    ]
    zh = "整改编号,整改状态,整改情况,填报人,填报时间,问题描述\n" + "\n".join(",".join(r) + ",x" for r in rows) + "\n"
    for enc, name in [("utf-8-sig", "bom.csv"), ("utf-8", "plain.csv"), ("gb18030", "gbk.csv")]:
        (tmp_path / name).write_bytes(zh.encode(enc))
        got, skipped = read_returned_list_with_counts(tmp_path / name)
        assert got["item_id"].to_list() == ["RX-1", "RX-3"], enc
        assert got["status"].to_list() == ["整改中", "resolved"]
        assert got["updated_at"].to_list() == [datetime(2026, 4, 11, 9), None]
        assert got["source_row"].to_list() == [1, 3] and skipped == 1
    en = " Item_ID ,STATUS,note,updated_by,updated_at\nRX-9,in_progress,x,y,2026-04-11T09:00:00+08:00\n"
    (tmp_path / "en.csv").write_text(en, encoding="utf-8")
    got = read_returned_list(tmp_path / "en.csv")
    assert got.select("item_id", "status", "updated_at").rows() == [("RX-9", "in_progress", datetime(2026, 4, 11, 9))]
    (tmp_path / "bad.csv").write_text("编号,状态\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="整改编号"):
        read_returned_list(tmp_path / "bad.csv")
    # every reply column is required (inputs.md), 整改情况 and 填报人 too
    (tmp_path / "three.csv").write_text("整改编号,整改状态,填报时间\nRX-9,整改中,2026-04-11 09:00\n", encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        read_returned_list(tmp_path / "three.csv")
    assert str(refused.value) == "缺少必需列 missing required columns: note（整改情况）、updated_by（填报人）"


def test_display_width_expression_matches_python():
    from assets.rectification.department_lists import display_width_expr

    corpus = ["", "abc", "整改清单", "Ａ全角", "ｱ半角", "emoji😀", "mixed 中文 text", "한국어", "\u3000"]
    got = pl.DataFrame({"s": corpus + [None]}).select(display_width_expr("s")).to_series().to_list()
    assert got == [display_width(s) for s in corpus] + [0]


def test_widest_cell_is_exact_without_measuring_every_cell():
    from assets.rectification.department_lists import widest_cell

    cases = [
        (["abcd", "整改", None], 4),  # 4 characters; 2 wide characters count 4
        (["abcde", "整改清单"], 8),  # the shorter text in characters is the wider
        (["ｱ半角", "abc"], 5),  # half-width katakana counts 1
        (["emoji😀", "abcdef"], 7),  # a 4-byte wide character counts 2
        (["x" * 60, "整" * 40], 60),  # a cell of 60 characters: the cap, wide ones not counted
        ([None, None], 0),
    ]
    for values, width in cases:
        col = pl.Series("v", values, dtype=pl.String)
        assert widest_cell(col) == width, values
        assert widest_cell(col, max_measured=0) == width, values  # measured with the expression instead


def test_cells_are_escaped_like_xlsxwriter(tmp_path):
    """Text the sheet XML must escape comes back as it was written."""
    odd = ["A&B <x> 1", " leading space", "trailing tab\t", "ctl\x01char", "literal _x0041_ text"]
    rows = ITEMS.head(len(odd)).with_columns(pl.Series("description", odd), pl.lit("D_X").alias("dept_id"))
    ledger = rows.with_columns(pl.lit("open").alias("status"), pl.lit(None, dtype=pl.Date).alias("resolved_on"))
    path = export_department_lists(ledger, tmp_path, as_of=AS_OF)["D_X"]
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("问题描述") + 1
    by_id = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)}
    # what xlsxwriter itself writes for these strings, read back the same way
    import xlsxwriter

    ref = tmp_path / "ref.xlsx"
    wb = xlsxwriter.Workbook(str(ref))
    sheet = wb.add_worksheet()
    for r, text in enumerate(odd):
        sheet.write_string(r, 0, text)
    wb.close()
    expected = [c.value for c in openpyxl.load_workbook(ref).worksheets[0]["A"]]
    assert expected[0] == "A&B <x> 1" and expected[1] == " leading space"
    # a literal _xHHHH_ is escaped as _x005F_xHHHH_ in both files; openpyxl
    # decodes that in shared strings only, so look at the sheet XML for it
    literal = rows["item_id"][4]
    assert {k: v for k, v in by_id.items() if k != literal} == dict(zip(rows["item_id"][:4], expected[:4]))
    import zipfile

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<t>literal _x005F_x0041_ text</t>" in xml and "<t>ctl_x0001_char</t>" in xml
    assert '<t xml:space="preserve"> leading space</t>' in xml and "<t>A&amp;B &lt;x&gt; 1</t>" in xml
    assert ws.cell(row=2, column=header.index("整改完成日期") + 1).value is None


def test_unchanged_workbooks_are_not_rewritten(ledger, tmp_path):
    first: list = []
    paths = export_department_lists(ledger, tmp_path, as_of=AS_OF, written=first)
    assert sorted(first) == sorted(paths.values())
    again: list = []
    assert export_department_lists(ledger, tmp_path, as_of=AS_OF, written=again) == paths and again == []
    # a status that changes (the office sees another fill) rewrites that department only
    changed = ledger.with_columns(
        pl.when(pl.col("subject_ref") == "B01@2026-03").then(pl.lit("overdue")).otherwise(pl.col("status")).alias("status")
    ).drop("status_zh")
    third: list = []
    export_department_lists(changed, tmp_path, as_of=AS_OF, written=third)
    assert third == [paths["D_HR"]]
    # a deleted file is written again
    paths["D_LAND"].unlink()
    fourth: list = []
    export_department_lists(changed, tmp_path, as_of=AS_OF, written=fourth)
    assert fourth == [paths["D_LAND"]] and paths["D_LAND"].is_file()
    # a file edited in place (size or time changed) is written again
    with open(paths["D_HR"], "ab") as fh:
        fh.write(b"\0")
    fifth: list = []
    export_department_lists(changed, tmp_path, as_of=AS_OF, written=fifth)
    assert fifth == [paths["D_HR"]]
