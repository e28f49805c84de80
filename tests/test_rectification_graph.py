"""The rectification assets through the real graph on the messy inbox, with
deadlines and statuses worked out by hand (March 2026 has no holiday: working
days are Monday to Friday)."""

import datetime as dt
import shutil

import openpyxl
import polars as pl
import pytest

from pipelines.runner import run_graph
from tests.messy_inbox import write_messy_inbox
from tests.warehouse_reading import table

AS_OF = dt.date(2026, 3, 20)  # a Friday
D = dt.date

# (rule, subject_ref) -> (detected_on, deadline, status as of 03-20)
EXPECTED = {
    # R2 rated Thu 03-05 with 不满意 (2): +15 working days = 03-26; not yet due.
    ("bad_rating", "R2"): (D(2026, 3, 5), D(2026, 3, 26), "open"),
    # C2 completed Fri 03-06 with 2 supplements: +5 = Fri 03-13; escalation
    # after 03-13 + 5 = 03-20, and D is not after it: overdue.
    ("one_notice", "C2"): (D(2026, 3, 6), D(2026, 3, 13), "overdue"),
    # C14 completed Thu 03-05 with 3 supplements: +5 = 03-12: escalated.
    ("one_notice", "C14"): (D(2026, 3, 5), D(2026, 3, 12), "escalated"),
    # E1 confirmed camera event and E3 patrol event on 03-05: +5 = 03-12;
    # escalation after 03-19 < D: escalated. E2 is an unconfirmed camera event.
    ("behaviour", "E1"): (D(2026, 3, 5), D(2026, 3, 12), "escalated"),
    ("behaviour", "E3"): (D(2026, 3, 5), D(2026, 3, 12), "escalated"),
    # K1 reached, extra_trip verified, 03-06: +5 = 03-13: overdue.
    ("callback_problem", "K1"): (D(2026, 3, 6), D(2026, 3, 13), "overdue"),
    # S003 has no valid punch on 03-05 and leave only 09:00-12:00: absent.
    ("absence", "S003@2026-03-05"): (D(2026, 3, 5), D(2026, 3, 12), "escalated"),
    # C20: instant matter received Fri 03-06, still open: deadline 03-06, late;
    # detected Sat 03-07; +3 working days = Wed 03-11; escalation after 03-18.
    ("overdue_case", "C20"): (D(2026, 3, 7), D(2026, 3, 11), "escalated"),
}


@pytest.fixture(scope="module")
def ledger_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("rect")
    inbox = write_messy_inbox(home / "inbox")
    outcome = run_graph(home, inbox, AS_OF, progress=False)
    assert outcome.success, outcome.failures
    return home


def test_items_deadlines_and_statuses(ledger_home):
    items = table(ledger_home, "rectification_items")
    got = {
        (r["rule"], r["subject_ref"]): (r["detected_on"], r["deadline"], r["status"])
        for r in items.iter_rows(named=True)
    }
    assert got == EXPECTED


def test_descriptions_say_what_where_when(ledger_home):
    items = table(ledger_home, "rectification_items")
    bad = items.filter(pl.col("rule") == "bad_rating").row(0, named=True)
    assert "A02" in bad["description"] and "2026年3月5日" in bad["description"]
    assert bad["dept_id"] == "D02" and bad["window_id"] == "A02"
    # case items name the case's matter (matters.csv: M1 营业执照, M2 不动产登记)
    by_subject = dict(zip(items["subject_ref"], items["description"]))
    assert "办件C20（营业执照）未在承诺期限2026年3月6日内办结。" in by_subject["C20"]
    assert "办件C2（不动产登记）要求申请人补正2次" in by_subject["C2"]
    # K1 called about C1, which S001 handled at A01: the item names the staff member
    k1 = items.filter(pl.col("subject_ref") == "K1").row(0, named=True)
    assert (k1["window_id"], k1["staff_id"]) == ("A01", "S001")
    assert "工号S001" in k1["description"]


def test_a_case_completed_late_is_found_and_described_as_before(ledger_home):
    """The warehouse's case rows hold the completion's date: C20 as if it had
    been completed on Tue 03-10, a working day after its 03-06 deadline. Its
    item is the one found while it was open, description included, so that
    the completion rewrites no item (the description said '逾期未办结', not
    done, of every late case, completed or not)."""
    from assets.calendar import WorkCalendar
    from assets.rectification.items import find_overdue_cases

    c20 = table(ledger_home, "case_timeliness").filter(pl.col("case_id") == "C20")
    late_done = c20.with_columns(completed_date=pl.lit(D(2026, 3, 10)), is_completed=True, late=True)
    found = find_overdue_cases(late_done, as_of=AS_OF, add_working_days=WorkCalendar().add_working_days)
    # without the windows and matters frames the window and the matter go by their codes
    assert found["description"].item() == "A01窗口（工号S001）受理的办件C20（M1）未在承诺期限2026年3月6日内办结。"
    open_c20 = find_overdue_cases(c20, as_of=AS_OF, add_working_days=WorkCalendar().add_working_days)
    assert open_c20.equals(found)
    assert (found["detected_on"].item(), found["deadline"].item()) == (D(2026, 3, 7), D(2026, 3, 11))


def test_item_ids_stable_across_homes(ledger_home, tmp_path):
    other = tmp_path / "other"
    inbox = write_messy_inbox(other / "inbox")
    assert run_graph(other, inbox, AS_OF, progress=False).success
    ids = lambda home: sorted(table(home, "rectification_items")["item_id"])  # noqa: E731
    assert ids(other) == ids(ledger_home)


def fill_reply(sheet, item_id, status, note, by, when):
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in ("整改编号", "整改状态", "整改情况", "填报人", "填报时间")}
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, col["整改编号"]).value == item_id:
            sheet.cell(row, col["整改状态"]).value = status
            sheet.cell(row, col["整改情况"]).value = note
            sheet.cell(row, col["填报人"]).value = by
            sheet.cell(row, col["填报时间"]).value = when
            return
    raise AssertionError(f"{item_id} not in the sheet")


def test_returned_list_round_trip(ledger_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(ledger_home, home)
    before = table(home, "rectification_items")
    ids = {(r["rule"], r["subject_ref"]): r["item_id"] for r in before.iter_rows(named=True)}
    workbook_path = next((home / "exports" / "rectification" / "departments").glob("整改清单_D01_*.xlsx"))
    wb = openpyxl.load_workbook(workbook_path)
    sheet = wb["整改清单"]
    fill_reply(sheet, ids[("behaviour", "E1")], "已整改", "已批评教育，加强巡查", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    fill_reply(sheet, ids[("absence", "S003@2026-03-05")], "整改中", "正在核实请假手续", "王科长", dt.datetime(2026, 3, 19, 9, 30))
    # A third line answered "resolved" without saying what was done: refused, kept, shown.
    fill_reply(sheet, ids[("one_notice", "C14")], "已整改", None, "王科长", dt.datetime(2026, 3, 19, 11, 0))
    returned = home / "inbox" / "rectification_updates" / workbook_path.name
    returned.parent.mkdir(parents=True, exist_ok=True)
    wb.save(returned)

    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    after = table(home, "rectification_items")
    status = dict(zip(after["item_id"], after["status"]))
    # Resolved on 03-18, after its 03-12 deadline: resolved, and late.
    e1 = after.filter(pl.col("item_id") == ids[("behaviour", "E1")]).row(0, named=True)
    assert e1["status"] == "resolved" and e1["resolved_on"] == D(2026, 3, 18) and e1["resolved_late"]
    # in_progress does not outrank escalation (spec order: escalated before in_progress).
    assert status[ids[("absence", "S003@2026-03-05")]] == "escalated"
    refused = table(home, "rectification_refused_updates")
    assert refused["item_id"].to_list() == [ids[("one_notice", "C14")]]
    assert "整改情况" in refused["reason"][0]
    assert "被拒收的部门反馈（1 条，其中待部门改正 1 条）" in (home / "dashboards" / "rectification.html").read_text()
    unchanged = [k for k in EXPECTED if k != ("behaviour", "E1")]
    for key in unchanged:
        assert status[ids[key]] == EXPECTED[key][2], key
    assert after.drop("status", "status_zh", "resolved_on", "resolved_late", "last_status", "last_note", "last_updated_by", "last_updated_at", strict=False).sort("item_id").equals(
        before.drop("status", "status_zh", "resolved_on", "resolved_late", "last_status", "last_note", "last_updated_by", "last_updated_at", strict=False).sort("item_id")
    )


def test_a_list_sent_again_with_a_correction(ledger_home, tmp_path):
    """A department answers R2 已整改, then sends the same file again with the
    answer corrected to 整改中 and 填报时间 left as it was: the correction
    stands (R2's deadline 03-26 is not past, so it reads 整改中)."""
    home = tmp_path / "home"
    shutil.copytree(ledger_home, home)
    r2 = table(home, "rectification_items").filter(pl.col("subject_ref") == "R2")["item_id"].item()
    workbook_path = next((home / "exports" / "rectification" / "departments").glob("整改清单_*.xlsx"))
    returned = home / "inbox" / "rectification_updates" / workbook_path.name
    returned.parent.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(2026, 3, 18, 10, 0)
    for answer, status in [("已整改", "resolved"), ("整改中", "in_progress")]:
        wb = openpyxl.load_workbook(workbook_path)
        fill_reply(wb["整改清单"], r2, answer, "已回访评价人", "王科长", when)
        wb.save(returned)
        assert run_graph(home, home / "inbox", AS_OF, progress=False).success
        assert table(home, "rectification_items").filter(pl.col("item_id") == r2)["status"].item() == status


def test_ledger_survives_full_refresh(ledger_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(ledger_home, home)
    from pipelines.rectify import record_update

    item = table(home, "rectification_items").filter(pl.col("rule") == "bad_rating")["item_id"][0]
    record_update(home / "ledger" / "ledger.duckdb", item, "resolved", "已回访致歉", "李主任", D(2026, 3, 16))
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    before = table(home, "rectification_items").sort("item_id")
    assert before.filter(pl.col("item_id") == item)["status"][0] == "resolved"
    # A full refresh: everything but the ledger is thrown away and rebuilt.
    (home / "warehouse.duckdb").unlink()
    shutil.rmtree(home / "staged")
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    assert table(home, "rectification_items").sort("item_id").equals(before)


def daily_list(home, dept):
    folder = home / "exports" / "rectification" / "departments"
    return openpyxl.load_workbook(next(folder.glob(f"整改清单_{dept}_*{AS_OF:%Y%m%d}.xlsx")), read_only=True)


def sheet_rows(ws):
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def d01_answers(ledger_home, tmp_path):
    """A copy of the home, its items' ids by subject, D01's daily list and
    the folder its answers go to."""
    home = tmp_path / "home"
    shutil.copytree(ledger_home, home)
    ids = {r["subject_ref"]: r["item_id"] for r in table(home, "rectification_items").iter_rows(named=True)}
    listed = next((home / "exports" / "rectification" / "departments").glob("整改清单_D01_*.xlsx"))
    inbox = home / "inbox" / "rectification_updates"
    inbox.mkdir(parents=True, exist_ok=True)
    return home, ids, listed, inbox


def e1_answered_again(home, ids, listed, inbox):
    """The office deletes 回复.xlsx and D01 sends its list again under its
    name, E1 answered properly: D01's next list has no 未受理的反馈 sheet,
    and E1's 上次反馈 is that answer."""
    (inbox / "回复.xlsx").unlink()
    wb = openpyxl.load_workbook(listed)
    fill_reply(wb["整改清单"], ids["E1"], "已整改", "已批评教育", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    wb.save(inbox / listed.name)
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    book = daily_list(home, "D01")
    assert book.sheetnames == ["整改清单", "填报说明"]
    last = {r["整改编号"]: r["上次反馈"] for r in sheet_rows(book["整改清单"])}
    assert last[ids["E1"]] == "已整改（2026-03-18 10:00 王科长）：已批评教育"


def test_a_refused_reply_goes_back_to_its_department(ledger_home, tmp_path):
    """D01 answers four of its items; C14's 已整改 has no 整改情况 and K1's
    填报时间 cannot be read: both refused. The next list shows the two
    accepted answers in 上次反馈 and the refused ones, with their reasons, on
    未受理的反馈. D01 then answers C14 and K1 properly, and S003 again with a
    time that cannot be read: C14 (resolved) and K1 (answered in a later
    run) leave the sheet; S003's new answer is on it although an older
    answer of S003 was accepted."""
    home, ids, listed, inbox = d01_answers(ledger_home, tmp_path)
    wb = openpyxl.load_workbook(listed)
    sheet = wb["整改清单"]
    fill_reply(sheet, ids["E1"], "已整改", "已批评教育，联系申请人张三（13812345678）致歉", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    fill_reply(sheet, ids["S003@2026-03-05"], "整改中", "正在核实请假手续", "刘", dt.datetime(2026, 3, 19, 9, 30))
    fill_reply(sheet, ids["C14"], "已整改", None, "王科长", dt.datetime(2026, 3, 19, 11, 0))
    fill_reply(sheet, ids["K1"], "整改中", "已联系回访", "王科长", "昨天")
    # the row under the header, as the refusal names it
    row_of = {sheet.cell(r, 1).value: r - 1 for r in range(2, sheet.max_row + 1)}
    wb.save(inbox / listed.name)
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success

    book = daily_list(home, "D01")
    assert book.sheetnames == ["整改清单", "未受理的反馈", "填报说明"]
    last = {r["整改编号"]: r["上次反馈"] for r in sheet_rows(book["整改清单"])}
    assert last[ids["E1"]] == "已整改（2026-03-18 10:00 王科长）：已批评教育，联系申请人张*（138****5678）致歉"
    assert last[ids["S003@2026-03-05"]] == "整改中（2026-03-19 09:30 刘）：正在核实请假手续"
    assert last[ids["C14"]] is None
    c14 = {
        "整改编号": ids["C14"], "当前状态": "超期通报", "整改期限": "2026-03-12",
        "反馈文件": listed.name, "表头下第几行": row_of[ids["C14"]], "所填整改状态": "已整改",
        "所填填报时间": "2026-03-19 11:00", "未受理原因及改正办法": "选择“已整改”时必须填写整改情况（整改了什么、何时完成）",
    }
    k1 = {
        "整改编号": ids["K1"], "当前状态": "已超期", "整改期限": "2026-03-13",
        "反馈文件": listed.name, "表头下第几行": row_of[ids["K1"]], "所填整改状态": "整改中",
        "所填填报时间": "昨天", "未受理原因及改正办法": "填报时间为空或无法识别，请写到分钟，例如 2026-03-12 09:30",
    }
    assert sheet_rows(book["未受理的反馈"]) == sorted([c14, k1], key=lambda r: r["表头下第几行"])
    notes = [r[0] for r in book["填报说明"].iter_rows(values_only=True)]
    assert notes[1].startswith("有 2 条反馈未受理，原因见“未受理的反馈”表")

    again = openpyxl.load_workbook(listed)
    fill_reply(again["整改清单"], ids["C14"], "已整改", "已重新培训一次性告知", "王科长", dt.datetime(2026, 3, 20, 9, 0))
    fill_reply(again["整改清单"], ids["S003@2026-03-05"], "已整改", "已补请假手续", "王科长", "下午3点")
    fill_reply(again["整改清单"], ids["K1"], "整改中", "已联系回访", "王科长", dt.datetime(2026, 3, 18, 8, 0))
    again.save(inbox / "整改清单_D01_补报.xlsx")
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    book = daily_list(home, "D01")
    refused = sheet_rows(book["未受理的反馈"])
    assert [(r["整改编号"], r["反馈文件"], r["所填填报时间"]) for r in refused] == [
        (ids["S003@2026-03-05"], "整改清单_D01_补报.xlsx", "下午3点")]
    assert refused[0]["未受理原因及改正办法"] == "填报时间为空或无法识别，请写到分钟，例如 2026-03-12 09:30"
    last = {r["整改编号"]: r["上次反馈"] for r in sheet_rows(book["整改清单"])}
    assert last[ids["C14"]] == "已整改（2026-03-20 09:00 王科长）：已重新培训一次性告知"
    # the office sees all three refusals, and what became of each
    page = (home / "dashboards" / "rectification.html").read_text()
    assert "被拒收的部门反馈（3 条，其中待部门改正 1 条）" in page
    assert all(words in page for words in ("待部门改正（已列入其每日清单）", "部门已重新填报", "事项已整改或撤销"))


def test_a_reply_file_refused_whole_goes_back_to_its_department(ledger_home, tmp_path):
    """D01 answers E1 but deletes the 填报时间 column: the whole file is
    refused (inputs.md), so E1 is not answered. D01's next daily list says so
    on 未受理的反馈, naming the file and why, with no item or row; the same
    file under a name that is no list's is not sent to anyone. The corrected
    file under the list's name is accepted and the sheet is gone."""
    home, ids, listed, inbox = d01_answers(ledger_home, tmp_path)
    wb = openpyxl.load_workbook(listed)
    sheet = wb["整改清单"]
    fill_reply(sheet, ids["E1"], "已整改", "已批评教育", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    sheet.delete_cols([c.value for c in sheet[1]].index("填报时间") + 1)
    wb.save(inbox / listed.name)
    wb.save(inbox / "回复.xlsx")
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success

    book = daily_list(home, "D01")
    assert book.sheetnames == ["整改清单", "未受理的反馈", "填报说明"]
    assert sheet_rows(book["未受理的反馈"]) == [{
        "整改编号": None, "当前状态": None, "整改期限": None, "反馈文件": listed.name, "表头下第几行": None,
        "所填整改状态": None, "所填填报时间": None,
        "未受理原因及改正办法": "整份文件未受理，其中的反馈都没有登记。原因：缺少必需列 missing required columns: "
                                "updated_at（填报时间）。请在督查室发来的清单上填写（不要删改表头，不要另存为 .xls 等格式），"
                                "改好后用同一文件名重新交一次，替换原来的文件",
    }]
    assert [r[0] for r in book["填报说明"].iter_rows(values_only=True)][1].startswith("有 1 条反馈未受理")
    assert {r["整改编号"]: r["上次反馈"] for r in sheet_rows(book["整改清单"])}[ids["E1"]] is None
    other_lists = [p for p in (home / "exports" / "rectification" / "departments").glob("整改清单_*.xlsx")
                   if "_D01_" not in p.name]
    assert other_lists
    assert all("未受理的反馈" not in openpyxl.load_workbook(p, read_only=True).sheetnames for p in other_lists)

    e1_answered_again(home, ids, listed, inbox)


def test_a_reply_naming_no_item_goes_back_to_the_list_it_came_in(ledger_home, tmp_path):
    """D01 mistypes E1's 整改编号, and answers on a row it added without one:
    both name no item. They came in D01's own list, so they go back to D01 on
    未受理的反馈, with how to correct that file; the same answers in a
    renamed file go to nobody, and the office is told to ask the department.
    D01 sends its list again under the same name, corrected, and the office
    deletes the renamed file: the sheet is gone, E1 is answered, and the
    page says all four refusals have left the inbox."""
    home, ids, listed, inbox = d01_answers(ledger_home, tmp_path)
    wb = openpyxl.load_workbook(listed)
    sheet = wb["整改清单"]
    column = {c.value: c.column for c in sheet[1]}
    fill_reply(sheet, ids["E1"], "已整改", "已批评教育", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    e1_row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == ids["E1"])
    sheet.cell(e1_row, 1).value = "RX-E1"
    added = sheet.max_row + 1
    for name, value in [("整改状态", "整改中"), ("整改情况", "窗口已整改"), ("填报时间", dt.datetime(2026, 3, 19, 9, 0))]:
        sheet.cell(added, column[name]).value = value
    wb.save(inbox / listed.name)
    wb.save(inbox / "回复.xlsx")
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success

    book = daily_list(home, "D01")
    assert book.sheetnames == ["整改清单", "未受理的反馈", "填报说明"]
    advice = ("整改编号为空或不在整改台账中：请照清单上的整改编号填写，不要改动编号，不要另加行；"
              "改好后用同一文件名重新交一次，替换原来的文件")
    returned = {"当前状态": None, "整改期限": None, "反馈文件": listed.name, "未受理原因及改正办法": advice}
    assert sheet_rows(book["未受理的反馈"]) == [
        {"整改编号": "RX-E1", **returned, "表头下第几行": e1_row - 1, "所填整改状态": "已整改",
         "所填填报时间": "2026-03-18 10:00"},
        {"整改编号": None, **returned, "表头下第几行": added - 1, "所填整改状态": "整改中",
         "所填填报时间": "2026-03-19 09:00"},
    ]
    page = (home / "dashboards" / "rectification.html").read_text()
    assert "被拒收的部门反馈（4 条，其中待部门改正 2 条）" in page
    assert page.count("编号不在台账，请联系部门") == 2

    e1_answered_again(home, ids, listed, inbox)
    page = (home / "dashboards" / "rectification.html").read_text()
    assert "被拒收的部门反馈（4 条，其中待部门改正 0 条）" in page
    assert page.count("编号不在台账，文件已改正或移走") == 4 and "请联系部门" not in page


def workbook_cells(path):
    book = openpyxl.load_workbook(path, read_only=True)
    return [str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None]


def test_a_refused_reply_shows_no_applicants_data(ledger_home, tmp_path, capsys):
    """D01 writes an applicant's phone into a status, a 整改编号 and a
    填报时间 (each refused), and the office saves a copy under a name with
    an applicant's name and phone. The ledger keeps what was written; the
    daily list, the page, the run summary and the quarantine export show it
    masked (rectification.md, "Personal data"), the list's cells as worked
    out below."""
    from pipelines.exports import export_quality, export_quarantine
    from pipelines.resources import WindowWatchHome, warehouse_of
    from pipelines.summary import print_summary

    home, ids, listed, inbox = d01_answers(ledger_home, tmp_path)
    wb = openpyxl.load_workbook(listed)
    sheet = wb["整改清单"]
    column = {c.value: c.column for c in sheet[1]}
    fill_reply(sheet, ids["E1"], "已联系群众13812340101并整改", "已批评教育", "王科长", dt.datetime(2026, 3, 18, 10, 0))
    fill_reply(sheet, ids["K1"], "整改中", "已联系回访", "王科长", "申请人吕十七13812340103")
    added = sheet.max_row + 1
    for name, value in [("整改编号", "13812340102"), ("整改状态", "整改中"), ("整改情况", "窗口已整改"),
                        ("填报人", "王科长"), ("填报时间", dt.datetime(2026, 3, 19, 9, 0))]:
        sheet.cell(added, column[name]).value = value
    wb.save(inbox / listed.name)
    wb.save(inbox / "回复_申请人张三丰13812340110.xlsx")
    # and a file at the top of the inbox, rejected unread, named after a complaint
    (home / "inbox" / "投诉_申请人张三丰_13812340111.csv").write_text("x\n", encoding="utf-8")
    outcome = run_graph(home, home / "inbox", AS_OF, progress=False)
    assert outcome.success
    capsys.readouterr()
    print_summary(home, outcome)
    summary = capsys.readouterr().out
    warehouse = warehouse_of(WindowWatchHome(home=str(home)))
    exported = export_quarantine(warehouse, tmp_path / "quarantine.csv")
    quality_csv = export_quality(warehouse, tmp_path / "quality.csv")

    refused = {r["表头下第几行"]: r for r in sheet_rows(daily_list(home, "D01")["未受理的反馈"])}
    row_of = {sheet.cell(r, 1).value: r - 1 for r in range(2, sheet.max_row + 1)}
    assert refused[row_of[ids["E1"]]]["所填整改状态"] == "已联系群众138****0101并整改"
    assert refused[row_of[ids["K1"]]]["所填填报时间"] == "申请人吕**138****0103"
    assert refused[added - 1]["整改编号"] == "138****0102"
    page = (home / "dashboards" / "rectification.html").read_text()
    assert "回复_申请人张**138****0110.xlsx" in page and "整改清单" in page
    # the reason in the page's language, with what was written, masked
    assert "整改状态无法识别：已联系群众138****0101并整改" in page and "Unknown status: 已联系群众138****0101并整改" in page
    quarantine = pl.read_csv(exported, infer_schema_length=0)
    replies = quarantine.filter(pl.col("source") == "rectification_updates")
    assert replies.height == 6 and "回复_申请人张**138****0110.xlsx" in replies["file"].to_list()
    # the ledger's own ids stay as they are in the raw values; the typed one is masked
    assert any(f'"item_id":"{ids["K1"]}"' in raw for raw in replies["raw_values"])
    assert sum('"item_id":"138****0102"' in raw for raw in replies["raw_values"]) == 2
    quality_page = (home / "dashboards" / "quality.html").read_text()
    assert "投诉_申请人张**_138****0111.csv" in quality_page
    assert "/投诉_申请人张**_138****0111.csv: " in summary
    shown = "\n".join([page, quality_page, summary, exported.read_text(encoding="utf-8-sig"),
                       quality_csv.read_text(encoding="utf-8-sig"),
                       *workbook_cells(next((home / "exports" / "rectification" / "departments").glob("整改清单_D01_*.xlsx")))])
    for personal in ("13812340101", "13812340102", "13812340103", "13812340110", "吕十七", "张三丰"):
        assert personal not in shown, personal
    # the ledger file, the office's record, keeps what the department wrote
    from assets.rectification.ledger_store import open_ledger, read_refused

    con = open_ledger(home / "ledger" / "ledger.duckdb")
    try:
        assert "13812340102" in read_refused(con)["item_id"].to_list()
    finally:
        con.close()


def test_the_homes_own_config_is_used_by_every_run(ledger_home, tmp_path):
    """HOME/config.yaml is the method config of a run given none, as the
    nightly schedule and the web UI's runs are: with 10 working days of
    grace instead of 5, every item EXPECTED escalated by 03-20 (deadlines
    03-11 and 03-12, +10 working days = 03-25 / 03-26) is only overdue. A
    bad one is refused by `run` and `ui` in one line, naming it."""
    from tests.cli_runner import cli, one_clear_line

    home = tmp_path / "home"
    shutil.copytree(ledger_home, home)
    (home / "config.yaml").write_text("rectification:\n  escalation_working_days: 10\n", encoding="utf-8")
    assert run_graph(home, home / "inbox", AS_OF, progress=False).success
    got = {(r["rule"], r["subject_ref"]): r["status"] for r in table(home, "rectification_items").iter_rows(named=True)}
    for key, (_, _, status) in EXPECTED.items():
        assert got[key] == ("overdue" if status == "escalated" else status), key

    (home / "config.yaml").write_text("rectification:\n  escalation_working_days: -1\n", encoding="utf-8")
    for command in (["run", "--as-of", AS_OF.isoformat()], ["ui"]):
        proc = cli(*command, home=home)
        assert proc.returncode == 2
        line = one_clear_line(proc)
        assert line.startswith("windowwatch: 配置有误 bad config ") and str(home / "config.yaml") in line
        assert "escalation_working_days" in line
