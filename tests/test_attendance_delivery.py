"""Which attendance days judge absence, through the real graph: a day whose
export was read, not one whose file was rejected or had no usable row
(scoring.md: a missing file does not make everyone absent). Worked out by
hand from the messy inbox's roster (S001, S002, S003; March 2026 has no
holiday) and the files below."""

import datetime as dt

import polars as pl

from pipelines.runner import run_graph
from tests.messy_inbox import write_messy_inbox
from tests.warehouse_reading import table


def test_only_attendance_exports_that_were_read_judge_absence(tmp_path):
    inbox = write_messy_inbox(tmp_path / "inbox")
    folder = inbox / "attendance"
    # Mon 03-09: a row with a field too many, so the file is rejected whole
    (folder / "2026-03-09.csv").write_text("工号,打卡时间\nS001,2026-03-09 08:55,多余\n", encoding="utf-8")
    # Tue 03-10: its one row names a staff id not on the roster, so it is quarantined
    (folder / "2026-03-10.csv").write_text("工号,打卡时间\nS404,2026-03-10 08:55\n", encoding="utf-8")
    # Wed 03-11: read, and nobody punched
    (folder / "2026-03-11.csv").write_text("工号,打卡时间\n", encoding="utf-8")
    assert run_graph(tmp_path / "home", inbox, dt.date(2026, 3, 20), progress=False).success

    files = table(tmp_path / "home", "file_quality").filter(pl.col("source") == "attendance")
    got = {r["file"]: (r["status"], r["rows_read"], r["rows_loaded"]) for r in files.iter_rows(named=True)}
    assert got["2026-03-09.csv"][0] == "rejected"
    assert got["2026-03-10.csv"] == ("loaded", 1, 0)
    assert got["2026-03-11.csv"] == ("loaded", 0, 0)

    absences = table(tmp_path / "home", "rectification_items").filter(pl.col("rule") == "absence")
    assert sorted(absences["subject_ref"]) == [
        "S001@2026-03-11", "S002@2026-03-11", "S003@2026-03-05", "S003@2026-03-11",
    ]
