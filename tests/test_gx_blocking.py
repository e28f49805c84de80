"""A staged source that fails its GX suite stops everything below the
staged sources: the seven suites run in one check step
(checks.asset_checks.staged_sources_gx_suites), and a blocking failure of one
fails that step. Real runs of the graph on a small demo inbox; the staged
file of the last day is then corrupted on disk (staging cannot produce an
unknown code: it quarantines the row), which the next run does not restage,
since its inbox file did not change, but validates. The same in the step's
process and in the child process the command line starts for GX
(checks.gx_process)."""

from __future__ import annotations

from datetime import date

import dagster as dg
import polars as pl
import pytest

from assets.ingest.staging import StagedStore
from checks.gx_process import GxChildProcess, InProcessGx
from pipelines.demo_inbox import InboxProfile, write_inbox
from pipelines.runner import open_instance, run_graph

PROFILE = InboxProfile(departments=3, windows_per_hall=6, staff_per_hall=12, matters=12, days=8)
END = date(2026, 3, 6)


def run(home, where: str):
    gx = GxChildProcess() if where == "child" else InProcessGx()
    try:
        return run_graph(home, home / "inbox", END, progress=False, gx=gx)
    finally:
        gx.close()


@pytest.mark.parametrize("where", ["in_process", "child"])
def test_a_failing_suite_stops_the_run_below_the_staged_sources(tmp_path, where):
    home = tmp_path / "home"
    write_inbox(home / "inbox", END, PROFILE, seed=5)
    first = run(home, where)
    assert first.success
    assert (home / "gx" / "data_docs" / "index.html").is_file()

    staged = StagedStore(home / "staged").data_path("cases", END)
    frame = pl.read_parquet(staged)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("bogus")).otherwise(pl.col("status")).alias("status")
    ).write_parquet(staged)

    second = run(home, where)
    assert not second.success
    (failure,) = second.failures
    assert failure.startswith("staged_sources_gx_suites:") and "cases_gx_suite" in failure
    instance = open_instance(home)
    # nothing below the staged sources ran in the second run
    for key in ("cases_current", "window_scores_daily", "rectification_ledger", "dashboards"):
        assert instance.get_latest_materialization_event(dg.AssetKey(key)).run_id == first.run_id, key
    # each suite still has its own result: the cases suite failed, the others passed
    results = {key.name: entry.dagster_event.event_specific_data.passed
               for key, entry in _check_evaluations(instance, second.run_id).items()}
    assert results == {f"{s}_gx_suite": s != "cases" for s in
                       ("attendance", "leave", "cases", "queue", "monitoring", "ratings", "callbacks")}


def _check_evaluations(instance: dg.DagsterInstance, run_id: str) -> dict:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return {r.event_log_entry.dagster_event.event_specific_data.asset_check_key: r.event_log_entry for r in records}
