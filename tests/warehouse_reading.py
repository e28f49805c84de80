"""Reading a finished run's warehouse in tests (read-only, real DuckDB file)."""

from pathlib import Path

import duckdb
import polars as pl


def table(home: Path, name: str, order_by: str | None = None) -> pl.DataFrame:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        sql = f"SELECT * FROM {name}" + (f" ORDER BY {order_by}" if order_by else "")
        return con.sql(sql).pl()
    finally:
        con.close()


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Sorted on every column, so two runs' tables compare row for row."""
    return frame.sort(frame.columns, nulls_last=True)
