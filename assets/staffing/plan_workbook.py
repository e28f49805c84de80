"""The weekly staffing plan per hall (窗口排班建议), as an XLSX workbook.

Sheet 1 (每周建议): hours down, weekdays across; each cell holds the windows
Erlang C recommends for that hour (summed over service categories) and, in
brackets, the windows that actually served; under-staffed cells are red.
Sheet 2 (明细): every slot with its figures. Sheet 3 (临时窗口): recurring peaks.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl

WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
UNDER_FILL = "#FFC7CE"
OVER_FILL = "#DDEBF7"

DETAIL_COLUMNS = [
    ("service_category", "业务类别"),
    ("weekday", "星期"),
    ("hour", "时段"),
    ("arrivals_per_hour", "每小时到达（人）"),
    ("no_show_rate", "过号率"),
    ("handling_seconds", "平均办理时长（秒）"),
    ("actual_windows", "实际开窗（个）"),
    ("recommended_windows", "建议开窗（个）"),
    ("expected_wait_seconds", "预计平均等候（秒）"),
    ("service_level", "预计{minutes}分钟内叫号比例"),
    ("status", "判断"),
]
STATUS_ZH = {"under_staffed": "窗口不足", "over_staffed": "窗口富余", "ok": "适当", "unknown": "数据不足"}
PEAK_COLUMNS = [
    ("service_category", "业务类别"),
    ("weekday", "星期"),
    ("hour", "时段"),
    ("weeks_observed", "统计周数"),
    ("weeks_under_staffed", "不足周数"),
    ("actual_windows", "实际开窗（个）"),
    ("recommended_windows", "建议开窗（个）"),
    ("temporary_windows", "建议加开临时窗口（个）"),
]


def weekly_grid(advice: pl.DataFrame) -> pl.DataFrame:
    """Per (weekday, hour): recommended and actual windows summed over categories."""
    return (
        advice.group_by("weekday", "hour")
        .agg(
            pl.col("recommended_windows").sum().alias("recommended"),
            pl.col("actual_windows").sum().alias("actual"),
            (pl.col("status") == "under_staffed").any().alias("under"),
        )
        .sort("weekday", "hour")
    )


def _cell(value):
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return None
    return value


def detail_columns(target_minutes: float | None) -> list[tuple[str, str]]:
    """DETAIL_COLUMNS with the wait target the advice was made for (the
    config's ``staffing.target_wait_minutes``; None: not known)."""
    minutes = "目标等候时间" if target_minutes is None else f"{target_minutes:g}"
    return [(col, label.format(minutes=minutes)) for col, label in DETAIL_COLUMNS]


def write_staffing_plan(
    advice: pl.DataFrame,
    peaks: pl.DataFrame,
    hall_id: str,
    hall_name: str,
    weeks: tuple[date, date],
    path: Path,
    *,
    target_minutes: float | None,
) -> Path:
    """``weeks``: (first Monday, last Sunday) of the queue data the advice is made from;
    ``target_minutes``: the wait target its service level is measured against."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part.xlsx")
    # in memory: the sheets' XML is not spooled through temporary files first
    wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
        plain = wb.add_format({"border": 1, "align": "center"})
        under = wb.add_format({"border": 1, "align": "center", "bg_color": UNDER_FILL})
        title = wb.add_format({"bold": True, "font_size": 14})

        grid = wb.add_worksheet("每周建议")
        first, last = weeks
        n_weeks = ((last - first).days + 1) // 7
        grid.write_string(0, 0, f"{hall_name}（{hall_id}）窗口排班建议，依据 {first:%Y年%m月%d日}—{last:%Y年%m月%d日}"
                         f"（{n_weeks} 个整周）的排队数据；格内为 建议开窗数（实际开窗数），红色为窗口不足", title)
        grid.write(2, 0, "时段", head)
        for j, name in enumerate(WEEKDAYS_ZH):
            grid.write(2, j + 1, name, head)
        cells = {(r["weekday"], r["hour"]): r for r in weekly_grid(advice).iter_rows(named=True)}
        hours = sorted({h for _, h in cells}) or list(range(9, 17))
        for i, hour in enumerate(hours):
            grid.write(3 + i, 0, f"{hour:02d}:00–{hour + 1:02d}:00", head)
            for j in range(7):
                r = cells.get((j + 1, hour))
                if r is None:
                    grid.write_blank(3 + i, j + 1, None, plain)
                    continue
                text = f"{int(r['recommended'] or 0)}（{(r['actual'] or 0):.1f}）"
                grid.write(3 + i, j + 1, text, under if r["under"] else plain)
        grid.set_column(0, 0, 14)
        grid.set_column(1, 7, 12)
        grid.freeze_panes(3, 1)

        _table_sheet(wb, "明细", advice, detail_columns(target_minutes), head, plain, under)
        _table_sheet(wb, "临时窗口", peaks, PEAK_COLUMNS, head, plain, under)
    finally:
        wb.close()
    tmp.replace(path)
    return path


def _table_sheet(wb, name, frame, columns, head, plain, under):
    sheet = wb.add_worksheet(name)
    for j, (_, label) in enumerate(columns):
        sheet.write(0, j, label, head)
        sheet.set_column(j, j, max(10, len(label) * 2))
    for i, row in enumerate(frame.iter_rows(named=True)):
        fmt = under if row.get("status") == "under_staffed" else plain
        for j, (col, _) in enumerate(columns):
            value = _cell(row.get(col))
            if col == "weekday" and value is not None:
                value = WEEKDAYS_ZH[int(value) - 1]
            elif col == "hour" and value is not None:
                value = f"{int(value):02d}:00"
            elif col == "status":
                value = STATUS_ZH.get(value, value)
            elif isinstance(value, float):
                value = round(value, 2)
            _write(sheet, i + 1, j, value, fmt)
    sheet.freeze_panes(1, 0)


def _write(sheet, row: int, col: int, value, fmt) -> None:
    """``sheet.write`` without its dispatch on the type (a city's detail
    sheets hold ~200,000 cells). Text is written as text: a category named
    '=…' in the queue export must not become a live formula."""
    kind = type(value)
    if kind is int or kind is float:
        sheet.write_number(row, col, value, fmt)
    elif value is None:
        sheet.write_blank(row, col, None, fmt)
    elif kind is str:
        sheet.write_string(row, col, value, fmt)
    else:
        sheet.write(row, col, value, fmt)
