"""The demo's departments answering their lists: the answers worked out by
hand from the item ids, then the whole ``windowwatch demo`` command, whose
filled lists must come back through the real reader as the ledger's statuses.

March 2026 has no holiday: its working days are Monday to Friday."""

import datetime as dt

import openpyxl
import polars as pl
import pytest

from assets.calendar import WorkCalendar
from pipelines.demo_replies import DISPUTED_NOTE, IN_PROGRESS_NOTE, RESOLVED_NOTES, planned_replies
from tests.cli_runner import cli
from tests.warehouse_reading import table

D = dt.date
T = dt.datetime

# item_id = RX- + u_reply (4 hex) + u_kind (4 hex) + u_time (4 hex); hex/65536
ITEMS = [
    # u_reply 0 < 0.8 answers; u_kind 0 resolved; u_time 0.25 < 0.8 in time:
    # 1 + floor(0.25 / 0.8 * 3) = 1 working day after Mon 03-02 = Tue 03-03;
    # minute (0 * 65536) % 480 = 0: 09:00
    ("RX-000000004000", "bad_rating", D(2026, 3, 2), D(2026, 3, 23)),
    # u_time 0.703125: 1 + floor(0.703125 / 0.8 * 3) = 3 working days after
    # Mon 03-02 = Thu 03-05
    ("RX-00000000b400", "low_score", D(2026, 3, 2), D(2026, 3, 16)),
    # u_time 0.9375 >= 0.8, late: 1 + floor(0.1375 / 0.2 * 8) = 6 working days
    # after the deadline Fri 03-06 = Mon 03-16
    ("RX-00000000f000", "behaviour", D(2026, 2, 27), D(2026, 3, 6)),
    # u_reply 0.9375 >= 0.8: not answered
    ("RX-f00000000000", "absence", D(2026, 3, 2), D(2026, 3, 9)),
    # resolved in time, 1 + floor(0.75 / 0.8 * 3) = 3 working days after Thu
    # 03-19 = Tue 03-24, after the as-of date: 整改中 on Fri 03-20 instead
    ("RX-00000000c000", "overdue_case", D(2026, 3, 19), D(2026, 3, 24)),
    # found on the as-of date: its first working day (Mon 03-23) has not come
    ("RX-000000000000", "one_notice", D(2026, 3, 20), D(2026, 3, 27)),
    # u_kind 0.875: 0.85 <= u < 0.94, in progress; 1 + floor(0.5 * 2) = 2
    # working days after Mon 03-02 = Wed 03-04; 57344 % 480 = 224 min: 12:44
    ("RX-0000e0008000", "callback_problem", D(2026, 3, 2), D(2026, 3, 9)),
    # u_kind 0.96875 >= 0.94, disputed; 1 + floor(0.5 * 3) = 2 working days
    # after Mon 03-02 = Wed 03-04; 63488 % 480 = 128 min: 11:08
    ("RX-0000f8008000", "repeated_lateness", D(2026, 3, 2), D(2026, 3, 9)),
    # u_kind 0xd852 / 65536 = 0.84503: resolved, but 0.84 <= u_kind < 0.85
    # forgets 整改情况; in time (u_time 0.25) on Tue 03-03; 55378 % 480 =
    # 178 min: 11:58
    ("RX-0000d8524000", "bad_rating", D(2026, 3, 2), D(2026, 3, 23)),
]


def test_answers_worked_out_by_hand():
    items = pl.DataFrame(
        [(item_id, rule, "D1", found, deadline) for item_id, rule, found, deadline in ITEMS],
        schema=["item_id", "rule", "dept_id", "detected_on", "deadline"],
        orient="row",
    )
    got = planned_replies(items, D(2026, 3, 20), WorkCalendar(), diligences={"D1": 0.8})
    assert got.select("item_id", "status", "status_zh", "note", "updated_at").rows() == [
        ("RX-000000004000", "resolved", "已整改", RESOLVED_NOTES["bad_rating"], T(2026, 3, 3, 9, 0)),
        ("RX-00000000b400", "resolved", "已整改", RESOLVED_NOTES["low_score"], T(2026, 3, 5, 9, 0)),
        ("RX-00000000c000", "in_progress", "整改中", IN_PROGRESS_NOTE, T(2026, 3, 20, 9, 0)),
        ("RX-00000000f000", "resolved", "已整改", RESOLVED_NOTES["behaviour"], T(2026, 3, 16, 9, 0)),
        ("RX-0000d8524000", "resolved", "已整改", None, T(2026, 3, 3, 11, 58)),
        ("RX-0000e0008000", "in_progress", "整改中", IN_PROGRESS_NOTE, T(2026, 3, 4, 12, 44)),
        ("RX-0000f8008000", "disputed", "申诉", DISPUTED_NOTE, T(2026, 3, 4, 11, 8)),
    ]
    assert got["updated_by"].n_unique() == 1  # one liaison per department


def _answers_in(folder):
    """Every answered row of the filled lists, read cell by cell."""
    rows = []
    for path in sorted(folder.glob("*.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True)["整改清单"]
        lines = sheet.iter_rows(values_only=True)
        header = {name: j for j, name in enumerate(next(lines))}
        for line in lines:
            if line[header["整改状态"]] is not None:
                rows.append((line[header["整改编号"]], line[header["整改状态"]], line[header["整改情况"]],
                             line[header["填报时间"]]))
    return pl.DataFrame(rows, schema=["item_id", "answer", "note", "answered_at"], orient="row")


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-cli") / "home"
    proc = cli("demo", "--as-of", "2026-11-20", home=home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return home, proc


def test_demo_answers_come_back_as_statuses(demo_home):
    home, proc = demo_home
    answers = _answers_in(home / "inbox" / "rectification_updates")
    assert set(answers["answer"]) == {"已整改", "整改中", "申诉"}
    items = table(home, "rectification_items").join(answers, on="item_id", how="left")
    # resolved outranks every other status, on the day of the answer
    resolved = items.filter(pl.col("answer") == "已整改", pl.col("note").is_not_null())
    assert resolved.height > 0
    assert (resolved["status"] == "resolved").all()
    assert resolved["resolved_on"].equals(resolved["answered_at"].dt.date(), check_names=False)
    # nothing else is resolved; the 已整改 without 整改情况, and only they, were refused
    assert items.filter(pl.col("status") == "resolved").height == resolved.height
    forgot = items.filter(pl.col("answer") == "已整改", pl.col("note").is_null())
    refused = table(home, "rectification_refused_updates")
    assert forgot.height > 0 and sorted(refused["item_id"]) == sorted(forgot["item_id"])
    assert set(refused["reason_code"]) == {"resolved_without_note"}
    # each department's daily list sends its refused answers back
    sent_back = []
    for path in (home / "exports" / "rectification" / "departments").glob("整改清单_*_20261120.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        if "未受理的反馈" in book.sheetnames:
            sent_back += [r[0] for r in book["未受理的反馈"].iter_rows(min_row=2, values_only=True)]
    assert sorted(sent_back) == sorted(forgot["item_id"])
    n = forgot.height
    assert f"整改反馈被拒 refused replies: {n}（{n} 条待部门改正，已列入其每日整改清单的“未受理的反馈”表 {n} waiting, sent back on the lists）" in proc.stdout.splitlines()
    # an answer of 整改中 shows while the deadline has not passed
    pending = items.filter(pl.col("answer") == "整改中", pl.col("deadline") >= D(2026, 11, 20))
    assert pending.height > 0 and (pending["status"] == "in_progress").all()
    # the summary counts what the ledger holds
    total = items.filter(pl.col("status") != "withdrawn").height
    line = next(line for line in proc.stdout.splitlines() if line.startswith("整改 items:"))
    assert line.startswith(f"整改 items: 共 total {total:,}（本次新增 new 0）· 已整改 resolved {resolved.height:,} ·")
    quality = table(home, "file_quality").filter(pl.col("source") == "rectification_updates")
    assert quality["status"].unique().to_list() == ["loaded"]
    assert quality["rows_loaded"].sum() == answers.height - forgot.height
    assert quality["rows_quarantined"].sum() == forgot.height


def test_the_demo_inbox_holds_every_answer(demo_home, tmp_path):
    """The demo run again in the same home, then a home built afresh from
    its inbox: the statuses are the same, so the answers are all in the
    filled lists, not partly in the first demo's ledger only."""
    import shutil

    again = tmp_path / "again"
    shutil.copytree(demo_home[0], again)
    assert cli("demo", "--as-of", "2026-11-20", home=again).returncode == 0
    fresh = tmp_path / "fresh"
    proc = cli("run", "--inbox", str(again / "inbox"), "--as-of", "2026-11-20", home=fresh)
    assert proc.returncode == 0, proc.stderr
    statuses = lambda h: table(h, "rectification_items").select("item_id", "status", "resolved_on").sort("item_id")  # noqa: E731
    assert statuses(fresh).equals(statuses(again))
    assert statuses(again).equals(statuses(demo_home[0]))
