"""Incremental scores: a night recomputes the months from M0 on (refresh_plan).

What the score tables were computed from is kept in four warehouse tables,
written in the transaction that writes the score tables (a crash leaves the
old state with the old tables):

- scores_state: the as-of date, method config hash and reference hash of the
  last run, how it refreshed ('full' / 'incremental'), its M0 and D0, and a
  generation number counting the runs (the rectification finders refresh
  from the same D0, or M0, only when they are exactly one generation behind, see
  assets.rectification.found_refresh);
- scores_refreshed_cases: the changed cases the last run re-read (empty
  after a full run);
- scores_input_files: every staged file of the dated sources (name, mtime,
  size, as cases_current_inputs records them) with the earliest and latest
  date its facts count on;
- scores_case_inputs: the partition every current case version came from.

A night compares them with the staged files and cases_current of now (see
refresh_plan for M0 and D0), reads only the partitions holding a fact dated
on or after D0 and the cases that are open or dated on or after D0, computes
the day figures from those, rolls the months from M0 up from these days and
the stored days from M0 before D0 (their counts and sums of points,
compute.EarlierDays), and replaces:

- period tables (day and month scores, lists, exports): the months >= M0
  and the days >= D0; every such figure depends only on facts dated in its
  period, and all of those were read (a month's through its days);
- dated fact rows (ticket_waits, attendance_days, counting_events,
  callback_facts, rating_facts, deductions): rows dated >= D0. An older row
  is unchanged: its file did not change (D0 is at most the file's earliest
  date, old and new), its callback's case did not change (D0 is at most the
  case's callbacks' dates) and the new as-of date only admits facts dated
  after the previous one;
- case_timeliness: the rows of the cases read (open, dated >= D0, or
  changed), and of the changed (also vanished) cases. A changed case moves
  D0 to the earliest of its dates that differ between its scored and its
  current row (with what is counted on them), and of its callbacks placed
  differently. A case that is not read and did not change was completed
  before D0 <= the day after the previous as-of date, so its completion,
  lateness and evaluation (at most its completion date) were already final;
  a case whose as-of dependent columns can change (open at the previous
  as-of, or completed after it) is read;
- case_warnings, window_warnings: whole (they are as of D over the open
  cases, all of which are read).

The as_of and config_hash columns of a score row say which run computed it:
rows kept from an earlier night keep that night's as-of date (restamping
every row would rewrite the whole history each night). The as-of date of the
tables as a whole is scores_state.as_of. Everything else in a row equals
what a full recompute at the same as-of date gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from assets.calendar import WorkCalendar
from assets.db import among_ids, sql_dates, sql_literal, table_names
from assets.ingest.file_states import changed_days, file_states
from assets.ingest.contract import DEFAULT_HALL
from assets.ingest.queries import sql_files
from assets.ingest.staging import StagedStore
from assets.scores import queries
from assets.scores.refresh_plan import Stamp, earliest_change, refresh_start
from assets.scores.timeliness import case_timeliness

SOURCES = tuple(queries.FACT_DATE_COLUMNS)
FILE_COLUMNS = {
    "source": pl.String,
    "partition_date": pl.Date,
    "file": pl.String,
    "mtime_ns": pl.Int64,
    "size": pl.Int64,
    "min_date": pl.Date,
    "max_date": pl.Date,
}

CASE_TABLE = "case_timeliness"
DATED_TABLES = ("ticket_waits", "attendance_days", "counting_events", "callback_facts", "rating_facts", "deductions")
WHOLE_TABLES = ("case_warnings", "window_warnings")


@dataclass(frozen=True)
class RefreshPlan:
    stamp: Stamp
    start: date | None  # M0; None: recompute everything
    files: pl.DataFrame  # scores_input_files as of now (FILE_COLUMNS)
    # the changed cases, with the partition of their current version (null: gone)
    changed_cases: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"case_id": pl.String, "partition_date": pl.Date})
    )
    first_change: date | None = None  # D0 (>= M0): rows dated from it are written back; None: from M0

    @property
    def rewrite_from(self) -> date | None:
        if self.start is None:
            return None
        return max(self.start, self.first_change or self.start)

    @property
    def refresh(self) -> str:
        return "full" if self.start is None else "incremental"

    def partitions(self, source: str) -> list[date]:
        """The partitions of ``source`` holding a fact dated on or after D0
        (``rewrite_from``): the days a night recomputes."""
        assert self.start is not None
        rows = self.files.filter((pl.col("source") == source) & (pl.col("max_date") >= self.rewrite_from))
        return sorted(rows.get_column("partition_date").to_list())


# Bumped whenever a score table's columns or meaning change: kept rows of an
# older layout cannot be mixed with new ones, so the first run after such an
# upgrade recomputes everything (it is part of the reference hash).
SCORE_LAYOUT_VERSION = 2  # 2: day rows carry rating_sum and callback_sum


def reference_hash(frames: Mapping[str, pl.DataFrame]) -> str:
    """Hash of the reference tables' contents (row order aside) and the score
    tables' layout version."""
    digest = hashlib.sha256()
    digest.update(f"layout:{SCORE_LAYOUT_VERSION}\n".encode())
    for name in sorted(frames):
        frame = frames[name]
        digest.update(f"{name}:{frame.schema}\n".encode())
        digest.update(frame.sort(frame.columns, nulls_last=True).write_csv().encode())
    return digest.hexdigest()[:16]


def file_spans(con, source: str, files: Mapping[date, Path]) -> pl.DataFrame:
    """FILE_COLUMNS for the given staged files of ``source`` (reads them)."""
    states = file_states(dict(files))
    if states.is_empty():
        return pl.DataFrame(schema=FILE_COLUMNS)
    cols = queries.FACT_DATE_COLUMNS[source]
    if not cols:
        return states.with_columns(source=pl.lit(source), min_date="partition_date", max_date="partition_date").select(
            [pl.col(n).cast(t) for n, t in FILE_COLUMNS.items()]
        )
    spans = con.sql(queries.FILE_DATE_SPAN.format(
        mins=", ".join(f"min({c})::DATE" for c in cols),
        maxs=", ".join(f"max({c})::DATE" for c in cols),
        files=sql_files(list(files.values())),
    )).pl()
    return (
        states.join(spans, on="partition_date", how="left")
        .with_columns(
            source=pl.lit(source),
            min_date=pl.coalesce("min_date", "partition_date"),
            max_date=pl.coalesce("max_date", "partition_date"),
        )
        .select([pl.col(n).cast(t) for n, t in FILE_COLUMNS.items()])
    )


def _previous(con, score_tables: Iterable[str]) -> tuple[Stamp, pl.DataFrame] | None:
    needed = {queries.STATE_TABLE, queries.FILES_TABLE, queries.CASES_TABLE, *score_tables}
    if not needed <= table_names(con):
        return None
    rows = con.execute(f"SELECT as_of, config_hash, reference_hash FROM {queries.STATE_TABLE}").fetchall()
    if len(rows) != 1:
        return None
    return Stamp(*rows[0]), con.sql(f"SELECT * FROM {queries.FILES_TABLE}").pl()


def plan_refresh(
    con,
    store: StagedStore,
    stamp: Stamp,
    score_tables: Iterable[str],
    calendar: WorkCalendar,
    matters: pl.DataFrame | None,
) -> RefreshPlan:
    """Full or from M0, with the state to record (``con`` may be read-only)."""
    files_now = {s: store.data_files_by_day(s, stamp.as_of) for s in SOURCES}
    previous = _previous(con, score_tables)
    if previous is None or refresh_start(previous[0], stamp, [], date.min) is None:
        spans = pl.concat([file_spans(con, s, files_now[s]) for s in SOURCES])
        return RefreshPlan(stamp, None, spans)
    before, old_files = previous

    changed_dates: list[date | None] = []
    changed_by_source: dict[str, list[date]] = {}
    parts = []
    for source in SOURCES:
        old = old_files.filter(pl.col("source") == source)
        changed_by_source[source] = changed = changed_days(old.select("partition_date", "file", "mtime_ns", "size"), file_states(files_now[source]))
        new = file_spans(con, source, {d: files_now[source][d] for d in changed if d in files_now[source]})
        if queries.FACT_DATE_COLUMNS[source]:
            changed_dates += old.filter(pl.col("partition_date").is_in(changed)).get_column("min_date").to_list()
            changed_dates += new.get_column("min_date").to_list()
        # A changed case file moves M0 only through its cases (below): a
        # corrected old export whose cases count on the same dates as before
        # does not send the night back to that month.
        parts += [old.filter(~pl.col("partition_date").is_in(changed)).select(list(FILE_COLUMNS)), new]
    files = pl.concat(parts).cast(FILE_COLUMNS).sort("source", "partition_date")

    case_days = sql_dates(changed_by_source["cases"])
    changed_cases = con.sql(queries.CHANGED_CASES.format(old_as_of=before.as_of.isoformat(), days=case_days)).pl()
    partitions = pl.DataFrame(schema={"case_id": changed_cases.schema["case_id"], "partition_date": pl.Date})
    if changed_cases.height:
        dates, partitions = _changed_case_dates(con, changed_cases, calendar, matters, stamp.as_of)
        changed_dates += dates
    changed_cases = changed_cases.join(partitions, on="case_id", how="left")

    history_start = files.get_column("min_date").min() if files.height else None
    start = refresh_start(before, stamp, changed_dates, history_start)
    return RefreshPlan(stamp, start, files, changed_cases, earliest_change(before.as_of, changed_dates))


# What places a case row on each of its dates in the day and month figures
# (composite.entity_scores): a date moves a figure only when it, or what is
# counted on it, differs between the scored and the current row.
CASE_DATE_ATTRIBUTES = {
    "received_date": ("hall_id", "window_id", "staff_id"),
    "completed_date": ("hall_id", "window_id", "staff_id", "is_completed", "supplement_count", "visit_count", "one_trip"),
    "evaluation_date": ("hall_id", "window_id", "staff_id", "evaluated", "on_time"),
}


def case_dates_moved(before: pl.DataFrame, now: pl.DataFrame) -> list[date | None]:
    """The earliest old and new date of each kind whose row differs (a case
    completed today moves today, not the day it was received)."""
    both = before.join(now, on="case_id", how="full", coalesce=True, suffix="_now")
    out: list[date | None] = []
    for kind, attrs in CASE_DATE_ATTRIBUTES.items():
        moved = both.filter(pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_now")) for c in (kind, *attrs)]))
        out += [moved.get_column(kind).min(), moved.get_column(f"{kind}_now").min()]
    return out


def _changed_case_dates(
    con, changed_cases: pl.DataFrame, calendar: WorkCalendar, matters, as_of: date
) -> tuple[list[date | None], pl.DataFrame]:
    """The earliest dates the changed cases (and their callbacks) move, and
    the partition of each one's current version (scores_case_inputs takes it
    from here rather than from another scan of cases_current)."""
    con.register("changed_cases", changed_cases)
    try:
        before = con.sql(queries.CHANGED_CASES_BEFORE).pl()
        now_versions = con.sql(queries.CHANGED_CASES_NOW).pl()
        callbacks = con.execute(
            queries.CHANGED_CALLBACKS_EARLIEST.format(default_hall=DEFAULT_HALL, as_of=as_of.isoformat())
        ).fetchall()[0][0]
    finally:
        con.unregister("changed_cases")
    partitions = now_versions.select("case_id", "partition_date")
    now = case_timeliness(now_versions.drop("partition_date"), matters, calendar, as_of).select(before.columns).collect()
    return [*case_dates_moved(before, now.cast(before.schema)), callbacks], partitions


def input_queries(plan: RefreshPlan, store: StagedStore) -> dict[str, str]:
    """The INPUT_QUERIES, narrowed to what a recompute of the days from D0
    reads (the months from M0 are rolled up with the stored earlier days);
    a staged source's partitions are read from their files in ``store``."""
    if plan.start is None:
        return dict(queries.INPUT_QUERIES)

    def days(source: str) -> str:
        return sql_dates(plan.partitions(source))

    out = {}
    for name, sql in queries.INPUT_QUERIES.items():
        if name == "cases_current":
            out[name] = queries.RECENT_CASES.format(sql=sql, start=plan.rewrite_from.isoformat())
        elif name == "callback_cases":
            out[name] = queries.RECENT_CALLBACK_CASES.format(days=days("callbacks"))
        elif name in queries.STAGED_INPUTS and (files := _partition_files(store, name, plan.partitions(name))):
            out[name] = queries.PARTITION_FILES.format(
                columns=queries.STAGED_INPUTS[name][1], files=sql_files(files), days=days(name)
            )
        else:  # no partition to read (or a file gone): through the view
            out[name] = queries.IN_PARTITIONS.format(sql=sql, days=days(name))
    return out


def _partition_files(store: StagedStore, source: str, days: list[date]) -> list[Path]:
    """The staged files of ``days``; none unless every one exists."""
    files = [store.data_path(source, d) for d in days]
    return files if all(p.exists() for p in files) else []


def recomputed_part(table: str, plan: RefreshPlan) -> tuple[str, str]:
    """(new rows kept, old rows replaced) of ``table`` as SQL conditions;
    {source} in the second stands for the new rows.

    The recompute covers the days from D0 and, rolled up with the stored
    earlier days, the months from M0, so these are written back: month
    figures from M0, day figures and dated facts from D0, and the cases that
    can count on a date from D0 (or are open, or changed). Kept rows keep the
    as-of stamp of the night that wrote them."""
    assert plan.start is not None
    month, day = plan.start.strftime("%Y-%m"), plan.rewrite_from.isoformat()
    if table in WHOLE_TABLES:
        return "TRUE", "TRUE"
    if table == CASE_TABLE:
        # an unchanged completed case dated before D0 was final: evaluated (at
        # its deadline + 1 or completion) no later than its completion
        recent = (
            f"received_date >= DATE '{day}' OR completed_date IS NULL OR completed_date >= DATE '{day}'"
            " OR case_id IN (SELECT case_id FROM changed_cases)"
        )
        # one id list, bounded: the ids of a night (the open cases and the
        # new day's) span months, not the history, and DuckDB skips the row
        # groups outside them (0.7 s -> 0.3 s at city-year)
        return recent, among_ids(
            f"(SELECT case_id FROM {{source}} WHERE {recent} UNION ALL SELECT case_id FROM changed_cases) AS replaced"
        )
    if table in DATED_TABLES:
        cond = f"date >= DATE '{day}'"
    else:  # period tables: a day 'YYYY-MM-DD' or a month 'YYYY-MM'
        cond = f"(length(period) = 7 AND period >= '{month}') OR (length(period) = 10 AND period >= '{day}')"
    return cond, cond


def replace_part(con, table: str, source: str, plan: RefreshPlan, cfg_hash: str) -> None:
    """Replace the recomputed part of ``table`` with the rows of ``source``
    (a relation name or read_parquet(...)); changed_cases must be registered."""
    keep_new, replaced = recomputed_part(table, plan)
    con.execute(queries.DELETE_ROWS.format(table=table, replaced=replaced.format(source=source)))
    con.execute(queries.INSERT_STAMPED.format(
        table=table, source=source, keep_new=keep_new,
        cfg_hash=sql_literal(cfg_hash), as_of=plan.stamp.as_of.isoformat(),
    ))


def state_generation(con) -> int | None:
    """How many times the score tables have been written (None before any
    run that counted): what a later step compares to know whether it missed one."""
    if queries.STATE_TABLE not in table_names(con):
        return None
    columns = {r[0] for r in con.execute(f"DESCRIBE {queries.STATE_TABLE}").fetchall()}
    if "generation" not in columns:
        return None
    rows = con.execute(f"SELECT generation FROM {queries.STATE_TABLE}").fetchall()
    return rows[0][0] if len(rows) == 1 else None


def write_state(con, plan: RefreshPlan, settings: str | None = None) -> None:
    """Record what the score tables were just computed from (inside their
    transaction), with the next generation number and the changed cases.
    ``settings``: the method config the hash stands for, as JSON, so that a
    page can say the figures a table was judged by (the wait target)."""
    state = pl.DataFrame(
        {
            "as_of": [plan.stamp.as_of],
            "config_hash": [plan.stamp.config_hash],
            "method_settings": [settings],
            "reference_hash": [plan.stamp.reference_hash],
            "refresh": [plan.refresh],
            "refresh_from": [plan.start],
            "days_from": [plan.rewrite_from],
            "generation": [(state_generation(con) or 0) + 1],
        },
        schema={"as_of": pl.Date, "config_hash": pl.String, "method_settings": pl.String, "reference_hash": pl.String,
                "refresh": pl.String, "refresh_from": pl.Date, "days_from": pl.Date, "generation": pl.Int64},
    )
    refreshed = plan.changed_cases.select(pl.col("case_id").cast(pl.String))
    for table, frame in (
        (queries.STATE_TABLE, state), (queries.FILES_TABLE, plan.files), (queries.REFRESHED_CASES_TABLE, refreshed)
    ):
        con.register("__state", frame)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM __state")
        con.unregister("__state")
    if plan.start is None:
        con.execute(f"CREATE OR REPLACE TABLE {queries.CASES_TABLE} AS {queries.CASE_PARTITIONS}")
    else:  # changed_cases is registered
        con.execute(queries.CASE_PARTITIONS_UPDATE)
