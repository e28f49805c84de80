"""The messy inbox through the real graph: every bad row quarantined with the
right reason, every file's counts add up, rejected files name the problem."""

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.runner import run_graph
from tests.messy_inbox import EXPECTED, MISSING_COLUMN_NAMES, write_messy_inbox
from tests.warehouse_reading import table

AS_OF = dt.date(2026, 3, 6)


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("messy")
    inbox = write_messy_inbox(home / "inbox")
    outcome = run_graph(home, inbox, AS_OF, progress=False)
    assert outcome.success, outcome.failures
    return home


def test_every_file_counts_add_up(loaded_home):
    quality = table(loaded_home, "file_quality")
    for row in quality.iter_rows(named=True):
        assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"] + row["duplicates_removed"], row


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_counts_per_file_match_hand_count(loaded_home, key):
    source, file = key
    expected = EXPECTED[key]
    quality = table(loaded_home, "file_quality").filter((pl.col("source") == source) & (pl.col("file") == file))
    assert quality.height == 1
    row = quality.row(0, named=True)
    assert row["status"] == "loaded"
    assert (row["rows_read"], row["rows_loaded"], row["rows_quarantined"], row["duplicates_removed"]) == (
        expected["read"],
        expected["loaded"],
        expected["quarantined"],
        expected["duplicates"],
    )
    quarantine = table(loaded_home, "quarantine").filter((pl.col("source") == source) & (pl.col("file") == file))
    assert dict(zip(quarantine["row"], quarantine["reason"])) == expected["bad_rows"]


def test_quarantined_rows_keep_their_raw_values(loaded_home):
    quarantine = table(loaded_home, "quarantine").filter(pl.col("file") == "2026-03-05.csv", pl.col("source") == "cases")
    row3 = json.loads(quarantine.filter(pl.col("row") == 3)["raw_values"][0])
    assert row3["received_at"] == "2026-02-30 10:00"
    assert row3["extra_column"] == "x"


def test_rejected_files_say_why(loaded_home):
    quality = table(loaded_home, "file_quality").filter(pl.col("status") == "rejected")
    messages = dict(zip(quality["file"], quality["message"]))
    assert set(messages) == {"2026-03-06.csv", "punches-march.csv", "2026-03-06.xlsx"}
    for column in MISSING_COLUMN_NAMES:
        assert column in messages["2026-03-06.csv"]
    assert "日期" in messages["punches-march.csv"]
    assert "Excel" in messages["2026-03-06.xlsx"]


def test_times_forms_and_zones_are_local(loaded_home):
    cases = table(loaded_home, "cases_current")
    c14 = cases.filter(pl.col("case_id") == "C14").row(0, named=True)
    # 2026-03-05T10:00:00Z is 18:00 in Asia/Shanghai.
    assert c14["received_at"] == dt.datetime(2026, 3, 5, 18, 0)
    assert c14["updated_at"] == dt.datetime(2026, 3, 5, 19, 0, 0, 500000)
    assert c14["status"] == "completed" and c14["supplement_count"] == 3 and c14["hall_id"] == "main"
    tickets = table(loaded_home, "queue_tickets", "ticket_id")
    assert tickets["ticket_id"].to_list() == ["T1", "T2", "T5"]
    assert tickets["issued_at"][0] == dt.datetime(2026, 3, 5, 9, 0)
    assert tickets["status"].to_list() == ["served", "no_show", "cancelled"]


def test_cases_upserted_latest_version_wins(loaded_home):
    cases = table(loaded_home, "cases_current")
    c2 = cases.filter(pl.col("case_id") == "C2").row(0, named=True)
    assert c2["status"] == "completed"
    assert c2["completed_at"] == dt.datetime(2026, 3, 6, 15, 0)
    assert c2["supplement_count"] == 2
    assert c2["channel"] == "online"
    assert sorted(cases["case_id"]) == ["C1", "C14", "C2", "C20"]


def test_booleans_codes_and_empty_false(loaded_home):
    events = table(loaded_home, "monitoring_events", "event_id")
    assert events["confirmed"].to_list() == [True, False, False]
    assert events["event_type"].to_list() == ["off_post", "phone", "dress"]
    leave = table(loaded_home, "leave_records", "staff_id")
    assert leave["approved"].to_list() == [False, True]
    callbacks = table(loaded_home, "callbacks", "callback_id")
    assert callbacks["callback_id"].to_list() == ["K1", "K3"]
    assert callbacks["window_id"].to_list() == ["A01", "A02"]
    assert callbacks["satisfaction"].to_list() == [4, None]
    ratings = table(loaded_home, "ratings", "rating_id")
    assert ratings["score"].to_list() == [5, 2, 5]
    assert ratings["channel"].to_list() == ["device", "qr", "hotline"]


def test_reference_forms(loaded_home):
    windows = table(loaded_home, "windows", "window_id")
    assert windows["hall_id"].to_list() == ["main", "main", "main"]
    assert windows["window_type"].to_list() == ["comprehensive", "specialist", "consult"]
    matters = table(loaded_home, "matters", "matter_code")
    assert matters["one_trip"].to_list() == [True, False]
    staff = table(loaded_home, "staff", "staff_id")
    assert staff["role"].to_list() == ["staff", "chief_rep", "staff"]


def test_personal_data_masked_in_quarantine(loaded_home):
    quarantine = table(loaded_home, "quarantine").filter(pl.col("source") == "ratings", pl.col("row") == 3)
    raw = json.loads(quarantine["raw_values"][0])
    assert raw["联系电话"] == "139****5678"
    assert "110101********1234" in raw["评价内容"]
