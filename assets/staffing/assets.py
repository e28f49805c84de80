"""Staffing assets: Erlang C advice per slot and the weekly plan per hall.

The advice is made from the last ``LOOKBACK_WEEKS`` complete Monday-Sunday
weeks up to the as-of date (``lookback_weeks``), so a hall's weekly plan
changes once a week, after a Sunday's data, or when the tickets of those
weeks are corrected. Each run fingerprints its input in SQL (the weeks, the
staffing config, and the count and row-hash sum of the tickets in them,
``staffing_state``); when the fingerprint is the one the tables were made
from, both assets keep what they have instead of computing it again.
"""


import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl

from assets.atomic_files import write_text_atomic
from assets.db import row, table_names
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
RECENT_TICKETS = f"""
SELECT {TICKET_COLUMNS}
FROM queue_tickets
WHERE issued_at >= $since AND issued_at < $until
"""

RECENT_TICKETS_FINGERPRINT = f"""
SELECT count(*) AS tickets,
       CAST(sum(CAST(hash({TICKET_COLUMNS}) AS HUGEINT)) AS VARCHAR) AS row_hash_sum
FROM queue_tickets
WHERE issued_at >= $since AND issued_at < $until
"""

STATE_TABLE = "staffing_state"
# part of the input fingerprint: bump it when advice.py or plan_workbook.py
# changes what they make, so kept tables and plans are made again once
STAFFING_METHOD_VERSION = "3"
PLAN_STATE_FILE = ".plan_inputs.json"


def lookback_weeks(as_of: date) -> tuple[date, date]:
    """(first Monday, last Sunday) of the last ``LOOKBACK_WEEKS`` complete
    weeks on or before ``as_of``; a Sunday as-of date completes its week."""
    last_sunday = as_of - timedelta(days=(as_of.weekday() + 1) % 7)
    return last_sunday - timedelta(weeks=LOOKBACK_WEEKS, days=-1), last_sunday


def _bounds(weeks: tuple[date, date]) -> dict[str, date]:
    return {"since": weeks[0], "until": weeks[1] + timedelta(days=1)}


def staffing_input_digest(con, weeks: tuple[date, date], staffing_config: dict) -> str:
    """What the advice is computed from, as one SHA-1."""
    tickets = con.execute(RECENT_TICKETS_FINGERPRINT, _bounds(weeks)).fetchone()
    payload = [STAFFING_METHOD_VERSION, weeks[0].isoformat(), weeks[1].isoformat(), staffing_config, list(tickets)]
    return hashlib.sha1(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def stored_digest(con) -> str | None:
    if not {STATE_TABLE, "staffing_advice", "staffing_peaks"} <= table_names(con):
        return None
    found = row(con, f"SELECT input_digest FROM {STATE_TABLE}")
    return found[0] if found else None


@dg.asset(group_name="staffing", deps=[source_tables], kinds={"duckdb", "polars"})
def staffing_advice_table(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """科学设置窗口: per (hall, category, weekday, hour) the windows Erlang C asks for
    against those that served, over the last eight complete weeks; and recurring peaks."""
    cfg = method_config(home)
    weeks = lookback_weeks(home.as_of_date)
    with warehouse.connect(read_only=True) as con:
        digest = staffing_input_digest(con, weeks, cfg.as_dict()["staffing"])
        if stored_digest(con) == digest:
            return dg.MaterializeResult(metadata={
                "refresh": "unchanged", "weeks_from": str(weeks[0]), "weeks_to": str(weeks[1])})
        tickets = con.sql(RECENT_TICKETS, params=_bounds(weeks)).pl()
    advice, peaks = advice_and_peaks(
        tickets, cfg.staffing.target_share, cfg.staffing.target_wait_minutes * 60
    )
    state = pl.DataFrame({"input_digest": [digest], "weeks_from": [weeks[0]], "weeks_to": [weeks[1]],
                          "target_wait_minutes": [float(cfg.staffing.target_wait_minutes)]})
    write_frames(warehouse, {"staffing_advice": advice, "staffing_peaks": peaks, STATE_TABLE: state})
    under = advice.filter(pl.col("status") == "under_staffed").height
    return dg.MaterializeResult(metadata={
        "refresh": "computed", "weeks_from": str(weeks[0]), "weeks_to": str(weeks[1]),
        "slots": advice.height, "under_staffed_slots": under, "recurring_peaks": peaks.height})


@dg.asset(group_name="staffing", deps=[staffing_advice_table, reference_data], kinds={"excel"})
def staffing_plans(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """窗口排班建议: one weekly plan workbook per hall in HOME/exports/staffing."""
    with warehouse.connect(read_only=True) as con:
        digest, weeks = advice_weeks(con, home.as_of_date)
        target_minutes = advice_target_minutes(con)
        halls = con.sql("SELECT hall_id, hall_name FROM halls ORDER BY hall_id").pl()
        hall_ids = [h for (h,) in con.execute("SELECT DISTINCT hall_id FROM staffing_advice ORDER BY 1").fetchall()]
        names = dict(halls.iter_rows())
        paths = [staffing_plan_path(home, h) for h in hall_ids]
        inputs = json.dumps([digest, [[h, names.get(h, h)] for h in hall_ids]], ensure_ascii=False) if digest else None
        if _plans_current(paths, inputs):
            return dg.MaterializeResult(metadata={"refresh": "unchanged", "workbooks": len(paths)})
        advice = con.sql("SELECT * FROM staffing_advice").pl()
        peaks = con.sql("SELECT * FROM staffing_peaks").pl()
    for hall_id, path in zip(hall_ids, paths):
        write_staffing_plan(
            advice.filter(pl.col("hall_id") == hall_id),
            peaks.filter(pl.col("hall_id") == hall_id),
            hall_id,
            names.get(hall_id, hall_id),
            weeks,
            path,
            target_minutes=target_minutes,
        )
    _record_plans(paths, inputs)
    return dg.MaterializeResult(metadata={"refresh": "computed", "workbooks": len(paths)})


def advice_weeks(con, as_of: date) -> tuple[str | None, tuple[date, date]]:
    """(input digest, weeks) the staffing tables were made from; a warehouse
    from before ``staffing_state`` gives no digest and the weeks of ``as_of``."""
    if STATE_TABLE in table_names(con):
        found = row(con, f"SELECT input_digest, weeks_from, weeks_to FROM {STATE_TABLE}")
        if found:
            return found[0], (found[1], found[2])
    return None, lookback_weeks(as_of)


def advice_target_minutes(con) -> float | None:
    """The wait target (minutes) the staffing tables were made for; None for
    a warehouse from before ``staffing_state`` kept it."""
    if "target_wait_minutes" not in {c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [STATE_TABLE]).fetchall()}:
        return None
    found = row(con, f"SELECT target_wait_minutes FROM {STATE_TABLE}")
    return found[0] if found else None


def staffing_plan_path(home: WindowWatchHome, hall_id: str) -> Path:
    return home.staffing_dir / f"排班建议_{hall_id}.xlsx"


def _file_stamps(paths: list[Path]) -> list[list] | None:
    try:
        stats = [p.stat() for p in paths]
    except OSError:
        return None
    return [[p.name, st.st_size, st.st_mtime_ns] for p, st in zip(paths, stats)]


def _plans_current(paths: list[Path], inputs: str | None) -> bool:
    """The plans on disk were written from these inputs and not touched since."""
    if not paths or inputs is None:
        return False
    try:
        saved = json.loads((paths[0].parent / PLAN_STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return saved == {"inputs": inputs, "files": _file_stamps(paths)}


def _record_plans(paths: list[Path], inputs: str | None) -> None:
    if not paths or inputs is None:
        return
    state = paths[0].parent / PLAN_STATE_FILE
    write_text_atomic(state, json.dumps({"inputs": inputs, "files": _file_stamps(paths)}, ensure_ascii=False))


STAFFING_ASSETS = [staffing_advice_table, staffing_plans]
