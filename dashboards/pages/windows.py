"""Windows: the month's ranking with its T/Q/S breakdown (windows.html), and a
page per window (windows/<hall>_<window>.html) with its daily trend, cases,
waits, ratings, deductions and rectification items."""

from __future__ import annotations

import polars as pl

from dashboards import theme
from dashboards.charts import Chart, date_axis, layout, no_data, pct_values, percent_axis, values
from dashboards.context import (
    LIVE,
    absent_note,
    break_gaps,
    SiteContext,
    TQS,
    TQS_COLUMNS,
    delta_vs_last_month,
    first_per,
    date_cell,
    item_table,
    ranking_chart,
    warning_columns,
    warning_rows,
    score_trend_chart,
    with_item_rows,
)
from dashboards.html import Col, Kpi, Page, cell_per_value, join, link, rows_markup, tag, with_line_under
from dashboards.labels import Bi, code, fmt_int, fmt_num, fmt_pct, fmt_score, same
from dashboards.rectification_data import UNRESOLVED, WINDOW_ITEMS_SHOWN


def _group(frame: pl.DataFrame | None, keys: list[str]) -> dict[tuple, pl.DataFrame]:
    if frame is None or frame.height == 0:
        return {}
    # The key read off each part's first row: partition_by(as_dict=True) runs
    # a polars select per part for it, 1.4 s for the 5,600 parts of a city.
    return {tuple(part[0, k] for k in keys): part for part in frame.partition_by(keys)}


def ranking_rows(ctx: SiteContext, month: pl.DataFrame) -> pl.DataFrame:
    """One hall's ranked windows by rank, then unranked by composite; with a
    label, without the hall's name, which titles the hall's section: at a
    city it doubled the width of every label and pushed the table past a
    laptop's screen."""
    return (
        month.with_columns(
            pl.col("rank").is_null().alias("_unranked"),
            pl.when(pl.col("rank").is_null()).then(pl.lit("unranked")).otherwise(pl.col("list")).alias("list_shown"),
        )
        .sort(["_unranked", "rank", "composite", "window_id"], descending=[False, False, True, False], nulls_last=True)
        .with_columns(
            pl.struct("hall_id", "window_id")
            .map_elements(lambda s: ctx.window_name(s["hall_id"], s["window_id"], with_hall=False), return_dtype=pl.String)
            .alias("label")
        )
    )


def build(ctx: SiteContext) -> list[Page]:
    pages = [_ranking_page(ctx)]
    pages += _window_pages(ctx)
    return pages


# ---------------------------------------------------------------------------
# ranking
# ---------------------------------------------------------------------------
def _ranking_page(ctx: SiteContext) -> Page:
    page = ctx.new_page(
        "windows.html",
        "windows",
        Bi("窗口考评排名", "Window ranking"),
        Bi("本月：", "This month: ") + ctx.month_text() + Bi(" · 综合分 = 0.35·T + 0.35·Q + 0.30·S", " · composite = 0.35·T + 0.35·Q + 0.30·S"),
    )
    wm = ctx.data.window_monthly
    if wm is None:
        page.empty(Bi("暂无数据：尚未生成窗口月评分（window_scores_monthly）。", "No data: no monthly window scores yet."))
        return page
    cur = wm.filter(pl.col("period") == ctx.period)
    prev = wm.filter(pl.col("period") == ctx.prev_period).select(
        "hall_id", "window_id", pl.col("rank").alias("prev_rank"), pl.col("composite").alias("prev_composite")
    )
    halls = sorted(cur["hall_id"].unique().to_list()) or []
    if not halls:
        page.empty(Bi("本月还没有窗口评分。", "No window has scores this month yet."))
    if ctx.multi_hall and halls:  # a city has 20 halls, each ranked on its own: jump to one
        jumps = "".join(f"<li>{link(f'#hall-{i}', same(ctx.hall_name(h)))}</li>" for i, h in enumerate(halls, 1))
        page.p(Bi("按大厅查看：", "Go to a hall:"))
        page.raw(f'<ul class="links">{jumps}</ul>')
    for i, hall in enumerate(halls, 1):
        month = ranking_rows(ctx, cur.filter(pl.col("hall_id") == hall)).join(prev, on=["hall_id", "window_id"], how="left")
        hall_title = Bi(f"{ctx.hall_name(hall)} · ", f"{ctx.hall_name(hall)} · ") if ctx.multi_hall else same("")
        ranked = month.filter(pl.col("rank").is_not_null()).height
        page.h2(hall_title + Bi(f"本月排名（{ranked} 个窗口参与排名，共 {month.height} 个）",
                                f"This month's ranking ({ranked} of {month.height} windows ranked)"),
                anchor=f"hall-{i}" if ctx.multi_hall else None)
        chart = ranking_chart(
            month.with_columns(pl.col("list_shown").alias("list")),
            hall_title + Bi("各窗口本月综合分及 T/Q/S 分项", "Each window's composite this month with T/Q/S"),
            subtitle=Bi("大圆点为综合分：红 = 红榜，黑 = 黑榜，蓝 = 其余，灰 = 未达排名门槛",
                        "big dot = composite: red = red list, black = black list, blue = others, grey = not ranked"),
        )
        page.chart(chart)
        # 16 columns were ~1,530 px wide (English ~1,700) on a 1366 px
        # laptop, read by scrolling sideways: a window's rank, list and
        # change share a cell, its department and type go under its name
        rows = []
        for r in month.iter_rows(named=True):
            lst = r["list"]
            if r["rank"] is None:
                place = [tag(Bi("未排名", "not ranked"), "muted")]
            else:
                place = [fmt_int(r["rank"])]
                if lst in ("red", "black"):
                    place.append(tag(code("list", lst), lst))
                if r["prev_rank"] is not None:
                    dv = r["prev_rank"] - r["rank"]
                    place.append(same(f"▲{dv}" if dv > 0 else f"▼{-dv}" if dv < 0 else "＝"))
            window = with_line_under(
                ctx.window_link(r["hall_id"], r["window_id"], with_hall=False),
                join([ctx.dept_link(r["dept_id"]), code("window_type", r["window_type"])], " · "),
            )
            rows.append(
                [
                    join(place),
                    window,
                    fmt_score(r["composite"]),
                    fmt_score(r["timeliness"]),
                    fmt_score(r["quality"]),
                    fmt_score(r["satisfaction"]),
                    fmt_pct(r["on_time_rate"]),
                    fmt_pct(r["wait_rate"]),
                    fmt_pct(r["good_rate"]),
                    fmt_int(r["bad_ratings"]),
                    fmt_num(r["deductions"], 1),
                    fmt_int(r["volume"]),
                ]
            )
        page.open("ranking")
        page.table(
            [
                Col(Bi("名次 · 榜单（较上月）", "Rank · list (vs last month)")),
                Col(Bi("窗口（部门 · 类型）", "Window (department · type)")),
                Col(Bi("综合分", "Composite"), True),
                *TQS_COLUMNS,
                Col(Bi("按时办结率", "On time"), True),
                Col(ctx.wait_rate_header(), True),
                Col(Bi("好评率", "Good ratings"), True),
                Col(Bi("差评（条）", "Bad ratings"), True),
                Col(Bi("扣分", "Points off"), True),
                Col(Bi("考核件+评价", "Cases + ratings"), True),
            ],
            rows,
        )
        page.close()
    k = ctx.data.list_size
    page.note(
        Bi("排名门槛：当月", "Ranked when ") + ctx.ranking_floor() + Bi(
            f"；前 {k} 名为红榜、后 {k} 名为黑榜（参与排名少于 {2 * k} 个窗口时各取一半以内）。"
            "某分项无数据时，其权重按比例分给有数据的分项。",
            f" in the month; the best {k} form the red list, the worst {k} the "
            f"black list (fewer when under {2 * k} windows are ranked). A part without data gives its weight to the others.",
        ),
        anchor="method",  # every page's footer links here
    )
    page.h2(Bi("全部窗口", "All windows"))
    items = []
    for w in ctx.data.windows.iter_rows(named=True):
        items.append(f"<li>{link(ctx.window_href(w['hall_id'], w['window_id']), ctx.window_name(w['hall_id'], w['window_id']))}</li>")
    page.raw(f'<ul class="links">{"".join(items)}</ul>')
    return page


# ---------------------------------------------------------------------------
# one page per window
# ---------------------------------------------------------------------------
ITEMS_SHOWN = WINDOW_ITEMS_SHOWN  # a window's most urgent rectification items


def _window_pages(ctx: SiteContext) -> list[Page]:
    """800 pages at city scale: every frame is filtered, sorted and split by
    window once here, so a page only picks its parts out of dicts."""
    data = ctx.data
    wm = data.window_monthly
    month_rows = {}
    for period in (ctx.period, ctx.prev_period):
        part = wm.filter(pl.col("period") == period) if wm is not None else None
        month_rows[period] = {} if part is None else {(r["hall_id"], r["window_id"]): r for r in part.iter_rows(named=True)}
    daily = None if data.window_daily is None else data.window_daily.filter(pl.col("date") >= ctx.trend_start).with_columns(
        # once for all windows: a polars call per page costs more than its sums (800 pages)
        (pl.col("evaluated_cases").fill_null(0) - pl.col("on_time_cases").fill_null(0)).alias("late_cases")
    )
    by_day = _group(daily, ["hall_id", "window_id"])
    by_open_day = _group(
        None if daily is None else daily.filter(pl.col("date").is_in(sorted(ctx.open_days))), ["hall_id", "window_id"]
    )
    by_waits = _group(data.window_waits_daily(ctx.trend_start), ["hall_id", "window_id"])
    month_start = ctx.as_of.replace(day=1)
    ded = data.deduction_details.filter(pl.col("date") >= month_start)  # newest first
    by_ded_kind = _group(_deductions_by_kind(ded), ["hall_id", "window_id"])
    by_ded = _group(ded.with_columns(deduction_rows(ctx, ded)), ["hall_id", "window_id"])
    by_items, item_counts = {}, {}
    if data.has_rectification:  # the most urgent per window, and the window's counts
        top = first_per(data.rectification_shown, ["hall_id", "window_id"], ITEMS_SHOWN)
        by_items = _group(with_item_rows(ctx, top, "../", page_of="window"), ["hall_id", "window_id"])
        counts = data.rectification_counts.filter(LIVE).group_by("hall_id", "window_id").agg(
            pl.col("n").sum().alias("items"), pl.col("n").filter(pl.col("status").is_in(UNRESOLVED)).sum().alias("open")
        )
        item_counts = {(h, w): (n, o) for h, w, n, o in counts.select("hall_id", "window_id", "items", "open").iter_rows()}
    warnings = data.case_warnings
    by_warn = _group(None if warnings is None else warnings.with_columns(warning_rows(ctx, warnings).alias(ROW)), ["hall_id", "window_id"])

    pages = []
    for w in data.windows.iter_rows(named=True):
        key = (w["hall_id"], w["window_id"])
        pages.append(
            _window_page(
                ctx,
                w,
                month_rows[ctx.period].get(key),
                month_rows[ctx.prev_period].get(key),
                by_day.get(key),
                by_open_day.get(key),
                by_waits.get(key),
                by_ded.get(key),
                by_ded_kind.get(key),
                by_items.get(key),
                item_counts.get(key, (0, 0)),
                by_warn.get(key),
            )
        )
    return pages


ROW = "_tr"  # a table row's markup, made for all windows at once
DEDUCTION_COLUMNS = [Col(Bi("日期", "Date")), Col(Bi("事由", "Reason")), Col(Bi("工作人员", "Staff")), Col(Bi("扣分", "Points"), True)]
# A reason is a list of code words; as one string it is a key to make its
# cell once (code words hold neither separator).
_WORD_SEP, _NO_WORD = "\x1f", "\x00"


def deduction_rows(ctx: SiteContext, deductions: pl.DataFrame) -> pl.Series:
    """Each deduction's row of a window page's table (ROW): date, reason,
    staff member, points."""
    keyed = deductions.with_columns(
        pl.col("what").list.eval(pl.element().fill_null(_NO_WORD)).list.join(_WORD_SEP).alias("_reason")
    )

    def reason(key: str | None):
        words = [None if w == _NO_WORD else w for w in key.split(_WORD_SEP)] if key else []
        return join([code("deduction", w) for w in words], "、")

    cells = [
        cell_per_value(keyed, "date", date_cell),
        cell_per_value(keyed, "_reason", reason),
        cell_per_value(keyed, "staff_id", ctx.staff_label),
        cell_per_value(keyed, "points", lambda x: fmt_num(x, 1)),
    ]
    return rows_markup(keyed, DEDUCTION_COLUMNS, cells).alias(ROW)


def _deductions_by_kind(deductions: pl.DataFrame) -> pl.DataFrame:
    """Points off per window and reason (a reason may be several code words)."""
    return (
        deductions.with_columns(pl.col("what").list.join("+").alias("kind"))
        .group_by("hall_id", "window_id", "kind")
        .agg(pl.col("points").sum(), pl.len().alias("n"))
        .sort("points", "kind", descending=[True, False])
    )


def _window_page(ctx, w, cur, prev, daily, daily_open, waits, deductions, deductions_by_kind, items, item_counts, warnings) -> Page:
    hall, wid = w["hall_id"], w["window_id"]
    name = ctx.window_name(hall, wid)
    sub = join(
        [
            Bi("部门：", "Department: ") + same(ctx.dept_name(w["dept_id"])),
            Bi("类型：", "Type: ") + code("window_type", w["window_type"]),
            Bi("本月：", "This month: ") + ctx.month_text(),
        ],
        " · ",
    )
    page = ctx.new_page(ctx.window_href(hall, wid), "windows", Bi(f"窗口 {name}", f"Window {name}"), sub)
    page.raw(f'<p>{link("../windows.html", Bi("← 返回窗口排名", "← Back to the ranking"))} · '
             f'{link(ctx.dept_href(w["dept_id"], "../") or "../departments.html", Bi("所属部门", "Its department"))}</p>')

    # -- KPIs ----------------------------------------------------------
    page.h2(Bi("本月考评", "This month"))
    if cur is None:
        page.empty(Bi("本窗口本月还没有评分。", "No scores for this window this month yet."))
    else:
        kpis = []
        d, k = delta_vs_last_month(cur["composite"], prev and prev["composite"], kind="score")
        kpis.append(Kpi(Bi("综合分", "Composite"), fmt_score(cur["composite"]), d, k))
        if cur["rank"] is not None:
            rank_text = Bi(f"第 {cur['rank']} 名 / {cur['eligible_count']}", f"#{cur['rank']} of {cur['eligible_count']}")
            lst = cur["list"]
            rank_delta = code("list", lst) if lst in ("red", "black") else None
            kpis.append(Kpi(Bi("本月排名", "Rank this month"), rank_text, rank_delta, "good" if lst == "red" else "bad" if lst == "black" else ""))
        else:
            kpis.append(
                Kpi(
                    Bi("本月排名", "Rank this month"),
                    Bi("未排名", "Not ranked"),
                    Bi(f"考核件+评价 {fmt_int(cur['volume'])} < {fmt_int(ctx.data.min_volume)}",
                       f"cases + ratings {fmt_int(cur['volume'])} < {fmt_int(ctx.data.min_volume)}"),
                )
            )
        for col, label in TQS:
            d, k = delta_vs_last_month(cur[col], prev and prev[col], kind="score")
            kpis.append(Kpi(label, fmt_score(cur[col]), d, k))
        d, k = delta_vs_last_month(cur["on_time_rate"], prev and prev["on_time_rate"])
        kpis.append(
            Kpi(
                Bi("按时办结率", "On-time rate"),
                fmt_pct(cur["on_time_rate"]),
                Bi(f"{fmt_int(cur['on_time_cases'])}/{fmt_int(cur['evaluated_cases'])} 件 · ",
                   f"{fmt_int(cur['on_time_cases'])}/{fmt_int(cur['evaluated_cases'])} · ") + d,
                k,
            )
        )
        d, k = delta_vs_last_month(cur["wait_rate"], prev and prev["wait_rate"])
        kpis.append(Kpi(ctx.wait_rate_label(), fmt_pct(cur["wait_rate"]), d, k))
        kpis.append(
            Kpi(
                Bi("好评率 / 差评", "Good rate / bad ratings"),
                same(fmt_pct(cur["good_rate"])),
                Bi(f"差评 {fmt_int(cur['bad_ratings'])} 条（共 {fmt_int(cur['ratings'])} 条评价）",
                   f"{fmt_int(cur['bad_ratings'])} bad of {fmt_int(cur['ratings'])} ratings"),
                "bad" if cur["bad_ratings"] else "",
            )
        )
        kpis.append(
            Kpi(
                Bi("本月扣分", "Points off this month"),
                fmt_num(cur["deductions"], 1),
                Bi(f"考勤 {fmt_num(cur['attendance_deductions'], 1)} · 行为 {fmt_num(cur['behaviour_deductions'], 1)} · 回访 {fmt_num(cur['callback_deductions'], 1)}",
                   f"attendance {fmt_num(cur['attendance_deductions'], 1)} · conduct {fmt_num(cur['behaviour_deductions'], 1)} · callbacks {fmt_num(cur['callback_deductions'], 1)}"),
                "bad" if cur["deductions"] else "",
                alert=bool(cur["deductions"]),
            )
        )
        page.kpis(kpis)

    # -- trend ---------------------------------------------------------
    page.h2(Bi("每日走势（近90天）", "Daily trend (last 90 days)"))
    no_days = pl.DataFrame(schema={"date": pl.Date, "composite": pl.Float64, "timeliness": pl.Float64,
                                   "quality": pl.Float64, "satisfaction": pl.Float64,
                                   "evaluated_cases": pl.Int64, "on_time_cases": pl.Int64,
                                   "good_ratings": pl.Int64, "bad_ratings": pl.Int64, "late_cases": pl.Int64})
    daily = daily if daily is not None else no_days
    page.chart(
        score_trend_chart(
            daily_open if daily_open is not None else no_days,
            Bi(f"{name} 每日综合分（点击图例可显示 T/Q/S）", f"{name}: daily composite (click the legend for T/Q/S)"),
            composite_only_visible=True,
        )
    )
    page.note(
        Bi(
            "走势图只画大厅办公日。超期件在“期限 + 1 个自然日”考核，可能落在周末或节假日，那几天只有超期件、"
            "分数没有代表性，故不画出；这些超期件照常计入月度分数，也显示在下方的“每日考核办件”图中。",
            "The trend plots the hall's open days only. A late case is evaluated on its deadline + 1 calendar day, which "
            "may be a weekend or holiday holding nothing else; such days are not plotted, but their late cases count in "
            "the monthly score and appear in the cases chart below.",
        )
    )
    page.open("grid2")
    page.chart(_cases_chart(daily, name))
    page.chart(_waits_chart(waits, name, ctx.wait_rate_label(same("%")), ctx.wait_rate_label(same("%"), Bi("左轴", "left"))))
    page.chart(_ratings_chart(daily, name))
    page.chart(_deductions_chart(deductions_by_kind, name))
    page.close()

    # -- deductions ----------------------------------------------------
    page.h2(Bi("本月扣分明细", "Points taken off this month"))
    page.table_of_rows(
        DEDUCTION_COLUMNS,
        [] if deductions is None else deductions.get_column(ROW).to_list(),
        empty=Bi("本月没有扣分。", "No points taken off this month."),
    )

    # -- open cases ----------------------------------------------------
    page.h2(Bi("超期与预警办件", "Open cases past or near their deadline"))
    page.table_of_rows(
        warning_columns(with_place=False),
        [] if warnings is None else warnings.get_column(ROW).to_list(),
        empty=Bi("没有超期或即将到期的在办件。", "No open case is past or near its deadline."),
    )

    # -- items ---------------------------------------------------------
    page.h2(Bi("整改事项", "Rectification items"))
    if not ctx.data.has_rectification:
        page.empty(absent_note("rectification_items", Bi("整改台账", "the rectification ledger")))
    else:
        total, open_n = item_counts
        page.p(Bi(f"未完成 {fmt_int(open_n)} 件；按紧急程度排列（超期通报、已超期在前）。", f"{fmt_int(open_n)} open; most urgent first."))
        item_table(ctx, page, items if items is not None else ctx.data.rectification_shown.clear(), prefix="../", page_of="window",
                   limit=ITEMS_SHOWN, total=total, empty=Bi("本窗口没有整改事项。", "No rectification item for this window."))
    return page


def _cases_chart(daily: pl.DataFrame, name: str) -> Chart:
    # the numbers once for both languages (800 pages at city scale)
    late = daily["late_cases"].to_list()
    x, on_time = values(daily["date"]), values(daily["on_time_cases"])
    has = daily.height and daily["evaluated_cases"].sum()  # a sum leaves nulls out

    def build(lang):
        fig = {
            "data": [
                {"type": "bar", "name": Bi("按时", "On time").pick(lang), "x": x,
                 "y": on_time, "marker": {"color": theme.GREEN}},
                {"type": "bar", "name": Bi("超期", "Late").pick(lang), "x": x, "y": late,
                 "marker": {"color": theme.RED}},
            ],
            "layout": layout(
                lang,
                Bi(f"{name} 每日考核办件（按时 / 超期）", f"{name}: cases evaluated per day (on time / late)"),
                Bi("考核日期", "Evaluation date"),
                Bi("办件数（件）", "Cases (count)"),
                xaxis=date_axis(lang, daily["date"]),
                barmode="stack",
                hovermode="x unified",
            ),
        }
        return fig if has else no_data(fig, lang)

    return Chart(build, height=400)


def _waits_chart(waits: pl.DataFrame | None, name: str, rate_axis: Bi, rate_legend: Bi) -> Chart:
    """``rate_axis``, ``rate_legend``: the share called within the wait target, in %."""
    w = waits if waits is not None else pl.DataFrame(schema={"date": pl.Date, "mean_wait": pl.Float64, "within_share": pl.Float64})
    wx, wmean = break_gaps(w["date"].to_list(), values(w["mean_wait"]))
    days, within = values(w["date"]), pct_values(w["within_share"])

    def build(lang):
        fig = {
            "data": [
                {"type": "bar", "name": rate_legend.pick(lang),
                 "x": days, "y": within, "marker": {"color": "#9ecae1"},
                 "hovertemplate": "%{y:.1f}%"},
                {"type": "scatter", "mode": "lines+markers", "name": Bi("平均等候（分钟，右轴）", "Mean wait (min, right)").pick(lang),
                 "x": wx, "y": wmean, "yaxis": "y2", "line": {"color": theme.ORANGE},
                 "hovertemplate": "%{y:.1f}"},
            ],
            "layout": layout(
                lang,
                Bi(f"{name} 每日叫号等候", f"{name}: queue waits per day"),
                Bi("叫号日期", "Date called"),
                rate_axis,
                xaxis=date_axis(lang, w["date"]),
                yaxis=percent_axis(range=[0, 105]),
                yaxis2={"title": {"text": Bi("平均等候（分钟）", "Mean wait (minutes)").pick(lang)}, "overlaying": "y",
                        "side": "right", "rangemode": "tozero", "showgrid": False, "tickmode": "auto", "nticks": 6},
                hovermode="x unified",
                # its two long legend entries take two rows in half a 1366 px
                # screen (the Chinese ones): room for both under the title
                margin={"r": 80, "t": 110},
            ),
        }
        return fig if w.height else no_data(fig, lang)

    return Chart(build, height=400)


def _ratings_chart(daily: pl.DataFrame, name: str) -> Chart:
    x, good, bad = values(daily["date"]), values(daily["good_ratings"]), values(daily["bad_ratings"])
    has = daily.height and (daily["good_ratings"].sum() + daily["bad_ratings"].sum())  # sums leave nulls out

    def build(lang):
        fig = {
            "data": [
                {"type": "bar", "name": Bi("好评（3–5星）", "Good (3–5 stars)").pick(lang), "x": x,
                 "y": good, "marker": {"color": theme.GREEN}},
                {"type": "bar", "name": Bi("差评（1–2星）", "Bad (1–2 stars)").pick(lang), "x": x,
                 "y": bad, "marker": {"color": theme.RED}},
            ],
            "layout": layout(
                lang,
                Bi(f"{name} 每日好差评", f"{name}: ratings per day"),
                Bi("评价日期", "Date rated"),
                Bi("评价数（条）", "Ratings (count)"),
                xaxis=date_axis(lang, daily["date"]),
                barmode="stack",
                hovermode="x unified",
            ),
        }
        return fig if has else no_data(fig, lang)

    return Chart(build, height=400)


def _deductions_chart(by_kind: pl.DataFrame | None, name: str) -> Chart:
    if by_kind is None:
        by_kind = pl.DataFrame(schema={"kind": pl.String, "points": pl.Float64, "n": pl.UInt32})

    def build(lang):
        fig = {
            "data": [
                {"type": "bar", "orientation": "h", "name": Bi("扣分", "Points").pick(lang),
                 "y": ["、".join(code("deduction", x).pick(lang) for x in k.split("+")) if lang == "zh"
                       else " + ".join(code("deduction", x).pick(lang) for x in k.split("+")) for k in by_kind["kind"]], "x": values(by_kind["points"]),
                 "marker": {"color": theme.RED}, "width": 0.55, "text": [fmt_num(v, 1) for v in by_kind["points"]],
                 "textposition": "outside", "cliponaxis": False, "textfont": {"size": 15},
                 "hovertemplate": "%{y}: %{x:.1f}<extra></extra>"},
            ],
            "layout": layout(
                lang,
                Bi(f"{name} 本月扣分（按事由）", f"{name}: points off this month by reason"),
                Bi("扣分（分）", "Points off"),
                Bi("事由", "Reason"),
                yaxis={"autorange": "reversed", "type": "category"},
                xaxis={"rangemode": "tozero"},
                margin={"l": 160, "r": 50},
                showlegend=False,
            ),
        }
        return fig if by_kind.height else no_data(fig, lang, Bi("本月没有扣分", "No points off this month"))

    return Chart(build, height=400)


