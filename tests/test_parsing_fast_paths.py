"""Staging reads the common forms by a fast pass and keeps Parquet cells
typed; these pin that the results are what the general rules say, cell by
cell, for files mixing the common form with every odd one."""

import datetime as dt
import json

import polars as pl
import pytest

from assets.ingest import contract as c
from assets.ingest.readers import read_text_frame
from assets.ingest.validate import KEY_SEP, ReferenceKeys, validate_file

KEYS = ReferenceKeys(
    halls=frozenset({"main"}),
    windows=frozenset({f"main{KEY_SEP}A01"}),
    staff_hall={"S1": "main"},
    matters=frozenset({"M1"}),
)
CASE_HEADER = "case_id,window_id,staff_id,matter_code,received_at,completed_at,status,supplement_count,visit_count,channel,updated_at"


def stage(source: str, path):
    return validate_file(c.DAILY_SOURCES[source], read_text_frame(path), KEYS, path.name, dt.date(2026, 3, 5))


def case_line(case_id: str, received: str = "2026-03-05 09:00:07", supplements: str = "0") -> str:
    return f"{case_id},A01,S1,M1,{received},,in_progress,{supplements},1,window,2026-03-05 12:00:00"


# received_at as written -> the local time it stands for (None: bad_timestamp)
TIMES = {
    "2026-03-05 09:00:07": dt.datetime(2026, 3, 5, 9, 0, 7),
    "2026/3/5 9:05": dt.datetime(2026, 3, 5, 9, 5),
    "2026-03-05 9:00:07": dt.datetime(2026, 3, 5, 9, 0, 7),
    "2026-03-05T10:00:00Z": dt.datetime(2026, 3, 5, 18, 0),
    "2026-03-05 09:00:07.25+08:00": dt.datetime(2026, 3, 5, 9, 0, 7, 250000),
    " 2026-03-05 09:00:07 ": dt.datetime(2026, 3, 5, 9, 0, 7),
    "2026-03-05 24:00:00": None,  # the canonical shape, but no such hour
    "2026-03-05 09:00:60": None,  # the canonical shape: strptime rolls it over to 09:01
    "2026-12-31 23:59:60": None,  # (to the next year)
    "2026-03-05 9:00:60": None,  # the general pass alike
    "2026-02-30 10:00:00": None,
    "2026-03-05  09:00:07": None,  # two spaces: strptime alone would take it
    "2026-03-0509:00:07": None,
    "12026-03-05 09:00:07": None,
    "2026-03-05": None,
}


def test_timestamps_mixing_common_and_odd_forms(tmp_path):
    cases = {f"C{i}": text for i, text in enumerate(TIMES)}
    path = tmp_path / "2026-03-05.csv"
    path.write_text("\n".join([CASE_HEADER, *(case_line(cid, f'"{text}"') for cid, text in cases.items())]) + "\n")
    result = stage("cases", path)
    loaded = dict(zip(result.loaded["case_id"], result.loaded["received_at"]))
    bad = dict(zip(result.quarantined["row"], result.quarantined["reason"]))
    for row, (case_id, text) in enumerate(cases.items(), start=1):
        if TIMES[text] is None:
            assert bad.get(row) == "bad_timestamp", text
        else:
            assert loaded.get(case_id) == TIMES[text], text
    assert result.rows_read == len(TIMES) == result.loaded.height + result.quarantined.height


COUNTS = {"3": 3, "+3": 3, "03": 3, "3.0": 3, "-0": 0, "12": 12, "2.5": None, "３": None, "-1": "negative"}


def test_counts_mixing_common_and_odd_forms(tmp_path):
    path = tmp_path / "2026-03-05.csv"
    lines = [case_line(f"C{i}", supplements=text) for i, text in enumerate(COUNTS)]
    path.write_text("\n".join([CASE_HEADER, *lines]) + "\n", encoding="utf-8")
    result = stage("cases", path)
    loaded = dict(zip(result.loaded["case_id"], result.loaded["supplement_count"]))
    bad = dict(zip(result.quarantined["row"], result.quarantined["reason"]))
    for row, (text, expected) in enumerate(COUNTS.items(), start=1):
        if expected is None:
            assert bad[row] == "bad_number", text
        elif expected == "negative":
            assert bad[row] == "negative_count", text
        else:
            assert loaded[f"C{row - 1}"] == expected, text


def write_queue_parquet(path, issued: pl.Series, called: pl.Series) -> None:
    n = issued.len()
    pl.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(1, n + 1)],
            "issued_at": issued,
            "called_at": called,
            "window_id": ["A01"] * n,
            "status": ["served"] * n,
        }
    ).write_parquet(path)


def test_parquet_time_zone_is_converted_to_shanghai(tmp_path):
    path = tmp_path / "2026-03-05.parquet"
    utc = pl.Series([dt.datetime(2026, 3, 5, 1, 0), dt.datetime(2026, 3, 4, 23, 30)]).dt.replace_time_zone("UTC")
    write_queue_parquet(path, utc, utc + dt.timedelta(minutes=10))
    result = stage("queue", path)
    assert result.quarantined.height == 0
    assert result.loaded["issued_at"].to_list() == [dt.datetime(2026, 3, 5, 9, 0), dt.datetime(2026, 3, 5, 7, 30)]
    assert result.loaded["called_at"].to_list() == [dt.datetime(2026, 3, 5, 9, 10), dt.datetime(2026, 3, 5, 7, 40)]
    assert result.loaded.schema["issued_at"] == pl.Datetime("us")


def test_parquet_naive_times_are_local_and_nanoseconds_cut_to_microseconds(tmp_path):
    path = tmp_path / "2026-03-05.parquet"
    nanos = pl.Series([1_772_701_200_123_456_789]).cast(pl.Datetime("ns"))  # 2026-03-05 09:00:00.123456789
    write_queue_parquet(path, nanos, pl.Series([None], dtype=pl.Datetime("ms")))
    result = stage("queue", path)
    assert result.loaded["issued_at"].to_list() == [dt.datetime(2026, 3, 5, 9, 0, 0, 123456)]
    assert result.loaded["called_at"].to_list() == [None]


def test_parquet_quarantine_shows_typed_cells_as_text(tmp_path):
    path = tmp_path / "2026-03-05.parquet"
    issued = pl.Series([dt.datetime(2026, 3, 5, 9, 0), dt.datetime(2026, 3, 5, 9, 0, 0, 500000)])
    called = pl.Series([dt.datetime(2026, 3, 5, 8, 0), dt.datetime(2026, 3, 5, 9, 5)])
    write_queue_parquet(path, issued, called)
    result = stage("queue", path)
    assert result.loaded["ticket_id"].to_list() == ["T2"]
    row = result.quarantined.row(0, named=True)
    assert (row["row"], row["reason"]) == (1, "finish_before_start")
    assert row["detail"] == "called_at（叫号时间）结束早于开始：'2026-03-05 08:00:00'"
    assert json.loads(row["raw_values"]) == {
        "ticket_id": "T1",
        "issued_at": "2026-03-05 09:00:00",
        "called_at": "2026-03-05 08:00:00",
        "window_id": "A01",
        "status": "served",
    }


def test_parquet_typed_counts_scores_and_booleans(tmp_path):
    path = tmp_path / "2026-03-05.parquet"
    pl.DataFrame(
        {
            "callback_id": ["K1", "K2", "K3"],
            "case_id": ["C1", "C2", "C3"],
            "called_at": [dt.datetime(2026, 3, 5, 10, 0)] * 3,
            "outcome": ["reached"] * 3,
            "satisfaction": pl.Series([5, None, 300], dtype=pl.Int32),
            "problem_type": ["none"] * 3,
            "problem_verified": [True, None, False],
        }
    ).write_parquet(path)
    result = stage("callbacks", path)
    assert result.loaded["satisfaction"].to_list() == [5, None]
    assert result.loaded["problem_verified"].to_list() == [True, False]  # empty means false here
    assert dict(zip(result.quarantined["row"], result.quarantined["reason"])) == {3: "out_of_range"}
    assert "'300'" in result.quarantined["detail"][0]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_exact_duplicates_need_every_cell_equal(tmp_path, suffix):
    rows = [case_line("C1"), case_line("C1"), case_line("C1", supplements="1"), case_line("C2"), case_line("C1")]
    csv = tmp_path / "2026-03-05.csv"
    csv.write_text("\n".join([CASE_HEADER, *rows]) + "\n")
    path = csv
    if suffix == "parquet":
        path = tmp_path / "2026-03-05.parquet"
        pl.read_csv(csv, infer_schema=False).write_parquet(path)
    result = stage("cases", path)
    assert result.duplicates_removed == 2
    assert result.loaded["source_row"].to_list() == [1, 3, 4]
    assert result.rows_read == 5
