"""Staffing advice (staffing.html, 科学设置窗口): recommended against actual
windows by hour, the expected wait, the recurring peaks, and the no-show rate
beside the advice, with an honest note on where the M/M/c model fits poorly.
Reads staffing_advice and staffing_peaks; says so when they are absent."""

from __future__ import annotations

import polars as pl

from dashboards import theme
from dashboards.charts import Chart, layout, no_data, pct_values, percent_axis
from dashboards.context import SiteContext, absent_note
from dashboards.html import Col, Html, Kpi, Page, Text, t
from dashboards.labels import Bi, WEEKDAYS, fmt_date_range, fmt_hour, fmt_hour_range, fmt_int, fmt_minutes, fmt_num, fmt_pct, fmt_setting


MODEL_NOTE = Bi(
    "怎么读这些建议：建议窗口数由排队论 M/M/c（Erlang C）模型算出——按每个时段的到达量和平均办理时长，求让目标比例的群众"
    "在目标时长内被叫号所需的最少窗口数。模型假设到达随机而均匀、办理时长呈指数分布、没有人中途离开、窗口之间可以互相替代。"
    "以下情况模型会失准，请结合实际判断：① 过号多（过号票不占窗口时间，已从到达量中扣除，但过号率高的时段实际到达更难预测）；"
    "② 群众等不及离开（已取消的票仍计入到达，模型不模拟中途放弃，等候长的时段会低估真实需求）；"
    "③ 办理时长很长或差异很大（如不动产、企业开办等复杂事项，时长分布远非指数分布，模型往往低估等候）；"
    "④ 专业窗口只能办本类业务、综合窗口可以办多类，按类别分别计算时“实际窗口数”会重复计算同一个综合窗口；"
    "⑤ 样本少的时段（少于几周）波动大。建议把它当作排班讨论的起点，而不是定论。",
    "How to read this advice: the recommended number of windows comes from the M/M/c (Erlang C) queueing model — per "
    "time slot, from the arrivals and the mean handling time, the fewest windows that call the target share of people "
    "within the target wait. The model assumes random, even arrivals, exponential handling times, nobody leaving the "
    "queue and interchangeable windows. It fits poorly where: (1) many tickets are no-shows (they take no window time and "
    "are left out of the load, but make arrivals harder to predict); (2) people give up waiting (cancelled tickets stay "
    "in the load, abandonment is not modelled, so long-wait slots understate real demand); (3) handling times are very "
    "long or very variable (complex matters such as property registration: far from exponential, the model tends to "
    "underestimate waits); (4) specialist windows serve one category while comprehensive windows serve several, so "
    "per-category 'actual windows' count a comprehensive window more than once; (5) slots seen in only a few weeks are "
    "noisy. Treat it as a starting point for the rota discussion, not a verdict.",
)

UNDER_STAFFED_NOTE = Bi(
    "窗口不足：叫过号的窗口少于建议数，且实测没有达到等候目标（取号后取消的票算没按时叫到）；或者不论模型怎么算，"
    "实测按时叫号的比例低于目标（至少 20 张票）。开着但没人可叫的窗口数不到，所以人少的时段“实际窗口”常常不到 1 个，"
    "这时群众都按时叫到就不算不足。调休上班的周六这类不是每周都开的日子不出建议。",
    "Under-staffed: fewer windows called than recommended and the measured waits missed the target (a cancelled ticket "
    "counts as not called in time); or, whatever the model says, the share called in time was below the target over at "
    "least 20 tickets. An open window with nobody to call is not seen, so a quiet slot often shows under one 'actual' "
    "window; it is not under-staffed when people were called in time. Days a hall does not open every week, such as a "
    "make-up working Saturday, get no advice.",
)


def weeks_text(ctx: SiteContext) -> Bi | None:
    """'2026年10月12日至12月6日，共8周': the complete weeks the advice was
    made from (the queues page looks at four weeks, so its rates differ);
    None when the warehouse does not say."""
    weeks = ctx.data.staffing_weeks
    if weeks is None:
        return None
    n = ((weeks[1] - weeks[0]).days + 1) // 7
    days = fmt_date_range(*weeks)
    return Bi(f"{days.zh}，共{n}周", f"{days.en}, {n} weeks")


def target_text(ctx: SiteContext) -> Bi:
    """'（目标：80%的群众20分钟内叫号）': what the advice aims at (the
    method's staffing target), or nothing when the warehouse does not say."""
    target = ctx.data.staffing_target
    if target is None:
        return Bi("", "")
    share, minutes = fmt_pct(target[0], 0), fmt_setting(target[1])
    return Bi(f"（目标：{share}的群众{minutes}分钟内叫号）", f" (target: {share} of people called within {minutes} min)")


def build(ctx: SiteContext) -> list[Page]:
    weeks = weeks_text(ctx)
    period = Bi("统计区间：", "Period: ") + weeks + Bi(" · ", " · ") if weeks else Bi("", "")
    page = ctx.new_page(
        "staffing.html",
        "staffing",
        Bi("科学设置窗口", "Staffing advice"),
        Bi("按排队数据测算各时段需要开放的窗口数", "How many windows each hour needs, from the queue data")
        + target_text(ctx) + Bi(" · ", " · ") + period + ctx.as_of_text(),
    )
    def over_the_weeks(note: Bi) -> Text:
        """A card's note under the weeks its rate or mean is over."""
        return note if weeks is None else Html(f"{t(weeks)}<br>{t(note)}")

    advice = ctx.data.staffing_advice
    if advice is None:
        page.empty(absent_note("staffing_advice", Bi("窗口配置建议", "the staffing advice")))
        page.note(MODEL_NOTE)
        return [page]
    advice = advice.with_columns(pl.col("tickets").cast(pl.Float64))
    if advice.height == 0:
        page.empty(Bi("暂无数据：staffing_advice 表为空（没有排队叫号记录）。", "No data: staffing_advice is empty (no queue tickets)."))
        page.note(MODEL_NOTE)
        return [page]

    total_tickets = advice["tickets"].sum()
    no_show = (advice["no_show_rate"].fill_null(0) * advice["tickets"]).sum() / total_tickets if total_tickets else None
    n_under = advice.filter(pl.col("status") == "under_staffed").height
    n_over = advice.filter(pl.col("status") == "over_staffed").height
    n_unreach = advice.filter(pl.col("target_reachable") == False).height  # noqa: E712
    handling = (advice["handling_seconds"].fill_null(0) * advice["tickets"]).sum() / advice.filter(
        pl.col("handling_seconds").is_not_null()
    )["tickets"].sum() if advice.filter(pl.col("handling_seconds").is_not_null()).height else None
    page.kpis(
        [
            Kpi(Bi("窗口不足的时段", "Under-staffed slots"), fmt_int(n_under),
                Bi(f"共 {advice.height} 个（类别×星期×时段）", f"of {advice.height} (category × weekday × hour)"),
                alert=bool(n_under)),
            Kpi(Bi("窗口富余的时段", "Over-staffed slots"), fmt_int(n_over), Bi("实际比建议多 2 个以上", "2 or more above the advice")),
            Kpi(Bi("过号率", "No-show rate"), fmt_pct(no_show),
                over_the_weeks(Bi("过号不占窗口，已从负荷中扣除", "no-shows are left out of the load")),
                alert=bool(no_show and no_show > 0.1)),
            Kpi(Bi("平均办理时长", "Mean handling time"), fmt_minutes(None if handling is None else handling / 60),
                over_the_weeks(Bi("按取号量加权", "weighted by tickets"))),
            Kpi(Bi("目标无法达到的时段", "Slots where the target is out of reach"), fmt_int(n_unreach),
                alert=bool(n_unreach)),
        ]
    )

    # at a city the tables hold several halls' slots: each row says its hall
    several_halls = advice["hall_id"].n_unique() > 1
    hall_col = [Col(Bi("大厅", "Hall"))] if several_halls else []

    def hall_cell(r) -> list:
        return [ctx.hall_name(r["hall_id"])] if several_halls else []

    by_hour = _hall_by_weekday_hour(advice)
    page.h2(Bi("建议窗口数与实际开窗数", "Recommended against actual windows"))
    page.open("grid2")
    page.chart(_by_hour_chart(by_hour, several_halls))
    page.chart(_no_show_chart(advice))
    page.close()
    page.chart(_gap_heatmap(by_hour, several_halls))
    page.chart(_wait_chart(advice))

    page.h2(Bi("窗口不足的时段", "Under-staffed slots"))
    page.note(UNDER_STAFFED_NOTE)
    under = (
        advice.filter(pl.col("status") == "under_staffed")
        .with_columns((pl.col("recommended_windows") - pl.col("actual_windows")).alias("gap"))
        .sort(["gap", "arrivals_per_hour"], descending=True)
    )
    page.table(
        [
            *hall_col,
            Col(Bi("业务类别", "Category")), Col(Bi("星期", "Weekday")), Col(Bi("时段", "Hour")),
            Col(Bi("到达（张/时）", "Arrivals / h"), True), Col(Bi("过号率", "No-shows"), True),
            Col(Bi("办理时长", "Handling"), True), Col(Bi("实际窗口", "Actual"), True), Col(Bi("建议窗口", "Advised"), True),
            Col(Bi("实际平均等候", "Observed wait"), True), Col(Bi("按建议预计等候", "Expected wait if advised"), True),
        ],
        [
            [
                *hall_cell(r),
                r["service_category"], WEEKDAYS[r["weekday"] - 1], fmt_hour_range(r["hour"]),
                fmt_num(r["arrivals_per_hour"], 1), fmt_pct(r["no_show_rate"]),
                fmt_minutes(None if r["handling_seconds"] is None else r["handling_seconds"] / 60),
                fmt_num(r["actual_windows"], 1), fmt_int(r["recommended_windows"]),
                fmt_minutes(None if r["observed_wait_seconds"] is None else r["observed_wait_seconds"] / 60),
                fmt_minutes(None if r["expected_wait_seconds"] is None else r["expected_wait_seconds"] / 60),
            ]
            for r in under.iter_rows(named=True)
        ],
        empty=Bi("没有窗口不足的时段。", "No slot is under-staffed."),
        limit=30,
    )

    page.h2(Bi("反复出现的高峰（建议开设临时窗口）", "Recurring peaks (where a temporary window pays)"))
    peaks = ctx.data.staffing_peaks
    if peaks is None:
        page.empty(absent_note("staffing_peaks", Bi("高峰时段分析", "the recurring-peak analysis")))
    else:
        peaks = peaks.sort(["share_under_staffed", "arrivals_per_hour"], descending=True)
        page.table(
            [
                *hall_col,
                Col(Bi("业务类别", "Category")), Col(Bi("星期", "Weekday")), Col(Bi("时段", "Hour")),
                Col(Bi("窗口不足的周数", "Weeks under-staffed"), True), Col(Bi("占比", "Share"), True),
                Col(Bi("到达（张/时）", "Arrivals / h"), True), Col(Bi("实际窗口", "Actual"), True),
                Col(Bi("建议窗口", "Advised"), True), Col(Bi("建议临时窗口", "Temporary windows"), True),
            ],
            [
                [
                    *hall_cell(r),
                    r["service_category"], WEEKDAYS[r["weekday"] - 1], fmt_hour_range(r["hour"]),
                    Bi(f"{r['weeks_under_staffed']} / {r['weeks_observed']} 周", f"{r['weeks_under_staffed']} of {r['weeks_observed']}"),
                    fmt_pct(r["share_under_staffed"], 0), fmt_num(r["arrivals_per_hour"], 1), fmt_num(r["actual_windows"], 1),
                    fmt_int(r["recommended_windows"]), fmt_int(r["temporary_windows"]),
                ]
                for r in peaks.iter_rows(named=True)
            ],
            empty=Bi("没有反复出现的窗口不足时段。", "No recurring under-staffed slot."),
            limit=30,
        )
    page.h2(Bi("模型的适用范围", "Where the model fits and where it does not"))
    page.note(MODEL_NOTE)
    return [page]


def _hall_by_weekday_hour(advice: pl.DataFrame) -> pl.DataFrame:
    """Sum over halls and categories per (weekday, hour); waits weighted by tickets."""
    return (
        advice.group_by("weekday", "hour")
        .agg(
            pl.col("recommended_windows").sum().alias("recommended"),
            pl.col("actual_windows").sum().alias("actual"),
            pl.col("arrivals_per_hour").sum().alias("arrivals"),
            pl.col("tickets").sum().alias("tickets"),
        )
        .sort("weekday", "hour")
    )


def _summed(several_halls: bool) -> Bi:
    """What the windows charts add up: at a city, every hall's too."""
    if several_halls:
        return Bi("各大厅、各业务类别合计", "all halls and categories summed")
    return Bi("各业务类别合计", "all categories summed")


def _by_hour_chart(by_wh: pl.DataFrame, several_halls: bool) -> Chart:
    h = by_wh.group_by("hour").agg(pl.col("recommended", "actual").mean()).sort("hour")

    def build(lang):
        fig = {
            "data": [
                {"type": "bar", "name": Bi("实际开窗（平均）", "Actual (mean)").pick(lang), "x": [fmt_hour(x) for x in h["hour"]],
                 "y": h["actual"].to_list(), "marker": {"color": "#9ecae1"}, "hovertemplate": "%{y:.1f}"},
                {"type": "scatter", "mode": "lines+markers", "name": Bi("建议窗口数", "Recommended").pick(lang),
                 "x": [fmt_hour(x) for x in h["hour"]], "y": h["recommended"].to_list(), "line": {"color": theme.RED},
                 "marker": {"size": 10}, "hovertemplate": "%{y:.1f}"},
            ],
            "layout": layout(
                lang,
                Bi("各时段建议与实际窗口数", "Recommended vs actual windows by hour"),
                Bi("取号时段（时）", "Hour"),
                Bi("窗口数（个）", "Windows (count)"),
                subtitle=Bi(f"各星期平均，{_summed(several_halls).zh}", f"mean over weekdays, {_summed(several_halls).en}"),
                xaxis={"type": "category"},
                yaxis={"rangemode": "tozero"},
                hovermode="x unified",
            ),
        }
        return fig if h.height else no_data(fig, lang)

    return Chart(build, height=440)


def _no_show_chart(advice: pl.DataFrame) -> Chart:
    cat = (
        advice.group_by("service_category")
        .agg(((pl.col("no_show_rate").fill_null(0) * pl.col("tickets")).sum() / pl.col("tickets").sum()).alias("rate"))
        .sort(["rate", "service_category"], descending=[True, False])
    )

    def build(lang):
        return {
            "data": [
                {"type": "bar", "x": cat["service_category"].to_list(), "y": pct_values(cat["rate"]),
                 "marker": {"color": theme.ORANGE}, "text": [fmt_pct(v) for v in cat["rate"]], "textposition": "outside",
                 "name": Bi("过号率", "No-show rate").pick(lang), "hovertemplate": "%{x}: %{y:.1f}%<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("各业务类别过号率", "No-show rate per category"),
                Bi("业务类别", "Service category"),
                Bi("过号率（%）", "No-show rate (%)"),
                subtitle=Bi("与建议对照看：过号多的类别，模型更不准", "read beside the advice: the model is less reliable where it is high"),
                xaxis={"type": "category"},
                yaxis=percent_axis(),
                showlegend=False,
            ),
        }

    return Chart(build, height=440)


def _gap_heatmap(by_wh: pl.DataFrame, several_halls: bool) -> Chart:
    days = sorted(by_wh["weekday"].unique().to_list())
    hours = sorted(by_wh["hour"].unique().to_list())
    lookup = {(r["weekday"], r["hour"]): (r["recommended"] or 0) - (r["actual"] or 0) for r in by_wh.iter_rows(named=True)}
    z = [[lookup.get((d, hh)) for hh in hours] for d in days]
    top = max([abs(v) for row in z for v in row if v is not None] or [1])
    text = [["" if v is None else f"{v:+.1f}" for v in row] for row in z]

    def build(lang):
        return {
            "data": [
                {"type": "heatmap", "x": [fmt_hour(x) for x in hours], "y": [WEEKDAYS[d - 1].pick(lang) for d in days], "z": z,
                 "text": text, "texttemplate": "%{text}", "colorscale": theme.DIVERGING_GAP, "zmin": -top, "zmax": top, "zmid": 0,
                 "xgap": 2, "ygap": 2,
                 "colorbar": {"title": {"text": Bi("建议 − 实际（个）", "Advised − actual").pick(lang)}},
                 "hovertemplate": "%{y} %{x}: %{z:+.1f}<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("窗口缺口：建议窗口数 − 实际开窗数", "Window gap: advised − actual windows"),
                Bi("取号时段（时）", "Hour"),
                Bi("星期", "Weekday"),
                subtitle=Bi(f"红色为不足，蓝色为富余；{_summed(several_halls).zh}", f"red = short, blue = spare; {_summed(several_halls).en}"),
                xaxis={"type": "category"},
                yaxis={"autorange": "reversed", "type": "category"},
            ),
        }

    return Chart(build, height=max(360, 60 * len(days) + 160))


def _wait_chart(advice: pl.DataFrame) -> Chart:
    w = (
        advice.group_by("hour")
        .agg(
            ((pl.col("observed_wait_seconds") * pl.col("tickets")).sum() / pl.col("tickets").filter(pl.col("observed_wait_seconds").is_not_null()).sum() / 60).alias("observed"),
            ((pl.col("expected_wait_seconds") * pl.col("tickets")).sum() / pl.col("tickets").filter(pl.col("expected_wait_seconds").is_not_null()).sum() / 60).alias("expected"),
        )
        .sort("hour")
    )

    def build(lang):
        x = [fmt_hour(v) for v in w["hour"]]
        return {
            "data": [
                {"type": "scatter", "mode": "lines+markers", "name": Bi("实际平均等候", "Observed mean wait").pick(lang), "x": x,
                 "y": w["observed"].to_list(), "line": {"color": theme.ORANGE}, "hovertemplate": "%{y:.1f}"},
                {"type": "scatter", "mode": "lines+markers", "name": Bi("按建议开窗的预计等候（模型）", "Expected wait with the advised windows (model)").pick(lang),
                 "x": x, "y": w["expected"].to_list(), "line": {"color": theme.BLUE, "dash": "dash"}, "hovertemplate": "%{y:.1f}"},
            ],
            "layout": layout(
                lang,
                Bi("各时段平均等候：实际与模型预计", "Mean wait by hour: observed vs model"),
                Bi("取号时段（时）", "Hour"),
                Bi("平均等候（分钟）", "Mean wait (minutes)"),
                subtitle=Bi("模型预计为按建议窗口数开窗后的等候；按取号量加权", "model = expected wait with the advised windows; ticket-weighted"),
                xaxis={"type": "category"},
                yaxis={"rangemode": "tozero"},
                hovermode="x unified",
            ),
        }

    return Chart(build, height=420)


