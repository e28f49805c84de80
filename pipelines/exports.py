"""CSV exports read from the warehouse (UTF-8 with BOM, so Excel opens them)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from assets.atomic_files import temporary_beside, write_bytes_atomic
from assets.db import scalar, table_names
from pipelines.resources import Warehouse

QUALITY_COLUMNS = [
    "source",
    "file",
    "partition",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "duplicates_removed",
    "message",
]
QUARANTINE_COLUMNS = ["source", "file", "partition", "row", "reason", "detail", "raw_values"]


class NothingToExport(Exception):
    pass


def scores_as_of(warehouse: Warehouse):
    """The as-of date of the score tables as a whole. A row's own as_of stamp
    is that of the run that computed it: a night recomputes recent months only."""
    with warehouse.connect(read_only=True) as con:
        if "scores_state" in table_names(con):
            return scalar(con, "SELECT max(as_of) FROM scores_state")
    return read_table(warehouse, "window_scores_daily")["as_of"].max()


@contextlib.contextmanager
def table_connection(warehouse: Warehouse, table: str) -> Iterator:
    """A read-only warehouse connection, once ``table`` is known to be there."""
    if not Path(warehouse.path).exists():
        raise NothingToExport(f"还没有运行过：{warehouse.path} 不存在 (no run yet; run `windowwatch run` first)")
    with warehouse.connect(read_only=True) as con:
        if table not in table_names(con):
            raise NothingToExport(f"仓库中没有表 {table} (run `windowwatch run` first)")
        yield con


def read_table(warehouse: Warehouse, table: str) -> pl.DataFrame:
    with table_connection(warehouse, table) as con:
        return con.sql(f"SELECT * FROM {table}").pl()


def write_csv_bom(frame: pl.DataFrame, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(out)
    try:
        # opened here rather than by polars, whose error carries no strerror
        # for the command line's one-line refusal
        with open(tmp, "wb") as fh:
            frame.write_csv(fh, include_bom=True, null_value="")
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


# The warehouse keeps inbox file names as they are, since they are what
# files are matched by; a name an office gave a file can hold an applicant's
# name or phone, so exports show it masked, as the pages do. Raw values and
# details were masked when the quarantine was collected.
def export_quality(warehouse: Warehouse, out: Path) -> Path:
    from assets.rectification.masking import mask_text_expr

    frame = read_table(warehouse, "file_quality").rename({"partition_date": "partition"})
    return write_csv_bom(frame.select(QUALITY_COLUMNS).with_columns(mask_text_expr("file"), mask_text_expr("message")), out)


def export_quarantine(warehouse: Warehouse, out: Path) -> Path:
    from assets.rectification.masking import mask_text_expr

    frame = read_table(warehouse, "quarantine").rename({"partition_date": "partition"})
    return write_csv_bom(frame.select(QUARANTINE_COLUMNS).with_columns(mask_text_expr("file")), out)


def export_scores(warehouse: Warehouse, period: str, out: Path) -> Path:
    from assets.scores.composite import EXPORT_COLUMNS, export_csv_bytes

    table = {"day": "scores_export_daily", "month": "scores_export_monthly"}[period]
    frame = read_table(warehouse, table).select(EXPORT_COLUMNS).sort("period", "hall_id", "window_id")
    write_bytes_atomic(out, export_csv_bytes(frame))
    return out


def export_staffing(warehouse: Warehouse, out: Path, hall: str | None) -> Path:
    """The weekly staffing plan of one hall (default: the only hall, or `main`)."""
    from assets.staffing.assets import advice_target_minutes, advice_weeks
    from assets.staffing.plan_workbook import write_staffing_plan

    advice = read_table(warehouse, "staffing_advice")
    peaks = read_table(warehouse, "staffing_peaks")
    halls = dict(read_table(warehouse, "halls").select("hall_id", "hall_name").iter_rows())
    present = sorted(set(advice["hall_id"].to_list()))
    if hall is None:
        if len(present) > 1:
            raise NothingToExport(f"有多个大厅，请用 --hall 指定其一 (several halls: name one with --hall): {', '.join(present)}")
        hall = present[0] if present else "main"
    if hall not in present:
        raise NothingToExport(f"大厅 {hall} 没有排队数据 no queue data for hall {hall}")
    if out.suffix.lower() != ".xlsx":
        raise NothingToExport(f"--out 应以 .xlsx 结尾 (--out must end in .xlsx): {out}")
    as_of = scores_as_of(warehouse)
    with warehouse.connect(read_only=True) as con:
        _, weeks = advice_weeks(con, as_of)
        target_minutes = advice_target_minutes(con)
    return write_staffing_plan(
        advice.filter(pl.col("hall_id") == hall),
        peaks.filter(pl.col("hall_id") == hall),
        hall,
        halls.get(hall, hall),
        weeks,
        out,
        target_minutes=target_minutes,
    )
