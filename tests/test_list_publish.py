"""The nightly department lists against a real warehouse file: which item
goes on the daily list and which into a monthly archive, an unchanged
archive left alone, a changed one written again, and old files removed.
Every expectation below is worked out by hand from the table in ``ITEMS``."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import duckdb
import openpyxl
import pytest

from assets.rectification.department_lists import read_returned_list
from assets.rectification.list_publish import archive_cutoff, publish_lists

D = dt.date

# item_id, dept_id, detected_on, status
ITEMS = [
    ("I1", "D1", D(2026, 3, 5), "escalated"),
    ("I2", "D1", D(2026, 3, 20), "resolved"),
    ("I3", "D1", D(2026, 2, 10), "escalated"),
    ("I4", "D1", D(2026, 4, 2), "escalated"),  # the month before May: stays daily
    ("I5", "D1", D(2026, 3, 1), "overdue"),  # not settled: stays daily, however old
    ("I6", "D1", D(2026, 3, 3), "withdrawn"),  # sent nowhere
    ("I7", "D2", D(2026, 5, 4), "open"),
    ("I8", "D2", D(2026, 1, 15), "resolved"),
    ("I9", None, D(2026, 3, 10), "escalated"),
]
STATUS_ZH = {"open": "待整改", "overdue": "已超期", "escalated": "已通报", "resolved": "已整改", "withdrawn": "已撤销"}


def write_warehouse(path, items):
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE TABLE departments (dept_id VARCHAR, dept_name VARCHAR)")
    con.execute("INSERT INTO departments VALUES ('D1', '土地局'), ('D2', '人社局')")
    con.execute(
        """CREATE OR REPLACE TABLE rectification_items (
            item_id VARCHAR, rule VARCHAR, category VARCHAR, hall_id VARCHAR, window_id VARCHAR,
            dept_id VARCHAR, staff_id VARCHAR, subject_ref VARCHAR, detected_on DATE, deadline DATE,
            status VARCHAR, status_zh VARCHAR, resolved_on DATE, description VARCHAR,
            last_status VARCHAR, last_note VARCHAR, last_updated_by VARCHAR, last_updated_at TIMESTAMP)"""
    )
    for item_id, dept, detected, status in items:
        con.execute(
            "INSERT INTO rectification_items VALUES (?, 'bad_rating', '差评', 'main', 'A01', ?, NULL, ?, ?, ?, ?, ?, ?, ?,"
            " NULL, NULL, NULL, NULL)",
            [item_id, dept, "R" + item_id, detected, detected + dt.timedelta(days=21), status, STATUS_ZH[status],
             detected + dt.timedelta(days=7) if status == "resolved" else None, f"事项{item_id}"],
        )
    con.close()


def publish(warehouse, out, as_of):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        with ThreadPoolExecutor(2) as pool:
            return publish_lists(con, out, as_of=as_of, pool=pool)
    finally:
        con.close()


def item_ids(path):
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True))


def test_cutoff_is_the_first_day_of_the_month_before():
    assert archive_cutoff(D(2026, 5, 6)) == D(2026, 4, 1)
    assert archive_cutoff(D(2026, 1, 31)) == D(2025, 12, 1)
    assert archive_cutoff(D(2026, 3, 1)) == D(2026, 2, 1)


@pytest.fixture
def lists(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    write_warehouse(warehouse, ITEMS)
    return warehouse, tmp_path / "exports"


def test_daily_lists_and_monthly_archives(lists):
    warehouse, out = lists
    first = publish(warehouse, out, D(2026, 5, 6))
    daily = out / "departments"
    archive = daily / "archive"
    assert {d: p.name for d, p in first.daily.items()} == {
        "D1": "整改清单_D1_土地局_20260506.xlsx", "D2": "整改清单_D2_人社局_20260506.xlsx"}
    assert item_ids(first.daily["D1"]) == ["I4", "I5"]
    assert item_ids(first.daily["D2"]) == ["I7"]
    assert sorted(p.name for p in first.archives) == [
        "整改清单_D1_土地局_2026年02月归档.xlsx",
        "整改清单_D1_土地局_2026年03月归档.xlsx",
        "整改清单_D2_人社局_2026年01月归档.xlsx",
        "整改清单_未分配_2026年03月归档.xlsx",
    ]
    assert item_ids(archive / "整改清单_D1_土地局_2026年03月归档.xlsx") == ["I1", "I2"]
    assert item_ids(archive / "整改清单_D1_土地局_2026年02月归档.xlsx") == ["I3"]
    assert item_ids(archive / "整改清单_D2_人社局_2026年01月归档.xlsx") == ["I8"]
    assert item_ids(archive / "整改清单_未分配_2026年03月归档.xlsx") == ["I9"]
    notes = openpyxl.load_workbook(archive / "整改清单_D1_土地局_2026年03月归档.xlsx", read_only=True)["填报说明"]
    assert "2026年3月发现" in next(notes.iter_rows(values_only=True))[0]
    assert len(first.written) == 6
    # the ledger CSV keeps every item, withdrawn included
    assert (out / "ledger.csv").read_text("utf-8-sig").count("\n") == 1 + len(ITEMS)


def test_items_without_a_department_get_their_own_daily_list(tmp_path):
    # I9 still open in May: on the daily list of 未分配 (listed after D1 and D2), not in an archive
    warehouse = tmp_path / "warehouse.duckdb"
    write_warehouse(warehouse, [(i, d, on, "open" if i == "I9" else s) for i, d, on, s in ITEMS])
    first = publish(warehouse, tmp_path / "exports", D(2026, 5, 6))
    assert list(first.daily) == ["D1", "D2", None]
    assert first.daily[None].name == "整改清单_未分配_20260506.xlsx"
    assert item_ids(first.daily[None]) == ["I9"]
    assert item_ids(first.daily["D1"]) == ["I4", "I5"]
    assert "整改清单_未分配_2026年03月归档.xlsx" not in {p.name for p in first.archives}


def test_unchanged_archives_are_not_written_again(lists):
    warehouse, out = lists
    publish(warehouse, out, D(2026, 5, 6))
    archive = out / "departments" / "archive"
    stamps = {p.name: p.stat().st_mtime_ns for p in archive.iterdir() if p.suffix == ".xlsx"}
    nxt = publish(warehouse, out, D(2026, 5, 7))
    assert sorted(p.name for p in nxt.written) == ["整改清单_D1_土地局_20260507.xlsx", "整改清单_D2_人社局_20260507.xlsx"]
    assert {p.name: p.stat().st_mtime_ns for p in archive.iterdir() if p.suffix == ".xlsx"} == stamps

    # I1 answered: only its month's archive changes
    changed = [(i, d, on, "resolved" if i == "I1" else s) for i, d, on, s in ITEMS]
    write_warehouse(warehouse, changed)
    again = publish(warehouse, out, D(2026, 5, 7))
    assert [p.name for p in again.written] == ["整改清单_D1_土地局_2026年03月归档.xlsx"]
    sheet = openpyxl.load_workbook(archive / "整改清单_D1_土地局_2026年03月归档.xlsx", read_only=True).worksheets[0]
    assert {r[0]: r[10] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"I1": "已整改", "I2": "已整改"}


def test_old_daily_lists_and_stale_archives_are_removed(lists):
    warehouse, out = lists
    publish(warehouse, out, D(2026, 5, 6))
    publish(warehouse, out, D(2026, 5, 7))
    # I9 withdrawn: the 未分配 archive of March has nothing left
    write_warehouse(warehouse, [(i, d, on, "withdrawn" if i == "I9" else s) for i, d, on, s in ITEMS])
    # 06-10 is 35 days after 05-06 and 34 after 05-07: both past the 31 kept
    later = publish(warehouse, out, D(2026, 6, 10))
    assert sorted(p.name for p in later.deleted) == [
        "整改清单_D1_土地局_20260506.xlsx", "整改清单_D1_土地局_20260507.xlsx",
        "整改清单_D2_人社局_20260506.xlsx", "整改清单_D2_人社局_20260507.xlsx",
        "整改清单_未分配_2026年03月归档.xlsx",
    ]
    daily = out / "departments"
    assert sorted(p.name for p in daily.glob("*.xlsx")) == [
        "整改清单_D1_土地局_20260610.xlsx", "整改清单_D2_人社局_20260610.xlsx"]
    # the cutoff moved to 05-01: escalated I4 (April) joins the archives, I5 stays
    assert item_ids(daily / "整改清单_D1_土地局_20260610.xlsx") == ["I5"]
    assert item_ids(daily / "archive" / "整改清单_D1_土地局_2026年04月归档.xlsx") == ["I4"]


def test_an_archive_filled_in_reads_back_as_replies(lists, tmp_path):
    warehouse, out = lists
    publish(warehouse, out, D(2026, 5, 6))
    path = out / "departments" / "archive" / "整改清单_D1_土地局_2026年02月归档.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb["整改清单"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("整改状态") + 1).value = "已整改"
    sheet.cell(2, header.index("整改情况") + 1).value = "已约谈窗口负责人"
    sheet.cell(2, header.index("填报人") + 1).value = "张科长"
    sheet.cell(2, header.index("填报时间") + 1).value = dt.datetime(2026, 5, 8, 9, 0)
    returned = tmp_path / "returned.xlsx"
    wb.save(returned)
    replies = read_returned_list(returned)
    assert replies.select("item_id", "status", "note").rows() == [("I3", "已整改", "已约谈窗口负责人")]


def csv_ids(path):
    """item_ids of a ledger CSV file, in file order."""
    lines = path.read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("item_id,rule,category,")
    return [line.split(",")[0] for line in lines[1:]]


def test_a_ledger_too_big_for_one_sheet_is_published_by_month(lists):
    """Past the item limit (Excel's 1,048,575 rows; 5 here) the ledger CSV is
    one file per month of detection, and an unchanged month is left alone."""
    warehouse, out = lists
    whole = publish(warehouse, out, D(2026, 5, 6))
    assert whole.ledger_csv == out / "ledger.csv" and whole.csv_written == [out / "ledger.csv"]

    def publish_small(as_of):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            with ThreadPoolExecutor(2) as pool:
                return publish_lists(con, out, as_of=as_of, pool=pool, csv_max_items=5)
        finally:
            con.close()

    first = publish_small(D(2026, 5, 6))
    months = out / "ledger"
    assert first.ledger_csv == months
    assert not (out / "ledger.csv").exists() and out / "ledger.csv" in first.deleted
    # by detected_on, withdrawn I6 included, each month sorted by item_id
    assert {p.name: csv_ids(p) for p in months.glob("*.csv")} == {
        "ledger_2026-01.csv": ["I8"],
        "ledger_2026-02.csv": ["I3"],
        "ledger_2026-03.csv": ["I1", "I2", "I5", "I6", "I9"],
        "ledger_2026-04.csv": ["I4"],
        "ledger_2026-05.csv": ["I7"],
    }
    assert len(first.csv_written) == 5

    # the next night nothing changed: no month is written again
    stamps = {p.name: p.stat().st_mtime_ns for p in months.glob("*.csv")}
    assert publish_small(D(2026, 5, 7)).csv_written == []
    assert {p.name: p.stat().st_mtime_ns for p in months.glob("*.csv")} == stamps

    # I1 answered: only March is written again
    write_warehouse(warehouse, [(i, d, on, "resolved" if i == "I1" else s) for i, d, on, s in ITEMS])
    again = publish_small(D(2026, 5, 7))
    assert again.csv_written == [months / "ledger_2026-03.csv"]
    row = next(line for line in (months / "ledger_2026-03.csv").read_text("utf-8-sig").splitlines() if line.startswith("I1,"))
    assert ",resolved," in row

    # back under the limit: the whole file again, the months removed
    back = publish(warehouse, out, D(2026, 5, 7))
    assert back.ledger_csv == out / "ledger.csv" and not list(months.glob("*.csv"))
    assert sorted(csv_ids(out / "ledger.csv")) == sorted(i for i, *_ in ITEMS)


# item_id, source_file, source_row, status written, 填报时间 (parsed), as written, reason_code, reason,
# answered_later, in_inbox, returned_to
REFUSED = [
    ("I5", "a.xlsx", 3, "整改中", None, "下午3点", "bad_updated_at", "填报时间为空或无法识别 missing/unparseable updated_at: 下午3点", False, True, None),
    ("I1", "a.xlsx", 1, "完成", dt.datetime(2026, 5, 4, 9, 5), "2026/5/4 9:05", "unrecorded", "旧版记录的原因 recorded before codes", False, True, None),
    ("I2", "a.xlsx", 2, "完成", dt.datetime(2026, 5, 4, 9, 0), None, "unknown_status", "未知整改状态 unknown status: 完成", False, True, None),
    ("I6", "a.xlsx", 4, "完成", dt.datetime(2026, 5, 4, 9, 0), None, "unknown_status", "未知整改状态 unknown status: 完成", False, True, None),
    ("I7", "b.xlsx", 1, "已整改", dt.datetime(2026, 5, 5, 9, 0), None, "resolved_without_note", "已整改但未填写整改情况", True, True, None),
    ("IX", "b.xlsx", 2, "已整改", dt.datetime(2026, 5, 5, 9, 0), None, "unknown_item", "未知整改编号 unknown item: IX", False, True, None),
    ("I9", "c.xlsx", 1, "整改中", None, None, "bad_updated_at", "填报时间为空或无法识别 missing/unparseable updated_at: （空）", False, True, None),
    # no item, from D1's list: sent back while the file holds it; the same mistake before the file was corrected: not
    ("I4x", "整改清单_D1_土地局_20260505.xlsx", 2, "整改中", dt.datetime(2026, 5, 5, 9, 0), None, "unknown_item", "未知整改编号 unknown item: I4x", False, True, "D1"),
    ("I4y", "整改清单_D1_土地局_20260505.xlsx", 2, "整改中", dt.datetime(2026, 5, 5, 8, 0), None, "unknown_item", "未知整改编号 unknown item: I4y", False, False, None),
    (None, "整改清单_D1_土地局_20260505.xlsx", 3, "整改中", dt.datetime(2026, 5, 5, 9, 0), None, "unknown_item", "未知整改编号 unknown item: （空）", False, True, "D1"),
]


UNKNOWN_ITEM_ADVICE = ("整改编号为空或不在整改台账中：请照清单上的整改编号填写，不要改动编号，不要另加行；"
                       "改好后用同一文件名重新交一次，替换原来的文件")


def test_refused_replies_go_on_the_daily_list_of_their_department(lists):
    """By hand from ITEMS and REFUSED, as of 05-06: I2 is resolved, I6
    withdrawn, I7 answered later, IX no item in a file of no department's,
    I4y no item and no longer in the inbox: none is sent. I1 (in the March
    archive) and I5 go to D1's daily list, in file and row order, then the
    two rows of D1's own list that name no item; I9 has no department and
    only an archived item, and still gets 未分配's daily list. The archives
    have no such sheet. (当前状态 is what this warehouse stores: STATUS_ZH
    above.)"""
    warehouse, out = lists
    con = duckdb.connect(str(warehouse))
    con.execute(
        """CREATE TABLE rectification_refused_updates (item_id VARCHAR, source_file VARCHAR, source_row BIGINT,
             status VARCHAR, updated_at TIMESTAMP, updated_at_raw VARCHAR, reason_code VARCHAR, reason VARCHAR,
             answered_later BOOLEAN, in_inbox BOOLEAN, returned_to VARCHAR)"""
    )
    con.executemany("INSERT INTO rectification_refused_updates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", REFUSED)
    con.close()
    published = publish(warehouse, out, D(2026, 5, 6))
    assert list(published.daily) == ["D1", "D2", None]

    def refusals(path):
        book = openpyxl.load_workbook(path, read_only=True)
        if "未受理的反馈" not in book.sheetnames:
            return None
        return [r[:2] + r[3:] for r in book["未受理的反馈"].iter_rows(min_row=2, values_only=True)]

    assert refusals(published.daily["D1"]) == [
        ("I1", "已通报", "a.xlsx", 1, "完成", "2026-05-04 09:05", "旧版记录的原因"),
        ("I5", "已超期", "a.xlsx", 3, "整改中", "下午3点", "填报时间为空或无法识别，请写到分钟，例如 2026-03-12 09:30"),
        ("I4x", None, "整改清单_D1_土地局_20260505.xlsx", 2, "整改中", "2026-05-05 09:00", UNKNOWN_ITEM_ADVICE),
        (None, None, "整改清单_D1_土地局_20260505.xlsx", 3, "整改中", "2026-05-05 09:00", UNKNOWN_ITEM_ADVICE),
    ]
    assert refusals(published.daily["D2"]) is None
    assert refusals(published.daily[None]) == [
        ("I9", "已通报", "c.xlsx", 1, "整改中", None, "填报时间为空或无法识别，请写到分钟，例如 2026-03-12 09:30"),
    ]
    assert item_ids(published.daily[None]) == []
    assert item_ids(published.daily["D1"]) == ["I4", "I5"]
    assert all(refusals(p) is None for p in published.archives)


def test_reply_files_refused_whole_go_back_by_their_name(lists):
    """Reply files refused whole, before the ledger step has published any
    refused row: one named like D2's daily list and one like D1's March
    archive (saved again by a mail client) go to D2 and D1; a renamed file,
    a file in a subfolder, an unknown department's and an accepted file go
    nowhere."""
    warehouse, out = lists
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE reply_file_quality (file VARCHAR, status VARCHAR, message VARCHAR)")
    con.executemany("INSERT INTO reply_file_quality VALUES (?, ?, ?)", [
        ("整改清单_D2_人社局_20260505.xlsx", "rejected", "文件为空 (empty file)"),
        ("整改清单_D1_土地局_2026年03月归档(1).xlsx", "rejected", "不支持的文件类型 .xls"),
        ("土地局回复.xlsx", "rejected", "文件为空 (empty file)"),
        ("旧/整改清单_D1_土地局_20260505.xlsx", "rejected", "子文件夹中的文件不读取"),
        ("整改清单_D9_某局_20260505.xlsx", "rejected", "文件为空 (empty file)"),
        ("整改清单_D1_土地局_20260504.xlsx", "loaded", ""),
    ])
    con.close()
    published = publish(warehouse, out, D(2026, 5, 6))

    def refusals(path):
        book = openpyxl.load_workbook(path, read_only=True)
        return [(r[0], r[3], r[4], r[7]) for r in book["未受理的反馈"].iter_rows(min_row=2, values_only=True)]

    advice = "。请在督查室发来的清单上填写（不要删改表头，不要另存为 .xls 等格式），改好后用同一文件名重新交一次，替换原来的文件"
    assert refusals(published.daily["D1"]) == [
        (None, "整改清单_D1_土地局_2026年03月归档(1).xlsx", None, "整份文件未受理，其中的反馈都没有登记。原因：不支持的文件类型 .xls" + advice)]
    assert refusals(published.daily["D2"]) == [
        (None, "整改清单_D2_人社局_20260505.xlsx", None, "整份文件未受理，其中的反馈都没有登记。原因：文件为空 (empty file)" + advice)]
    assert list(published.daily) == ["D1", "D2"]  # no list for D9, nor for 未分配 (its item is archived)
