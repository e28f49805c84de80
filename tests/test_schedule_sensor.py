"""The nightly schedule and the inbox sensor ask for the right days."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.run_lock import hold_home
from pipelines.runner import run_graph
from tests.messy_inbox import write_messy_inbox

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_schedule_is_0130_shanghai_for_previous_day(home):
    inbox = write_messy_inbox(home / "inbox")
    defs = build_definitions(home, inbox=str(inbox))
    schedule = defs.resolve_schedule_def("nightly_0130")
    assert schedule.cron_schedule == "30 1 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 7, 1, 30, tzinfo=SHANGHAI))
    request = schedule.evaluate_tick(context).run_requests[0]
    # Both inbox days are new, the run ends on the previous day (03-06).
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-05"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-03-06"


def test_sensor_sees_new_and_changed_files_once(home):
    inbox = write_messy_inbox(home / "inbox")
    defs = build_definitions(home, inbox=str(inbox), as_of="2026-03-06")
    sensor = defs.resolve_sensor_def("inbox_files")
    with dg.instance_for_test() as instance:
        first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(first.run_requests) == 1
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert not again.run_requests

    assert run_graph(home, inbox, dt.date(2026, 3, 6), progress=False).success
    with dg.instance_for_test() as instance:
        settled = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not settled.run_requests  # everything is staged

        (inbox / "attendance" / "2026-03-05.csv").write_bytes("工号,打卡时间\nS001,2026/3/5 8:50\n".encode("gb18030"))
        changed = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        request = changed.run_requests[0]
        assert request.tags["dagster/asset_partition_range_start"] == "2026-03-05"
        assert request.tags["dagster/asset_partition_range_end"] == "2026-03-05"


def test_schedule_and_sensor_skip_a_busy_home(home):
    inbox = write_messy_inbox(home / "inbox")
    defs = build_definitions(home, inbox=str(inbox), as_of="2026-03-06")
    with hold_home(home), dg.instance_for_test() as instance:
        tick = defs.resolve_sensor_def("inbox_files").evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not tick.run_requests and tick.skip_message
        context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 7, 1, 30, tzinfo=SHANGHAI))
        assert not defs.resolve_schedule_def("nightly_0130").evaluate_tick(context).run_requests


def test_daemon_runs_execute_in_one_process(home):
    inbox = write_messy_inbox(home / "inbox")
    defs = build_definitions(home, inbox=str(inbox), as_of="2026-03-06")
    with dg.instance_for_test() as instance:
        request = defs.resolve_sensor_def("inbox_files").evaluate_tick(dg.build_sensor_context(instance=instance)).run_requests[0]
    assert request.run_config == {"execution": {"config": {"in_process": {}}}}


# A run the daemon (schedule, sensor) or the web UI launches, reduced to one
# asset that needs the home resource of the web UI's Definitions, which it
# holds until told to finish.
UI_RUN = """
import sys, time
from pathlib import Path
import dagster as dg
from pipelines.definitions import defs
from pipelines.resources import WindowWatchHome

started, finish = Path(sys.argv[1]), Path(sys.argv[2])

@dg.asset
def probe(home: WindowWatchHome) -> None:
    started.write_text("running")
    while not finish.exists():
        time.sleep(0.05)

assert dg.materialize([probe], resources={"home": defs.resources["home"]}).success
"""


def test_a_run_the_web_ui_launches_holds_the_home(home, tmp_path):
    """The schedule's, the sensor's and the web UI's runs hold HOME/.run.lock
    for the whole run, as the command line's do: a `windowwatch run` meanwhile
    is refused in one line (exit 2), and the sensor asks for no second run."""
    import os
    import subprocess
    import sys
    import time

    from pipelines.run_lock import home_is_busy
    from tests.cli_runner import ROOT, cli, one_clear_line

    write_messy_inbox(home / "inbox")
    started, finish = tmp_path / "started", tmp_path / "finish"
    env = {**os.environ, "WINDOWWATCH_HOME": str(home)}
    log = (tmp_path / "ui_run.log").open("w")
    ui_run = subprocess.Popen([sys.executable, "-c", UI_RUN, str(started), str(finish)], cwd=ROOT, env=env, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert ui_run.poll() is None and time.monotonic() < deadline, (tmp_path / "ui_run.log").read_text()
            time.sleep(0.05)
        assert home_is_busy(home)
        sensor = build_definitions(home).resolve_sensor_def("inbox_files")
        with dg.instance_for_test() as instance:
            assert not sensor.evaluate_tick(dg.build_sensor_context(instance=instance)).run_requests
        proc = cli("run", "--as-of", "2026-03-06", home=home)
        assert proc.returncode == 2, proc.stderr
        assert "home is held by another run" in one_clear_line(proc)
        assert not (home / "warehouse.duckdb").exists()
    finally:
        finish.write_text("done")
        ui_run.wait(timeout=120)
        log.close()
    assert ui_run.returncode == 0, (tmp_path / "ui_run.log").read_text()
    assert not home_is_busy(home)
