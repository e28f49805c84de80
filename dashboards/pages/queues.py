"""Queues (queues.html), over the last four weeks: waiting time by weekday x
hour, the busiest hours, the wait distribution per service category and the
no-show rate."""

from __future__ import annotations

import polars as pl

from dashboards import theme
from dashboards.charts import Chart, layout, no_data, pct_values, percent_axis, values
from dashboards.context import SiteContext
from dashboards.html import Col, Kpi, Page
from dashboards.labels import Bi, WEEKDAYS, fmt_date, fmt_hour, fmt_hour_range, fmt_int, fmt_minutes, fmt_pct, fmt_num


def build(ctx: SiteContext) -> list[Page]:
    data = ctx.data
    start, end = fmt_date(data.queue_start), fmt_date(ctx.as_of)
    period = Bi(f"近四周（{start.zh}至{end.zh}）", f"last four weeks ({start.en} to {end.en})")
    page = ctx.new_page("queues.html", "queues", Bi("排队等候", "Queues and waits"), Bi("统计区间：", "Period: ") + period)
    t = data.tickets
    if t is None or t.height == 0:
        page.empty(Bi("暂无数据：统计区间内没有排队叫号记录。", "No data: no queue tickets in this period."))
        return [page]

    waited = t.filter(pl.col("wait_minutes").is_not_null() & (pl.col("status") == "served"))
    open_days = t.select(pl.col("date").n_unique()).item()
    no_show = (t["status"] == "no_show").mean()
    share_within = data.within_target_share(data.queue_start)

    page.kpis(
        [
            Kpi(Bi("取号", "Tickets issued"), fmt_int(t.height),
                Bi(f"{open_days} 个办公日，日均 {fmt_num(t.height / open_days, 0)} 张",
                   f"{open_days} open days, {fmt_num(t.height / open_days, 0)} a day")),
            Kpi(Bi("平均等候", "Mean wait"), fmt_minutes(waited["wait_minutes"].mean()),
                Bi("中位数 ", "median ") + fmt_minutes(waited["wait_minutes"].median())),
            Kpi(ctx.wait_rate_label(), fmt_pct(share_within)),
            Kpi(Bi("过号率", "No-show rate"), fmt_pct(no_show),
                Bi(f"过号 {fmt_int((t['status'] == 'no_show').sum())} 张 · 取消 {fmt_int((t['status'] == 'cancelled').sum())} 张",
                   f"{fmt_int((t['status'] == 'no_show').sum())} no-shows · {fmt_int((t['status'] == 'cancelled').sum())} cancelled"),
                alert=bool(no_show and no_show > 0.1)),
        ]
    )

    page.h2(Bi("什么时候等得最久", "When people wait longest"))
    page.chart(_wait_heatmap(waited, period))
    page.h2(Bi("最繁忙时段", "Busiest hours"))
    page.open("grid2")
    page.chart(_busy_chart(t, open_days, period))
    page.chart(_arrivals_heatmap(t, period))
    page.close()
    busiest = (
        t.group_by("weekday", "hour").agg(pl.len().alias("n"), pl.col("date").n_unique().alias("days"))
        .join(t.group_by("weekday").agg(pl.col("date").n_unique().alias("wd_days")), on="weekday")
        .with_columns((pl.col("n") / pl.col("wd_days")).alias("per_day"))
        .join(waited.group_by("weekday", "hour").agg(pl.col("wait_minutes").mean().alias("mean_wait")), on=["weekday", "hour"], how="left")
        .sort(["per_day", "weekday", "hour"], descending=[True, False, False])  # ties in week order: the same table every rebuild
        .head(10)
    )
    page.table(
        [Col(Bi("星期", "Weekday")), Col(Bi("时段", "Hour")), Col(Bi("平均取号（张/天）", "Tickets per day"), True),
         Col(Bi("平均等候", "Mean wait"), True)],
        [[WEEKDAYS[r["weekday"] - 1], fmt_hour_range(r["hour"]), fmt_num(r["per_day"], 1), fmt_minutes(r["mean_wait"])]
         for r in busiest.iter_rows(named=True)],
    )

    page.h2(Bi("各业务类别的等候与过号", "Waits and no-shows per service category"))
    page.chart(_category_box(waited, period))
    page.chart(_no_show_chart(t, period))
    page.note(
        Bi(
            "等候时间 = 叫号时间 − 取号时间，只统计已办理且有叫号时间的票；过号率 = 过号票 ÷ 全部取号。"
            "取号时段按取号时间计。",
            "Wait = called − issued, over served tickets that were called; no-show rate = no-shows ÷ all tickets. "
            "Hours are those of issue.",
        )
    )
    return [page]


def _wait_heatmap(waited: pl.DataFrame, period: Bi) -> Chart:
    hours = sorted(waited["hour"].unique().to_list())
    agg = waited.group_by("weekday", "hour").agg(pl.col("wait_minutes").mean().alias("m"), pl.len().alias("n"))
    lookup = {(r["weekday"], r["hour"]): r["m"] for r in agg.iter_rows(named=True)}
    days = sorted(waited["weekday"].unique().to_list())
    z = [[lookup.get((d, h)) for h in hours] for d in days]
    text = [[("" if v is None else f"{v:.0f}") for v in row] for row in z]

    def build(lang):
        fig = {
            "data": [
                {"type": "heatmap", "x": [fmt_hour(h) for h in hours], "y": [WEEKDAYS[d - 1].pick(lang) for d in days],
                 "z": z, "text": text, "texttemplate": "%{text}", "textfont": {"size": 16},
                 "colorscale": theme.SEQ_WAIT, "zmin": 0, "xgap": 2, "ygap": 2,
                 "colorbar": {"title": {"text": Bi("平均等候（分钟）", "Mean wait (min)").pick(lang)}},
                 "hovertemplate": Bi("%{y} %{x}：平均等候 %{z:.1f} 分钟", "%{y} %{x}: mean wait %{z:.1f} min").pick(lang)
                 + "<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("平均等候时间（分钟），按星期 × 取号时段", "Mean wait (minutes) by weekday × hour of issue"),
                Bi("取号时段（时）", "Hour of issue"),
                Bi("星期", "Weekday"),
                subtitle=period,
                yaxis={"autorange": "reversed", "type": "category"},
                xaxis={"type": "category"},
            ),
        }
        return fig if waited.height else no_data(fig, lang)

    return Chart(build, height=max(360, 60 * len(days) + 160))


def _busy_chart(t: pl.DataFrame, open_days: int, period: Bi) -> Chart:
    agg = t.group_by("hour").agg(pl.len().alias("n")).sort("hour")
    per_day = [n / open_days for n in agg["n"]]

    def build(lang):
        return {
            "data": [
                {"type": "bar", "x": [fmt_hour(h) for h in agg["hour"]], "y": per_day, "marker": {"color": theme.BLUE},
                 "name": Bi("取号", "Tickets").pick(lang), "text": [f"{v:.0f}" for v in per_day], "textposition": "outside",
                 "hovertemplate": Bi("%{x}：日均 %{y:.1f} 张", "%{x}: %{y:.1f} a day").pick(lang) + "<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("各时段日均取号量", "Tickets issued per open day, by hour"),
                Bi("取号时段（时）", "Hour of issue"),
                Bi("取号（张/天）", "Tickets (per day)"),
                subtitle=period,
                xaxis={"type": "category"},
                showlegend=False,
            ),
        }

    return Chart(build, height=420)


def _arrivals_heatmap(t: pl.DataFrame, period: Bi) -> Chart:
    days_per_wd = dict(t.group_by("weekday").agg(pl.col("date").n_unique()).iter_rows())
    agg = t.group_by("weekday", "hour").agg(pl.len().alias("n"))
    hours = sorted(t["hour"].unique().to_list())
    days = sorted(days_per_wd)
    lookup = {(r["weekday"], r["hour"]): r["n"] / days_per_wd[r["weekday"]] for r in agg.iter_rows(named=True)}
    z = [[lookup.get((d, h), 0) for h in hours] for d in days]
    text = [[f"{v:.0f}" for v in row] for row in z]

    def build(lang):
        return {
            "data": [
                {"type": "heatmap", "x": [fmt_hour(h) for h in hours], "y": [WEEKDAYS[d - 1].pick(lang) for d in days],
                 "z": z, "text": text, "texttemplate": "%{text}", "colorscale": theme.SEQ_BLUE, "zmin": 0, "xgap": 2, "ygap": 2,
                 "colorbar": {"title": {"text": Bi("取号（张/天）", "Tickets per day").pick(lang)}},
                 "hovertemplate": "%{y} %{x}: %{z:.1f}<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("日均取号量，按星期 × 时段", "Tickets per open day, weekday × hour"),
                Bi("取号时段（时）", "Hour of issue"),
                Bi("星期", "Weekday"),
                subtitle=period,
                yaxis={"autorange": "reversed", "type": "category"},
                xaxis={"type": "category"},
            ),
        }

    return Chart(build, height=420)


def _category_box(waited: pl.DataFrame, period: Bi) -> Chart:
    """Box per category from precomputed quantiles (whiskers at the 5th and
    95th percentiles), so the page carries 6 numbers per category, not every
    ticket."""
    q = (
        waited.group_by("service_category")
        .agg(
            pl.col("wait_minutes").quantile(0.05, "linear").alias("p05"),
            pl.col("wait_minutes").quantile(0.25, "linear").alias("q1"),
            pl.col("wait_minutes").median().alias("med"),
            pl.col("wait_minutes").quantile(0.75, "linear").alias("q3"),
            pl.col("wait_minutes").quantile(0.95, "linear").alias("p95"),
            pl.col("wait_minutes").mean().alias("mean"),
            pl.len().alias("n"),
        )
        .sort(["med", "service_category"], descending=[True, False])  # ties by name: the same chart every rebuild
    )
    cats = q["service_category"].to_list()

    def build(lang):
        uncategorised = {"未分类": Bi("未分类", "Uncategorised").pick(lang)}
        labels = [uncategorised.get(c, c) for c in cats]
        fig = {
            "data": [
                {"type": "box", "name": Bi("等候时间", "Wait").pick(lang), "x": labels,
                 "q1": values(q["q1"]), "median": values(q["med"]), "q3": values(q["q3"]),
                 "lowerfence": values(q["p05"]), "upperfence": values(q["p95"]), "mean": values(q["mean"]),
                 "marker": {"color": theme.BLUE}, "fillcolor": "rgba(31,95,191,0.35)", "line": {"width": 2},
                 "boxpoints": False, "boxmean": True}
            ],
            "layout": layout(
                lang,
                Bi("各业务类别等候时间分布", "Wait per service category"),
                Bi("业务类别（按中位等候从长到短）", "Service category (longest median first)"),
                Bi("等候时间（分钟）", "Wait (minutes)"),
                subtitle=Bi("箱体为四分位，须为第5–95百分位，虚线为平均；", "box: quartiles; whiskers: 5th–95th percentile; dashed: mean; ") + period,
                xaxis={"type": "category"},
                yaxis={"rangemode": "tozero"},
                showlegend=False,
            ),
        }
        return fig if cats else no_data(fig, lang)

    return Chart(build, height=460)


def _no_show_chart(t: pl.DataFrame, period: Bi) -> Chart:
    agg = (
        t.group_by("service_category")
        .agg((pl.col("status") == "no_show").mean().alias("rate"), pl.len().alias("n"))
        .sort(["rate", "service_category"], descending=[True, False])
    )

    def build(lang):
        uncategorised = {"未分类": Bi("未分类", "Uncategorised").pick(lang)}
        return {
            "data": [
                {"type": "bar", "x": [uncategorised.get(c, c) for c in agg["service_category"]], "y": pct_values(agg["rate"]),
                 "marker": {"color": theme.ORANGE}, "name": Bi("过号率", "No-show rate").pick(lang),
                 "text": [fmt_pct(v) for v in agg["rate"]], "textposition": "outside",
                 "customdata": values(agg["n"]),
                 "hovertemplate": Bi("%{x}：过号率 %{y:.1f}%（共 %{customdata} 张）", "%{x}: %{y:.1f}% of %{customdata} tickets").pick(lang)
                 + "<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("各业务类别过号率（过号票 ÷ 取号）", "No-show rate per service category (no-shows ÷ tickets)"),
                Bi("业务类别", "Service category"),
                Bi("过号率（%）", "No-show rate (%)"),
                subtitle=period,
                xaxis={"type": "category"},
                yaxis=percent_axis(),
                showlegend=False,
            ),
        }

    return Chart(build, height=420)
