"""Rejected files are reported where the office looks (inputs.md, "Bad
input": a file that cannot be read or lacks a required column is rejected
whole with a message naming the file; nothing is dropped silently).

* reply files in rectification_updates/: the run's summary names each
  rejected one; `export quality` has one row per reply file, accepted or
  rejected; a reply row refused on its own is in `export quarantine`;
* a reference file lacking a column: the run stops with one line naming the
  file and the column.

Real subprocess runs of the command on the messy inbox, expected values
written by hand.
"""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from tests.cli_runner import cli
from tests.messy_inbox import write_messy_inbox

AS_OF = "2026-03-20"
# R2 is rated 不满意 (2) on 03-05: a bad_rating item, open on 03-20.
# item_id = "RX-" + sha1(rule ␟ hall_id ␟ subject_ref)[:12] (RECTIFICATION.md)
R2_ITEM = "RX-" + hashlib.sha1("bad_rating\x1fmain\x1fR2".encode()).hexdigest()[:12]
REPLY_HEADER = "整改编号,整改状态,整改情况,填报人,填报时间\n"
NO_STATUS = "整改清单_D01_20260319.csv"


def export(home: Path, what: str, out: Path) -> pl.DataFrame:
    proc = cli("export", what, "--out", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    return pl.read_csv(out, infer_schema_length=0)


@pytest.fixture(scope="module")
def replied(tmp_path_factory):
    """The messy inbox with three reply files: not a workbook at all; D01's
    list (by its name) without its 整改状态 column; a good list with one accepted line, one line
    naming no item, one unanswered line. Plus an Excel lock file (not a file
    of the inbox)."""
    home = tmp_path_factory.mktemp("replies")
    inbox = write_messy_inbox(home / "inbox")
    folder = inbox / "rectification_updates"
    folder.mkdir()
    (folder / "broken.xlsx").write_text("this is not a workbook", encoding="utf-8")
    (folder / NO_STATUS).write_text(
        "整改编号,整改情况,填报人,填报时间\n" f"{R2_ITEM},已约谈,王,2026-03-10 10:00\n", encoding="utf-8"
    )
    (folder / "reply.csv").write_text(
        REPLY_HEADER
        + f"{R2_ITEM},整改中,已约谈,王,2026-03-10 10:00\n"
        + "RX-000000000000,已整改,无此编号,李,2026-03-10 09:00\n"
        + f"{R2_ITEM},,,,\n",
        encoding="utf-8",
    )
    (folder / "~$reply.xlsx").write_bytes(b"lock")
    proc = cli("run", "--as-of", AS_OF, home=home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return home, proc


def test_summary_names_each_rejected_reply_file(replied):
    _, proc = replied
    lines = proc.stdout.splitlines()
    # the messy inbox's 15 files (3 rejected) and the 3 reply files (2 rejected)
    assert "文件 files: 18（拒收 rejected 5）" in lines
    # named like D01's list: it goes back to D01; broken.xlsx names no department
    assert (
        f"  rectification_updates/{NO_STATUS}: 缺少必需列 missing required columns: status（整改状态）"
        "（已列入部门 D01 每日整改清单的“未受理的反馈”表 sent back to D01）" in lines
    )
    broken = [line for line in lines if line.startswith("  rectification_updates/broken.xlsx: ")]
    assert len(broken) == 1 and "Excel 文件无法读取" in broken[0] and "sent back" not in broken[0]
    # the inbox's own rejected files are named too
    assert "  ratings/2026-03-06.csv: 缺少必需列 missing required columns: rated_at（评价时间）、score（评价等级）" in lines
    # the refused row is listed with its file and line; an unknown item has no
    # department to send it back to, so none is said to wait
    assert "整改反馈被拒 refused replies: 1" in lines
    assert "  reply.csv 表头下第2行 RX-000000000000: 未知整改编号 unknown item: RX-000000000000" in lines


def test_export_quality_has_one_row_per_reply_file(replied, tmp_path):
    home, _ = replied
    quality = export(home, "quality", tmp_path / "quality.csv")
    replies = quality.filter(pl.col("source") == "rectification_updates").sort("file")
    assert replies["file"].to_list() == ["broken.xlsx", "reply.csv", NO_STATUS]
    rows = {r["file"]: r for r in replies.iter_rows(named=True)}
    counts = ("partition", "status", "rows_read", "rows_loaded", "rows_quarantined", "duplicates_removed")
    assert tuple(rows["broken.xlsx"][k] for k in counts) == (None, "rejected", "0", "0", "0", "0")
    # a text file named .xlsx: the office is told what it is, before the library's words
    assert rows["broken.xlsx"]["message"].startswith(
        "Excel 文件无法读取：文件内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或文本文件） ("
    )
    assert tuple(rows[NO_STATUS][k] for k in counts) == (None, "rejected", "0", "0", "0", "0")
    assert rows[NO_STATUS]["message"] == "缺少必需列 missing required columns: status（整改状态）"
    # two answered lines: one accepted, one refused; the unanswered line is skipped and said so
    assert tuple(rows["reply.csv"][k] for k in counts) == (None, "loaded", "2", "1", "1", "0")
    assert "1 行被拒" in rows["reply.csv"]["message"]
    assert "未作答（整改状态为空）的 1 行已跳过" in rows["reply.csv"]["message"]
    # the daily files are all still there: 15 of them, as before
    assert quality.filter(pl.col("source") != "rectification_updates").height == 15


def test_export_quarantine_lists_the_refused_reply_row(replied, tmp_path):
    home, _ = replied
    quarantine = export(home, "quarantine", tmp_path / "quarantine.csv")
    refused = quarantine.filter(pl.col("source") == "rectification_updates")
    assert refused.select("file", "row", "reason").rows() == [("reply.csv", "2", "unknown_item")]
    row = refused.row(0, named=True)
    assert "RX-000000000000" in row["detail"] and '"note":"无此编号"' in row["raw_values"]


def run_with_staff_lacking_role(tmp_path):
    """A run of the messy inbox whose staff.csv has no role column: it stops."""
    home = tmp_path / "home"
    inbox = write_messy_inbox(home / "inbox")
    (inbox / "reference" / "staff.csv").write_text(
        "staff_id,staff_name,dept_id,window_id\nS001,张三,D01,A01\n", encoding="utf-8"
    )
    proc = cli("run", "--as-of", AS_OF, home=home)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    return home, proc


def test_reference_file_missing_a_column_is_named_in_the_error(tmp_path):
    _, proc = run_with_staff_lacking_role(tmp_path)
    failure = [line for line in proc.stderr.splitlines() if line.startswith("  - reference_data: ")]
    assert failure == [
        "  - reference_data: 基础数据无法使用 reference data unusable: staff（人员）的文件 staff.csv 被拒收 (rejected): "
        "缺少必需列 missing required columns: role（岗位）。请改正文件后重新运行 (fix the file and run again)"
    ]


def test_reference_file_absent_or_misnamed_is_told_apart(tmp_path):
    home = tmp_path / "home"
    inbox = write_messy_inbox(home / "inbox")
    ref = inbox / "reference"
    (ref / "departments.csv").rename(ref / "部门.csv")
    proc = cli("run", "--as-of", AS_OF, home=home)
    assert proc.returncode != 0
    failure = [line for line in proc.stderr.splitlines() if line.startswith("  - reference_data: ")]
    assert failure == [
        "  - reference_data: 基础数据无法使用 reference data unusable: departments（部门）没有文件 (no file)。"
        f"请把文件放入 {ref}，文件名为表名（如 staff.csv）(put the files in {ref})；未识别的文件 unrecognised files: 部门.csv"
    ]


def test_export_quality_after_a_reference_failure_shows_the_file(tmp_path):
    home, proc = run_with_staff_lacking_role(tmp_path)
    assert "  reference/staff.csv: 缺少必需列 missing required columns: role（岗位）" in proc.stdout.splitlines()
    quality = export(home, "quality", tmp_path / "quality.csv")
    assert quality.select("source", "file", "status", "message").rows() == [
        ("reference", "departments.csv", "loaded", ""),
        ("reference", "matters.csv", "loaded", ""),
        ("reference", "staff.csv", "rejected", "缺少必需列 missing required columns: role（岗位）"),
        ("reference", "windows.csv", "loaded", ""),
    ]


def test_quality_page_says_which_rejected_reply_file_went_back(replied):
    """The office's page of rejected files says that D01's list went back to
    D01; broken.xlsx names no department."""
    home, _ = replied
    page = (home / "dashboards" / "quality.html").read_text(encoding="utf-8")
    sent = [r for r in page.split("<tr>") if NO_STATUS in r]
    assert len(sent) == 1 and "已退回部门 D01（每日整改清单“未受理的反馈”表）" in sent[0] and "sent back to D01" in sent[0]
    broken = [r for r in page.split("<tr>") if "broken.xlsx" in r]
    assert len(broken) == 1 and "已退回部门" not in broken[0]
