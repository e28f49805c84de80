"""The short report at the end of a run."""

from __future__ import annotations

import sys
from pathlib import Path

from assets.db import row, table_names
from pipelines.resources import WindowWatchHome, warehouse_of


# Rejected files named in the summary; the rest are in `export quality`.
REJECTED_SHOWN = 10


def _waiting_part(con) -> str:
    """How many refused replies wait for their department (on its daily
    list), when the warehouse records which were answered since."""
    from assets.rectification.list_publish import PENDING_REFUSALS, refusals_followable

    if not refusals_followable(con):
        return ""
    waiting = row(con, f"SELECT count(*) FROM ({PENDING_REFUSALS})")[0]
    if not waiting:
        return ""
    return f"（{waiting:,} 条待部门改正，已列入其每日整改清单的“未受理的反馈”表 {waiting:,} waiting, sent back on the lists）"


def _sent_back(file: str, dept_ids: list[str]) -> str:
    """Which department's daily list a rejected reply file goes back on
    (list_publish.rejected_reply_files), said after its message."""
    from assets.rectification.department_lists import dept_of_list_name

    dept = dept_of_list_name(file, dept_ids)
    return f"（已列入部门 {dept} 每日整改清单的“未受理的反馈”表 sent back to {dept}）" if dept else ""


def print_rejected_files(con, rejected: int, out) -> None:
    """Each rejected inbox file (daily, reference, reply files of
    rectification_updates/) as folder/file and why, the first REJECTED_SHOWN."""
    if not rejected:
        return
    from assets.ingest.contract import UPDATES_SOURCE
    from assets.rectification.masking import mask_text
    from assets.rectification.updates_quality import department_ids

    rows = con.sql(
        "SELECT source, file, message FROM file_quality WHERE status = 'rejected'"
        f" ORDER BY source, partition_date NULLS LAST, file LIMIT {REJECTED_SHOWN}"
    ).fetchall()
    dept_ids = department_ids(con)
    print("拒收的文件 rejected files:", file=out)
    for source, file, message in rows:
        sent_back = _sent_back(file, dept_ids) if source == UPDATES_SOURCE.name else ""
        print(f"  {source}/{mask_text(file)}: {mask_text(message)}{sent_back}", file=out)
    if rejected > len(rows):
        print(
            f"  …另有 {rejected - len(rows)} 个，见 windowwatch export quality ({rejected - len(rows)} more)",
            file=out,
        )


def print_summary(home: Path, outcome) -> None:
    out = sys.stdout
    paths = WindowWatchHome(home=str(home))
    warehouse = warehouse_of(paths)
    if not outcome.success:
        print("运行未完成 run did not finish:", file=sys.stderr)
        for line in outcome.failures:
            print(f"  - {line}", file=sys.stderr)
    if not Path(warehouse.path).exists():
        return
    if not outcome.success:
        # the steps after the failed one did not run: their tables and files
        # are the last finished run's, which the office must not take for tonight's
        print(
            "本次运行未完成：以下是数据仓库现有的数字，失败步骤之后的部分（评分、整改、清单、看板）仍是上次完成的运行的结果"
            " (this run did not finish: below is what the warehouse holds; what comes after the failed step"
            " - scores, items, lists, dashboards - is still from the last finished run)",
            file=out,
        )
    with warehouse.connect(read_only=True) as con:
        tables = table_names(con)
        print(f"日期范围 partitions: {outcome.partition_start} … {outcome.partition_end} ({outcome.days_changed} 天有新文件)", file=out)
        if "file_quality" in tables:
            files, rejected, read, loaded, quarantined, dups = row(
                con,
                "SELECT count(*), count(*) FILTER (status = 'rejected'), coalesce(sum(rows_read), 0),"
                " coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0),"
                " coalesce(sum(duplicates_removed), 0) FROM file_quality",
            )
            print(f"文件 files: {files}（拒收 rejected {rejected}）", file=out)
            print_rejected_files(con, rejected, out)
            print(
                f"行 rows: 读取 read {read:,} · 入库 loaded {loaded:,} · 隔离 quarantined {quarantined:,} · 重复 duplicates {dups:,}",
                file=out,
            )
            if "window_scores_monthly" in tables:
                windows, months = row(con, "SELECT count(DISTINCT hall_id || '/' || window_id), count(DISTINCT period) FROM window_scores_monthly")
                print(f"评分 scored: {windows} 个窗口 windows · {months} 个月 months", file=out)
            if "rectification_items" in tables and "rectification_run_counts" in tables:
                new = row(con, "SELECT inserted FROM rectification_run_counts")[0]
                total, resolved, open_, overdue, escalated = row(
                    con,
                    "SELECT count(*) FILTER (status <> 'withdrawn'), count(*) FILTER (status = 'resolved'),"
                    " count(*) FILTER (status IN ('open', 'in_progress', 'disputed')),"
                    " count(*) FILTER (status = 'overdue'), count(*) FILTER (status = 'escalated')"
                    " FROM rectification_items",
                )
                new_part = f"（本次新增 new {new:,}）" if outcome.success else " "
                print(
                    f"整改 items: 共 total {total:,}{new_part}· 已整改 resolved {resolved:,}"
                    f" · 未到期 open {open_:,} · 超期 overdue {overdue:,} · 通报 escalated {escalated:,}",
                    file=out,
                )
            from assets.rectification.list_publish import REFUSED_TABLE

            if REFUSED_TABLE in tables:
                refused = con.sql(
                    f"SELECT source_file, source_row, item_id, reason FROM {REFUSED_TABLE} ORDER BY source_file, source_row"
                ).fetchall()
                if refused:
                    print(f"整改反馈被拒 refused replies: {len(refused)}{_waiting_part(con)}", file=out)
                    for file, line, item, reason in refused[:5]:
                        # the row as the quarantine counts it: under the header, which a
                        # department would otherwise take for the sheet's own row number
                        where = f" 表头下第{line}行" if line is not None else ""
                        print(f"  {file}{where} {item or ''}: {reason}", file=out)
    print("输出 outputs:" if outcome.success else "输出 outputs（上次完成的运行写的 as the last finished run left them）:", file=out)
    from assets.rectification.list_publish import DEPARTMENTS_DIR, LEDGER_CSV, LEDGER_MONTHS_DIR

    for label, path in [
        ("数据仓库 warehouse", warehouse.path),
        ("整改台账 ledger", paths.rectification_dir / LEDGER_CSV),
        ("整改台账（按月）ledger by month", paths.rectification_dir / LEDGER_MONTHS_DIR),
        ("整改清单 department lists", paths.rectification_dir / DEPARTMENTS_DIR),
        ("排班建议 staffing plans", paths.staffing_dir),
        ("看板 dashboards", paths.dashboards_dir / "index.html"),
        ("数据文档 GX Data Docs", paths.gx_docs_dir / "index.html"),
    ]:
        if Path(path).exists():
            print(f"  {label}: {path}", file=out)
