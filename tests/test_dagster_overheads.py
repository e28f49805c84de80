"""Two of Dagster's fixed costs per night, made small: the day partitions'
key list (assets/ingest/daily_partitions.py) and the fsync of every event
in a run's log (pipelines/run_logs.py)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from assets.ingest.assets import DAILY_PARTITIONS
from assets.ingest.daily_partitions import DailyPartitions
from pipelines.run_logs import is_run_log, write_run_logs_without_fsync

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_remembered_key_list_is_dagsters_list():
    plain = dg.DailyPartitionsDefinition(start_date="2015-01-01", timezone="Asia/Shanghai", end_offset=1)
    first = DAILY_PARTITIONS.get_partition_keys()
    assert first == list(plain.get_partition_keys())
    assert first[0] == "2015-01-01"
    # end_offset=1: the list runs to tomorrow in Shanghai
    assert first[-1] == DAILY_PARTITIONS.get_last_partition_key()
    first.append("not a day")  # a caller's change to its copy stays its own
    assert DAILY_PARTITIONS.get_partition_keys()[-1] != "not a day"


def test_a_list_as_of_another_moment_is_made_for_that_moment():
    days = DailyPartitions(start_date="2020-02-26", timezone="Asia/Shanghai", end_offset=1)
    days.get_partition_keys()  # today's list, remembered
    # 2020-03-01 at noon in Shanghai: 26, 27, 28, 29 Feb (a leap year), 1 Mar, and
    # with end_offset=1 the partition of 1 March itself, which ends tomorrow
    noon = datetime(2020, 3, 1, 12, tzinfo=SHANGHAI)
    assert days.get_partition_keys(current_time=noon) == [
        "2020-02-26", "2020-02-27", "2020-02-28", "2020-02-29", "2020-03-01"
    ]


def test_only_run_logs_skip_the_fsync():
    assert is_run_log("/srv/home/dagster/history/runs/4b7e1c2a-0d35-4c1a-9f7e-2a8c5d1e9b30.db")
    assert not is_run_log("/srv/home/dagster/history/runs/index.db")  # the asset index
    assert not is_run_log("/srv/home/dagster/history/runs.db")  # the run list
    assert not is_run_log("/srv/home/dagster/schedules/schedules.db")
    assert not is_run_log("/srv/home/other/runs/x.db")


def test_a_run_log_is_written_without_fsync_and_the_index_with_it(tmp_path):
    folder = tmp_path / "dagster" / "history" / "runs"
    folder.mkdir(parents=True)
    storage = SqliteEventLogStorage(str(folder))
    write_run_logs_without_fsync()
    write_run_logs_without_fsync()  # twice: still one listener, no error
    storage.store_event(EventLogEntry(error_info=None, level=20, user_message="夜间运行", run_id="r1", timestamp=0.0))
    with storage.run_connection("r1") as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 0  # OFF
    with storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, SQLite's default
    assert [e.user_message for e in storage.get_logs_for_run("r1")] == ["夜间运行"]
