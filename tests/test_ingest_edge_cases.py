"""Edge cases of the input contract, each with real files written here (CSV,
XLSX by openpyxl, Parquet by polars) and the expected rows worked out by hand
from inputs.md and docs/INGEST.md:

- XLSX row numbers count blank lines, as CSV ones do;
- an Excel cell holding a time alone is unparseable, as the text '09:05' is;
- impossible seconds and offsets are quarantined, not rolled over;
- 'nan' and 'inf' are no number;
- a stray file (2026-03-05.csv.bak, '2026-03-05 (1).csv') is reported, never
  taken for the day's delivery.
"""

import datetime as dt
import json
import os

import openpyxl
import polars as pl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from assets.ingest import contract as c
from assets.ingest.inbox import files_by_partition
from assets.ingest.readers import FileRejected, read_text_frame, why_unreadable
from assets.ingest.staging import StagedStore, stage_partition
from assets.ingest.validate import KEY_SEP, ReferenceKeys, validate_file

DAY = dt.date(2026, 3, 5)
KEYS = ReferenceKeys(
    halls=frozenset({"main"}),
    windows=frozenset({f"main{KEY_SEP}A01"}),
    staff_hall={"S1": "main"},
    matters=frozenset({"M1"}),
)


def stage(source: str, path):
    return validate_file(c.DAILY_SOURCES[source], read_text_frame(path), KEYS, path.name, DAY)


def bad_rows(result) -> dict[int, str]:
    return dict(zip(result.quarantined["row"], result.quarantined["reason"]))


def write_xlsx(path, rows, epoch=None):
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


# ---- XLSX row numbers -------------------------------------------------------

# Data rows as a person sees them under the header: 2, 4 and 5 are blank.
PUNCHES = [
    ("S1", "2026-03-05 09:00:00"),  # 1 ok
    (None, None),  # 2 blank
    ("S1", "nonsense"),  # 3 bad_timestamp
    (None, None),  # 4 blank
    (None, None),  # 5 blank
    ("S1", "2026-03-05 17:00:00"),  # 6 ok
    ("S9", "2026-03-05 17:05:00"),  # 7 unknown staff
]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_row_numbers_count_blank_lines_in_csv_and_xlsx(tmp_path, suffix):
    path = tmp_path / f"2026-03-05.{suffix}"
    if suffix == "csv":
        lines = ["staff_id,punch_at", *(",".join(cell or "" for cell in row) if row[0] else "" for row in PUNCHES)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        write_xlsx(path, [["staff_id", "punch_at"], *PUNCHES])
    result = stage("attendance", path)
    assert bad_rows(result) == {3: "bad_timestamp", 7: "unknown_code"}
    assert result.loaded["source_row"].to_list() == [1, 6]
    # Blank lines are not rows: read = loaded + quarantined + duplicates.
    assert (result.rows_read, result.loaded.height, result.quarantined.height, result.duplicates_removed) == (4, 2, 2, 0)


def test_xlsx_blank_rows_before_a_duplicate_keep_the_sheet_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "2026-03-05.xlsx",
        [["staff_id", "punch_at"], ["S1", "2026-03-05 09:00:00"], [None, None], ["S1", "2026-03-05 09:00:00"], ["S1", "x"]],
    )
    result = stage("attendance", path)
    assert result.duplicates_removed == 1
    assert bad_rows(result) == {4: "bad_timestamp"}
    assert result.rows_read == 3


# ---- a time alone in an Excel cell ------------------------------------------


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_xlsx_time_only_cell_is_a_bad_timestamp_like_the_text(tmp_path, epoch):
    path = write_xlsx(
        tmp_path / "2026-03-05.xlsx",
        [
            ["staff_id", "punch_at"],
            ["S1", dt.time(9, 5)],  # 1 a time cell
            ["S1", "09:05"],  # 2 the same as text
            ["S1", dt.time(0, 0)],  # 3 midnight, time alone
            ["S1", dt.datetime(2026, 3, 5, 9, 5)],  # 4 ok
            ["S1", dt.date(2026, 3, 5)],  # 5 a date cell: midnight (INGEST.md)
        ],
        epoch,
    )
    result = stage("attendance", path)
    assert bad_rows(result) == {1: "bad_timestamp", 2: "bad_timestamp", 3: "bad_timestamp"}
    assert result.loaded["punch_at"].to_list() == [dt.datetime(2026, 3, 5, 9, 5), dt.datetime(2026, 3, 5)]
    # The office sees the time the cell shows, not Excel's day zero.
    raw = json.loads(result.quarantined.filter(pl.col("row") == 1)["raw_values"][0])
    assert raw["punch_at"] == "09:05:00"


# ---- impossible times and offsets -------------------------------------------

# punch_at as written -> the local time it stands for (None: bad_timestamp)
TIMES = {
    "2026-03-05 09:00:59": dt.datetime(2026, 3, 5, 9, 0, 59),
    "2026-03-05 09:00:60": None,  # no 60th second (was 09:01:00)
    "2026-12-31 23:59:60": None,  # (was the next year)
    "2026/3/5 9:00:60": None,
    "2026-03-05T09:00:60Z": None,
    "2026-03-05 09:60": None,
    "2026-03-05T09:00:00+25:00": None,  # no such offset (was accepted)
    "2026-03-05T09:00:00+08:60": None,
    "2026-03-05T09:00:00-13:00": None,
    "2026-03-05T09:00:00+1400": dt.datetime(2026, 3, 5, 3, 0),  # Kiribati, the easternmost
    "2026-03-05T09:00:00-12:00": dt.datetime(2026, 3, 6, 5, 0),  # the westernmost
    "2026-03-05T09:00:00-00:00": dt.datetime(2026, 3, 5, 17, 0),
}


def test_impossible_seconds_and_offsets_are_bad_timestamps(tmp_path):
    path = tmp_path / "2026-03-05.csv"
    path.write_text("staff_id,punch_at\n" + "".join(f"S1,{text}\n" for text in TIMES), encoding="utf-8")
    # staged as the next day's export: an offset moves one time into 03-06
    result = validate_file(c.DAILY_SOURCES["attendance"], read_text_frame(path), KEYS, path.name, DAY + dt.timedelta(days=1))
    loaded = dict(zip(result.loaded["source_row"], result.loaded["punch_at"]))
    bad = bad_rows(result)
    for row, (text, expected) in enumerate(TIMES.items(), start=1):
        if expected is None:
            assert bad.get(row) == "bad_timestamp", text
        else:
            assert loaded.get(row) == expected, text
    assert result.rows_read == len(TIMES)


# ---- numbers ----------------------------------------------------------------

MONITORING_HEADER = "event_id,occurred_at,window_id,staff_id,event_type,duration_minutes,source,confirmed,evidence_ref"


def test_nan_and_inf_durations_are_bad_numbers(tmp_path):
    durations = ["5", "nan", "inf", "-inf", "NaN", "Infinity", "2.5", "", "1e1"]
    path = tmp_path / "2026-03-05.csv"
    lines = [f"E{i},2026-03-05 10:00:00,A01,S1,phone,{d},patrol,是," for i, d in enumerate(durations, start=1)]
    path.write_text("\n".join([MONITORING_HEADER, *lines]) + "\n", encoding="utf-8")
    result = stage("monitoring", path)
    assert bad_rows(result) == {2: "bad_number", 3: "bad_number", 4: "bad_number", 5: "bad_number", 6: "bad_number"}
    loaded = dict(zip(result.loaded["event_id"], result.loaded["duration_minutes"]))
    assert loaded == {"E1": 5.0, "E7": 2.5, "E8": None, "E9": 10.0}


def test_parquet_float_nan_is_an_empty_cell_and_inf_a_bad_number(tmp_path):
    # pandas writes a missing float as NaN; infinity is no duration.
    path = tmp_path / "2026-03-05.parquet"
    pl.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4"],
            "occurred_at": ["2026-03-05 10:00:00"] * 4,
            "window_id": ["A01"] * 4,
            "event_type": ["phone"] * 4,
            "duration_minutes": [float("nan"), float("inf"), 3.0, 1e20],
            "source": ["patrol"] * 4,
            "confirmed": ["是"] * 4,
        }
    ).write_parquet(path)
    result = stage("monitoring", path)
    assert bad_rows(result) == {2: "bad_number"}
    loaded = dict(zip(result.loaded["event_id"], result.loaded["duration_minutes"]))
    assert loaded == {"E1": None, "E3": 3.0, "E4": 1e20}


# ---- stray files beside a day's delivery -------------------------------------


def write_punches(path, staff: str, mtime: int) -> None:
    path.write_text(f"staff_id,punch_at\n{staff},2026-03-05 09:00:00\n", encoding="utf-8")
    os.utime(path, ns=(mtime, mtime))


def stage_day(inbox, store, day):
    files = files_by_partition(inbox, "attendance").get(day, [])
    manifest = stage_partition(store, "attendance", day, files, KEYS, "ref-v1")
    return {row["file"]: row for row in manifest.iter_rows(named=True)}


def test_stray_files_never_supersede_the_delivery(tmp_path):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    folder = inbox / "attendance"
    folder.mkdir(parents=True)
    t = 1_772_700_000_000_000_000
    write_punches(folder / "2026-03-05.csv", "S1", t)  # the delivery, oldest
    strays = ["2026-03-05.csv.bak", "2026-03-05 (1).csv", "2026-03-05.csv~", "attendance_2026-03-05.csv"]
    for i, name in enumerate(strays, start=1):
        write_punches(folder / name, "S9", t + i * 1_000_000_000)  # each newer
    rows = stage_day(inbox, store, DAY)
    assert set(rows) == {"2026-03-05.csv", *strays}
    delivery = rows["2026-03-05.csv"]
    assert (delivery["status"], delivery["rows_read"], delivery["rows_loaded"]) == ("loaded", 1, 1)
    for name in strays:
        assert rows[name]["status"] == "rejected", name
        assert "YYYY-MM-DD.csv" in rows[name]["message"] and "superseded" not in rows[name]["message"], name
        assert rows[name]["rows_read"] == 0
    # a name that makes the delivery name plain is told it; a backup is not
    assert "请改名为 2026-03-05.csv" in rows["attendance_2026-03-05.csv"]["message"]
    assert "改名为" not in rows["2026-03-05.csv.bak"]["message"]
    staged = pl.read_parquet(store.data_path("attendance", DAY))
    assert staged["staff_id"].to_list() == ["S1"]


def test_a_day_with_only_a_stray_file_loads_nothing_and_says_why(tmp_path):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    (inbox / "attendance").mkdir(parents=True)
    write_punches(inbox / "attendance" / "2026-03-05 (1).csv", "S1", 1_772_700_000_000_000_000)
    rows = stage_day(inbox, store, DAY)
    assert list(rows) == ["2026-03-05 (1).csv"]
    assert rows["2026-03-05 (1).csv"]["status"] == "rejected"
    assert "YYYY-MM-DD.csv" in rows["2026-03-05 (1).csv"]["message"]
    assert pl.read_parquet(store.data_path("attendance", DAY)).height == 0


def test_delivery_names_newest_wins_and_extension_case_is_free(tmp_path):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    folder = inbox / "attendance"
    folder.mkdir(parents=True)
    t = 1_772_700_000_000_000_000
    write_punches(folder / "2026-03-05.csv", "S1", t)
    write_punches(folder / "2026-03-05.CSV", "S9", t + 1_000_000_000)  # newer, a delivery name too
    rows = stage_day(inbox, store, DAY)
    assert rows["2026-03-05.CSV"]["status"] == "loaded"
    assert rows["2026-03-05.csv"]["status"] == "rejected"
    assert "superseded" in rows["2026-03-05.csv"]["message"]


def test_stray_backup_through_the_graph_keeps_the_day(tmp_path):
    from pipelines.runner import run_graph
    from tests.messy_inbox import write_reference
    from tests.warehouse_reading import table

    home, inbox = tmp_path / "home", tmp_path / "inbox"
    home.mkdir()
    write_reference(inbox)
    folder = inbox / "attendance"
    folder.mkdir()
    t = 1_772_700_000_000_000_000
    (folder / "2026-03-05.csv").write_text("staff_id,punch_at\nS001,2026-03-05 08:55\nS002,2026-03-05 09:10\n")
    os.utime(folder / "2026-03-05.csv", ns=(t, t))
    (folder / "2026-03-05.csv.bak").write_text("staff_id,punch_at\nS001,2026-03-05 08:00\n")
    os.utime(folder / "2026-03-05.csv.bak", ns=(t + 10**9, t + 10**9))
    # never read either, and listed too: a file in a subfolder, one at the top of the inbox
    (folder / "old").mkdir()
    (folder / "old" / "2026-03-05.csv").write_text("staff_id,punch_at\nS001,2026-03-05 07:00\n")
    (inbox / "2026-03-05.csv").write_text("staff_id,punch_at\n")
    # a date written without dashes, and a source's folder under its Chinese name
    (folder / "20260305.csv").write_text("staff_id,punch_at\n")
    (inbox / "办件").mkdir()
    (inbox / "办件" / "2026-03-05.csv").write_text("case_id\n")
    outcome = run_graph(home, inbox, DAY, progress=False)
    assert outcome.success, outcome.failures
    elsewhere = table(home, "file_quality").filter(
        pl.col("source").is_in(["inbox", "attendance"]) & pl.col("file").is_in(["old/2026-03-05.csv", "2026-03-05.csv"])
    )
    assert sorted(elsewhere.select("source", "file", "status", "rows_read").rows()) == [
        ("attendance", "2026-03-05.csv", "loaded", 2),
        ("attendance", "old/2026-03-05.csv", "rejected", 0),
        ("inbox", "2026-03-05.csv", "rejected", 0),
    ]
    misplaced = table(home, "file_quality").filter(pl.col("file") == "20260305.csv").vstack(
        table(home, "file_quality").filter(pl.col("source") == "办件")
    )
    assert misplaced.select("source", "file", "status", "message").rows() == [
        ("attendance", "20260305.csv", "rejected",
         "文件名中没有有效日期（应为 YYYY-MM-DD，如是当日数据请改名为 2026-03-05.csv）(no valid date in file name: 2026-03-05.csv?)"),
        ("办件", "2026-03-05.csv", "rejected", "未知的文件夹 办件，办件数据应放在 cases/ 文件夹 (unknown folder: cases/?)"),
    ]
    quality = table(home, "file_quality").filter(pl.col("source") == "attendance", pl.col("file") != "20260305.csv")
    rows = {row["file"]: row for row in quality.iter_rows(named=True)}
    assert set(rows) == {"2026-03-05.csv", "2026-03-05.csv.bak", "old/2026-03-05.csv"}
    assert "子文件夹" in rows["old/2026-03-05.csv"]["message"]
    assert (rows["2026-03-05.csv"]["status"], rows["2026-03-05.csv"]["rows_loaded"]) == ("loaded", 2)
    assert rows["2026-03-05.csv.bak"]["status"] == "rejected"
    assert "YYYY-MM-DD.csv" in rows["2026-03-05.csv.bak"]["message"]


@pytest.mark.parametrize(
    "name, meant",
    [
        ("20260305.csv", "2026-03-05.csv"),
        ("2026.3.5.XLSX", "2026-03-05.xlsx"),
        ("2026年3月5日.parquet", "2026-03-05.parquet"),
        ("cases_2026-03-05.csv", "2026-03-05.csv"),
        ("20260305.xls", None),  # not a type the inbox reads
        ("20261305.csv", None),  # no such month
        ("2026-03-05_2026-03-06.csv", None),  # two dates: which one?
        ("punches-march.csv", None),
    ],
)
def test_the_delivery_name_a_file_was_meant_to_have(name, meant):
    from assets.ingest.inbox import delivery_name_for

    assert delivery_name_for(name) == meant


@pytest.mark.parametrize(
    "folder, hint",
    [
        ("Queue", "排队叫号数据应放在 queue/ 文件夹"),
        ("ratting", "好差评数据应放在 ratings/ 文件夹"),
        ("窗口", "窗口表应放在 reference/ 文件夹，文件名 windows.xlsx"),
        ("整改反馈", "应为 rectification_updates/ 文件夹"),
        ("misc", None),
    ],
)
def test_an_unknown_folder_is_told_where_its_files_belong(folder, hint):
    from assets.ingest.quality import unknown_folder_message

    message = unknown_folder_message(folder)
    assert message.startswith(f"未知的文件夹 {folder}")
    assert (hint in message) if hint else message == f"未知的文件夹 {folder} (unknown folder)"


# ---- Parquet columns that cannot be cast to text ------------------------------

# An extra column of each such type: four values, the first and the last the same,
# and the text the second one is shown as in the quarantine's raw values.
EXTRA_COLUMNS = [
    (pl.List(pl.String), [["a", "b"], ["c"], [], ["a", "b"]], '["c"]'),
    (pl.Array(pl.Int64, 2), [[1, 2], [3, 4], [5, 6], [1, 2]], "[3, 4]"),
    (pl.Struct({"k": pl.String}), [{"k": "x"}, {"k": "办件"}, {"k": None}, {"k": "x"}], '{"k": "办件"}'),
    (pl.Binary, [b"\xff\x01", b"\xfe", b"ok", b"\xff\x01"], "0xfe"),
    (pl.Duration("us"), [dt.timedelta(minutes=5), dt.timedelta(hours=1, minutes=30), None, dt.timedelta(minutes=5)], "1:30:00"),
]


@pytest.mark.parametrize("dtype, tags, shown", EXTRA_COLUMNS, ids=["list", "array", "struct", "binary", "duration"])
def test_parquet_extra_column_that_cannot_be_text_is_ignored(tmp_path, dtype, tags, shown):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    (inbox / "attendance").mkdir(parents=True)
    pl.DataFrame(
        {
            "staff_id": ["S1", "S1", "S1", "S1"],
            "punch_at": ["2026-03-05 09:00:00", "nonsense", "2026-03-05 09:00:00", "2026-03-05 09:00:00"],
            "tags": pl.Series(tags, dtype=dtype),
        }
    ).write_parquet(inbox / "attendance" / "2026-03-05.parquet")
    row = stage_day(inbox, store, DAY)["2026-03-05.parquet"]
    # 2 bad_timestamp; 3 differs from 1 in tags alone, so it is no duplicate; 4 is 1 again.
    assert (row["status"], row["message"]) == ("loaded", "")
    assert (row["rows_read"], row["rows_loaded"], row["rows_quarantined"], row["duplicates_removed"]) == (4, 2, 1, 1)
    staged = pl.read_parquet(store.data_path("attendance", DAY))
    assert staged.select("source_row", "punch_at").rows() == [(1, dt.datetime(2026, 3, 5, 9)), (3, dt.datetime(2026, 3, 5, 9))]
    bad = pl.read_parquet(store.quarantine_path("attendance", DAY))
    assert bad.select("row", "reason").rows() == [(2, "bad_timestamp")]
    assert json.loads(bad["raw_values"][0]) == {"staff_id": "S1", "punch_at": "nonsense", "tags": shown}


@pytest.mark.parametrize(
    "column, cells, message",
    [
        (
            "punch_at",
            pl.Series([["2026-03-05 09:00:00"], ["2026-03-05 17:00:00"]], dtype=pl.List(pl.String)),
            "列 punch_at 的类型 List(String) 无法读作文本 (column punch_at: List(String) cannot be read as text)",
        ),
        (
            "打卡时间",
            pl.Series([dt.timedelta(hours=9), dt.timedelta(hours=17)], dtype=pl.Duration("us")),
            "列 打卡时间 的类型 Duration 无法读作文本 (column 打卡时间: Duration cannot be read as text)",
        ),
        (
            "工号",
            pl.Series([b"S1", b"\xc9\xcf"], dtype=pl.Binary),  # GBK bytes, not UTF-8
            "列 工号 是二进制数据，不是 UTF-8 文本 (column 工号: binary data that is not UTF-8 text)",
        ),
    ],
    ids=["list", "duration", "binary"],
)
def test_parquet_contract_column_that_cannot_be_text_rejects_the_file(tmp_path, column, cells, message):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    (inbox / "attendance").mkdir(parents=True)
    frame = pl.DataFrame({"staff_id": ["S1", "S1"], "punch_at": ["2026-03-05 09:00:00", "2026-03-05 17:00:00"]})
    if column == "工号":
        frame = frame.drop("staff_id")
    if column == "打卡时间":
        frame = frame.drop("punch_at")
    frame.with_columns(cells.alias(column)).write_parquet(inbox / "attendance" / "2026-03-05.parquet")
    # The next day's file goes on.
    write_punches(inbox / "attendance" / "2026-03-06.csv", "S1", 1_772_700_000_000_000_000)
    row = stage_day(inbox, store, DAY)["2026-03-05.parquet"]
    assert (row["status"], row["rows_read"], row["message"]) == ("rejected", 0, message)
    assert pl.read_parquet(store.data_path("attendance", DAY)).height == 0
    assert stage_day(inbox, store, dt.date(2026, 3, 6))["2026-03-06.csv"]["status"] == "loaded"


def test_parquet_second_header_for_a_column_is_extra_and_utf8_bytes_are_text(tmp_path):
    # 工号 names staff_id again: the first header is the column, the second
    # an extra one, so its list type is no reason to reject. Text written as
    # bytes (a string column without its UTF-8 annotation) is text.
    path = tmp_path / "2026-03-05.parquet"
    pl.DataFrame(
        {
            "staff_id": pl.Series([b"S1", b"S9"], dtype=pl.Binary),
            "punch_at": ["2026-03-05 09:00:00", "2026-03-05 10:00:00"],
            "工号": pl.Series([["S1"], None], dtype=pl.List(pl.String)),
        }
    ).write_parquet(path)
    result = validate_file(
        c.DAILY_SOURCES["attendance"], read_text_frame(path, c.DAILY_SOURCES["attendance"]), KEYS, path.name, DAY
    )
    assert result.loaded.select("staff_id", "source_row").rows() == [("S1", 1)]
    assert bad_rows(result) == {2: "unknown_code"}
    assert json.loads(result.quarantined["raw_values"][0]) == {"staff_id": "S9", "punch_at": "2026-03-05 10:00:00", "工号": None}


def test_parquet_list_columns_through_the_graph(tmp_path):
    """An extra list column loads its file; a contract column of lists rejects
    its file alone, and the run goes on."""
    from pipelines.runner import run_graph
    from tests.messy_inbox import write_reference
    from tests.warehouse_reading import table

    home, inbox = tmp_path / "home", tmp_path / "inbox"
    home.mkdir()
    write_reference(inbox)
    (inbox / "attendance").mkdir()
    pl.DataFrame(
        {
            "staff_id": ["S001", "S002"],
            "punch_at": ["2026-03-05 08:55", "2026-03-05 09:10"],
            "tags": pl.Series([["早到"], []], dtype=pl.List(pl.String)),
        }
    ).write_parquet(inbox / "attendance" / "2026-03-05.parquet")
    (inbox / "queue").mkdir()
    pl.DataFrame(
        {
            "ticket_id": ["T1"],
            "issued_at": [dt.datetime(2026, 3, 5, 9)],
            "window_id": pl.Series([["A01"]], dtype=pl.List(pl.String)),
            "status": ["cancelled"],
        }
    ).write_parquet(inbox / "queue" / "2026-03-05.parquet")
    outcome = run_graph(home, inbox, DAY, progress=False)
    assert outcome.success, outcome.failures
    quality = table(home, "file_quality").filter(pl.col("source").is_in(["attendance", "queue"]))
    assert sorted(quality.select("source", "status", "rows_loaded", "message").rows()) == [
        ("attendance", "loaded", 2, ""),
        ("queue", "rejected", 0, "列 window_id 的类型 List(String) 无法读作文本 (column window_id: List(String) cannot be read as text)"),
    ]


# ---- a CSV the parser gives up on names the row -------------------------------

# Data rows 1-5 under the header: 2 is blank, 3 holds a quoted line break, 4 is the bad one.
CSV_BEFORE = '工号,打卡时间\nS1,2026-03-05 09:00\n\n"S1","2026-03-05\n10:00"\n'
CSV_AFTER = "S1,2026-03-05 17:00\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize(
    "line, message",
    [
        ("S1,2026-03-05 11:00,多余\n", "CSV 格式错误：第 4 行多出字段 (row 4: more fields than the header)"),
        ('S1,"2026-03-05 11:00\n', "CSV 格式错误：第 4 行引号不成对 (row 4: unbalanced quote)"),
        ('S1,2026-03-05 11:00 张"三\n', "CSV 格式错误：第 4 行引号不成对 (row 4: unbalanced quote)"),
        ('"S1"号,2026-03-05 11:00\n', "CSV 格式错误：第 4 行引号后有多余字符 (row 4: text after a closing quote)"),
    ],
    ids=["more_fields", "unclosed_quote", "stray_quote", "text_after_quote"],
)
def test_csv_parser_failure_names_the_row(tmp_path, encoding, line, message):
    path = tmp_path / "2026-03-05.csv"
    path.write_bytes((CSV_BEFORE + line + CSV_AFTER).encode(encoding))
    with pytest.raises(FileRejected) as rejected:
        read_text_frame(path)
    assert str(rejected.value) == message
    # The row number is the one the quarantine would give that line.
    path.write_bytes((CSV_BEFORE + "S1,午饭\n" + CSV_AFTER).encode(encoding))
    assert bad_rows(stage("attendance", path)) == {3: "bad_timestamp", 4: "bad_timestamp"}


def test_csv_rejected_through_staging_names_the_row(tmp_path):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    (inbox / "attendance").mkdir(parents=True)
    (inbox / "attendance" / "2026-03-05.csv").write_text(
        "staff_id,punch_at\nS1,2026-03-05 09:00\nS1,2026-03-05 10:00\nS1,2026-03-05 11:00,x\n", encoding="utf-8"
    )
    row = stage_day(inbox, store, DAY)["2026-03-05.csv"]
    assert (row["status"], row["message"]) == ("rejected", "CSV 格式错误：第 3 行多出字段 (row 3: more fields than the header)")


def _title_rows_then_punches(path, title_rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in title_rows:
        ws.append(row)
    ws.append(["工号", "打卡时间"])
    ws.append(["S1", "2026-03-05 09:00:00"])
    wb.save(path)


def _notes_sheet_first(path):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["本表由考勤机导出，请勿修改表头"])
    data = wb.create_sheet("考勤")
    data.append(["staff_id", "punch_at"])
    data.append(["S1", "2026-03-05 09:00:00"])
    wb.save(path)


def _blank_rows_then_a_missing_column(path):
    wb = openpyxl.Workbook()
    wb.active["A3"] = "staff_id"  # rows 1-2 blank: read past, as the contract reads them
    wb.active["A4"] = "S1"
    wb.save(path)


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("2026-03-05.csv",
         lambda p: p.write_text("2026年3月5日考勤记录\nstaff_id,punch_at\nS1,2026-03-05 09:00\n", encoding="gb18030"),
         "表头应在第 1 行：本文件的表头在第 2 行，请删去上面的 1 行 (the header must be on line 1; this file's header "
         "is on line 2: delete the 1 line above it)（CSV 格式错误：第 1 行多出字段 (row 1: more fields than the header)）"),
        ("2026-03-05.xlsx", lambda p: _title_rows_then_punches(p, [["考勤记录"], ["导出日期：2026-03-06"]]),
         "表头应在第 1 行：本文件的表头在第 3 行，请删去上面的 2 行 (the header must be on line 1; this file's header "
         "is on line 3: delete the 2 lines above it)（缺少必需列 missing required columns: staff_id（工号）、punch_at（打卡时间））"),
        ("2026-03-05.xlsx", _notes_sheet_first,
         "数据应在第一个工作表，表头在工作表“考勤”：请把它移到最前面，表头放在第 1 行 (the data must be on the first "
         "sheet; the header is on sheet '考勤': move that sheet to the front, with the header on line 1)"
         "（缺少必需列 missing required columns: staff_id（工号）、punch_at（打卡时间））"),
        # nothing misplaced: the header is where the contract reads it, a column is missing
        ("2026-03-05.xlsx", _blank_rows_then_a_missing_column, "缺少必需列 missing required columns: punch_at（打卡时间）"),
    ],
)
def test_a_header_below_a_title_or_on_another_sheet_is_pointed_to(tmp_path, name, make, message):
    inbox, store = tmp_path / "inbox", StagedStore(tmp_path / "staged")
    (inbox / "attendance").mkdir(parents=True)
    make(inbox / "attendance" / name)
    row = stage_day(inbox, store, DAY)[name]
    assert (row["status"], row["message"]) == ("rejected", message)


# ---- times after the export day ------------------------------------------------

def test_a_time_after_the_files_export_day_is_quarantined(tmp_path):
    """A day's export holds what happened by the end of that day: a punch of
    03-06 in the 03-05 file (or in 2062) is a mistyped time. Leave is planned
    ahead and may lie in the future."""
    path = tmp_path / "2026-03-05.csv"
    path.write_text(
        "staff_id,punch_at\n"
        "S1,2026-03-05 23:59:59\n"  # 1 the last second of the day: loaded
        "S1,2026-03-06 00:00:00\n"  # 2 the next day
        "S1,2062-03-05 08:55\n"  # 3 a mistyped year
        "S1,2026-03-05T16:30:00Z\n",  # 4 00:30 on 03-06 in Shanghai
        encoding="utf-8",
    )
    result = stage("attendance", path)
    assert result.loaded["source_row"].to_list() == [1]
    bad = result.quarantined.sort("row")
    assert bad["reason"].to_list() == ["after_export_day"] * 3
    assert bad["detail"].to_list() == [
        "punch_at（打卡时间）晚于文件的导出日期：'2026-03-06 00:00:00'",
        "punch_at（打卡时间）晚于文件的导出日期：'2062-03-05 08:55'",
        "punch_at（打卡时间）晚于文件的导出日期：'2026-03-05T16:30:00Z'",
    ]
    leave = tmp_path / "leave.csv"
    leave.write_text(
        "staff_id,leave_start,leave_end,leave_type,approved\nS1,2026-03-09 09:00,2026-03-13 17:00,年假,是\n",
        encoding="utf-8",
    )
    assert stage("leave", leave).loaded.height == 1


# ---- reference tables' quarantine ------------------------------------------------

def test_reference_rows_quarantined_show_the_files_own_cells(tmp_path):
    """A repeated window id, a window of an unknown department and one of an
    unknown type: each quarantined under the source ``reference`` (as its
    file's quality row), with the row's cells as the file has them."""
    from assets.ingest.reference import load_reference

    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "departments.csv").write_text("部门编码,部门名称\nD01,市场监管局\n", encoding="utf-8")
    (ref / "windows.csv").write_text(
        "大厅编号,窗口编号,窗口名称,部门编码,窗口类型\n"
        "main,A01,综合窗口,D01,综合\n"
        "main,A01,重复窗口,D01,综合\n"  # 2 repeated id
        "main,Z99,新窗口,NODEPT,综合\n"  # 3 no such department
        "main,Z98,新窗口2,D01,VIP\n",  # 4 no such type
        encoding="utf-8",
    )
    (ref / "staff.csv").write_text("工号,姓名,部门编码,窗口编号,岗位\nS1,张三,D01,A01,工作人员\n", encoding="utf-8")
    (ref / "matters.csv").write_text(
        "事项编码,事项名称,部门编码,事项类型,承诺时限,最多跑一次\nM1,营业执照,D01,即办件,0,是\n", encoding="utf-8"
    )
    got = load_reference(ref).quarantine.sort("row").select("source", "row", "reason", "detail", "raw_values").rows()
    cells = '{{"大厅编号":"main","窗口编号":"{}","窗口名称":"{}","部门编码":"{}","窗口类型":"{}"}}'
    assert got == [
        ("reference", 2, "duplicate_key", "window_id（窗口编号）编号重复，以先出现的一行为准：'A01'",
         cells.format("A01", "重复窗口", "D01", "综合")),
        ("reference", 3, "unknown_code", "窗口的部门编码或大厅编号不存在", cells.format("Z99", "新窗口", "NODEPT", "综合")),
        ("reference", 4, "unknown_code", "window_type（窗口类型）代码不存在：'VIP'", cells.format("Z98", "新窗口2", "D01", "VIP")),
    ]


def _truncated(path, keep):
    path.write_bytes(path.read_bytes()[:keep])
    return path


@pytest.mark.parametrize(
    "name, make, said",
    [
        ("empty.xlsx", lambda p: p.write_bytes(b""), "文件是空的（0 字节），请重新导出"),
        ("renamed.xlsx", lambda p: p.write_text("a,b\n1,2\n"), "文件内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或文本文件）"),
        # the first bytes of every Office 97-2003 file, and of a password-protected .xlsx
        ("old.xlsx", lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504),
         "这是旧版 .xls 文件或加了密码的工作簿，请在 Excel 中去掉密码并另存为 .xlsx"),
        ("cut.xlsx", lambda p: (openpyxl.Workbook().save(p), _truncated(p, 200)), "工作簿已损坏或未写完，请重新导出或在 Excel 中另存"),
        ("renamed.parquet", lambda p: p.write_text("a,b\n"), "文件内容不是 Parquet（可能是改了扩展名的其他文件）"),
        ("cut.parquet", lambda p: (pl.DataFrame({"a": ["x"] * 50}).write_parquet(p), _truncated(p, 30)),
         "Parquet 文件已损坏或未写完，请重新导出"),
    ],
)
def test_an_unreadable_file_is_told_in_words_the_office_can_act_on(tmp_path, name, make, said):
    path = tmp_path / name
    make(path)
    assert why_unreadable(path, path.suffix[1:]) == said
    with pytest.raises(FileRejected) as rejected:
        read_text_frame(path)
    kind = "Excel" if name.endswith(".xlsx") else "Parquet"
    # the office's words first, then the library's own in brackets for the IT person
    message = str(rejected.value)
    assert message.startswith(f"{kind} 文件无法读取：{said} (") and message.endswith(")")
