"""The score step's way in and out of the warehouse, through Parquet files.

At city scale the inputs (tens of millions of rows) and the row-level fact
tables do not fit in memory together. So DuckDB copies only the columns the
scoring reads to Parquet files in a spill folder (under its memory limit),
polars scans them lazily and streams each fact table to Parquet there, and
DuckDB loads those files into the score tables. Only the aggregates (a row
per entity and day or month) are held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import polars as pl

from assets.db import replace_table, scalar, sql_literal
from assets.scores import queries
from assets.scores.compute import ScoreInputs
from pipelines.resources import Warehouse

# Reference tables are small: read whole.
REFERENCE_TABLES = {
    "windows": "windows",
    "staff": "staff",
    "matters": "matters",
    "departments": "departments",
    "halls": "halls",
}


def export_score_inputs(warehouse: Warehouse, spill_dir: Path, delivered: Iterable[date]) -> ScoreInputs:
    """ScoreInputs whose staged frames are lazy scans of Parquet copies in ``spill_dir``."""
    frames: dict[str, pl.LazyFrame | pl.DataFrame] = {}
    with warehouse.connect(read_only=True) as con:
        for field, sql in queries.INPUT_QUERIES.items():
            path = spill_dir / f"input_{field}.parquet"
            con.execute(f"COPY ({sql}) TO {sql_literal(path)} (FORMAT parquet)").fetchall()
            frames[field] = pl.scan_parquet(path)
        for field, table in REFERENCE_TABLES.items():
            frames[field] = con.sql(f"SELECT * FROM {table}").pl()
    return ScoreInputs(**frames, attendance_delivered_dates=delivered)


def stamped(frame: pl.DataFrame, cfg_hash: str, as_of: date) -> pl.DataFrame:
    return frame.with_columns(pl.lit(cfg_hash).alias("config_hash"), pl.lit(as_of).alias("as_of"))


def write_score_tables(
    warehouse: Warehouse, frames: dict[str, pl.DataFrame | Path], cfg_hash: str, as_of: date
) -> dict[str, int]:
    """Replace every score table in one transaction (a crash leaves all old or
    all new), stamped with the config hash and as-of date; a Path is a Parquet
    file DuckDB loads itself. Returns the row counts."""
    rows = {}
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        for table, frame in frames.items():
            if isinstance(frame, Path):
                con.execute(queries.STAMPED_TABLE.format(
                    table=table, path=sql_literal(frame), cfg_hash=sql_literal(cfg_hash), as_of=as_of.isoformat()
                ))
            else:
                replace_table(con, table, stamped(frame, cfg_hash, as_of))
            rows[table] = scalar(con, f"SELECT count(*) FROM {table}")
        con.execute("COMMIT")
    return rows

