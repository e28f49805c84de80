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

import time
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
    # the one line names the check and what failed in it, not only Dagster's error
    assert failure == (
        "staged_sources_gx_suites: cases_gx_suite 未通过 failed: "
        f"ExpectColumnValuesToBeInSet(status): 1 of {frame.height} rows unexpected, e.g. 'bogus'"
    )
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


def test_files_announced_by_staging_are_validated_as_they_are_when_the_step_asks(tmp_path):
    """The GX child validates each source when its staging step announces
    the files; the GX step gets that outcome only for files unchanged since,
    and validates the others (changed, or never announced) when it asks."""
    home = tmp_path / "home"
    write_inbox(home / "inbox", END, PROFILE, seed=5)
    assert run(home, "in_process").success
    store = StagedStore(home / "staged")
    files = {s: [store.data_path(s, END)] for s in ("cases", "ratings", "queue")}
    docs = home / "gx" / "data_docs"
    expected = InProcessGx().validate_sources([("ratings", files["ratings"])], docs)[0]["ratings"]

    results = docs / ".validation_results" / "cases" / f"cases-{END.isoformat()}"

    def stored() -> int:
        return len(list(results.iterdir())) if results.is_dir() else 0

    before = stored()

    gx = GxChildProcess()
    try:
        gx.files_staged("cases", files["cases"], docs)
        gx.files_staged("ratings", files["ratings"], docs)
        # wait until the child has validated the announced cases (it stores
        # the result for the Data Docs), so the change below comes after
        deadline = time.monotonic() + 120
        while stored() == before:
            assert time.monotonic() < deadline, "the GX child did not validate the announced cases"
            time.sleep(0.05)
        # then the cases file changes: an unknown status on its first row
        # (uncompressed, so its size changes too)
        frame = pl.read_parquet(files["cases"][0])
        frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("bogus")).otherwise(pl.col("status")).alias("status")
        ).write_parquet(files["cases"][0], compression="uncompressed")
        outcomes, _ = gx.validate_sources([(s, f) for s, f in files.items()], docs)
    finally:
        gx.close()

    assert outcomes["ratings"].validated_while_staging
    got = outcomes["ratings"]
    assert (got.success, got.rows, got.gx_rows, got.evaluated, got.blocking_failures, got.warnings) == (
        expected.success, expected.rows, expected.gx_rows, expected.evaluated, expected.blocking_failures, expected.warnings
    )
    assert not outcomes["cases"].success  # the file as it is now, not as announced
    assert any("status" in failure for failure in outcomes["cases"].blocking_failures)
    assert not outcomes["queue"].validated_while_staging and outcomes["queue"].success
