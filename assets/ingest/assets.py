"""Ingest assets: reference data, one daily-partitioned asset per source, and
the warehouse tables built over the staged partitions.

Partitioned steps only write Parquet, so several processes may stage days in
parallel; the unpartitioned steps below them are the only DuckDB writers.
"""


import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.db import replace_table, scalar, sql_dates, table_names
from assets.ingest import contract as c
from assets.ingest import queries
from assets.ingest.callbacks_refresh import refresh_callbacks
from assets.ingest.file_states import changed_days, file_states
from assets.ingest.inbox import files_by_partition
from assets.ingest.reference import (
    ReferenceMissing,
    load_reference,
    read_reference_snapshot,
    record_reference_failure,
    reference_keys,
    write_reference_snapshot,
)
from assets.ingest.daily_partitions import DailyPartitions
from assets.ingest.run_files import staged_files_of_run
from assets.ingest.staging import StagedStore, stage_partition
from checks.gx_process import InProcessGx
from pipelines.clock import PARTITION_START
from pipelines.planning import record_reference_inputs, reference_changed
from pipelines.resources import WindowWatchHome, Warehouse

# end_offset=1: today's partition exists, so an as-of of today is accepted.
DAILY_PARTITIONS = DailyPartitions(start_date=PARTITION_START, timezone="Asia/Shanghai", end_offset=1)

SOURCE_TABLES = {
    "attendance": "attendance",
    "leave": "leave_records",
    "queue": "queue_tickets",
    "monitoring": "monitoring_events",
    "ratings": "ratings",
}


def write_frames(warehouse: Warehouse, frames: dict[str, pl.DataFrame]) -> None:
    """Replace tables in one transaction: a crash leaves all old or all new."""
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        for table, frame in frames.items():
            replace_table(con, table, frame)
        con.execute("COMMIT")


@dg.asset(group_name="ingest", kinds={"duckdb", "parquet"})
def reference_data(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """Halls, departments, windows, staff and matters (基础数据), replaced whole."""
    if (kept := _reference_kept(home, warehouse)) is not None:
        return dg.MaterializeResult(metadata=kept)
    try:
        data = load_reference(home.inbox_dir / "reference")
    except ReferenceMissing as exc:
        # the rejected reference file's row, for export quality and the summary
        record_reference_failure(warehouse, exc.quality)
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    write_reference_snapshot(data, home.reference_snapshot_dir)
    frames = dict(data.tables)
    if "halls" not in frames:
        halls = frames["windows"].select("hall_id").unique().sort("hall_id")
        frames["halls"] = halls.with_columns(hall_name=pl.col("hall_id"))
    frames["reference_quality"] = data.quality
    frames["reference_quarantine"] = data.quarantine
    write_frames(warehouse, frames)
    # recorded last: "inputs unchanged" then means snapshot and tables were written from them
    record_reference_inputs(home.inbox_dir, home.reference_snapshot_dir)
    return dg.MaterializeResult(
        metadata={
            "version": data.version,
            **{f"{name}_rows": frame.height for name, frame in data.tables.items()},
            "rows_quarantined": data.quarantine.height,
        }
    )


REFERENCE_WAREHOUSE_TABLES = ("halls", "departments", "windows", "staff", "matters", "reference_quality", "reference_quarantine")


def _reference_kept(home: WindowWatchHome, warehouse: Warehouse) -> dict | None:
    """The metadata of the reference data as last loaded, when the inbox's
    reference files are the ones it was loaded from (name, size, modification
    time) and the snapshot and the warehouse tables are there: reading the
    workbooks again would give the same tables. None: load them."""
    snapshot = home.reference_snapshot_dir
    if reference_changed(home.inbox_dir, snapshot) or not Path(warehouse.path).exists():
        return None
    try:
        tables, version = read_reference_snapshot(snapshot)
    except ReferenceMissing:
        return None
    with warehouse.connect(read_only=True) as con:
        if not set(REFERENCE_WAREHOUSE_TABLES) <= table_names(con):
            return None
        quarantined = scalar(con, "SELECT count(*) FROM reference_quarantine")
    return {
        "version": version,
        **{f"{name}_rows": frame.height for name, frame in sorted(tables.items())},
        "rows_quarantined": quarantined,
        "unchanged": True,
    }


# Two days staged side by side: a day is a third CSV parsing, a third polars
# expressions and a third Parquet writing, much of it outside the GIL, so two
# threads keep both cores busy (about 1.5x on this machine) for ~100 MB more.
STAGING_THREADS = 2


def stage_days(store: StagedStore, source: str, days: list, keys, version: str) -> list[pl.DataFrame]:
    """Stage each (day, files); every day writes only its own files, atomically."""
    if len(days) <= 1:
        return [stage_partition(store, source, day, files, keys, version) for day, files in days]
    with ThreadPoolExecutor(STAGING_THREADS) as pool:
        return list(pool.map(lambda job: stage_partition(store, source, job[0], job[1], keys, version), days))


def staged_asset(source: str) -> dg.AssetsDefinition:
    spec = c.DAILY_SOURCES[source]

    @dg.asset(
        name=f"{source}_staged",
        group_name="ingest",
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[reference_data],
        kinds={"parquet"},
        description=f"{spec.zh} ({source}): one validated Parquet file per export day.",
    )
    def _staged(
        context: dg.AssetExecutionContext, home: WindowWatchHome, gx: dg.ResourceParam[InProcessGx]
    ) -> dg.MaterializeResult:
        tables, version = read_reference_snapshot(home.reference_snapshot_dir)
        keys = reference_keys(tables)
        store = StagedStore(home.staged_dir)
        inbox = files_by_partition(home.inbox_dir, source)
        todo = []
        for key in context.partition_keys:
            day = date.fromisoformat(key)
            files = inbox.get(day, [])
            if not store.is_current(source, day, files, version):
                todo.append((day, files))
        skipped = len(context.partition_keys) - len(todo)
        manifests = stage_days(store, source, todo, keys, version)
        staged = len(manifests)
        loaded = sum(int(m["rows_loaded"].sum()) for m in manifests)
        quarantined = sum(int(m["rows_quarantined"].sum()) for m in manifests)
        context.log.info(f"{source}: {staged} day(s) staged, {skipped} unchanged")
        gx.files_staged(source, staged_files_of_run(context, home, source), home.gx_docs_dir)
        return dg.MaterializeResult(
            metadata={
                "days_staged": staged,
                "days_unchanged": skipped,
                "rows_loaded": loaded,
                "rows_quarantined": quarantined,
            }
        )

    return _staged


STAGED_ASSETS = {source: staged_asset(source) for source in c.DAILY_SOURCES}


@dg.asset(group_name="warehouse", deps=[STAGED_ASSETS["cases"]], kinds={"duckdb"})
def cases_current(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """办件 upserted by case_id: the latest updated_at on or before the as-of date wins."""
    files = StagedStore(home.staged_dir).data_files_by_day("cases", home.as_of_date)
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        how = refresh_cases_current(con, files, home.as_of_date)
        rows = scalar(con, "SELECT count(*) FROM cases_current")
        con.execute("COMMIT")
    context.log.info(f"cases_current: {how}")
    return dg.MaterializeResult(metadata={"cases": rows, "partitions": len(files), "refresh": how})


def refresh_cases_current(con, files: dict[date, Path], as_of: date) -> str:
    """Bring cases_current up to date with the staged case files and as-of date.

    When it was built from (mostly) the same files at an as-of date not after
    this one, only the cases a changed partition or the newly admitted days
    can touch are re-derived ('merge'; 'unchanged' when nothing can); else it
    is rebuilt whole ('full'). Both give the same table. Records the files and
    the as-of date in cases_current_inputs.
    """
    state = file_states(files)
    previous = _previous_inputs(con)
    how = "full"
    if previous is not None and files:
        old_as_of = previous["as_of"].max() if previous.height else None
        changed = changed_days(previous.drop("as_of"), state)
        if old_as_of is not None and old_as_of <= as_of and len(changed) * 2 <= len(files):
            how = _merge_cases_current(con, files, changed, old_as_of, as_of)
    if how == "full":
        if files:
            sql = queries.CASES_CURRENT.format(files=queries.sql_files(list(files.values())), as_of=as_of.isoformat())
            con.execute(sql)
        else:
            _create_empty(con, "cases_current", "cases")
    if how != "unchanged":
        _record_cases_version(con, merged=how == "merge")
    replace_table(con, queries.CASES_CURRENT_INPUTS, state.with_columns(as_of=pl.lit(as_of)))
    return how


def _record_cases_version(con, *, merged: bool) -> None:
    """A fresh content id for cases_current, over the previous one when this
    write was a merge (whose touched ids are recorded already), else over none."""
    tables = table_names(con)
    previous = None
    if merged and queries.CASES_CURRENT_VERSIONS in tables:
        rows = con.execute(f"SELECT content_id FROM {queries.CASES_CURRENT_VERSIONS}").fetchall()
        previous = rows[0][0] if rows else None
    if not merged:
        con.execute(f"DROP TABLE IF EXISTS {queries.CASES_CURRENT_TOUCHED}")
    con.execute(
        f"CREATE OR REPLACE TABLE {queries.CASES_CURRENT_VERSIONS} AS "
        "SELECT ?::VARCHAR AS content_id, ?::VARCHAR AS previous_content_id",
        [uuid.uuid4().hex, previous],
    )


def _previous_inputs(con) -> pl.DataFrame | None:
    tables = table_names(con)
    if "cases_current" not in tables or queries.CASES_CURRENT_INPUTS not in tables:
        return None
    return con.sql(f"SELECT * FROM {queries.CASES_CURRENT_INPUTS}").pl()


def _merge_cases_current(con, files: dict[date, Path], changed: list[date], old_as_of: date, as_of: date) -> str:
    all_files = queries.sql_files(list(files.values()))
    window = {"old_as_of": old_as_of.isoformat(), "as_of": as_of.isoformat()}
    days = sql_dates(changed)
    present_files = [files[d] for d in changed if d in files]
    kept = f"partition_date NOT IN ({days})" if changed else "TRUE"
    affected, candidates = [], [queries.CASE_KEPT_WINNERS.format(not_from_changed_days=kept)]
    if changed:
        con.execute(queries.CASES_LOST_WINNER.format(days=days))
        affected.append("SELECT case_id FROM cases_lost_winner")
        if con.execute("SELECT count(*) FROM cases_lost_winner").fetchone()[0]:
            candidates.append(queries.CASE_VERSIONS_OF_LOST_WINNERS.format(files=all_files, **window))
        if present_files:
            present = queries.sql_files(present_files)
            affected.append(queries.CASES_IN_FILES.format(files=present))
            candidates.append(queries.CASE_VERSIONS_IN_FILES.format(files=present, **window))
    if as_of > old_as_of:
        affected.append(queries.CASES_UPDATED_BETWEEN.format(files=all_files, **window))
        candidates.append(queries.CASE_VERSIONS_UPDATED_BETWEEN.format(files=all_files, **window))
    if not affected:
        return "unchanged"
    con.execute(queries.cases_affected(affected))
    con.execute(queries.case_candidates(candidates))
    con.execute(queries.CASES_CURRENT_MERGE)
    con.execute(queries.CASES_TOUCHED_BY_MERGE)
    con.execute("DROP TABLE IF EXISTS cases_lost_winner")
    con.execute("DROP TABLE case_candidates")
    con.execute("DROP TABLE cases_new")
    con.execute("DROP TABLE cases_affected")
    return "merge"


def _create_empty(con, table: str, source: str) -> None:
    replace_table(con, table, pl.DataFrame(schema=c.staged_schema(source)))


def _source_view(con, view: str, source: str, files) -> None:
    if files:
        con.execute(queries.staged_view(view, files))
    else:
        con.execute(f"DROP VIEW IF EXISTS {view}")
        _create_empty(con, f"{view}_empty", source)
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {view}_empty")


@dg.asset(
    group_name="warehouse",
    deps=[STAGED_ASSETS[s] for s in SOURCE_TABLES],
    kinds={"duckdb"},
)
def source_tables(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """Views over the staged days up to the as-of date: attendance, leave_records,
    queue_tickets, monitoring_events, ratings."""
    store = StagedStore(home.staged_dir)
    counts = {}
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        for source, view in SOURCE_TABLES.items():
            _source_view(con, view, source, store.data_files(source, home.as_of_date))
            counts[view] = scalar(con, f"SELECT count(*) FROM {view}")
        con.execute("COMMIT")
    return dg.MaterializeResult(metadata=counts)


@dg.asset(group_name="warehouse", deps=[STAGED_ASSETS["callbacks"], cases_current], kinds={"duckdb"})
def callbacks(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """电话回访 matched to their case (hall and window come from the case);
    callbacks whose case is unknown go to callbacks_unmatched (quarantine)."""
    files = StagedStore(home.staged_dir).data_files_by_day("callbacks", home.as_of_date)
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        _source_view(con, "callbacks_staged_view", "callbacks", list(files.values()))
        refresh = refresh_callbacks(con, files)
        matched = scalar(con, "SELECT count(*) FROM callbacks")
        unmatched = scalar(con, "SELECT count(*) FROM callbacks_unmatched")
        con.execute("COMMIT")
    return dg.MaterializeResult(metadata={"callbacks": matched, "unknown_case": unmatched, "refresh": refresh})


INGEST_ASSETS = [reference_data, *STAGED_ASSETS.values(), cases_current, source_tables, callbacks]
