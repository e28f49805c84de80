"""The command line as a person uses it: real subprocesses, real files."""

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.messy_inbox import write_messy_inbox

WINDOWWATCH = [sys.executable, "-m", "pipelines.cli"]
ROOT = Path(__file__).resolve().parent.parent


def cli(*args, home=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if k != "WINDOWWATCH_HOME"}
    proc = subprocess.run(
        [*WINDOWWATCH, *args, *(["--home", str(home)] if home else [])],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
    return proc


def one_clear_line(proc):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--as-of", "2026-02-30"],
        ["run", "--bogus"],
        ["export", "quality"],
        ["export", "scoreboard", "--out", "x.csv"],
        [],
    ],
)
def test_bad_arguments_one_line_exit_2(args, tmp_path):
    proc = cli(*args)
    assert proc.returncode == 2
    assert one_clear_line(proc).startswith("windowwatch:")


def test_missing_inbox(tmp_path):
    proc = cli("run", "--inbox", str(tmp_path / "nope"), home=tmp_path / "home")
    assert proc.returncode == 2
    assert "nope" in one_clear_line(proc)


def test_export_before_any_run(tmp_path):
    proc = cli("export", "quality", "--out", str(tmp_path / "q.csv"), home=tmp_path / "home")
    assert proc.returncode == 2
    one_clear_line(proc)


def test_run_then_export_quality_and_quarantine(tmp_path):
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    proc = cli("run", "--as-of", "2026-03-06", home=home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "隔离 quarantined" in proc.stdout

    out = tmp_path / "quality.csv"
    assert cli("export", "quality", "--out", str(out), home=home).returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    quality = pl.read_csv(out)
    assert quality.columns == [
        "source", "file", "partition", "status", "rows_read", "rows_loaded",
        "rows_quarantined", "duplicates_removed", "message",
    ]
    cases = quality.filter(pl.col("file") == "2026-03-05.csv", pl.col("source") == "cases").row(0, named=True)
    assert (cases["rows_read"], cases["rows_loaded"], cases["rows_quarantined"], cases["duplicates_removed"]) == (15, 3, 11, 1)

    out = tmp_path / "quarantine.csv"
    assert cli("export", "quarantine", "--out", str(out), home=home).returncode == 0
    quarantine = pl.read_csv(out)
    assert quarantine.columns[:5] == ["source", "file", "partition", "row", "reason"]
    assert "raw_values" in quarantine.columns
    # 11 cases + 2 attendance + 2 leave + 2 queue + 2 monitoring + 2 ratings + 1 callback
    assert quarantine.height == 22
