"""The score step's way in and out of the warehouse, through Parquet files.

At city scale the inputs (tens of millions of rows) and the row-level fact
tables do not fit in memory together. So DuckDB copies only the columns the
scoring reads to Parquet files in a spill folder (under its memory limit),
polars scans them lazily and streams each fact table to Parquet there, and
DuckDB loads those files into the score tables. Only the aggregates (a row
per entity and day or month) are held in memory. A night reads and replaces
only the recent part (see incremental); a month or two of it fits in memory,
so a night skips the Parquet copies (assets.scores.assets.in_memory).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import polars as pl

from assets.db import replace_table, scalar, sql_literal
from assets.scores import queries
from assets.scores.composite import SUM_COLUMNS, WINDOW_KEYS
from assets.scores.compute import EarlierDays, ScoreInputs
from assets.scores.staff_scores import STAFF_KEYS
from assets.scores.incremental import RefreshPlan, replace_part, write_state
from pipelines.resources import Warehouse

# Reference tables are small: read whole.
REFERENCE_TABLES = {
    "windows": "windows",
    "staff": "staff",
    "matters": "matters",
    "departments": "departments",
    "halls": "halls",
}


def read_reference(con) -> dict[str, pl.DataFrame]:
    return {field: con.sql(f"SELECT * FROM {table}").pl() for field, table in REFERENCE_TABLES.items()}


def export_score_inputs(
    con,
    spill_dir: Path | None,
    delivered: Iterable[date],
    input_queries: Mapping[str, str],
    reference: Mapping[str, pl.DataFrame],
) -> ScoreInputs:
    """ScoreInputs whose staged frames are lazy scans of Parquet copies in
    ``spill_dir`` of what ``input_queries`` select (queries.INPUT_QUERIES or
    a narrowing of them), or with no ``spill_dir`` the selections themselves,
    read into memory."""
    frames: dict[str, pl.LazyFrame | pl.DataFrame] = dict(reference)
    for field, sql in input_queries.items():
        if spill_dir is None:
            frames[field] = con.sql(sql).pl().lazy()
            continue
        path = spill_dir / f"input_{field}.parquet"
        con.execute(f"COPY ({sql}) TO {sql_literal(path)} (FORMAT parquet)").fetchall()
        frames[field] = pl.scan_parquet(path)
    return ScoreInputs(**frames, attendance_delivered_dates=delivered)


def read_earlier_days(con, plan: RefreshPlan) -> EarlierDays | None:
    """The stored day rows a night keeps (None: a full recompute, or D0 is M0)."""
    if plan.start is None or plan.rewrite_from <= plan.start:
        return None

    def read(table: str, keys: tuple[str, ...]) -> pl.DataFrame:
        return con.sql(queries.EARLIER_DAYS.format(
            columns=", ".join([*keys, "period", *SUM_COLUMNS]), table=table,
            start=plan.start.isoformat(), until=plan.rewrite_from.isoformat(),
        )).pl()

    return EarlierDays(windows=read("window_scores_daily", WINDOW_KEYS), staff=read("staff_scores_daily", STAFF_KEYS))


def stamped(frame: pl.DataFrame, cfg_hash: str, as_of: date) -> pl.DataFrame:
    return frame.with_columns(pl.lit(cfg_hash).alias("config_hash"), pl.lit(as_of).alias("as_of"))


def write_score_tables(
    warehouse: Warehouse,
    frames: dict[str, pl.DataFrame | pl.LazyFrame | Path],
    cfg_hash: str,
    plan: RefreshPlan,
    settings: str | None = None,
) -> dict[str, int]:
    """Write every score table and the refresh state in one transaction (a
    crash leaves all old or all new), stamped with the config hash and as-of
    date; a Path is a Parquet file DuckDB loads itself, a LazyFrame is
    collected first. A full plan replaces the tables, an incremental one
    their recomputed part. ``settings``: the config as JSON, kept in the
    state. Returns the row counts."""
    as_of = plan.stamp.as_of
    rows = {}
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        con.register("changed_cases", plan.changed_cases)
        for table, frame in frames.items():
            if isinstance(frame, pl.LazyFrame):  # a fact table computed in memory
                frame = frame.collect()
            if plan.start is not None:
                if isinstance(frame, Path):
                    replace_part(con, table, f"read_parquet({sql_literal(frame)})", plan, cfg_hash)
                else:
                    con.register("__frame", frame)
                    replace_part(con, table, "__frame", plan, cfg_hash)
                    con.unregister("__frame")
            elif isinstance(frame, Path):
                con.execute(queries.STAMPED_TABLE.format(
                    table=table, path=sql_literal(frame), cfg_hash=sql_literal(cfg_hash), as_of=as_of.isoformat()
                ))
            else:
                replace_table(con, table, stamped(frame, cfg_hash, as_of))
            rows[table] = scalar(con, f"SELECT count(*) FROM {table}")
        write_state(con, plan, settings)
        con.unregister("changed_cases")
        con.execute("COMMIT")
    return rows
