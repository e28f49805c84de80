"""A run with Dagster's multiprocess executor (steps in parallel processes,
several of them DuckDB writers) gives the results of a serial run.

The serial run is the CLI's: ``pipelines.runner.run_graph`` (in-process
executor). The parallel run is the same job launched through
``dagster.execute_job`` on a reconstructable job with
``multiprocess: {max_concurrent: 2}``, recorded in its own home's instance.
Both read the same inbox with the same as-of date; then every table and view
of both warehouses, the ledger file's tables and every staged Parquet
partition are compared row for row (sorted on all columns), leaving out only
the columns that record which run wrote a row and when (RUN_COLUMNS).

Floats may differ by 1e-9 relative in the first test; the second asks for
every bit (the department means add their windows up in one fixed order, see
assets/scores/dept_scores.py).

A small profile keeps it fast; set WW_PARALLEL_PROFILE=hall-quarter to run the
comparison on the benchmark's hall-quarter inbox (1 hall x 40 windows x 90 days).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.demo_inbox import InboxProfile, write_inbox

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 10, 20)
PROFILES = {
    "small": InboxProfile(departments=4, windows_per_hall=8, staff_per_hall=24, matters=20, days=20),
    "hall-quarter": InboxProfile(halls=1, windows_per_hall=40, staff_per_hall=120, days=90),
}
PROFILE_NAME = os.environ.get("WW_PARALLEL_PROFILE", "small")

HOME_VAR, INBOX_VAR, AS_OF_VAR = "WW_PARALLEL_TEST_HOME", "WW_PARALLEL_TEST_INBOX", "WW_PARALLEL_TEST_AS_OF"

# Columns that say when or in which run a row was written, not what it says.
RUN_COLUMNS = {"first_seen_run", "last_seen_run", "created_at", "withdrawn_at", "changed_at", "run_id", "applied_at",
               "mtime_ns",  # cases_current_inputs: when each staged file was written
               "content_id", "previous_content_id"}  # found tables' versions: a fresh id at each write


def nightly_job() -> dg.JobDefinition:
    """Module level, so each step process of the multiprocess executor can
    rebuild the job; the home, inbox and as-of date come from the environment,
    which the step processes inherit."""
    from pipelines.definitions import build_definitions

    defs = build_definitions(os.environ[HOME_VAR], inbox=os.environ[INBOX_VAR], as_of=os.environ[AS_OF_VAR])
    return defs.resolve_job_def("windowwatch_nightly")


def run_parallel(home: Path, inbox: Path, as_of: dt.date, monkeypatch) -> dg.ExecutionResult:
    from pipelines.planning import changed_days, partition_range, range_tags
    from pipelines.runner import open_instance

    monkeypatch.setenv(HOME_VAR, str(home))
    monkeypatch.setenv(INBOX_VAR, str(inbox))
    monkeypatch.setenv(AS_OF_VAR, as_of.isoformat())
    instance = open_instance(home)
    # the same day range the CLI asks for (runner.run_graph_holding_home)
    start, end = partition_range(changed_days(inbox, home / "staged", home / "staged" / "_reference", as_of), as_of)
    # By module name from the project root: pytest imports this file as a
    # top-level module the step processes could not find.
    job = dg.build_reconstructable_job("tests.test_parallel_serial", "nightly_job", reconstructor_working_directory=str(ROOT))
    result = dg.execute_job(
        job,
        instance=instance,
        run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}},
        tags={**range_tags(start, end), "windowwatch/as_of": as_of.isoformat()},
        raise_on_error=False,
    )
    return result


def failures(result) -> list[str]:
    out = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:
                error = error.cause
            out.append(f"{event.step_key}: {error.cls_name if error else ''}: {error.message.strip()[:400] if error else ''}")
    return out


def db_tables(path: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {name: con.sql(f'SELECT * FROM "{name}"').pl() for name in names}
    finally:
        con.close()


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.drop([c for c in frame.columns if c in RUN_COLUMNS])
    # nested columns (lists, structs) cannot be sort keys: compare them as text
    nested = [c for c, t in frame.schema.items() if t.is_nested() or t == pl.Object]
    if nested:
        frame = frame.with_columns(pl.col(c).map_elements(repr, return_dtype=pl.String) for c in nested)
    # floats last among the sort keys, so a last-bit difference cannot reorder rows
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    keys = [c for c in frame.columns if c not in floats] + floats
    return frame.sort(keys, nulls_last=True) if keys else frame


def differences(serial: dict[str, pl.DataFrame], parallel: dict[str, pl.DataFrame], exact: bool) -> list[str]:
    """Tables that differ. exact=False allows floats to differ by 1e-9 relative
    (and nothing else); exact=True wants every bit equal."""
    if sorted(serial) != sorted(parallel):
        return [f"table sets: only serial {sorted(set(serial) - set(parallel))}, "
                f"only parallel {sorted(set(parallel) - set(serial))}"]
    out = []
    for name in serial:
        a, b = comparable(serial[name]), comparable(parallel[name])
        try:
            assert_frame_equal(a, b, check_exact=exact, rel_tol=1e-9, abs_tol=1e-9)
        except AssertionError as exc:
            out.append(f"{name}: {str(exc).splitlines()[0]}")
    return out


def staged_partitions(home: Path) -> dict[str, pl.DataFrame]:
    root = home / "staged"
    return {str(p.relative_to(root)): pl.read_parquet(p) for p in sorted(root.rglob("*.parquet"))}


def overlapping_steps(instance: dg.DagsterInstance, run_id: str) -> int:
    """Pairs of step processes alive at once: each from its launch by the
    run's orchestrator (STEP_WORKER_STARTING) to its step's end. Not from the
    worker's own start (STEP_WORKER_STARTED): that comes after the worker's
    imports, which on a loaded machine can outlast another worker's whole
    step at this size, and a clean clone's suite once saw no overlap that way.
    A run limited to one process at a time launches each step only after the
    one before has ended, so it still counts none."""
    launched, ended = {}, {}
    for record in instance.get_records_for_run(run_id, limit=100_000).records:
        entry = record.event_log_entry
        kind = entry.dagster_event_type
        if kind == dg.DagsterEventType.STEP_WORKER_STARTING:
            launched[entry.step_key] = record.timestamp
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            ended[entry.step_key] = record.timestamp
    spans = sorted((launched[k], ended[k]) for k in launched if k in ended)
    return sum(1 for (_, e1), (s2, _) in zip(spans, spans[1:]) if s2 < e1)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parallel_inbox") / "inbox"
    write_inbox(path, AS_OF, PROFILES[PROFILE_NAME], seed=7)
    return path


@pytest.fixture(scope="module")
def runs(inbox, tmp_path_factory) -> dict[str, dict[str, dict[str, pl.DataFrame]]]:
    """The serial run and the parallel run of the same inbox: their
    warehouse tables, ledger tables and staged partitions."""
    from pipelines.runner import open_instance, run_graph

    base = tmp_path_factory.mktemp("parallel_vs_serial")
    serial_home, parallel_home = base / "serial", base / "parallel"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("WINDOWWATCH_HOME", raising=False)
        serial = run_graph(serial_home, inbox, AS_OF, progress=False)
        assert serial.success, serial.failures
        result = run_parallel(parallel_home, inbox, AS_OF, mp)
    assert result.success, "multiprocess run failed:\n" + "\n".join(failures(result))
    with open_instance(parallel_home) as instance:
        assert overlapping_steps(instance, result.run_id) > 0, "no two step processes ran at the same time"

    def outputs(home: Path) -> dict[str, dict[str, pl.DataFrame]]:
        return {
            "warehouse": db_tables(home / "warehouse.duckdb"),
            "ledger": db_tables(home / "ledger" / "ledger.duckdb"),
            "staged": staged_partitions(home),
        }

    return {"serial": outputs(serial_home), "parallel": outputs(parallel_home)}


@pytest.mark.parametrize("part", ["warehouse", "ledger", "staged"])
def test_parallel_run_gives_the_serial_results(runs, part):
    different = differences(runs["serial"][part], runs["parallel"][part], exact=False)
    assert not different, f"{part}: serial and parallel runs differ:\n" + "\n".join(different)


def test_parallel_run_is_bit_identical(runs):
    different = [f"{part}: {d}" for part in ("warehouse", "ledger", "staged")
                 for d in differences(runs["serial"][part], runs["parallel"][part], exact=True)]
    assert not different, "\n".join(different)
