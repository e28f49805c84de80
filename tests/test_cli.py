"""The command line as a person uses it: real subprocesses, real files."""

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.cli_runner import ROOT, cli, one_clear_line
from tests.messy_inbox import write_messy_inbox


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--as-of", "2026-02-30"],
        ["run", "--bogus"],
        ["export", "quality"],
        ["export", "scoreboard", "--out", "x.csv"],
        ["rectify", "RX-1", "--status", "完成", "--note", "x", "--by", "y"],
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


def test_installed_command_passes_main_exit_code(tmp_path):
    """The console script (pipelines.cli:entry, which tunes the collector
    around main) exits with main's code and one clear line."""
    script = Path(sys.executable).with_name("windowwatch")
    assert script.is_file(), "make install puts the windowwatch command beside the interpreter"
    env = {k: v for k, v in os.environ.items() if k != "WINDOWWATCH_HOME"}
    proc = subprocess.run(
        [str(script), "run", "--inbox", str(tmp_path / "nope"), "--home", str(tmp_path / "home")],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    assert proc.returncode == 2
    assert "nope" in one_clear_line(proc)


def test_export_before_any_run(tmp_path):
    proc = cli("export", "quality", "--out", str(tmp_path / "q.csv"), home=tmp_path / "home")
    assert proc.returncode == 2
    one_clear_line(proc)


def test_run_then_export_quality_and_quarantine(tmp_path):
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    # a delivery dated before the partitions start is rejected, and the run goes on
    (home / "inbox" / "attendance" / "2014-12-31.csv").write_text("工号,打卡时间\nS001,2014-12-31 08:55\n", encoding="utf-8")
    proc = cli("run", "--as-of", "2026-03-06", home=home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "隔离 quarantined" in proc.stdout

    as_excel = cli("export", "quality", "--out", str(tmp_path / "quality.xlsx"), home=home)
    assert as_excel.returncode == 2 and "name the file .csv" in one_clear_line(as_excel)
    assert not (tmp_path / "quality.xlsx").exists()
    out = tmp_path / "quality.csv"
    assert cli("export", "quality", "--out", str(out), home=home).returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    quality = pl.read_csv(out)
    assert quality.columns == [
        "source", "file", "partition", "status", "rows_read", "rows_loaded",
        "rows_quarantined", "duplicates_removed", "message",
    ]
    early = quality.filter(pl.col("file") == "2014-12-31.csv").select("source", "status", "message").rows()
    assert early == [("attendance", "rejected", "日期早于 2015-01-01，不予处理 (date before 2015-01-01)")]
    cases = quality.filter(pl.col("file") == "2026-03-05.csv", pl.col("source") == "cases").row(0, named=True)
    assert (cases["rows_read"], cases["rows_loaded"], cases["rows_quarantined"], cases["duplicates_removed"]) == (15, 3, 11, 1)

    out = tmp_path / "quarantine.csv"
    assert cli("export", "quarantine", "--out", str(out), home=home).returncode == 0
    quarantine = pl.read_csv(out)
    assert quarantine.columns[:5] == ["source", "file", "partition", "row", "reason"]
    assert "raw_values" in quarantine.columns
    # 11 cases + 2 attendance + 2 leave + 2 queue + 2 monitoring + 2 ratings + 1 callback
    assert quarantine.height == 22


def test_scores_rectification_staffing_exports_and_rectify(tmp_path):
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    assert cli("run", "--as-of", "2026-03-20", home=home).returncode == 0

    scores = tmp_path / "scores.csv"
    assert cli("export", "scores", "--period", "month", "--out", str(scores), home=home).returncode == 0
    raw = scores.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pl.read_csv(scores, infer_schema=False)
    assert frame.columns == [
        "period", "hall_id", "window_id", "dept_id", "timeliness", "quality", "satisfaction", "composite", "rank",
        "evaluated_cases", "on_time_cases", "served_tickets", "tickets_within_target", "ratings", "bad_ratings",
        "callbacks", "deductions",
    ]
    assert set(frame["window_id"]) == {"A01", "A02", "A03"} and set(frame["period"]) == {"2026-03"}
    assert frame["rank"].null_count() == frame.height  # nobody reaches 30 cases + ratings

    ledger = tmp_path / "ledger.csv"
    assert cli("export", "rectification", "--out", str(ledger), home=home).returncode == 0
    items = pl.read_csv(ledger)
    assert items.height == 8 and items["description"].str.contains("窗口").all()
    listing = tmp_path / "d01.xlsx"
    assert cli("export", "rectification", "--out", str(listing), "--dept", "d01", home=home).returncode == 0
    book = openpyxl.load_workbook(listing, read_only=True)
    listed = [r[0] for r in book["整改清单"].iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == sorted(items.filter(pl.col("dept_id") == "D01")["item_id"])
    # the export holds every item: its notes send nobody to the archives
    # and it is titled with the department's name (departments.csv: D01 市场监管局)
    assert next(book["填报说明"].iter_rows(values_only=True))[0] == "整改清单（市场监管局），截至2026年3月20日，含台账中的全部事项。"

    plan = tmp_path / "plan.xlsx"
    assert cli("export", "staffing", "--out", str(plan), home=home).returncode == 0
    assert plan.exists()
    wrong_suffix = cli("export", "staffing", "--out", str(tmp_path / "plan.csv"), home=home)
    assert wrong_suffix.returncode == 2
    assert one_clear_line(wrong_suffix).endswith(f"--out 应以 .xlsx 结尾 (--out must end in .xlsx): {tmp_path / 'plan.csv'}")

    item = items.filter(pl.col("rule") == "bad_rating")["item_id"][0]
    refused = cli("rectify", item, "--status", "resolved", "--note", "", "--by", "李四", home=home)
    assert refused.returncode == 2 and "整改情况" in one_clear_line(refused)
    unknown = cli("rectify", "RX-000000000000", "--status", "in_progress", "--note", "x", "--by", "李四", home=home)
    assert unknown.returncode == 2
    nameless = cli("rectify", item, "--status", "整改中", "--note", "x", "--by", " ", home=home)
    assert nameless.returncode == 2 and "未填写填报人" in one_clear_line(nameless)
    # R2 was rated, and its item found, on 03-05 (messy_inbox)
    early = cli("rectify", item, "--status", "resolved", "--note", "x", "--by", "李四", "--on", "2026-03-04", home=home)
    assert early.returncode == 2 and "填报时间早于问题发现日期 2026-03-05" in one_clear_line(early)
    future = cli("rectify", item, "--status", "resolved", "--note", "x", "--by", "李四", "--on", "2099-03-04", home=home)
    assert future.returncode == 2 and "--on must not be after today" in one_clear_line(future)
    ok = cli("rectify", item, "--status", "resolved", "--note", "已回访致歉", "--by", "李四", "--on", "2026-03-19", home=home)
    assert ok.returncode == 0, ok.stderr
    assert cli("run", "--as-of", "2026-03-20", home=home).returncode == 0
    assert cli("export", "rectification", "--out", str(ledger), home=home).returncode == 0
    row = pl.read_csv(ledger).filter(pl.col("item_id") == item).row(0, named=True)
    assert (row["status"], row["resolved_on"]) == ("resolved", "2026-03-19")


def test_bad_config_refused_with_key(tmp_path):
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    config = tmp_path / "office.yaml"
    config.write_text("scoring:\n  wait_target_minutes: -5\n", encoding="utf-8")
    proc = cli("run", "--config", str(config), home=home)
    assert proc.returncode == 2
    assert "scoring.wait_target_minutes" in one_clear_line(proc)


def test_as_of_before_the_partitions_refused(tmp_path):
    from assets.ingest.assets import PARTITION_START

    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    for command in ("run", "demo"):
        proc = cli(command, "--as-of", "2010-01-01", home=home)
        assert proc.returncode == 2, proc.stderr
        assert PARTITION_START in one_clear_line(proc)
    assert os.listdir(home / "inbox") == []  # demo refused before writing its inbox

    from pipelines.clock import PARTITION_START as CHECKED_BY_THE_COMMAND_LINE

    assert CHECKED_BY_THE_COMMAND_LINE == PARTITION_START  # the same day, from one place


def test_as_of_after_today_refused(tmp_path):
    from datetime import datetime, timedelta

    from pipelines.clock import SHANGHAI

    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
    for command in ("run", "demo"):
        proc = cli(command, "--as-of", tomorrow, home=home)
        assert proc.returncode == 2, proc.stderr
        assert f"--as-of {tomorrow} 晚于今天" in one_clear_line(proc)
    assert os.listdir(home / "inbox") == []  # demo refused before writing its inbox


def test_export_to_an_unwritable_out_refused(tmp_path):
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    assert cli("run", "--as-of", "2026-03-20", home=home).returncode == 0
    folder = tmp_path / "outs"
    exports = [
        ("quality", ".csv"), ("quarantine", ".csv"), ("scores", ".csv"),
        ("rectification", ".csv"), ("rectification", ".xlsx"), ("staffing", ".xlsx"),
    ]
    for what, suffix in exports:
        extra = ["--period", "day"] if what == "scores" else []
        taken = folder / f"taken{suffix}"
        taken.mkdir(parents=True, exist_ok=True)
        for out, reason in [
            (taken, os.strerror(21)),  # EISDIR
            (Path("/proc/nope") / f"x{suffix}", ""),  # a folder that cannot be made
            (Path("/proc") / f"x{suffix}", ""),  # a folder where no file can be made
        ]:
            proc = cli("export", what, *extra, "--out", str(out), home=home)
            assert proc.returncode == 2, (what, out, proc.stderr)
            line = one_clear_line(proc)
            assert str(out) in line and reason in line, line
    assert sorted(p.name for p in folder.iterdir()) == ["taken.csv", "taken.xlsx"]  # no temporary left behind


def test_home_that_is_a_file_refused(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for args in (
        ["run", "--inbox", str(inbox)],
        ["demo", "--as-of", "2026-03-06"],
        ["rectify", "RX-000000000000", "--status", "in_progress", "--note", "x", "--by", "李四"],
        ["ui", "--port", "3999"],
    ):
        proc = cli(*args, home=home, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        line = one_clear_line(proc)
        assert str(home) in line and "not a folder" in line, line
    assert home.read_text() == "not a folder\n"


def test_config_not_utf8_refused(tmp_path):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    config = tmp_path / "office.yaml"
    config.write_bytes("# 我的配置\nscoring:\n  wait_target_minutes: 10\n".encode("gbk"))
    proc = cli("run", "--config", str(config), home=home)
    assert proc.returncode == 2
    line = one_clear_line(proc)
    assert str(config) in line and "UTF-8" in line, line


def test_demo_on_a_held_home_touches_nothing(tmp_path):
    from pipelines.run_lock import hold_home

    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")

    def files():
        return {p.relative_to(home): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}

    with hold_home(home):
        before = files()
        proc = cli("demo", "--as-of", "2026-03-06", home=home)
        after = files()
    assert proc.returncode == 2, proc.stderr
    assert "home is held by another run" in one_clear_line(proc)
    assert after == before


def _items_line(proc):
    return next(line for line in proc.stdout.splitlines() if line.startswith("整改 items:"))


def test_summary_counts_the_items(tmp_path):
    """The messy inbox's eight items as of Fri 2026-03-20, worked out in
    tests/test_rectification_graph.py: R2 open; C2 and K1 overdue; C14, E1,
    E3, S003@2026-03-05 and C20 escalated. Then R2 is resolved by hand."""
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    first = cli("run", "--as-of", "2026-03-20", home=home)
    assert first.returncode == 0, first.stderr
    assert _items_line(first) == (
        "整改 items: 共 total 8（本次新增 new 8）· 已整改 resolved 0 · 未到期 open 1 · 超期 overdue 2 · 通报 escalated 5"
    )
    from tests.warehouse_reading import table

    r2 = table(home, "rectification_items").filter(pl.col("subject_ref") == "R2")["item_id"].item()
    assert cli("rectify", r2, "--status", "resolved", "--note", "已回访致歉", "--by", "王科长", "--on", "2026-03-19", home=home).returncode == 0
    second = cli("run", "--as-of", "2026-03-20", home=home)
    assert second.returncode == 0, second.stderr
    assert _items_line(second) == (
        "整改 items: 共 total 8（本次新增 new 0）· 已整改 resolved 1 · 未到期 open 0 · 超期 overdue 2 · 通报 escalated 5"
    )


def test_a_failed_run_says_its_figures_are_the_last_finished_runs(tmp_path):
    """After a failed run the summary still shows the warehouse's figures and
    the outputs; it says first that the parts after the failed step are the
    last finished run's, so nobody takes last night's scores for tonight's."""
    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    good = cli("run", "--as-of", "2026-03-20", home=home)
    assert good.returncode == 0 and "本次运行未完成" not in good.stdout
    assert "输出 outputs:" in good.stdout.splitlines()
    (home / "inbox" / "reference" / "windows.csv").unlink()
    failed = cli("run", "--as-of", "2026-03-21", home=home)
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr and "reference_data" in failed.stderr
    lines = failed.stdout.splitlines()
    assert lines[0].startswith("本次运行未完成：以下是数据仓库现有的数字，失败步骤之后的部分（评分、整改、清单、看板）仍是上次完成的运行的结果")
    assert "输出 outputs（上次完成的运行写的 as the last finished run left them）:" in lines
    # the last finished run's new items are not this run's
    assert "（本次新增 new 8）" in good.stdout and "本次新增" not in failed.stdout


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def test_ui_stopped_with_sigterm_stops_the_web_ui_and_its_daemon(tmp_path):
    """`kill PID` of `windowwatch ui` (what a service manager or an IT person
    does) must not leave `dagster dev`, its daemon and the nightly schedule
    running on their own."""
    import signal
    import socket
    import subprocess
    import time

    from tests.cli_runner import ROOT, WINDOWWATCH

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    log_path = tmp_path / "ui.log"
    env = {k: v for k, v in os.environ.items() if k != "WINDOWWATCH_HOME"}
    with log_path.open("w") as log:
        ui = subprocess.Popen([*WINDOWWATCH, "ui", "--home", str(home), "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while "Serving dagster-webserver" not in log_path.read_text():
            assert ui.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        children = _descendants(ui.pid)
        assert children  # dagster dev, its web server, daemon and code server
        ui.send_signal(signal.SIGTERM)
        ui.wait(timeout=60)
        deadline = time.monotonic() + 60
        while any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in children):
            assert time.monotonic() < deadline, f"left running: {sorted(children)}"
            time.sleep(0.2)
    finally:
        for pid in [ui.pid, *children]:  # only this test's, should any be left
            try:
                if "dagster" in Path(f"/proc/{pid}/cmdline").read_text() or pid == ui.pid:
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].splitlines()[0].lower()
    except (OSError, IndexError):
        return "zombie"


def test_a_run_that_upgrades_the_ledger_says_so(tmp_path):
    """A home made by an older WindowWatch: the run migrates its ledger (a
    backup beside it) and says so in its progress lines, naming the backup."""
    from assets.rectification.ledger_store import LATEST_VERSION, MIGRATIONS, open_ledger

    home = tmp_path / "home"
    write_messy_inbox(home / "inbox")
    open_ledger(home / "ledger" / "ledger.duckdb", migrations=MIGRATIONS[:1]).close()  # schema version 1
    proc = cli("run", "--as-of", "2026-03-20", home=home)
    assert proc.returncode == 0, proc.stderr
    backups = list((home / "ledger").glob("ledger.v1.*.bak.duckdb"))
    assert len(backups) == 1
    said = [line for line in proc.stderr.splitlines() if "提醒 rectification_ledger" in line]
    assert len(said) == 1, proc.stderr
    assert f"从第 1 版升级到第 {LATEST_VERSION} 版" in said[0] and backups[0].name in said[0]
