"""Rectification assets: one per rule (found in one step) and the ledger; the
department lists, which assets/publications.py materializes with the dashboards.

The ledger lives in its own DuckDB file (HOME/ledger/ledger.duckdb), apart
from the warehouse: the warehouse can be deleted and rebuilt from the inbox,
the ledger cannot, since people's replies are in it.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import polars as pl

from assets.calendar import WorkCalendar
from assets.ingest.assets import callbacks, cases_current, reference_data, source_tables
from assets.ingest.quality import ingest_quality
from assets.method_config import MethodConfig, config_hash
from assets.rectification import items as finders
from assets.rectification.attached import attached
from assets.rectification.found_refresh import (
    CASE_VERSIONS,
    OVERDUE_CASES,
    found_input_query,
    plan_found_refresh,
    write_found,
)
from assets.rectification.ledger_publish import publish_ledger
from assets.rectification.merge_scope import plan_merge_scope
from assets.rectification.list_publish import publish_lists
from assets.rectification.ledger_store import (
    append_updates,
    found_items_sql,
    keyed_refusals,
    ledger_escalation_dates,
    ledger_item_dates,
    merge_found,
    open_ledger,
)
from assets.rectification.status import REFUSED_COLUMNS, UPDATE_COLUMNS, update_item_ids, validate_updates
from assets.rectification.updates_quality import (
    department_ids,
    inbox_refusals,
    publish_reply_accounting,
    read_update_files,
    reply_file_quality,
    reply_quarantine,
)
from assets.scores.assets import method_config, scores
from pipelines.clock import today_in_shanghai
from pipelines.resources import WindowWatchHome, Warehouse


def rule_settings(cfg: MethodConfig) -> dict[str, dict]:
    """The finders' settings mapping, from the one method config."""
    d, t = cfg.rectification.deadlines, cfg.rectification.thresholds
    return {
        "bad_rating": {"days": d.bad_rating, "max_score": t.bad_rating_max_score},
        "overdue_case": {"days": d.overdue_case},
        "one_notice": {"days": d.one_notice, "min_supplements": t.one_notice_min_supplements},
        "behaviour": {"days": d.behaviour},
        "callback_problem": {"days": d.callback_problem, "misconduct_days": d.misconduct},
        "absence": {"days": d.absence},
        "repeated_lateness": {"days": d.repeated_lateness, "nth": t.repeated_lateness_nth_day},
        "low_score": {"days": d.low_score, "below": t.low_score_below},
        "escalation": {"days": cfg.rectification.escalation_working_days},
    }


# rule -> (the finder, the warehouse query giving its input, upstream assets).
# Case rules read the matter's name beside the case, for the description.
# A query may leave out rows its finder would drop anyway (the finder still
# applies its whole rule), with the rule settings as {rule_key} placeholders:
# a bad rating has a score <= max_score; an overdue case is late; a one-notice
# case has a version with enough supplements (all versions of such a case are
# read, since the latest one decides).
RULE_INPUTS: dict[str, tuple[Callable, str, list]] = {
    "bad_rating": (
        finders.find_bad_ratings,
        "SELECT * FROM ratings WHERE score <= {bad_rating_max_score}",
        [source_tables],
    ),
    "overdue_case": (
        finders.find_overdue_cases,
        f"{OVERDUE_CASES} WHERE NOT t.excluded AND t.late",
        [scores],
    ),
    "one_notice": (
        finders.find_one_notice,
        f"{CASE_VERSIONS} WHERE c.status = 'completed' AND c.supplement_count >= {{one_notice_min_supplements}}",
        [cases_current],
    ),
    "behaviour": (finders.find_behaviour, "SELECT * FROM monitoring_events", [source_tables]),
    "callback_problem": (finders.find_callback_problems, "SELECT * FROM callbacks", [callbacks]),
    "absence": (finders.find_absences, "SELECT * FROM attendance_days", [scores]),
    "repeated_lateness": (finders.find_repeated_lateness, "SELECT * FROM attendance_days", [scores]),
    "low_score": (finders.find_low_scores, "SELECT * FROM window_scores_monthly", [scores]),
}


def found_table(rule: str) -> str:
    return f"found_items_{rule}"


def _rule_deps(rule: str) -> list:
    upstream = RULE_INPUTS[rule][2]
    return list(dict.fromkeys([*upstream, scores, reference_data]))


def find_rule_items(con, rule: str, *, as_of, cfg: MethodConfig, calendar: WorkCalendar) -> dict:
    """Find one rule's items on the warehouse connection ``con`` and write
    its found_items_<rule> table (whole, or from the scores' D0 or M0:
    found_refresh); returns
    the asset's metadata."""
    finder, query, _upstream = RULE_INPUTS[rule]
    settings = rule_settings(cfg)
    placeholders = {f"{r}_{k}": v for r, kv in settings.items() for k, v in kv.items()}
    table = found_table(rule)
    plan = plan_found_refresh(con, rule, as_of=as_of, cfg_hash=config_hash(cfg), table=table)
    frame = con.sql(found_input_query(rule, query, plan).format(**placeholders)).pl()
    windows = con.sql("SELECT * FROM windows").pl()
    found = finder(frame, as_of=as_of, add_working_days=calendar.add_working_days, rules=settings, windows=windows)
    items = write_found(con, rule, table, found, plan)
    return {
        "items": items,
        "items_found_this_run": found.height,
        "refresh": plan.refresh,
        "refresh_from": plan.start.isoformat() if plan.start else "",
    }


# The eight rules are eight assets (one table each) computed in one step:
# each is a read, a polars pass and a write of a second or less, and as
# steps of their own each paid Dagster's step events and a warehouse opened
# and closed twice (the close writes the file's checkpoint): 5.2 s against
# 3.5 s a night at city-year. A run of some of them runs only those (can_subset).
@dg.multi_asset(
    name="found_items",
    specs=[
        dg.AssetSpec(
            found_table(rule),
            group_name="rectification",
            deps=_rule_deps(rule),
            kinds={"duckdb"},
            description=f"整改规则「{finders.CATEGORY[rule]}」找到的问题 (items found by rule {rule})",
        )
        for rule in finders.RULES
    ],
    can_subset=True,
)
def found_items(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse):
    """整改规则找到的问题: each selected rule's found_items_<rule> table, one after another."""
    cfg = method_config(home)
    calendar = WorkCalendar.from_config(cfg)
    selected = context.selected_asset_keys
    with warehouse.connect() as con:
        for rule in finders.RULES:
            key = dg.AssetKey(found_table(rule))
            if key in selected:
                metadata = find_rule_items(con, rule, as_of=home.as_of_date, cfg=cfg, calendar=calendar)
                yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def ledger_path(home: WindowWatchHome) -> Path:
    return home.home_dir / "ledger" / "ledger.duckdb"


@dg.asset(
    group_name="rectification",
    # after ingest_quality, which rewrites file_quality and quarantine: the
    # reply files' rows this step puts there must not be overwritten by a
    # parallel step holding the last run's
    deps=[found_items, ingest_quality],
    kinds={"duckdb"},
)
def rectification_ledger(context: dg.AssetExecutionContext, home: WindowWatchHome, warehouse: Warehouse) -> dg.MaterializeResult:
    """整改台账: items put on the ledger, replies applied, statuses as of the as-of date."""
    # Two connections, one after the other, each writing its own file in one
    # transaction: the ledger's, with the warehouse attached read-only, merges
    # the found items and the replies in SQL (only new, changed, reinstated and
    # withdrawn items are written); then the warehouse's, with the closed
    # ledger attached read-only, computes the statuses and replaces the
    # published tables. Two million items never pass through polars.
    cfg = method_config(home)
    rules = rule_settings(cfg)
    calendar = WorkCalendar.from_config(cfg)
    as_of = home.as_of_date

    replies = read_update_files(home.inbox_dir / "rectification_updates")
    updates = replies.updates
    accepted, refused = pl.DataFrame(schema=UPDATE_COLUMNS), pl.DataFrame(schema=REFUSED_COLUMNS)

    def upgraded(old: int, new: int, backup: Path) -> None:
        # a warning, so that the command line's progress lines show it too
        context.log.warning(
            f"整改台账已从第 {old} 版升级到第 {new} 版，升级前的台账备份在 {backup}"
            f" (ledger upgraded from schema {old} to {new}; the file before is kept as {backup.name})"
        )

    ledger = open_ledger(ledger_path(home), on_upgrade=upgraded)
    try:
        with attached(ledger, warehouse.path, "wh", lock_timeout_s=warehouse.lock_timeout_s):
            found = found_items_sql(f"wh.{found_table(r)}" for r in finders.RULES)
            scope = plan_merge_scope(ledger, "wh", as_of=as_of, rules=finders.RULES)
            item_counts = merge_found(ledger, found, run_id=context.run_id, as_of=as_of, scope=scope)
        update_counts = {"appended": 0, "refused_appended": 0}
        if updates.height:
            known = ledger_item_dates(ledger, among=update_item_ids(updates))
            accepted, refused = validate_updates(updates, known, today=today_in_shanghai())
            update_counts = append_updates(ledger, accepted, refused, run_id=context.run_id)
        escalation = ledger_escalation_dates(ledger, as_of, calendar.add_working_days, rules=rules)
    finally:
        ledger.close()
    # Rejected files and refused rows are reported where the office looks:
    # file_quality / quarantine (export quality, export quarantine, the run
    # summary, the quality page); the log says it too.
    for f in replies.rejected:
        context.log.warning(f"整改反馈文件被拒收 rejected reply file: {f.name}: {f.rejected}")
    run_counts = pl.DataFrame(
        [{**item_counts, "updates_appended": update_counts["appended"], "updates_refused": update_counts["refused_appended"]}]
    )
    with warehouse.connect() as con:
        returned = inbox_refusals(keyed_refusals(refused), department_ids(con))
        by_status, rewritten = publish_ledger(
            con, ledger_path(home), as_of=as_of, escalation=escalation, run_counts=run_counts,
            inbox_refusals=returned, lock_timeout_s=warehouse.lock_timeout_s,
        )
        publish_reply_accounting(con, reply_file_quality(replies.files, accepted, refused), reply_quarantine(refused))
    return dg.MaterializeResult(
        metadata={
            **{f"items_{k}": v for k, v in item_counts.items()},
            # "changed": only the items the finders touched since the last merge (merge_scope.py)
            "ledger_merge": "changed" if scope.scoped else "whole",
            "updates_appended": update_counts["appended"],
            "updates_refused": update_counts["refused_appended"],
            "reply_rows_skipped": replies.skipped,
            "reply_files": len(replies.files),
            "reply_files_rejected": len(replies.rejected),
            "published_rows_written": rewritten,
            **{f"status_{k}": int(v) for k, v in by_status.items()},
        }
    )


# Two workbooks side by side: one's rows are queried in DuckDB, which lets go
# of the GIL, while the other's are written.
LIST_WORKERS = 2


def write_rectification_lists(home: WindowWatchHome, warehouse: Warehouse) -> dict:
    """整改清单: the ledger CSV (by month once it outgrows an Excel sheet), each
    department's daily list and its monthly archives of settled items
    (list_publish.py), in HOME/exports/rectification; the materialization's
    metadata."""
    started = time.perf_counter()
    # One workbook's rows at a time, two workbooks side by side: a city's year
    # is ~2 M items with their descriptions, which held whole took the step past 4 GiB.
    with warehouse.connect(read_only=True) as con, ThreadPoolExecutor(LIST_WORKERS) as pool:
        lists = publish_lists(con, home.rectification_dir, as_of=home.as_of_date, pool=pool)
    return {
        "ledger_csv": dg.MetadataValue.path(str(lists.ledger_csv)),
        "ledger_csv_files_written": len(lists.csv_written),
        "workbooks": len(lists.daily),
        "archive_workbooks": len(lists.archives),
        "workbooks_written": len(lists.written),
        "workbooks_deleted": len(lists.deleted),
        "seconds": round(time.perf_counter() - started, 2),
    }


RECTIFICATION_ASSETS = [found_items, rectification_ledger]
