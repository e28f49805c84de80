"""Score assets: a thin Dagster layer over ``assets.scores.compute``.

One step reads the warehouse, calls the pure ``score_frames`` (what
``compute_scores`` returns, with the row-level facts spilled to Parquet) and
writes every table in one transaction, each table its own asset key so
the graph shows what depends on what. Every table carries the hash of the
method config it was computed with. A night on top of earlier scores
recomputes only the months its changes reach (assets.scores.incremental);
the step's metadata says which it did ('refresh': 'full' / 'incremental').
"""

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.calendar import WorkCalendar
from assets.ingest.assets import callbacks, cases_current, reference_data, source_tables
from assets.ingest.staging import StagedStore
from assets.method_config import MethodConfig, config_hash, load_config
from assets.scores.compute import score_frames
from assets.scores.incremental import RefreshPlan, input_queries, plan_refresh, reference_hash
from assets.scores.refresh_plan import Stamp
from assets.scores.warehouse_io import export_score_inputs, read_earlier_days, read_reference, write_score_tables
from pipelines.resources import WindowWatchHome, Warehouse

# asset key / warehouse table -> ScoreTables attribute
SCORE_TABLES = {
    "case_timeliness": "cases",
    "ticket_waits": "tickets",
    "attendance_days": "attendance_days",
    "counting_events": "events",
    "callback_facts": "callbacks",
    "rating_facts": "ratings",
    "deductions": "deductions",
    "window_scores_daily": "window_daily",
    "window_scores_monthly": "window_monthly",
    "red_black_lists": "red_black",
    "staff_scores_daily": "staff_daily",
    "staff_scores_monthly": "staff_monthly",
    "dept_scores_daily": "dept_daily",
    "dept_scores_monthly": "dept_monthly",
    "case_warnings": "case_warnings",
    "window_warnings": "window_warnings",
    "scores_export_daily": "export_daily",
    "scores_export_monthly": "export_monthly",
}

DESCRIPTIONS = {
    "case_timeliness": "每个办件的承诺期限、按时/超期与考评日期 (deadline, on time / late, evaluation date)",
    "ticket_waits": "每张排队票的等候时长与是否达标 (ticket waits)",
    "attendance_days": "每人每个工作日的旷工、缺卡、迟到、早退 (attendance days after leave waivers)",
    "counting_events": "计分的监察事件 (counting monitoring events)",
    "callback_facts": "电话回访及核实的问题 (callbacks at their case's window, verified problems)",
    "rating_facts": "好差评 (ratings with points, good / bad)",
    "deductions": "每一项扣分 (every deduction, one row each)",
    "window_scores_daily": "窗口日评分 T/Q/S/综合 (daily window scores)",
    "window_scores_monthly": "窗口月评分与排名 (monthly window scores and rank)",
    "red_black_lists": "红榜/黑榜 (red and black lists)",
    "staff_scores_daily": "人员日评分 (daily staff scores)",
    "staff_scores_monthly": "人员月评分与服务明星 (monthly staff scores, service stars)",
    "dept_scores_daily": "部门日评分 (daily department scores)",
    "dept_scores_monthly": "部门月评分 (monthly department scores)",
    "case_warnings": "预警与超期办件 (cases due within a working day, cases past deadline)",
    "window_warnings": "各窗口预警/超期数 (warnings per window)",
    "scores_export_daily": "评分导出（日）(the scores export, day rows)",
    "scores_export_monthly": "评分导出（月）(the scores export, month rows)",
}


def method_config(home: WindowWatchHome) -> MethodConfig:
    return load_config(home.method_config_file)


# A day judges absence only when its attendance export was read: a file
# rejected whole, or one whose every row was quarantined, tells nothing of
# who came, and would otherwise mark the whole roster absent (scoring.md: a
# missing file does not make everyone absent). A file with a header and no
# rows was read, and says nobody punched.
ATTENDANCE_READ = (pl.col("status") == "loaded") & ((pl.col("rows_read") == 0) | (pl.col("rows_loaded") > 0))


def attendance_delivered_dates(home: WindowWatchHome, since: date | None = None) -> list[date]:
    """Days (from ``since``) whose attendance export was read (ATTENDANCE_READ):
    only they judge absence."""
    store = StagedStore(home.staged_dir)
    days = [d for d in store.data_files_by_day("attendance", home.as_of_date) if since is None or d >= since]
    if not days:
        return []
    files = pl.scan_parquet([store.manifest_path("attendance", d) for d in days]).select(
        "partition_date", "status", "rows_read", "rows_loaded"
    )
    return sorted(files.filter(ATTENDANCE_READ).select(pl.col("partition_date").unique()).collect().to_series())


@contextlib.contextmanager
def spill_folder(home: WindowWatchHome) -> Iterator[Path]:
    """A fresh folder under the home for this step's Parquet files, removed after."""
    # A run holds the home lock and has one scores step, so any other
    # scores-* folder is what a killed run left behind.
    for leftover in (home.home_dir / "tmp").glob("scores-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    path = home.home_dir / "tmp" / f"scores-{os.getpid()}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# A night's refresh (the current month, and the month before early in a
# month) is small enough to compute in memory (~1.9 GB at city-year), which
# skips writing and reading back a Parquet copy of every input and fact. A
# longer refresh, up to half the history, and a full one go through the spill
# folder and stay under the memory limit.
IN_MEMORY_REFRESH_DAYS = 62


def in_memory(plan: RefreshPlan) -> bool:
    return plan.start is not None and (plan.stamp.as_of - plan.start).days <= IN_MEMORY_REFRESH_DAYS


@contextlib.contextmanager
def timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = time.perf_counter() - start


def run_scores(context, home: WindowWatchHome, warehouse: Warehouse) -> tuple[dict[str, int], RefreshPlan]:
    """Compute and write the score tables (whole, or from M0 on); returns their
    row counts and the refresh plan."""
    cfg = method_config(home)
    cfg_hash = config_hash(cfg)
    as_of = home.as_of_date
    calendar = WorkCalendar.from_config(cfg)
    store = StagedStore(home.staged_dir)
    seconds = {}
    with spill_folder(home) as spill:
        with warehouse.connect(read_only=True) as con:
            with timed(seconds, "plan"):
                reference = read_reference(con)
                stamp = Stamp(as_of, cfg_hash, reference_hash(reference))
                plan = plan_refresh(con, store, stamp, SCORE_TABLES, calendar, reference["matters"])
            delivered = attendance_delivered_dates(home, since=plan.rewrite_from if plan.start is not None else None)
            con.register("changed_cases", plan.changed_cases)  # the narrowed case query reads it
            with timed(seconds, "inputs"):
                through = None if in_memory(plan) else spill
                inputs = export_score_inputs(con, through, delivered, input_queries(plan, store), reference)
                earlier = read_earlier_days(con, plan)
        with timed(seconds, "compute"):
            tables = score_frames(
                inputs, cfg, as_of, calendar, spill_dir=through, days_from=plan.rewrite_from, earlier=earlier
            )
        with timed(seconds, "write"):
            settings = json.dumps(cfg.as_dict(), ensure_ascii=False, sort_keys=True)
            rows = write_score_tables(
                warehouse, {name: tables[attr] for name, attr in SCORE_TABLES.items()}, cfg_hash, plan, settings
            )
    for year in sorted(calendar.fallback_years):
        context.log.warning(f"{year} 年的法定节假日安排未知，按周一至周五为工作日计算 (no holiday schedule for {year})")
    context.log.info(
        f"scores: {plan.refresh}" + (f" from {plan.start}, days from {plan.rewrite_from}" if plan.start else "") + ", seconds "
        + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
    )
    return rows, plan


@dg.multi_asset(
    specs=[
        dg.AssetSpec(name, description=DESCRIPTIONS[name], group_name="scores", kinds={"duckdb", "polars"},
                     deps=[cases_current, source_tables, callbacks, reference_data])
        for name in SCORE_TABLES
    ],
    can_subset=False,
)
def scores(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse):
    """Timeliness, quality, satisfaction and composite per window, staff and department."""
    rows, plan = run_scores(context, home, warehouse)
    refresh = {"refresh": plan.refresh, "refresh_from": plan.start.isoformat() if plan.start else ""}
    for name in SCORE_TABLES:
        yield dg.MaterializeResult(
            asset_key=name, metadata={"rows": rows[name], "config_hash": plan.stamp.config_hash, **refresh}
        )


SCORE_ASSETS = [scores]
