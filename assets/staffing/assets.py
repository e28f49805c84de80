"""Staffing assets: Erlang C advice per slot and the weekly plan per hall."""

from datetime import timedelta

import dagster as dg
import polars as pl

from assets.ingest.assets import reference_data, source_tables, write_frames
from assets.scores.assets import method_config
from assets.staffing.advice import advice_and_peaks
from assets.staffing.plan_workbook import write_staffing_plan
from pipelines.resources import WindowWatchHome, Warehouse

# Advice reflects the recent pattern of arrivals, not the whole history.
LOOKBACK_WEEKS = 8


# The columns the advice reads (see assets.staffing.advice).
TICKET_COLUMNS = "hall_id, ticket_id, issued_at, called_at, finished_at, window_id, service_category, status"

# A range on issued_at itself (not a cast to date) lets DuckDB skip whole staged
# files by their Parquet min/max statistics, so the cost follows the lookback,
# not the length of the history.
RECENT_TICKETS = """
SELECT {columns}
FROM queue_tickets
WHERE issued_at >= TIMESTAMP '{since}' AND issued_at < TIMESTAMP '{until}'
"""


def recent_tickets(warehouse: Warehouse, as_of) -> pl.DataFrame:
    since = as_of - timedelta(weeks=LOOKBACK_WEEKS) + timedelta(days=1)
    until = as_of + timedelta(days=1)
    with warehouse.connect(read_only=True) as con:
        return con.sql(RECENT_TICKETS.format(columns=TICKET_COLUMNS, since=since, until=until)).pl()


@dg.asset(group_name="staffing", deps=[source_tables], kinds={"duckdb", "polars"})
def staffing_advice_table(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """科学设置窗口: per (hall, category, weekday, hour) the windows Erlang C asks for
    against those that served, over the last eight weeks; and recurring peaks."""
    cfg = method_config(home)
    target_share = cfg.staffing.target_share
    target_seconds = cfg.staffing.target_wait_minutes * 60
    tickets = recent_tickets(warehouse, home.as_of_date)
    advice, peaks = advice_and_peaks(tickets, target_share, target_seconds)
    write_frames(warehouse, {"staffing_advice": advice, "staffing_peaks": peaks})
    under = advice.filter(pl.col("status") == "under_staffed").height
    return dg.MaterializeResult(metadata={"slots": advice.height, "under_staffed_slots": under, "recurring_peaks": peaks.height})


@dg.asset(group_name="staffing", deps=[staffing_advice_table, reference_data], kinds={"excel"})
def staffing_plans(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """窗口排班建议: one weekly plan workbook per hall in HOME/exports/staffing."""
    with warehouse.connect(read_only=True) as con:
        advice = con.sql("SELECT * FROM staffing_advice").pl()
        peaks = con.sql("SELECT * FROM staffing_peaks").pl()
        halls = con.sql("SELECT hall_id, hall_name FROM halls").pl()
    names = dict(halls.iter_rows())
    written = []
    for hall_id in sorted(set(advice["hall_id"].to_list())):
        path = staffing_plan_path(home, hall_id)
        write_staffing_plan(
            advice.filter(pl.col("hall_id") == hall_id),
            peaks.filter(pl.col("hall_id") == hall_id),
            hall_id,
            names.get(hall_id, hall_id),
            home.as_of_date,
            path,
        )
        written.append(str(path))
    return dg.MaterializeResult(metadata={"workbooks": len(written)})


def staffing_plan_path(home: WindowWatchHome, hall_id: str):
    return home.exports_dir / "staffing" / f"排班建议_{hall_id}.xlsx"


STAFFING_ASSETS = [staffing_advice_table, staffing_plans]
