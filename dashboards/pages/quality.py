"""Data quality (quality.html): per source and day, rows loaded / quarantined
/ duplicates removed; rejected files with their reasons; quarantine reasons;
the latest Great Expectations results per source, with a link to the Data
Docs."""

from __future__ import annotations

import json
import posixpath
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from assets.ingest.contract import UPDATES_SOURCE
from assets.rectification.department_lists import dept_of_list_name
from checks.gx_suites import run_days
from dashboards import theme
from dashboards.charts import Chart, calendar_days, date_axis, layout, no_data, values
from dashboards.context import SiteContext
from dashboards.html import Col, Html, Kpi, Page, bi_markup, esc, join, link, t, tag
from dashboards.labels import Bi, code, fmt_date, fmt_date_range, fmt_datetime, fmt_int, reply_reason, same
from dashboards.privacy import mask_text
from pipelines.clock import SHANGHAI

SOURCES = ["cases", "queue", "ratings", "callbacks", "attendance", "leave", "monitoring"]
SOURCE_COLORS = dict(zip(SOURCES, [theme.BLUE, theme.ORANGE, theme.GREEN, theme.PURPLE, theme.TEAL, theme.GOLD, theme.RED]))
DAYS = 90


def build(ctx: SiteContext) -> list[Page]:
    page = ctx.new_page("quality.html", "quality", Bi("数据质量", "Data quality"))
    fq = ctx.data.file_quality
    if fq is None:
        page.empty(Bi("暂无数据：还没有文件读取记录（file_quality）。", "No data: no file accounting yet (file_quality)."))
        _gx_section(ctx, page)
        return [page]
    daily = fq.filter(pl.col("partition_date").is_not_null() & (pl.col("source") != "reference"))
    recent = daily.filter(pl.col("partition_date") >= ctx.as_of - timedelta(days=DAYS - 1))
    rejected = fq.filter(pl.col("status") == "rejected")
    tot = fq.select(pl.col("rows_read", "rows_loaded", "rows_quarantined", "duplicates_removed").sum()).row(0, named=True)
    page.kpis(
        [
            Kpi(Bi("文件", "Files"), fmt_int(fq.height),
                Bi(f"入库 {fmt_int(fq.height - rejected.height)} · 拒收 {fmt_int(rejected.height)}",
                   f"{fmt_int(fq.height - rejected.height)} loaded · {fmt_int(rejected.height)} rejected"),
                alert=bool(rejected.height)),
            Kpi(Bi("读取行数", "Rows read"), fmt_int(tot["rows_read"])),
            Kpi(Bi("入库行数", "Rows loaded"), fmt_int(tot["rows_loaded"])),
            Kpi(Bi("隔离行数", "Rows quarantined"), fmt_int(tot["rows_quarantined"]),
                Bi("改正源文件后重新放入收件箱即可", "fix the source file and drop it in the inbox again"),
                alert=bool(tot["rows_quarantined"])),
            Kpi(Bi("重复行（已去除）", "Exact duplicates removed"), fmt_int(tot["duplicates_removed"])),
        ]
    )
    page.note(
        bi_markup(
            ["每个文件都满足：读取行数 = 入库 + 隔离 + 重复去除。没有任何一行被悄悄丢掉。被隔离的行（文件、表头下第几行、原因）见本页“",
             link("#quarantine", "隔离原因"), "”一节。"],
            ["For every file: rows read = loaded + quarantined + duplicates removed; nothing is dropped silently. "
             "The quarantined rows (file, row under the header, reason) are under “", link("#quarantine", "Why rows were quarantined"), "” below."],
        )
    )

    page.h2(Bi("每日各来源读取情况（近90天）", "Per source and day (last 90 days)"))
    page.chart(_loaded_heatmap(recent))
    page.open("grid2")
    page.chart(_per_day_bars(recent, "rows_quarantined", Bi("每日隔离行数（按来源）", "Rows quarantined per day, by source"),
                             Bi("隔离行数（行）", "Rows quarantined")))
    page.chart(_per_day_bars(recent, "duplicates_removed", Bi("每日重复行数（按来源，已去除）", "Exact duplicates removed per day, by source"),
                             Bi("重复行数（行）", "Duplicate rows")))
    page.close()
    summary = (
        fq.group_by("source")
        .agg(
            pl.len().alias("files"),
            (pl.col("status") == "rejected").sum().alias("rejected"),
            pl.col("rows_read", "rows_loaded", "rows_quarantined", "duplicates_removed").sum(),
            pl.col("partition_date").max().alias("last_day"),
        )
        .sort("source")
    )
    page.table(
        [Col(Bi("来源", "Source")), Col(Bi("文件", "Files"), True), Col(Bi("拒收", "Rejected"), True),
         Col(Bi("读取", "Read"), True), Col(Bi("入库", "Loaded"), True), Col(Bi("隔离", "Quarantined"), True),
         Col(Bi("重复", "Duplicates"), True), Col(Bi("最近数据日期", "Latest day"))],
        [
            [code("source", r["source"]), fmt_int(r["files"]), fmt_int(r["rejected"]), fmt_int(r["rows_read"]),
             fmt_int(r["rows_loaded"]), fmt_int(r["rows_quarantined"]), fmt_int(r["duplicates_removed"]), fmt_date(r["last_day"])]
            for r in summary.iter_rows(named=True)
        ],
    )

    page.h2(Bi("拒收的文件", "Rejected files"))
    dept_ids = ctx.data.departments["dept_id"].to_list()
    page.table(
        [Col(Bi("来源", "Source")), Col(Bi("文件", "File")), Col(Bi("数据日期", "Day")), Col(Bi("原因", "Reason"), wrap=True)],
        [
            [code("source", r["source"]), mask_text(r["file"]), fmt_date(r["partition_date"]),
             join([mask_text(r["message"]) or "—", _sent_back(r["source"], r["file"], dept_ids)])]
            for r in rejected.sort("partition_date", descending=True, nulls_last=True).iter_rows(named=True)
        ],
        empty=Bi("没有拒收的文件。", "No file was rejected."),
        limit=100,
    )

    page.h2(Bi("隔离原因", "Why rows were quarantined"), anchor="quarantine")
    q = ctx.data.quarantine
    if q is None or q.height == 0:
        page.empty(Bi("没有被隔离的行。", "No row was quarantined."))
    else:
        page.chart(_reasons_chart(q))
        page.h3(Bi("最近被隔离的行（原始值含个人信息，不在此显示）", "Latest quarantined rows (raw values hold personal data and are not shown)"))
        page.table(
            [Col(Bi("数据日期", "Day")), Col(Bi("来源", "Source")), Col(Bi("文件", "File")), Col(Bi("表头下第几行", "Row under the header"), True),
             Col(Bi("原因", "Reason")), Col(Bi("说明", "Detail"), wrap=True)],
            [
                [fmt_date(r["partition_date"]), code("source", r["source"]), mask_text(r["file"]), fmt_int(r["row"]),
                 code("quarantine_reason", r["reason"]), _detail(r["source"], r["reason"], mask_text(r["detail"]))]
                for r in q.head(50).iter_rows(named=True)
            ],
        )
        if q.height > 50:
            # the run writes no file of them: the command is the administrator's
            page.note(Bi(f"共 {q.height:,} 行，仅显示最近 50 行。全部隔离行的清单请向系统管理员索取"
                         "（系统管理员可用命令 windowwatch export quarantine 导出）。",
                         f"{q.height:,} rows in all; the latest 50 shown. Ask the system administrator for the full list "
                         "(the command windowwatch export quarantine writes it)."))

    _gx_section(ctx, page)
    return [page]


def _detail(source: str, reason: str, detail: str | None) -> Bi | str:
    """A quarantined row's detail; a refused reply's is in both languages at
    once, so it is shown by its reason's words (labels.reply_reason)."""
    if source == UPDATES_SOURCE.name:
        return reply_reason(reason, detail)
    return detail or "—"


def _sent_back(source: str, file: str, dept_ids: list[str]) -> Html | None:
    """For a reply file named like a department's list, that it went back on
    the department's daily list (list_publish.rejected_reply_files)."""
    dept = dept_of_list_name(file, dept_ids) if source == UPDATES_SOURCE.name else None
    if dept is None:
        return None
    return tag(Bi(f"已退回部门 {dept}（每日整改清单“未受理的反馈”表）", f"sent back to {dept} on its daily list"), "muted")


def _loaded_heatmap(recent: pl.DataFrame) -> Chart:
    sources = [s for s in SOURCES if s in set(recent["source"].to_list())] + sorted(
        set(recent["source"].to_list()) - set(SOURCES)
    )
    dates = calendar_days(recent["partition_date"])  # days without any file too, as blank columns
    agg = recent.group_by("source", "partition_date").agg(pl.col("rows_loaded").sum())
    lookup = {(r["source"], r["partition_date"]): r["rows_loaded"] for r in agg.iter_rows(named=True)}
    z = [[lookup.get((s, d)) for d in dates] for s in sources]

    def build(lang):
        fig = {
            "data": [
                {"type": "heatmap", "x": values(dates), "y": [code("source", s).pick(lang) for s in sources], "z": z,
                 "colorscale": theme.SEQ_BLUE, "zmin": 0, "xgap": 1, "ygap": 2,
                 "colorbar": {"title": {"text": Bi("入库行数（行）", "Rows loaded").pick(lang)}},
                 "hovertemplate": Bi("%{y} %{x}：入库 %{z} 行", "%{y} %{x}: %{z} rows loaded").pick(lang) + "<extra></extra>"}
            ],
            "layout": layout(
                lang,
                Bi("每日入库行数（按来源；空白 = 当天没有文件）", "Rows loaded per day and source (blank = no file that day)"),
                Bi("数据日期（文件名中的日期）", "Day (the date in the file name)"),
                Bi("来源", "Source"),
                xaxis=date_axis(lang, dates),
                yaxis={"autorange": "reversed", "type": "category"},
                margin={"l": 130},
            ),
        }
        return fig if dates else no_data(fig, lang)

    return Chart(build, height=max(340, 46 * max(len(sources), 1) + 170))


def _per_day_bars(recent: pl.DataFrame, col: str, title: Bi, axis: Bi) -> Chart:
    agg = recent.group_by("source", "partition_date").agg(pl.col(col).sum()).filter(pl.col(col) > 0)
    sources = [s for s in SOURCES if s in set(agg["source"].to_list())] + sorted(set(agg["source"].to_list()) - set(SOURCES))

    def build(lang):
        traces = []
        for s in sources:
            part = agg.filter(pl.col("source") == s).sort("partition_date")
            traces.append(
                {"type": "bar", "name": code("source", s).pick(lang), "x": values(part["partition_date"]),
                 "y": values(part[col]), "marker": {"color": SOURCE_COLORS.get(s, theme.GREY)}}
            )
        fig = {
            "data": traces,
            "layout": layout(lang, title, Bi("数据日期", "Day"), axis, xaxis=date_axis(lang, agg["partition_date"]), barmode="stack",
                             yaxis={"rangemode": "tozero"},
                             legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}),
        }
        return fig if traces else no_data(fig, lang, Bi("近90天没有", "None in the last 90 days"))

    return Chart(build, height=400)


def _reasons_chart(q: pl.DataFrame) -> Chart:
    agg = q.group_by("reason", "source").len()
    reasons = (  # ties by name, so a rebuild draws the same chart
        agg.group_by("reason").agg(pl.col("len").sum()).sort(["len", "reason"], descending=[True, False])["reason"].to_list()
    )
    sources = [s for s in SOURCES + ["reference"] if s in set(agg["source"].to_list())] + sorted(
        set(agg["source"].to_list()) - set(SOURCES) - {"reference"}
    )
    lookup = {(r["reason"], r["source"]): r["len"] for r in agg.iter_rows(named=True)}

    def build(lang):
        labels = [code("quarantine_reason", r).pick(lang) for r in reasons]
        return {
            "data": [
                {"type": "bar", "orientation": "h", "name": code("source", s).pick(lang), "y": labels,
                 "x": [lookup.get((r, s), 0) for r in reasons], "marker": {"color": SOURCE_COLORS.get(s, theme.GREY)}}
                for s in sources
            ],
            "layout": layout(
                lang,
                Bi("隔离原因（按来源，全部数据）", "Quarantine reasons by source (all data)"),
                Bi("隔离行数（行）", "Rows quarantined"),
                Bi("原因", "Reason"),
                barmode="stack",
                yaxis={"autorange": "reversed", "type": "category"},
                margin={"l": 190, "t": 110},
            ),
        }

    return Chart(build, height=max(340, 40 * len(reasons) + 170))


# ---------------------------------------------------------------------------
# Great Expectations
# ---------------------------------------------------------------------------
# The expectations the suites use (checks/gx_suites.py), as GX names them
# in its results, in the office's words.
GX_EXPECTATIONS = {
    "expect_column_to_exist": Bi("必须有此列", "column must exist"),
    "expect_column_values_to_not_be_null": Bi("不得为空", "must not be empty"),
    "expect_column_values_to_be_in_set": Bi("须为规定的代码", "must be a known code"),
    "expect_column_values_to_be_between": Bi("数值须在规定范围内", "must be within range"),
    "expect_column_pair_values_a_to_be_greater_than_b": Bi("时间先后须合理", "times must be in order"),
}

def latest_gx_results(results_dir: Path | None) -> list[dict]:
    """The newest stored validation per source that covered some rows (a
    night without a new file validates an empty frame, which says nothing;
    the newest of all when none did), summarised (no unexpected values:
    they may hold personal data)."""
    if results_dir is None or not results_dir.is_dir():
        return []
    out = []
    for source_dir in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        files = list(source_dir.glob("*/*/*.json"))
        if not files:
            continue
        newest = max(files, key=lambda f: (run_days(f.parent.parent.name) is not None, f.parent.name, f.parent.parent.name))
        try:
            doc = json.loads(newest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        meta = doc.get("meta", {})
        run = meta.get("run_id", {}) or {}
        stats = doc.get("statistics", {}) or {}
        failures = []
        for res in doc.get("results", []):
            if res.get("success", True):
                continue
            cfg = res.get("expectation_config", {}) or {}
            kwargs = cfg.get("kwargs", {}) or {}
            column = kwargs.get("column") or kwargs.get("column_A") or ""
            if kwargs.get("column_B"):
                column = f"{column} ≥ {kwargs['column_B']}"
            blocking = (cfg.get("meta", {}) or {}).get("blocking", cfg.get("severity") == "critical")
            count = (res.get("result", {}) or {}).get("unexpected_count")
            failures.append({"type": cfg.get("type", ""), "column": column, "blocking": bool(blocking), "count": count})
        when = meta.get("validation_time") or run.get("run_time")
        try:
            when_dt = datetime.fromisoformat(str(when)) if when else None
        except ValueError:
            when_dt = None
        run_name = run.get("run_name") or newest.parent.parent.name
        page = results_dir.parent / "validations" / newest.relative_to(results_dir).with_suffix(".html")
        out.append(
            {
                "source": source_dir.name,
                "run_name": run_name,
                "days": run_days(run_name),
                "when": when_dt,
                "success": bool(doc.get("success", not failures)),
                "evaluated": stats.get("evaluated_expectations"),
                "successful": stats.get("successful_expectations"),
                "failures": failures,
                "page": page.relative_to(results_dir.parent).as_posix() if page.is_file() else None,
            }
        )
    return out


def failure_text(failure: dict) -> Html:
    """'staff_id 不得为空 ×3' with GX's name of the expectation after it, small."""
    words = GX_EXPECTATIONS.get(failure["type"], same(failure["type"]))
    count = f" ×{fmt_int(failure['count'])}" if failure["count"] else ""
    column = f"{failure['column']} " if failure["column"] else ""
    known = failure["type"] in GX_EXPECTATIONS
    gx_name = f' <span class="code">{esc(failure["type"])}</span>' if known else ""
    return Html(t(Bi(f"{column}{words.zh}{count}", f"{column}{words.en}{count}")) + gx_name)


def _gx_section(ctx: SiteContext, page: Page) -> None:
    page.h2(Bi("Great Expectations 校验结果", "Great Expectations results"), anchor="gx")
    if ctx.gx_docs_href:
        page.raw(f"<p>{link(ctx.gx_docs_href, Bi('打开 Data Docs 校验报告 →', 'Open the Data Docs report →'))}</p>")
    else:
        page.empty(Bi("Data Docs 校验报告尚未生成。", "No Data Docs report yet."))
    results = latest_gx_results(ctx.gx_results_dir)
    if not results:
        page.empty(Bi("暂无校验结果。", "No validation results yet."))
        return
    rows = []
    for r in results:
        fails = r["failures"]
        blocking = [f for f in fails if f["blocking"]]
        desc = join([failure_text(f) for f in fails[:4]] + (["…"] if len(fails) > 4 else []), "；")
        status = tag(Bi("通过", "passed"), "good") if r["success"] else tag(Bi("未通过", "failed"), "bad")
        if r["success"] and fails:
            status = tag(Bi("有警告", "warnings"), "warn")
        rows.append(
            [
                code("source", r["source"]),
                fmt_date_range(*r["days"]) if r["days"] else Bi("没有数据行", "no rows"),
                fmt_datetime(_local(r["when"])) if r["when"] else "—",
                Bi(f"{fmt_int(r['successful'])} / {fmt_int(r['evaluated'])}", f"{fmt_int(r['successful'])} of {fmt_int(r['evaluated'])}"),
                fmt_int(len(blocking)),
                fmt_int(len(fails) - len(blocking)),
                status,
                desc if fails else "—",
                _validation_link(ctx.gx_docs_href, r["page"]),
            ]
        )
    page.table(
        [Col(Bi("来源", "Source")), Col(Bi("最近一次校验（数据日期）", "Latest validation (data days)")), Col(Bi("校验时间", "Validated at")),
         Col(Bi("通过的期望", "Expectations met"), True), Col(Bi("阻断性失败", "Blocking failures"), True),
         Col(Bi("警告", "Warnings"), True), Col(Bi("结果", "Result")), Col(Bi("未通过的期望", "Failed expectations"), wrap=True),
         Col(Bi("详细结果", "Details"))],
        rows,
    )
    page.note(
        Bi(
            "每个来源显示最近一次校验了数据行的结果；数据日期为该次校验所含文件的日期（文件名中的日期）。"
            "当晚没有新文件的运行只校验空表，不在此列出。",
            "Each source shows its latest validation that covered rows; its days are those of the files it validated "
            "(the dates in the file names). A run without a new file validates an empty table and is not shown here.",
        )
    )


def _validation_link(docs_href: str | None, page: str | None):
    """A link to the validation's own Data Docs page, which sits beside the
    docs index the site already points to."""
    if not docs_href or not page:
        return "—"
    return link(posixpath.join(posixpath.dirname(docs_href), page), Bi("查看", "view"))


def _local(when: datetime) -> datetime:
    """Validation times are stored in UTC; shown in Asia/Shanghai."""
    if when.tzinfo is None:
        return when
    return when.astimezone(SHANGHAI).replace(tzinfo=None)
