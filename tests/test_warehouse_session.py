"""Within a run the warehouse stays open between steps and checkpoints once;
outside a run every ``connect`` opens and closes the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.resources import Warehouse


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def other_process_reads(path: Path) -> str:
    """What a separate process gets when it opens the file read-only: the row
    count of t, or the first line of its error."""
    code = (
        "import duckdb, sys\n"
        "try:\n"
        f"    print(duckdb.connect({str(path)!r}, read_only=True).execute('SELECT count(*) FROM t').fetchall()[0][0])\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_a_run_keeps_one_connection_until_released(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    seen: dict[str, object] = {}

    @dg.asset
    def written(warehouse: Warehouse) -> None:
        with warehouse.connect() as con:
            con.execute("CREATE TABLE t AS SELECT range AS x FROM range(50000)")
        # the commit did not checkpoint: the rows wait in the log for the release
        seen["log_after_write"] = wal(path).exists()
        with warehouse.connect(read_only=True) as con:
            seen["rows_in_next_connect"] = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        # the file is still held by this process between the two steps
        seen["other_process_between"] = other_process_reads(path)

    @dg.asset(deps=[written])
    def read_elsewhere(warehouse: Warehouse) -> None:
        warehouse.release()
        seen["log_after_release"] = wal(path).exists()
        seen["other_process_after_release"] = other_process_reads(path)
        with warehouse.connect() as con:  # later connects open the file each time
            con.execute("INSERT INTO t VALUES (-1)")

    result = dg.materialize([written, read_elsewhere], resources={"warehouse": Warehouse(path=str(path))})
    assert result.success
    assert seen == {
        "log_after_write": True,
        "rows_in_next_connect": 50000,
        "other_process_between": "IOException",
        "log_after_release": False,
        "other_process_after_release": "50000",
    }
    assert other_process_reads(path) == "50001" and not wal(path).exists()


def test_the_run_connection_is_closed_when_the_run_fails(tmp_path):
    path = tmp_path / "warehouse.duckdb"

    @dg.asset
    def fails(warehouse: Warehouse) -> None:
        with warehouse.connect() as con:
            con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise RuntimeError("step failed after its write")

    result = dg.materialize([fails], resources={"warehouse": Warehouse(path=str(path))}, raise_on_error=False)
    assert not result.success
    assert other_process_reads(path) == "1" and not wal(path).exists()


def test_outside_a_run_each_connect_opens_and_closes(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse = Warehouse(path=str(path))
    with warehouse.connect() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert other_process_reads(path) == "1"
    with warehouse.connect(read_only=True) as con:
        with pytest.raises(duckdb.Error):
            con.execute("INSERT INTO t VALUES (2)")
