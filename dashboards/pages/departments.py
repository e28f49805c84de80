"""Departments and staff (departments.html): the departments' ranking with
T/Q/S, their daily composite, their rectification record (fixed on time, open
by age) and the service stars (服务明星); a page per department
(departments/<dept>.html)."""

from __future__ import annotations

import polars as pl

from dashboards import theme
from dashboards.charts import Chart, calendar_days, date_axis, layout, no_data, values
from dashboards.context import (
    absent_note,
    LIVE,
    SiteContext,
    TQS,
    TQS_COLUMNS,
    counts_by,
    delta_vs_last_month,
    first_per,
    item_table,
    ranking_chart,
    record_chart,
    rectification_record,
    score_trend_chart,
    with_item_rows,
)
from dashboards.html import Col, Kpi, Page, join, link, tag, with_line_under, without_empty_columns
from dashboards.labels import Bi, code, fmt_int, fmt_num, fmt_pct, fmt_score, same
from dashboards.privacy import staff_label
from dashboards.rectification_data import AGE_BUCKETS, DEPT_ITEMS_SHOWN, LATE_STATUSES, UNRESOLVED

ITEMS_SHOWN = DEPT_ITEMS_SHOWN  # a department's most urgent rectification items


def build(ctx: SiteContext) -> list[Page]:
    shown, records, totals, record = {}, {}, {}, None
    if ctx.data.has_rectification:
        top = with_item_rows(ctx, first_per(ctx.data.rectification_shown, ["dept_id"], ITEMS_SHOWN), "../", page_of="dept")
        shown = {k[0]: v for k, v in top.partition_by("dept_id", as_dict=True).items()} if top.height else {}
        counts = ctx.data.rectification_counts
        record = rectification_record(counts, "dept_id")
        records = {r["dept_id"]: r for r in record.iter_rows(named=True)}
        totals = dict(counts_by(counts, ["dept_id"], LIVE).iter_rows())
    month = _window_month_rows(ctx)
    return [_main_page(ctx, record)] + [
        _dept_page(ctx, d, shown.get(d["dept_id"]), records.get(d["dept_id"]), totals.get(d["dept_id"], 0), month)
        for d in ctx.data.departments.iter_rows(named=True)
    ]


def _window_month_rows(ctx: SiteContext) -> dict[tuple[str, str], dict]:
    """This month's score row per (hall_id, window_id)."""
    wm = ctx.data.window_monthly
    if wm is None:
        return {}
    return {(r["hall_id"], r["window_id"]): r for r in wm.filter(pl.col("period") == ctx.period).iter_rows(named=True)}


def _dept_rows(ctx: SiteContext, period: str) -> pl.DataFrame | None:
    dm = ctx.data.dept_monthly
    if dm is None:
        return None
    return (
        dm.filter(pl.col("period") == period)
        .with_columns(
            pl.col("dept_id").map_elements(ctx.dept_name, return_dtype=pl.String).alias("label"),
            pl.lit(None, dtype=pl.String).alias("list"),
        )
        .sort("dept_rank", "dept_id", nulls_last=True)
    )


def _record(ctx: SiteContext, rec: pl.DataFrame | None) -> pl.DataFrame | None:
    """``rec``: ``rectification_record`` of the items per department."""
    counts = ctx.data.rectification_counts
    if counts is None or rec is None:
        return None
    late = (
        counts.filter(pl.col("status").is_in(UNRESOLVED))
        .group_by("dept_id")
        .agg(
            pl.col("n").filter(pl.col("status").is_in(LATE_STATUSES)).sum().alias("late_open"),
            pl.col("oldest_age").max().alias("oldest_open_days"),
        )
    )
    return (
        rec.join(late, on="dept_id", how="left")
        .with_columns(
            pl.col("dept_id").map_elements(ctx.dept_name, return_dtype=pl.String).alias("label"),
            pl.col("late_open").fill_null(0),
        )
        .sort(["open_total", "dept_id"], descending=[True, False])
    )


def _main_page(ctx: SiteContext, record: pl.DataFrame | None) -> Page:
    page = ctx.new_page(
        "departments.html",
        "departments",
        Bi("部门与人员", "Departments and staff"),
        Bi("本月：", "This month: ") + ctx.month_text(),
    )
    cur = _dept_rows(ctx, ctx.period)
    prev = _dept_rows(ctx, ctx.prev_period)

    page.h2(Bi("部门本月排名", "Departments this month"))
    if cur is None or cur.height == 0:
        page.empty(Bi("暂无部门评分（dept_scores_monthly）。", "No department scores yet."))
    else:
        page.chart(
            ranking_chart(
                cur,
                Bi("各部门本月综合分及 T/Q/S 分项", "Each department's composite this month with T/Q/S"),
                list_col=None,
                subtitle=Bi("大圆点为综合分；部门分 = 其各窗口分数的平均", "big dot = composite; a department's score = mean of its windows'"),
            )
        )
        prev_rank = {} if prev is None else dict(zip(prev["dept_id"], prev["dept_rank"]))
        open_items = {}
        if ctx.data.has_rectification:
            oi = counts_by(ctx.data.rectification_counts, ["dept_id"], pl.col("status").is_in(UNRESOLVED))
            open_items = dict(zip(oi["dept_id"], oi["len"]))
        rows = []
        for r in cur.iter_rows(named=True):
            good_rate = (r["ratings"] - r["bad_ratings"]) / r["ratings"] if r["ratings"] else None
            pr = prev_rank.get(r["dept_id"])
            change: object = "—"
            if pr is not None and r["dept_rank"] is not None:
                dv = pr - r["dept_rank"]
                change = same(f"▲{dv}" if dv > 0 else f"▼{-dv}" if dv < 0 else "＝")
            rows.append(
                [
                    fmt_int(r["dept_rank"]),
                    ctx.dept_link(r["dept_id"]),
                    fmt_int(r["windows"]),
                    fmt_score(r["composite"]),
                    fmt_score(r["timeliness"]),
                    fmt_score(r["quality"]),
                    fmt_score(r["satisfaction"]),
                    fmt_pct(r["on_time_cases"] / r["evaluated_cases"] if r["evaluated_cases"] else None),
                    fmt_pct(r["tickets_within_target"] / r["served_tickets"] if r["served_tickets"] else None),
                    fmt_pct(good_rate),
                    fmt_int(r["bad_ratings"]),
                    fmt_num(r["deductions"], 1),
                    fmt_int(open_items.get(r["dept_id"], 0)) if ctx.data.has_rectification else "—",
                    change,
                ]
            )
        page.table(
            [
                Col(Bi("名次", "Rank"), True),
                Col(Bi("部门", "Department")),
                Col(Bi("窗口数", "Windows"), True),
                Col(Bi("综合分", "Composite"), True),
                *TQS_COLUMNS,
                Col(Bi("按时办结率", "On time"), True),
                Col(ctx.wait_rate_header(), True),
                Col(Bi("好评率", "Good ratings"), True),
                Col(Bi("差评（条）", "Bad ratings"), True),
                Col(Bi("扣分", "Points off"), True),
                Col(Bi("未完成整改", "Open items"), True),
                Col(Bi("较上月名次", "Rank vs last month"), True),
            ],
            rows,
        )

    dd = ctx.data.dept_daily
    if dd is not None and dd.height:
        page.chart(_dept_heatmap(ctx, dd.filter((pl.col("date") >= ctx.trend_start) & pl.col("date").is_in(sorted(ctx.open_days)))))

    # -- rectification record -----------------------------------------
    page.h2(Bi("各部门整改情况", "Rectification record by department"))
    record = _record(ctx, record)
    if record is None:
        page.empty(absent_note("rectification_items", Bi("整改台账", "the rectification ledger")))
    else:
        page.chart(
            record_chart(
                record,
                "label",
                Bi("各部门整改事项", "Rectification items per department"),
                Bi("已整改分按期/逾期，未整改按自发现日起的挂账天数", "fixed on time / late, and open by days since found"),
            )
        )
        rows = []
        for r in record.iter_rows(named=True):
            rate = r["resolved_on_time"] / r["resolved_total"] if r["resolved_total"] else None
            rows.append(
                [
                    ctx.dept_link(r["dept_id"]),
                    fmt_int(r["resolved_total"] + r["open_total"]),
                    fmt_int(r["resolved_total"]),
                    fmt_pct(rate),
                    fmt_int(r["open_total"]),
                    fmt_int(r["late_open"]),
                    fmt_int(r["oldest_open_days"]) if r["oldest_open_days"] is not None else "—",
                ]
            )
        page.table(
            [
                Col(Bi("部门", "Department")),
                Col(Bi("事项总数", "Items"), True),
                Col(Bi("已整改", "Fixed"), True),
                Col(Bi("按期整改率", "Fixed on time"), True),
                Col(Bi("未整改", "Open"), True),
                Col(Bi("其中超期", "of which overdue"), True),
                Col(Bi("最久挂账（天）", "Oldest open (days)"), True),
            ],
            rows,
        )

    # -- service stars --------------------------------------------------
    page.h2(Bi("服务明星", "Service stars"))
    sm = ctx.data.staff_monthly
    if sm is None:
        page.empty(Bi("暂无工作人员评分（staff_scores_monthly）。", "No staff scores yet."))
    else:
        cur_staff = sm.filter(pl.col("period") == ctx.period)
        stars = cur_staff.filter(pl.col("service_star").fill_null(False)).sort("hall_id", "rank")
        page.p(
            Bi(f"服务明星为本月在大厅内排名前 {ctx.data.list_size} 的工作人员（门槛同窗口：",
               f"Service stars are the top {ctx.data.list_size} staff of the hall this month (same floor as windows: ")
            + ctx.ranking_floor() + Bi("）。姓名已脱敏。", "). Names are masked.")
        )
        page.table(_staff_cols(), _staff_rows(ctx, stars), empty=Bi("本月暂无服务明星（尚无工作人员达到排名门槛）。",
                                                                     "No service star this month yet (nobody has reached the floor)."))
        ranked = cur_staff.filter(pl.col("rank").is_not_null()).sort("rank", "hall_id", "staff_id")
        if ranked.height:
            page.chart(_top_staff_chart(ctx, ranked.head(TOP_STAFF), ranked.height, cur_staff.height))
        prev_stars = sm.filter((pl.col("period") == ctx.prev_period) & pl.col("service_star").fill_null(False)).sort("hall_id", "rank")
        if prev_stars.height:
            page.h3(Bi("上月服务明星", "Last month's service stars"))
            page.table(_staff_cols(), _staff_rows(ctx, prev_stars))

    page.h2(Bi("各部门页面", "Department pages"))
    links = "".join(
        f"<li>{link(ctx.dept_href(d['dept_id']), ctx.dept_name(d['dept_id']))}</li>" for d in ctx.data.departments.iter_rows(named=True)
    )
    page.raw(f'<ul class="links">{links}</ul>')
    return page


_WINDOW_COLS = [  # a department page's windows
    Col(Bi("窗口", "Window")),
    Col(Bi("类型", "Type")),
    Col(Bi("大厅排名", "Hall rank"), True),
    Col(Bi("综合分", "Composite"), True),
    *TQS_COLUMNS,
    Col(Bi("榜单", "List")),
]

# A staff member's department stands under their name, as a window's under
# its name in the windows ranking: as a column of its own, with a city's
# window named after its hall, the service stars were ~1,550 px wide on a
# 1366 px screen. A department's page leaves it out (its own, in its title).
def _staff_cols(with_dept: bool = True) -> list[Col]:
    return [
        Col(Bi("名次", "Rank"), True),
        Col(Bi("工作人员（部门）", "Staff (department)") if with_dept else Bi("工作人员", "Staff")),
        Col(Bi("常驻窗口", "Usual window")),
        Col(Bi("综合分", "Composite"), True),
        *TQS_COLUMNS,
        Col(Bi("考核件", "Cases"), True),
        Col(Bi("评价（差评）", "Ratings (bad)"), True),
        Col(Bi("扣分", "Points off"), True),
    ]


def _staff_rows(ctx: SiteContext, frame: pl.DataFrame, prefix: str = "", with_dept: bool = True) -> list:
    rows = []
    for r in frame.iter_rows(named=True):
        star = tag(Bi("★ 服务明星", "★ star"), "red") if r.get("service_star") else ""
        who = join([staff_label(r["staff_id"], r["staff_name"]), star]) if star else staff_label(r["staff_id"], r["staff_name"])
        if with_dept:
            who = with_line_under(who, ctx.dept_link(r["dept_id"], prefix))
        rows.append(
            [
                fmt_int(r["rank"]) if r["rank"] is not None else "—",
                who,
                ctx.window_cell(r["hall_id"], r["usual_window_id"], prefix) if r["usual_window_id"] else "—",
                fmt_score(r["composite"]),
                fmt_score(r["timeliness"]),
                fmt_score(r["quality"]),
                fmt_score(r["satisfaction"]),
                fmt_int(r["evaluated_cases"]),
                same(f"{fmt_int(r['ratings'])}（{fmt_int(r['bad_ratings'])}）"),
                fmt_num(r["deductions"], 1),
            ]
        )
    return rows


TOP_STAFF = 10


def _top_staff_chart(ctx: SiteContext, ranked: pl.DataFrame, n_ranked: int, n_scored: int) -> Chart:
    """The best ``TOP_STAFF`` of the ``n_ranked`` staff ranked this month, of
    ``n_scored`` with scores. Early in a month few reach the ranking floor:
    the title then says how many bars there are, and the subtitle why the
    others have none."""
    if n_ranked >= TOP_STAFF:
        title = Bi(f"本月工作人员综合分前{TOP_STAFF}名", f"Top {TOP_STAFF} staff by composite this month")
    else:
        title = Bi(f"本月参与排名的{n_ranked}名工作人员综合分", f"The {n_ranked} staff ranked this month, by composite")
    floor = ctx.ranking_floor()
    subtitle = Bi(f"本月有评分的{fmt_int(n_scored)}人中{fmt_int(n_ranked)}人达到排名门槛（{floor.zh}）",
                  f"{fmt_int(n_ranked)} of the {fmt_int(n_scored)} staff with scores reach the ranking floor ({floor.en})")
    if n_scored > n_ranked:
        subtitle += Bi(f"，其余{fmt_int(n_scored - n_ranked)}人暂不排名", f"; the other {fmt_int(n_scored - n_ranked)} are not ranked yet")
    subtitle += Bi("；红色为服务明星", "; red = service star")
    labels = [staff_label(s, n) for s, n in zip(ranked["staff_id"], ranked["staff_name"])]
    colors = [theme.RED_LIST if s else theme.NEUTRAL for s in ranked["service_star"].fill_null(False)]

    def build(lang):
        return {
            "data": [
                {"type": "bar", "orientation": "h", "name": Bi("综合分", "Composite").pick(lang), "y": labels,
                 "x": values(ranked["composite"]), "marker": {"color": colors},
                 "text": [fmt_score(v) for v in ranked["composite"]], "textposition": "inside",
                 "textfont": {"color": "#ffffff"}, "hovertemplate": "%{y}: %{x:.2f}<extra></extra>"}
            ],
            "layout": layout(
                lang,
                title,
                Bi("综合分（分，满分100）", "Composite (points, of 100)"),
                Bi("工作人员（工号 姓名）", "Staff (id, masked name)"),
                subtitle=subtitle,
                yaxis={"autorange": "reversed", "type": "category"},
                xaxis={"range": [0, 105]},
                margin={"l": 170},
                showlegend=False,
            ),
        }

    return Chart(build, height=max(360, 34 * ranked.height + 190))  # 190: the title, its subtitle and the axis


def _dept_heatmap(ctx: SiteContext, dd: pl.DataFrame) -> Chart:
    depts = ctx.data.departments["dept_id"].to_list()
    dates = calendar_days(dd["date"])  # closed days too, as blank columns
    lookup = {(r["dept_id"], r["date"]): r["composite"] for r in dd.select("dept_id", "date", "composite").iter_rows(named=True)}
    z = [[lookup.get((d, day)) for day in dates] for d in depts]

    def build(lang):
        fig = {
            "data": [
                {"type": "heatmap", "x": values(dates), "y": [ctx.dept_name(d) for d in depts], "z": z,
                 "colorscale": theme.SEQ_SCORE, "zmin": 60, "zmax": 100, "xgap": 1, "ygap": 2,
                 "colorbar": {"title": {"text": Bi("综合分（分）", "Composite (points)").pick(lang)}},
                 "hovertemplate": "%{y} %{x}: %{z:.2f}<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("各部门每日综合分（近90天，仅办公日）", "Daily composite per department (last 90 days, open days)"),
                Bi("日期", "Date"),
                Bi("部门", "Department"),
                subtitle=Bi("颜色越绿越好；空白为当天无评分（周末、节假日为整列空白）",
                            "greener is better; blank = no score that day (weekends and holidays: blank columns)"),
                xaxis=date_axis(lang, dates),
                yaxis={"autorange": "reversed", "type": "category"},
                margin={"l": 170},
            ),
        }
        return fig if dates else no_data(fig, lang)

    return Chart(build, height=max(360, 34 * len(depts) + 160))


# ---------------------------------------------------------------------------
# one page per department
# ---------------------------------------------------------------------------
def _dept_page(
    ctx: SiteContext,
    dept: dict,
    items_shown: pl.DataFrame | None,
    record: dict | None,
    items_total: int,
    window_month: dict[tuple[str, str], dict],
) -> Page:
    """``record``: the department's row of ``rectification_record`` (None: no
    item); ``items_total``: its items not withdrawn; ``window_month``: this
    month's window scores by (hall_id, window_id)."""
    dept_id = dept["dept_id"]
    name = ctx.dept_name(dept_id)
    page = ctx.new_page(
        ctx.dept_href(dept_id),
        "departments",
        Bi(f"部门 {name}", f"Department {name}"),
        Bi(f"部门编码 {dept_id} · 本月：", f"Code {dept_id} · this month: ") + ctx.month_text(),
    )
    page.raw(f'<p>{link("../departments.html", Bi("← 返回部门与人员", "← Back to departments"))}</p>')
    dm = ctx.data.dept_monthly
    cur = prev = None
    if dm is not None:
        c = dm.filter((pl.col("dept_id") == dept_id) & (pl.col("period") == ctx.period))
        p = dm.filter((pl.col("dept_id") == dept_id) & (pl.col("period") == ctx.prev_period))
        cur = c.row(0, named=True) if c.height else None
        prev = p.row(0, named=True) if p.height else None
        n_depts = dm.filter(pl.col("period") == ctx.period).height
    page.h2(Bi("本月考评", "This month"))
    if cur is None:
        page.empty(Bi("本部门本月还没有评分。", "No scores for this department this month yet."))
    else:
        kpis = []
        d, k = delta_vs_last_month(cur["composite"], prev and prev["composite"], kind="score")
        kpis.append(Kpi(Bi("综合分（窗口平均）", "Composite (mean of windows)"), fmt_score(cur["composite"]), d, k))
        kpis.append(Kpi(Bi("部门排名", "Department rank"),
                        Bi(f"第 {fmt_int(cur['dept_rank'])} 名 / {n_depts}", f"#{fmt_int(cur['dept_rank'])} of {n_depts}")))
        for col, label in TQS:
            d, k = delta_vs_last_month(cur[col], prev and prev[col], kind="score")
            kpis.append(Kpi(label, fmt_score(cur[col]), d, k))
        kpis.append(Kpi(Bi("按时办结率", "On-time rate"),
                        fmt_pct(cur["on_time_cases"] / cur["evaluated_cases"] if cur["evaluated_cases"] else None)))
        kpis.append(Kpi(Bi("差评", "Bad ratings"), fmt_int(cur["bad_ratings"]),
                        Bi(f"共 {fmt_int(cur['ratings'])} 条评价", f"of {fmt_int(cur['ratings'])} ratings")))
        kpis.append(Kpi(Bi("本月扣分", "Points off this month"), fmt_num(cur["deductions"], 1)))
        page.kpis(kpis)

    dd = ctx.data.dept_daily
    daily = (
        dd.filter((pl.col("dept_id") == dept_id) & (pl.col("date") >= ctx.trend_start) & pl.col("date").is_in(sorted(ctx.open_days))).sort("date")
        if dd is not None
        else pl.DataFrame(schema={"date": pl.Date, "composite": pl.Float64})
    )
    page.chart(
        score_trend_chart(
            daily,
            Bi(f"{name} 每日综合分（近90天，窗口平均，仅办公日；点击图例可显示 T/Q/S）",
               f"{name}: daily composite (last 90 days, mean of windows, open days; click the legend for T/Q/S)"),
            composite_only_visible=True,
        )
    )

    # windows of the department
    page.h2(Bi("所属窗口（本月）", "Its windows (this month)"))
    wins = ctx.data.windows.filter(pl.col("dept_id") == dept_id)
    rows = []
    for w in wins.iter_rows(named=True):
        r = window_month.get((w["hall_id"], w["window_id"]))
        rows.append(
            [
                ctx.window_cell(w["hall_id"], w["window_id"], "../"),
                code("window_type", w["window_type"]),
                fmt_int(r["rank"]) if r and r["rank"] is not None else "—",
                fmt_score(r["composite"]) if r else "—",
                fmt_score(r["timeliness"]) if r else "—",
                fmt_score(r["quality"]) if r else "—",
                fmt_score(r["satisfaction"]) if r else "—",
                tag(code("list", r["list"]), r["list"]) if r and r["list"] in ("red", "black") else "",
            ]
        )
    columns, rows, dropped = without_empty_columns(_WINDOW_COLS, rows)
    page.table(columns, rows, empty=Bi("本部门没有窗口。", "This department has no window."))
    if rows and _WINDOW_COLS[2] in dropped:
        page.note(Bi("本部门的窗口本月都还没有达到排名门槛（", "None of the department's windows has reached the ranking floor this month (")
                  + ctx.ranking_floor() + Bi("），故不列大厅排名。", "), so no hall rank is shown."))
    if rows and _WINDOW_COLS[-1] in dropped:
        page.note(Bi("本部门的窗口本月没有上红榜或黑榜。", "None of the department's windows is on the red or black list this month."))

    # staff
    page.h2(Bi("工作人员（本月）", "Staff (this month)"))
    sm = ctx.data.staff_monthly
    if sm is None:
        page.empty(Bi("暂无工作人员评分。", "No staff scores yet."))
    else:
        staff = sm.filter((pl.col("period") == ctx.period) & (pl.col("dept_id") == dept_id)).sort(
            ["rank", "composite"], descending=[False, True], nulls_last=True
        )
        staff_cols = _staff_cols(with_dept=False)
        columns, rows, dropped = without_empty_columns(staff_cols, _staff_rows(ctx, staff, "../", with_dept=False))
        page.table(columns, rows, empty=Bi("本月没有工作人员评分。", "No staff scores this month."))
        if rows and staff_cols[0] in dropped:
            page.note(Bi("本部门的工作人员本月都还没有达到排名门槛（", "None of the department's staff has reached the ranking floor this month (")
                      + ctx.ranking_floor() + Bi("），故不列名次。", "), so no rank is shown."))

    # rectification
    page.h2(Bi("整改事项", "Rectification items"))
    if not ctx.data.has_rectification:
        page.empty(absent_note("rectification_items", Bi("整改台账", "the rectification ledger")))
    else:
        r = record
        if r:
            page.kpis(
                [
                    Kpi(Bi("已整改", "Fixed"), fmt_int(r["resolved_total"]),
                        Bi(f"按期 {fmt_int(r['resolved_on_time'])} · 逾期 {fmt_int(r['resolved_late'])}",
                           f"on time {fmt_int(r['resolved_on_time'])} · late {fmt_int(r['resolved_late'])}")),
                    Kpi(Bi("未整改", "Open"), fmt_int(r["open_total"]),
                        join_ages(r), alert=bool(r["open_total"])),
                ]
            )
        item_table(ctx, page, items_shown if items_shown is not None else ctx.data.rectification_shown.clear(), prefix="../", page_of="dept",
                   limit=ITEMS_SHOWN, total=items_total, empty=Bi("本部门没有整改事项。", "No item for this department."))
    return page


def join_ages(r: dict) -> Bi:
    parts_zh = [f"{b.zh} {fmt_int(r[f'open_{i}'])}" for i, (_, _, b) in enumerate(AGE_BUCKETS)]
    parts_en = [f"{b.en}: {fmt_int(r[f'open_{i}'])}" for i, (_, _, b) in enumerate(AGE_BUCKETS)]
    return Bi("挂账 " + " · ".join(parts_zh), "open " + " · ".join(parts_en))
