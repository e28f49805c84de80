"""The home's Dagster instance keeps its event log open between events
(pipelines/event_log_storage.py) and writes files that stock Dagster reads."""

import shutil
import threading
import uuid

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines.event_log_storage import KeptOpenSqliteEventLogStorage
from pipelines.planning import range_tags
from pipelines.runner import EARLIER_INSTANCE_YAML, instance_dir, open_instance

DAYS = dg.DailyPartitionsDefinition(start_date="2026-03-01", end_date="2026-03-11")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def days_counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def _materialize_all_days(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [days_counted, days_counted_check],
        instance=instance,
        tags=range_tags("2026-03-01", "2026-03-10"),
    )


def _stock_storage(home) -> SqliteEventLogStorage:
    return SqliteEventLogStorage(str(instance_dir(home) / "history" / "runs"))


def _materialized_days(storage) -> list[str]:
    records = storage.fetch_materializations(dg.AssetKey("days_counted"), limit=100).records
    return sorted(r.partition_key for r in records)


@dg.asset_check(asset=days_counted)
def days_counted_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


# "0": every event stored by itself; "1000": Dagster hands the planned events
# and the range's materializations over as batches (store_event_batch).
@pytest.mark.parametrize("batch_size", ["0", "1000"])
def test_a_partitioned_run_is_stored_where_stock_dagster_reads_it(tmp_path, monkeypatch, batch_size):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", batch_size)
    home = tmp_path / "home"
    with open_instance(home) as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        result = _materialize_all_days(instance)
        assert result.success
        run_id = result.run_id

    stock = _stock_storage(home)
    # 10 days from 03-01 to 03-10: one materialization each, one planned each.
    assert _materialized_days(stock) == [f"2026-03-{d:02d}" for d in range(1, 11)]
    planned = stock.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=100
    ).records
    assert len(planned) == 10
    in_run = [r.event_log_entry.dagster_event_type for r in stock.get_records_for_run(run_id).records]
    assert dg.DagsterEventType.RUN_SUCCESS in in_run
    assert in_run.count(dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED) == 1
    assert in_run.count(dg.DagsterEventType.ASSET_CHECK_EVALUATION) == 1
    # the cross-run index: the planned days and the latest day, as the UI asks for them
    index_planned = stock.get_event_records(
        dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, asset_key=dg.AssetKey("days_counted")),
        limit=100,
    )
    assert sorted(r.partition_key for r in index_planned) == [f"2026-03-{d:02d}" for d in range(1, 11)]
    latest = stock.get_latest_materialization_events([dg.AssetKey("days_counted")])[dg.AssetKey("days_counted")]
    assert latest.run_id == run_id


def test_stock_dagster_writes_between_two_runs_of_ours(tmp_path):
    """The kept connections hold no lock between events: another storage
    (here a stock one) writes to the same run file and index in between."""
    home = tmp_path / "home"
    with open_instance(home) as instance:
        first = _materialize_all_days(instance)
        assert first.success
        stock = _stock_storage(home)
        record = stock.get_records_for_run(
            first.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1
        ).records[0]
        stock.store_event(record.event_log_entry)  # the first day once more
        assert _materialize_all_days(instance).success
    # Ten days, one of them again, then ten days again.
    assert len(_materialized_days(_stock_storage(home))) == 21


first_seen_by_watcher = threading.Event()


@dg.asset
def watched_first() -> None:
    return None


@dg.asset(deps=[watched_first])
def watched_second() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"first_seen_meanwhile": first_seen_by_watcher.wait(timeout=20)})


def test_the_web_ui_follows_a_run_while_it_runs(tmp_path):
    """The UI follows a run through stock Dagster's watcher of <run id>.db;
    each event must reach that file as it is written, not when the run ends."""
    home = tmp_path / "home"
    run_id = str(uuid.uuid4())
    run_end_seen = threading.Event()

    def on_event(entry, _cursor):
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key == dg.AssetKey("watched_first"):
            first_seen_by_watcher.set()
        if event.event_type == dg.DagsterEventType.RUN_SUCCESS:
            run_end_seen.set()

    first_seen_by_watcher.clear()
    with open_instance(home) as instance:
        stock = _stock_storage(home)
        stock.watch(run_id, None, on_event)
        try:
            defs = dg.Definitions(assets=[watched_first, watched_second], jobs=[dg.define_asset_job("watched")])
            result = defs.resolve_job_def("watched").execute_in_process(instance=instance, run_id=run_id)
            assert run_end_seen.wait(timeout=10)
        finally:
            stock.end_watch(run_id, on_event)
            stock.dispose()
    materialization = result.asset_materializations_for_node("watched_second")[0]
    assert materialization.metadata["first_seen_meanwhile"].value is True


def test_dagster_yaml_is_ours_to_rewrite_only_when_we_wrote_it(tmp_path):
    home = tmp_path / "home"
    config = instance_dir(home) / "dagster.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(EARLIER_INSTANCE_YAML)  # a home made before this storage
    open_instance(home).dispose()
    text = config.read_text()
    assert "KeptOpenSqliteEventLogStorage" in text
    assert str((instance_dir(home) / "history" / "runs").resolve()) in text

    moved = tmp_path / "moved"
    shutil.copytree(home, moved)
    with open_instance(moved) as instance:
        assert instance.event_log_storage._base_dir == str((instance_dir(moved) / "history" / "runs").resolve())

    own = "telemetry:\n  enabled: true\n"
    config.write_text(own)  # the IT person's own
    with open_instance(home) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
    assert config.read_text() == own
