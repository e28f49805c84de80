"""Loading twice, or day by day in shuffled order, gives identical tables."""

import datetime as dt
import random
import shutil

import polars as pl
import pytest

from pipelines.runner import run_graph
from tests.messy_inbox import write_messy_inbox
from tests.warehouse_reading import comparable, table

AS_OF = dt.date(2026, 3, 6)
TABLES = [
    "cases_current",
    "attendance",
    "leave_records",
    "queue_tickets",
    "monitoring_events",
    "ratings",
    "callbacks",
    "callbacks_unmatched",
    "quarantine",
    "windows",
    "staff",
    "matters",
]
# mtime-based fingerprints differ between copies of a file; everything else must not.
QUALITY_COLUMNS = ["source", "file", "partition_date", "status", "rows_read", "rows_loaded", "rows_quarantined", "duplicates_removed", "message"]


def snapshot(home):
    out = {name: comparable(table(home, name)) for name in TABLES}
    out["file_quality"] = comparable(table(home, "file_quality").select(QUALITY_COLUMNS))
    return out


def assert_same(a, b):
    for name in a:
        assert a[name].equals(b[name]), name


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("once")
    inbox = write_messy_inbox(home / "inbox")
    assert run_graph(home, inbox, AS_OF, progress=False).success
    return home, snapshot(home)


def test_running_twice_changes_nothing(reference_run):
    home, first = reference_run
    outcome = run_graph(home, home / "inbox", AS_OF, progress=False)
    assert outcome.success
    assert outcome.days_changed == 0
    assert_same(first, snapshot(home))


def test_day_by_day_in_shuffled_order(reference_run, tmp_path):
    _, expected = reference_run
    full = write_messy_inbox(tmp_path / "source_inbox")
    home = tmp_path / "home"
    inbox = home / "inbox"
    shutil.copytree(full / "reference", inbox / "reference")
    files = sorted(p for p in full.rglob("*") if p.is_file() and p.parent.name != "reference")
    days = sorted({p.name[:10] for p in files} )
    random.Random(7).shuffle(days)
    for day in days:
        for path in files:
            if path.name.startswith(day):
                target = inbox / path.relative_to(full)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        assert run_graph(home, inbox, AS_OF, progress=False).success
    assert_same(expected, snapshot(home))


def test_redelivered_day_replaces_partition(tmp_path):
    home = tmp_path / "home"
    inbox = write_messy_inbox(home / "inbox")
    assert run_graph(home, inbox, AS_OF, progress=False).success
    # The attendance clock re-exports 2026-03-05 with one punch only.
    path = inbox / "attendance" / "2026-03-05.csv"
    path.write_bytes("工号,打卡时间\nS001,2026/3/5 8:50\n".encode("gb18030"))
    outcome = run_graph(home, inbox, AS_OF, progress=False)
    assert outcome.success and outcome.days_changed == 1
    punches = table(home, "attendance")
    assert punches["punch_at"].to_list() == [dt.datetime(2026, 3, 5, 8, 50)]
    quality = table(home, "file_quality").filter(pl.col("source") == "attendance", pl.col("file") == "2026-03-05.csv")
    assert quality.select("rows_read", "rows_loaded").row(0) == (1, 1)


def test_as_of_reads_no_later_partition(tmp_path):
    home = tmp_path / "home"
    inbox = write_messy_inbox(home / "inbox")
    assert run_graph(home, inbox, dt.date(2026, 3, 5), progress=False).success
    cases = table(home, "cases_current")
    c2 = cases.filter(pl.col("case_id") == "C2").row(0, named=True)
    assert c2["status"] == "in_progress"  # the 03-06 re-export is not read yet
    assert table(home, "callbacks").height == 0


def test_reference_read_again_only_when_its_files_change(tmp_path):
    import dagster as dg
    import duckdb

    from assets.ingest.assets import reference_data
    from pipelines.resources import Warehouse, WindowWatchHome
    from tests.messy_inbox import write_reference

    home = tmp_path / "home"
    write_reference(home / "inbox")
    resources = {"home": WindowWatchHome(home=str(home), as_of=AS_OF.isoformat()),
                 "warehouse": Warehouse(path=str(home / "warehouse.duckdb"))}

    def load():
        result = dg.materialize([reference_data], resources=resources)
        meta = {k: v.value for k, v in result.asset_materializations_for_node("reference_data")[0].metadata.items()}
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            names = dict(con.execute("SELECT window_id, window_name FROM windows").fetchall())
        return meta, names

    first, names = load()
    assert "unchanged" not in first and names["A02"] == "不动产窗口" and first["windows_rows"] == 3
    again, names = load()
    assert again["unchanged"] is True and names["A02"] == "不动产窗口"
    assert {k: v for k, v in again.items() if k != "unchanged"} == first

    windows = home / "inbox" / "reference" / "windows.csv"
    windows.write_bytes(windows.read_bytes().replace("不动产窗口".encode("gb18030"), "不动产登记窗口".encode("gb18030")))
    changed, names = load()
    assert "unchanged" not in changed and names["A02"] == "不动产登记窗口"
