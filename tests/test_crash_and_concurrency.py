"""kill -9 at several points of a real `windowwatch run`, and a second run on a
busy home. Real subprocesses, real files."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.demo_inbox import InboxProfile, write_inbox
from tests.test_ingest_idempotent import TABLES
from tests.warehouse_reading import comparable, table

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 10, 20)
# Long enough that a run lasts a few seconds, small enough for CI.
PROFILE = InboxProfile(departments=4, windows_per_hall=8, staff_per_hall=24, matters=20, days=40)


def start_run(home: Path, inbox: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "WINDOWWATCH_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--home", str(home), "--inbox", str(inbox), "--as-of", AS_OF.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def snapshot(home: Path) -> dict[str, pl.DataFrame]:
    names = [*TABLES, "file_quality"]
    return {name: comparable(table(home, name)) for name in names}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shared") / "inbox"
    write_inbox(path, AS_OF, PROFILE, seed=11)
    return path


@pytest.fixture(scope="module")
def unbroken(tmp_path_factory, inbox):
    home = tmp_path_factory.mktemp("unbroken")
    started = time.monotonic()
    proc = start_run(home, inbox)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return snapshot(home), time.monotonic() - started


def assert_nothing_half_written(home: Path) -> None:
    for path in (home / "staged").rglob("*.parquet"):
        pl.read_parquet(path)  # a torn file would not parse
    if (home / "warehouse.duckdb").exists():
        con = duckdb.connect(str(home / "warehouse.duckdb"))
        con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        con.close()


def test_kill_9_anywhere_then_rerun_gives_same_result(tmp_path, inbox, unbroken):
    expected, seconds = unbroken
    home = tmp_path / "home"
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9):
        proc = start_run(home, inbox)
        time.sleep(seconds * fraction)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.communicate()
        assert_nothing_half_written(home)
    proc = start_run(home, inbox)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    got = snapshot(home)
    for name in expected:
        assert got[name].equals(expected[name]), name


def test_second_run_on_busy_home_stops_at_once(tmp_path, inbox):
    home = tmp_path / "home"
    first = start_run(home, inbox)
    try:
        deadline = time.monotonic() + 60
        lock = home / ".run.lock"
        while not (lock.exists() and lock.read_text().strip()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = start_run(home, inbox)
        _, err = second.communicate(timeout=60)
        assert first.poll() is None, "the first run should still be running"
        assert second.returncode == 2
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in err
        assert str(first.pid) in lines[0]
    finally:
        _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
