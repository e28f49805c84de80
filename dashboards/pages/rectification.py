"""Rectification (rectification.html): open / overdue / escalated items by
department and by rule, their aging, and the items due this week."""

from __future__ import annotations

import polars as pl

from dashboards import theme
from dashboards.charts import Chart, layout, no_data
from dashboards.context import SiteContext, counts_by, full_list, item_count, item_table
from dashboards.html import Col, Kpi, Page, join, nobr
from dashboards.privacy import mask_text
from dashboards.labels import Bi, code, fmt_date, fmt_date_short, fmt_int, fmt_pct, reply_reason
from dashboards.rectification_data import AGING, LATE_STATUSES, LIST_ITEMS_SHOWN, UNRESOLVED, week_of_today

# A city ledger holds millions of items: the page lists the most urgent (due
# soonest, most overdue) and gives the totals; the full list is in the exports.
ITEMS_SHOWN = LIST_ITEMS_SHOWN


def build(ctx: SiteContext) -> list[Page]:
    page = ctx.new_page("rectification.html", "rectification", Bi("整改督办", "Rectification"))
    counts = ctx.data.rectification_counts
    if counts is None:
        page.empty(
            Bi(
                "暂无数据：数据仓库中还没有整改台账（rectification_items 表）。整改模块运行后这里会显示各部门的整改情况。",
                "No data yet: the warehouse has no rectification ledger (table rectification_items). "
                "It appears here once the rectification step has run.",
            )
        )
        return [page]
    status = pl.col("status")
    open_counts = counts.filter(status.is_in(UNRESOLVED))
    n = {s: item_count(counts, status == s) for s in UNRESOLVED}
    n_open = sum(n.values())
    n_resolved = item_count(counts, status == "resolved")
    on_time_rate = item_count(counts, (status == "resolved") & ~pl.col("resolved_late")) / n_resolved if n_resolved else None
    first_due, sunday = week_of_today(ctx.as_of)
    n_due = item_count(open_counts, pl.col("due_this_week"))
    shown = ctx.data.rectification_shown  # most urgent first
    due = shown.filter(status.is_in(UNRESOLVED) & pl.col("deadline").is_between(first_due, sunday)).sort("deadline", "item_id")
    page.kpis(
        [
            # every unfinished status, so the parts add up to the card's number
            Kpi(Bi("未完成", "Open"), fmt_int(n_open), join([nobr(code("rect_status", s) + f" {fmt_int(n[s])}") for s in OPEN_ORDER], " · ")),
            # escalated items are past the deadline too: this card holds the others
            Kpi(Bi("已超期", "Overdue"), fmt_int(n["overdue"]),
                Bi("过了整改期限，未满5个工作日", "past the deadline, under 5 working days"), alert=bool(n["overdue"])),
            Kpi(Bi("超期通报", "Escalated"), fmt_int(n["escalated"]), Bi("超过期限5个工作日以上", "over 5 working days late"),
                alert=bool(n["escalated"])),
            Kpi(Bi("本周到期", "Due this week"), fmt_int(n_due),
                Bi(f"{fmt_date_short(first_due).zh}–{fmt_date_short(sunday).zh}", f"{fmt_date_short(first_due).en} – {fmt_date_short(sunday).en}")),
            Kpi(Bi("已整改", "Fixed"), fmt_int(n_resolved), Bi(f"按期整改率 {fmt_pct(on_time_rate)}", f"{fmt_pct(on_time_rate)} on time")),
        ]
    )

    page.p(full_list(ctx.data.ledger_items))  # the files to send the departments, always in reach
    page.h2(Bi("未完成事项分布", "Where the open items are"))
    page.chart(_by_status_chart(ctx, open_counts, "dept_id", Bi("各部门未完成整改事项（按状态）", "Open items per department, by status"),
                                Bi("部门", "Department"), ctx.dept_name))
    page.chart(_by_status_chart(ctx, open_counts, "rule", Bi("各类问题未完成整改事项（按状态）", "Open items per rule, by status"),
                                Bi("问题类别", "Rule"), None))
    page.h2(Bi("挂账时长", "Aging"))
    page.chart(_aging_chart(open_counts))

    page.h2(
        Bi(f"本周到期（{fmt_date(first_due).zh}至{fmt_date(sunday).zh}）", f"Due this week ({fmt_date(first_due).en} to {fmt_date(sunday).en})"),
        anchor="due",
    )
    item_table(ctx, page, due, limit=ITEMS_SHOWN, total=n_due, empty=Bi("本周没有到期的事项。", "Nothing falls due this week."))
    n_late = item_count(counts, status.is_in(LATE_STATUSES))
    late = shown.filter(status.is_in(LATE_STATUSES))
    page.h2(Bi(f"超期未整改（{fmt_int(n_late)} 件）", f"Past the deadline ({fmt_int(n_late)})"), anchor="late")
    item_table(ctx, page, late, limit=ITEMS_SHOWN, total=n_late, empty=Bi("没有超期事项。", "No item is past its deadline."))
    _refused_replies(ctx, page)
    page.note(
        Bi(
            "状态按截止日判定：已整改 → 已整改；超过期限 5 个工作日 → 超期通报；过了期限 → 已超期；否则按部门最新回复"
            "（申诉中、整改中）或待整改。已撤销（触发条件在更正后的数据中不再成立）的事项不计入。情况说明中的个人信息已脱敏。",
            "Status as of the data date: resolved → fixed; more than 5 working days past the deadline → escalated; past "
            "the deadline → overdue; else the department's latest reply (disputed, in progress) or open. Withdrawn items "
            "(trigger gone in corrected data) are not counted. Personal data in descriptions is masked.",
        )
    )
    return [page]


REFUSED_COLUMNS = [
    Col(Bi("反馈文件", "Reply file")),
    Col(Bi("表头下第几行", "Row under the header"), numeric=True),  # as the summary and the lists count it
    Col(Bi("整改编号", "Item")),
    Col(Bi("填写的状态", "Status given")),
    Col(Bi("拒收原因", "Why refused"), wrap=True),
    Col(Bi("后续", "Follow-up")),
]


def _refused_replies(ctx: SiteContext, page: Page) -> None:
    """Every reply the ledger refused, and what has become of it: the ones a
    department still has to correct, or the office to take up, first."""
    refused = ctx.data.refused_replies
    if refused is None:
        return
    n, waiting = refused.height, refused.filter(pl.col("follow_up") == "waiting").height
    page.h2(
        Bi(f"被拒收的部门反馈（{n} 条，其中待部门改正 {waiting} 条）", f"Refused replies ({n}, {waiting} waiting)"),
        anchor="refused",
    )
    rows = [
        [r["source_file"] or "", fmt_int(r["source_row"]), r["item_id"] or "", r["status"] or "",
         reply_reason(r["reason_code"], mask_text(r["reason"])), code("refusal_follow_up", r["follow_up"])]
        for r in refused.iter_rows(named=True)
    ]
    page.table(
        REFUSED_COLUMNS,
        rows,
        empty=Bi("没有被拒收的反馈。", "No reply was refused."),
        limit=100,
    )


STATUS_ORDER = ["escalated", "overdue", "disputed", "in_progress", "open"]
OPEN_ORDER = STATUS_ORDER[::-1]  # the card's breakdown: as an item goes, from found to escalated


def _by_status_chart(ctx, open_counts: pl.DataFrame, key: str, title: Bi, axis: Bi, namer) -> Chart:
    """``open_counts``: the rows of ``SiteData.rectification_counts`` of open items."""
    counts = counts_by(open_counts, [key, "status"])
    totals = counts_by(open_counts, [key]).sort(["len", key], descending=[True, False])
    keys = totals[key].to_list()
    lookup = {(r[key], r["status"]): r["len"] for r in counts.iter_rows(named=True)}

    def build(lang):
        labels = [(namer(k) if namer else code("rule", k).pick(lang)) if k is not None else "—" for k in keys]
        traces = [
            {"type": "bar", "orientation": "h", "name": code("rect_status", s).pick(lang), "y": labels,
             "x": [lookup.get((k, s), 0) for k in keys], "marker": {"color": theme.STATUS_COLORS[s]},
             "hovertemplate": "%{y}: %{x}<extra>" + code("rect_status", s).pick(lang) + "</extra>"}
            for s in STATUS_ORDER
        ]
        fig = {
            "data": traces,
            "layout": layout(
                lang, title, Bi("事项数（件）", "Items (count)"), axis, barmode="stack",
                yaxis={"autorange": "reversed", "type": "category"}, margin={"l": 190, "t": 110},
            ),
        }
        return fig if keys else no_data(fig, lang, Bi("没有未完成的整改事项", "No open items"))

    return Chart(build, height=max(360, 34 * len(keys) + 170))


def _aging_chart(open_counts: pl.DataFrame) -> Chart:
    per_bucket = counts_by(open_counts, ["aging", "status"])
    counts = {(b, s): n for b, s, n in per_bucket.select("aging", "status", "len").iter_rows()}

    def build(lang):
        labels = [b.pick(lang) for _, _, b in AGING]
        traces = [
            {"type": "bar", "name": code("rect_status", s).pick(lang), "x": labels,
             "y": [counts.get((i, s), 0) for i in range(len(AGING))], "marker": {"color": theme.STATUS_COLORS[s]}}
            for s in STATUS_ORDER
        ]
        fig = {
            "data": traces,
            "layout": layout(
                lang,
                Bi("未完成事项挂账时长（自发现日起的自然日，按状态）", "Open items by days since found (calendar days, by status)"),
                Bi("挂账时长（天）", "Days since found"),
                Bi("事项数（件）", "Items (count)"),
                barmode="stack",
                xaxis={"type": "category"},
            ),
        }
        return fig if open_counts.height else no_data(fig, lang, Bi("没有未完成的整改事项", "No open items"))

    return Chart(build, height=420)


