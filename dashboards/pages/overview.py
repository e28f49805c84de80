"""Overview (index.html): the month's hall figures against last month, the
composite trend, the red and black lists, and what needs attention today."""

from __future__ import annotations

import polars as pl

from dashboards.context import (
    absent_note,
    CASES,
    ITEMS,
    SiteContext,
    TQS_COLUMNS,
    count_text,
    delta_vs_last_month,
    item_count,
    item_table,
    month_totals,
    score_trend_chart,
    warning_columns,
    warning_rows,
)
from dashboards.html import Col, Kpi, Page, tag
from dashboards.labels import Bi, code, fmt_int, fmt_month, fmt_pct, fmt_score
from dashboards.rectification_data import LATE_STATUSES, UNRESOLVED


WARNINGS_SHOWN = 30  # per level
WARNING_TABLES = [
    (
        "due_soon",
        Bi("预警办件：一个工作日内到期，请抓紧办结", "Due within one working day: finish these first"),
        Bi("没有一个工作日内到期的在办件。", "No open case falls due within one working day."),
    ),
    (
        "overdue",
        Bi("超期未办结办件", "Open cases past their deadline"),
        Bi("没有超期未办结的在办件。", "No open case is past its deadline."),
    ),
]
# every window's page lists all of its open cases past or near their deadline
WARNINGS_ELSEWHERE = Bi(
    "全部办件见各窗口页面的“超期与预警办件”（窗口考评 → 点击窗口）。",
    " Every case is listed on its window's page, under “Open cases past or near their deadline” (Windows → a window).",
)


def build(ctx: SiteContext) -> list[Page]:
    page = ctx.new_page(
        "index.html",
        "overview",
        Bi("大厅总览", "Hall overview"),
        Bi("本月：", "This month: ") + ctx.month_text() + Bi(" · ", " · ") + ctx.as_of_text(),
    )
    data = ctx.data
    wm = data.window_monthly
    cur = month_totals(None if wm is None else wm.filter(pl.col("period") == ctx.period))
    prev = month_totals(None if wm is None else wm.filter(pl.col("period") == ctx.prev_period))

    # -- the month's figures ---------------------------------------------
    page.h2(Bi("本月大厅指标（与上月比较）", "This month's hall figures (against last month)"))
    kpis = []
    d, k = delta_vs_last_month(cur["on_time_rate"], prev["on_time_rate"])
    kpis.append(Kpi(Bi("按时办结率", "On-time rate"), fmt_pct(cur["on_time_rate"]), d, k))
    d, k = delta_vs_last_month(cur["wait_rate"], prev["wait_rate"])
    kpis.append(Kpi(ctx.wait_rate_label(), fmt_pct(cur["wait_rate"]), d, k))
    d, k = delta_vs_last_month(cur["good_rate"], prev["good_rate"])
    kpis.append(
        Kpi(
            Bi("好评率（3–5星）", "Good ratings (3–5 stars)"),
            fmt_pct(cur["good_rate"]),
            Bi(f"好评 {fmt_int(cur['good_ratings'])} 条 · ", f"{fmt_int(cur['good_ratings'])} good · ") + d,
            k,
        )
    )
    d, k = delta_vs_last_month(cur["bad_rate"], prev["bad_rate"], higher_is_better=False)
    kpis.append(
        Kpi(
            Bi("差评（1–2星）", "Bad ratings (1–2 stars)"),
            Bi(f"{fmt_int(cur['bad_ratings'])}条", f"{fmt_int(cur['bad_ratings'])}"),
            Bi(f"差评率 {fmt_pct(cur['bad_rate'])} · ", f"rate {fmt_pct(cur['bad_rate'])} · ") + d,
            k,
            alert=bool(cur["bad_ratings"]),
        )
    )
    d, k = delta_vs_last_month(cur["composite"], prev["composite"], kind="score")
    kpis.append(Kpi(Bi("窗口平均综合分", "Mean window composite"), fmt_score(cur["composite"]), d, k))

    counts = data.rectification_counts
    if counts is not None:
        n_open = item_count(counts, pl.col("status").is_in(UNRESOLVED))
        n_late = item_count(counts, pl.col("status").is_in(LATE_STATUSES))
        escalated = item_count(counts, pl.col("status") == "escalated")
        # withdrawn items (no longer found in corrected data) are not counted, as on the rectification page
        found = item_count(counts, pl.col("found_this_month") & (pl.col("status") != "withdrawn"))
        kpis.append(
            Kpi(
                Bi("未完成整改事项", "Open rectification items"),
                fmt_int(n_open),
                Bi(f"本月新发现 {fmt_int(found)} 件", f"{fmt_int(found)} found this month"),
            )
        )
        kpis.append(
            Kpi(
                Bi("超期未整改", "Overdue items"),
                fmt_int(n_late),
                Bi(f"其中超期通报 {fmt_int(escalated)} 件", f"of which {fmt_int(escalated)} escalated"),
                "bad" if n_late else "",
                alert=bool(n_late),
            )
        )
    warnings = data.case_warnings
    if warnings is not None:
        n_over = warnings.filter(pl.col("level") == "overdue").height
        n_soon = warnings.filter(pl.col("level") == "due_soon").height
        kpis.append(
            Kpi(
                Bi("超期未办结办件", "Open cases past deadline"),
                fmt_int(n_over),
                Bi(f"预警（一个工作日内到期）{fmt_int(n_soon)} 件", f"{fmt_int(n_soon)} due within one working day"),
                "bad" if n_over else "",
                alert=bool(n_over),
            )
        )
    page.kpis(kpis)
    page.note(
        Bi(
            f"本月为 {fmt_month(ctx.period).zh}1日至{ctx.as_of.day}日的累计，上月为 {fmt_month(ctx.prev_period).zh} 全月；"
            "比率按件数汇总计算（全厅按时件 ÷ 考核件），综合分为各窗口综合分的平均。",
            f"This month = {fmt_month(ctx.period).en} up to day {ctx.as_of.day}; last month = all of "
            f"{fmt_month(ctx.prev_period).en}. Rates are pooled over the hall (on-time cases ÷ evaluated cases); "
            "the composite is the mean of the windows' composites.",
        )
    )

    # -- composite trend -------------------------------------------------
    page.h2(Bi("综合分走势", "Composite trend"))
    wd = data.window_daily
    if wd is None:
        page.empty(Bi("暂无数据：尚未生成窗口日评分（window_scores_daily）。", "No data: no daily window scores yet."))
    else:
        trend = (
            wd.filter((pl.col("date") >= ctx.trend_start) & pl.col("date").is_in(sorted(ctx.open_days)))
            .group_by("date")
            .agg(pl.col("composite", "timeliness", "quality", "satisfaction").mean())
            .sort("date")
        )
        page.chart(
            score_trend_chart(
                trend,
                Bi("全厅每日综合分（各窗口平均，近90天，仅办公日）", "Daily composite of the hall (mean over windows, last 90 days, open days only)"),
                composite_only_visible=True,
            )
        )

    # -- red and black lists ---------------------------------------------
    page.h2(Bi("本月红黑榜", "This month's red and black lists"))
    rb = data.red_black
    rb_cur = None if rb is None else rb.filter(pl.col("period") == ctx.period)
    if rb_cur is None or rb_cur.height == 0:
        page.empty(
            Bi("本月暂无红黑榜：参与排名需当月“", "No lists this month yet: ranking needs ")
            + ctx.ranking_floor()
            + Bi("”，尚无足够窗口达到。", " in the month, and no window has reached it yet.")
        )
    else:
        cur_scores = wm.filter(pl.col("period") == ctx.period) if wm is not None else None
        page.open("cols")
        for lst, css in (("red", "red"), ("black", "black")):
            part = rb_cur.filter(pl.col("list") == lst).sort("hall_id", "position")
            page.raw("<div>")
            page.h3(tag(code("list", lst), css))
            rows = []
            for r in part.iter_rows(named=True):
                extra = None
                if cur_scores is not None:
                    m = cur_scores.filter((pl.col("hall_id") == r["hall_id"]) & (pl.col("window_id") == r["window_id"]))
                    extra = m.row(0, named=True) if m.height else None
                rows.append(
                    [
                        fmt_int(r["rank"]),
                        ctx.window_cell(r["hall_id"], r["window_id"]),
                        ctx.dept_link(r["dept_id"]),
                        fmt_score(r["composite"]),
                        fmt_score(extra["timeliness"]) if extra else "—",
                        fmt_score(extra["quality"]) if extra else "—",
                        fmt_score(extra["satisfaction"]) if extra else "—",
                    ]
                )
            page.table(
                [
                    Col(Bi("名次", "Rank"), True),
                    Col(Bi("窗口", "Window")),
                    Col(Bi("部门", "Department")),
                    Col(Bi("综合分", "Composite"), True),
                    *TQS_COLUMNS,
                ],
                rows,
            )
            page.raw("</div>")
        page.close()

    # -- attention today -------------------------------------------------
    page.h2(Bi("今日需关注", "Needs attention today"), anchor="attention")
    if warnings is None:
        page.empty(Bi("暂无办件预警数据（case_warnings）。", "No case warnings table."))
    else:
        # the cases due soon first: they can still be finished on time;
        # each level has its own table, so many overdue cases never hide them
        for level, title, empty in WARNING_TABLES:
            cases = warnings.filter(pl.col("level") == level)
            page.h3(title + Bi(f"（{count_text(cases.height, CASES).zh}）", f" ({count_text(cases.height, CASES).en})"))
            page.table_of_rows(
                warning_columns(with_place=True),
                warning_rows(ctx, cases.head(WARNINGS_SHOWN), with_place=True).to_list(),
                empty=empty,
                total=cases.height,
                more=WARNINGS_ELSEWHERE,
            )
    if counts is None:
        page.empty(absent_note("rectification_items", Bi("整改台账", "the rectification ledger")))
    else:  # n_late: counted for the KPIs above
        late_items = data.rectification_shown.filter(pl.col("status").is_in(LATE_STATUSES))
        page.h3(
            Bi("超期未整改事项", "Rectification items past their deadline")
            + Bi(f"（{count_text(n_late, ITEMS).zh}）", f" ({count_text(n_late, ITEMS).en})")
        )
        item_table(ctx, page, late_items, limit=20, total=n_late, empty=Bi("没有超期的整改事项。", "No item is past its deadline."))
    return [page]


