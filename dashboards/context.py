"""What every page builder gets: the data, the as-of date, names and links,
and the figures several pages share (score trend, ranking with T/Q/S,
rectification record, item tables)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from assets.rectification import list_publish
from dashboards import theme
from dashboards.charts import Chart, date_axis, layout, no_data, values
from dashboards.data import SiteData
from dashboards.html import (
    Col, Html, Page, Text, bi_markup, cell_per_value, esc_expr, link, rows_markup, t, tag, with_line_under,
)
from dashboards.labels import (
    Bi,
    code,
    fmt_date,
    fmt_date_short,
    fmt_int,
    fmt_month,
    fmt_setting,
    fmt_score,
    same,
)
from dashboards.privacy import staff_label
from dashboards.rectification_data import AGE_BUCKETS, UNRESOLVED

PARTS = [
    ("composite", Bi("综合分", "Composite")),
    ("timeliness", Bi("办结及时 T", "Timeliness T")),
    ("quality", Bi("服务质量 Q", "Quality Q")),
    ("satisfaction", Bi("满意度 S", "Satisfaction S")),
]
TQS = PARTS[1:]  # (column, label) of T, Q and S
TQS_COLUMNS = [Col(label, True) for _, label in TQS]  # their table headers


def _safe(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]", "_", s)


def _slugs(keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Unique ASCII file names for keys (a hash is added where needed)."""
    out: dict[tuple[str, ...], str] = {}
    used: set[str] = set()
    for key in keys:
        base = "_".join(_safe(k) for k in key)
        if base in used or base != "_".join(key) or not base:
            base = f"{base}-{hashlib.sha1('|'.join(key).encode()).hexdigest()[:8]}"
        used.add(base)
        out[key] = base
    return out


@dataclass
class SiteContext:
    data: SiteData
    as_of: date
    gx_docs_href: str | None = None
    gx_results_dir: Path | None = None

    def __post_init__(self) -> None:
        w = self.data.windows
        self._windows = {(r["hall_id"], r["window_id"]): r for r in w.iter_rows(named=True)}
        self.window_slugs = _slugs(list(self._windows))
        d = self.data.departments
        self._depts = {r["dept_id"]: r["dept_name"] for r in d.iter_rows(named=True)}
        self.dept_slugs = {k[0]: v for k, v in _slugs([(x,) for x in self._depts]).items()}
        self._halls = {r["hall_id"]: r["hall_name"] for r in self.data.halls.iter_rows(named=True)}
        self._staff = {r["staff_id"]: r for r in self.data.staff.iter_rows(named=True)}
        self.multi_hall = len({k[0] for k in self._windows}) > 1
        # links by (kind, id…, prefix): the item tables of a city site repeat the same
        # few hundred windows and departments in ~33,000 rows
        self._links: dict[tuple, Text] = {}

    # -- periods -------------------------------------------------------
    @cached_property
    def open_days(self) -> set[date]:
        """Days the hall was open: some ticket was served that day (or, with
        no queue data at all, at least half of the usual number of windows has
        a score), among the trends' days (``SiteData.window_daily``). A late
        case is evaluated on its deadline + 1 calendar day,
        which can be a weekend or a holiday with nothing else in it; a mean
        over those few cases says nothing about the day, so the daily charts
        plot open days only (the monthly scores count every case)."""
        wd = self.data.window_daily
        if wd is None or wd.height == 0:
            return set()
        per_day = wd.group_by("date").agg(pl.len().alias("n"), pl.col("served_tickets").sum().alias("served"))
        if per_day["served"].sum():
            return set(per_day.filter(pl.col("served") > 0)["date"].to_list())
        top = per_day["n"].max()
        return set(per_day.filter(pl.col("n") >= 0.5 * top)["date"].to_list())

    @property
    def period(self) -> str:
        return self.data.period

    @property
    def prev_period(self) -> str:
        return self.data.prev_period

    @property
    def trend_start(self) -> date:
        return self.data.trend_start

    def as_of_text(self) -> Bi:
        d = fmt_date(self.as_of)
        return Bi(f"数据截至 {d.zh}", f"Data as of {d.en}")

    def month_text(self) -> Bi:
        m, d = fmt_month(self.period), fmt_date_short(self.as_of)
        return Bi(f"{m.zh}（截至{d.zh}）", f"{m.en} (to {d.en})")

    # -- the method's figures --------------------------------------------
    def wait_target(self) -> str | None:
        """'20': the wait target in minutes the tickets were judged by
        (``SiteData.wait_target_minutes``); None when the warehouse cannot tell."""
        minutes = self.data.wait_target_minutes
        return None if minutes is None else fmt_setting(minutes)

    def wait_target_text(self) -> Bi:
        """'20分钟内' / 'within 20 min', or the target's name."""
        v = self.wait_target()
        return Bi("在目标时长内", "within the wait target") if v is None else Bi(f"{v}分钟内", f"within {v} min")

    def wait_rate_header(self) -> Bi:
        """The short form for a table's header: 等候达标率（≤20分钟）."""
        v = self.wait_target()
        return Bi("等候达标率", "Wait target met") if v is None else Bi(f"等候达标率（≤{v}分钟）", f"Called ≤ {v} min")

    def wait_rate_label(self, *notes: Bi) -> Bi:
        """等候达标率（20分钟内叫号）, with ``notes`` (a unit, an axis) inside
        the brackets: 等候达标率（20分钟内叫号，%）."""
        w = self.wait_target_text()
        zh = "".join("，" + n.zh for n in notes)
        en = f" ({', '.join(n.en for n in notes)})" if notes else ""
        return Bi(f"等候达标率（{w.zh}叫号{zh}）", f"Called {w.en}{en}")

    def ranking_floor(self) -> Bi:
        """'考核件数 + 评价数 ≥ 30': who is ranked (``SiteData.min_volume``),
        windows and staff alike."""
        v = fmt_int(self.data.min_volume)
        return Bi(f"考核件数 + 评价数 ≥ {v}", f"evaluated cases + ratings ≥ {v}")

    # -- names and links -----------------------------------------------
    def window_href(self, hall_id: str, window_id: str, prefix: str = "") -> str | None:
        slug = self.window_slugs.get((hall_id, window_id))
        return f"{prefix}windows/{slug}.html" if slug else None

    def dept_href(self, dept_id: str, prefix: str = "") -> str | None:
        slug = self.dept_slugs.get(dept_id)
        return f"{prefix}departments/{slug}.html" if slug else None

    def window_name(self, hall_id: str, window_id: str, *, with_hall: bool = True) -> str:
        """``A01 综合受理1号窗口``; in a city, after its hall's name unless
        ``with_hall`` is false (a table or chart of one hall, titled by it)."""
        row = self._windows.get((hall_id, window_id))
        name = row["window_name"] if row else None
        text = f"{window_id} {name}" if name else str(window_id)
        if self.multi_hall and with_hall:
            text = f"{self.hall_name(hall_id)} · {text}"
        return text

    def window_link(self, hall_id: str, window_id: str, prefix: str = "", *, with_hall: bool = True) -> Text:
        key = ("window", hall_id, window_id, prefix, with_hall)
        if key not in self._links:
            href = self.window_href(hall_id, window_id, prefix)
            name = self.window_name(hall_id, window_id, with_hall=with_hall)
            self._links[key] = link(href, name) if href else name
        return self._links[key]

    def window_cell(self, hall_id: str, window_id: str, prefix: str = "") -> Text:
        """A window in a table of several halls' windows: at a city its hall
        goes in a grey line under its name rather than before it, where it
        doubled the column's width and pushed the table past a 1366 px screen."""
        if not self.multi_hall:
            return self.window_link(hall_id, window_id, prefix)
        key = ("window_cell", hall_id, window_id, prefix)
        if key not in self._links:
            self._links[key] = with_line_under(self.window_link(hall_id, window_id, prefix, with_hall=False),
                                               self.hall_name(hall_id))
        return self._links[key]

    def window_info(self, hall_id: str, window_id: str) -> dict:
        return self._windows.get((hall_id, window_id), {})

    def dept_name(self, dept_id: str | None) -> str:
        if dept_id is None:
            return "—"
        return self._depts.get(dept_id) or str(dept_id)

    def dept_link(self, dept_id: str | None, prefix: str = "") -> Text:
        if dept_id is None:
            return "—"
        key = ("dept", dept_id, prefix)
        if key not in self._links:
            href = self.dept_href(dept_id, prefix)
            self._links[key] = link(href, self.dept_name(dept_id)) if href else self.dept_name(dept_id)
        return self._links[key]

    def hall_name(self, hall_id: str) -> str:
        return self._halls.get(hall_id) or str(hall_id)

    def staff_label(self, staff_id: str | None) -> str:
        if not staff_id:
            return "—"
        row = self._staff.get(staff_id)
        return staff_label(staff_id, row["staff_name"] if row else None)

    def footer(self, prefix: str = "") -> Html:
        """Every page's last line, for a page at ``prefix``: the date, where
        the method is (the ranking rules on the windows page; the full method
        is a document of the system, which office staff get from its
        administrator), and that personal data is masked."""
        d = fmt_date(self.as_of)
        rules = f"{prefix}windows.html#method"
        return bi_markup(
            [f"窗口督查 WindowWatch · {d.zh} · ", link(rules, "计分与排名规则"), "见窗口考评页；完整的计分方法见系统说明文档"
             "《考评方法》（docs/METHODOLOGY.md，由系统管理员提供）· 个人信息已脱敏"],
            [f"WindowWatch · {d.en} · ", link(rules, "Scoring and ranking rules"), " are on the Windows page; the full scoring method is in the "
             "system's documentation (docs/METHODOLOGY.md, from the system administrator) · personal data masked"],
        )

    def new_page(self, path: str, nav_key: str, title: Bi, subtitle: Text = None) -> Page:
        sub = subtitle if subtitle is not None else self.as_of_text()
        return Page(path=path, nav_key=nav_key, title=title, subtitle=sub)


# ---------------------------------------------------------------------------
# shared figures
# ---------------------------------------------------------------------------
def break_gaps(dates: list, *columns: list, max_gap_days: int = 4) -> tuple[list, ...]:
    """Insert a null point where consecutive dates are more than
    ``max_gap_days`` apart (a holiday), so lines do not bridge it."""
    iso = [None if d is None else d.isoformat() for d in dates]
    # the gaps are found first and the runs between them copied as slices:
    # a city site draws ~1,600 such lines of 90 points
    gaps = [
        i for i in range(1, len(dates))
        if dates[i] is not None and dates[i - 1] is not None and (dates[i] - dates[i - 1]).days > max_gap_days
    ]
    out_dates: list = []
    outs: list[list] = [[] for _ in columns]
    start = 0
    for i in gaps:
        out_dates += iso[start:i]
        out_dates.append((dates[i - 1] + timedelta(days=1)).isoformat())
        for o, col in zip(outs, columns):
            o += col[start:i]
            o.append(None)
        start = i
    out_dates += iso[start:]
    for o, col in zip(outs, columns):
        o += col[start:]
    return (out_dates, *outs)


def score_trend_chart(frame: pl.DataFrame, title: Bi, *, composite_only_visible: bool = False, height: int = 440) -> Chart:
    """Daily C/T/Q/S lines; frame has ``date`` and the four score columns."""

    present = [(c, n) for c, n in PARTS if c in frame.columns]
    x, *ys = break_gaps(frame["date"].to_list(), *[values(frame[c]) for c, _ in present])  # once for both languages

    def build(lang: str) -> dict:
        traces = []
        for (col, name), y in zip(present, ys):
            visible = True if (col == "composite" or not composite_only_visible) else "legendonly"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": name.pick(lang),
                    "x": x,
                    "y": y,
                    "line": {"color": theme.PART_COLORS[col], "width": 4 if col == "composite" else 2},
                    "marker": {"size": 7 if col == "composite" else 5},
                    "visible": visible,
                    "connectgaps": False,
                    "hovertemplate": "%{y:.2f}",
                }
            )
        fig = {
            "data": traces,
            "layout": layout(
                lang,
                title,
                Bi("日期", "Date"),
                Bi("分数（分，满分100）", "Score (points, of 100)"),
                xaxis=date_axis(lang, frame["date"]),
                yaxis={"rangemode": "normal"},
                hovermode="x unified",
            ),
        }
        return fig if frame.height else no_data(fig, lang)

    return Chart(build, height=height)


def ranking_chart(
    rows: pl.DataFrame, title: Bi, label_col: str = "label", list_col: str | None = "list", subtitle: Bi | None = None
) -> Chart:
    """A dot plot, rank 1 on top: the composite as a big dot (red = red list,
    black = black list, grey = not ranked), T/Q/S as small marks on a grey
    line spanning them, the composite's value written at the right."""
    n = rows.height
    height = max(380, 30 * n + 170)
    cols = [c for c, _ in PARTS]
    allv = [v for c in cols for v in values(rows[c]) if v is not None]
    lo = max(0.0, float(int(min(allv, default=0.0) - 3) // 5 * 5))
    text_x = 100.8

    def build(lang: str) -> dict:
        labels = values(rows[label_col])
        lists = values(rows[list_col]) if list_col and list_col in rows.columns else [None] * n
        palette = {"red": theme.RED_LIST, "black": theme.BLACK_LIST, "unranked": "#9e9e9e"}
        colors = [palette.get(l, theme.BLUE) for l in lists]
        seg_x, seg_y = [], []
        for i, r in enumerate(rows.select(cols).iter_rows()):
            present = [v for v in r if v is not None]
            if present:
                seg_x += [min(present), max(present), None]
                seg_y += [labels[i], labels[i], None]
        traces = [
            {"type": "scatter", "mode": "lines", "x": seg_x, "y": seg_y, "showlegend": False, "hoverinfo": "skip",
             "line": {"color": "#c4c4c4", "width": 2}, "connectgaps": False},
        ]
        symbols = {"timeliness": "diamond", "quality": "square", "satisfaction": "triangle-up"}
        for col, name in PARTS[1:]:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name.pick(lang),
                    "y": labels,
                    "x": values(rows[col]),
                    "marker": {"color": theme.PART_COLORS[col], "size": 11, "symbol": symbols[col],
                               "line": {"color": "#ffffff", "width": 1}},
                    "hovertemplate": "%{y}: %{x:.2f}<extra>" + name.pick(lang) + "</extra>",
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": Bi("综合分", "Composite").pick(lang),
                "y": labels,
                "x": values(rows["composite"]),
                "marker": {"color": colors, "size": 17, "line": {"color": "#ffffff", "width": 1.5}},
                "hovertemplate": "%{y}: %{x:.2f}<extra>" + Bi("综合分", "Composite").pick(lang) + "</extra>",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "text",
                "showlegend": False,
                "hoverinfo": "skip",
                "y": labels,
                "x": [text_x] * n,
                "text": [fmt_score(v) for v in rows["composite"]],
                "textposition": "middle right",
                "textfont": {"size": 15, "color": colors},
                "cliponaxis": False,
            }
        )
        fig = {
            "data": traces,
            "layout": layout(
                lang,
                title,
                Bi("分数（分，满分100；右侧数字为综合分）", "Score (points of 100; composite written at the right)"),
                Bi("排名（第1名在上）", "Rank (1st at the top)"),
                subtitle=subtitle,
                yaxis={"autorange": "reversed", "type": "category", "tickfont": {"size": 15}, "showgrid": True},
                xaxis={"range": [lo, 104.5]},
                margin={"l": 240, "r": 30},
                legend={"y": 1.0, "yanchor": "bottom"},
            ),
        }
        return fig if n else no_data(fig, lang)

    return Chart(build, height=height)


RECORD_SERIES = [
    ("resolved_on_time", Bi("按期整改", "Fixed on time"), theme.GREEN),
    ("resolved_late", Bi("逾期整改", "Fixed late"), "#8bc34a"),
] + [
    (f"open_{i}", Bi(f"未整改 {b.zh}", f"Open {b.en}"), c)
    for i, (_, _, b), c in zip(range(4), AGE_BUCKETS, ["#90caf9", "#42a5f5", theme.ORANGE, theme.RED])
]


def item_count(counts: pl.DataFrame, where: pl.Expr | None = None) -> int:
    """How many items the rows of ``SiteData.rectification_counts`` that
    meet ``where`` count."""
    rows = counts if where is None else counts.filter(where)
    return int(rows["n"].sum())


def counts_by(counts: pl.DataFrame, keys: list[str], where: pl.Expr | None = None) -> pl.DataFrame:
    """Items per ``keys`` (column ``len``), as ``group_by(keys).len()`` over the items would give."""
    rows = counts if where is None else counts.filter(where)
    return rows.group_by(keys).agg(pl.col("n").sum().alias("len"))


LIVE = pl.col("status") != "withdrawn"  # null status is not live either, as in the ledger's filters


def rectification_record(counts: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per ``key``: items fixed on time, fixed late, and open by age bucket
    (from ``SiteData.rectification_counts``)."""
    n, status = pl.col("n"), pl.col("status")
    aggs = [
        n.filter((status == "resolved") & ~pl.col("resolved_late")).sum().alias("resolved_on_time"),
        n.filter((status == "resolved") & pl.col("resolved_late")).sum().alias("resolved_late"),
    ] + [
        n.filter(status.is_in(UNRESOLVED) & (pl.col("age_bucket") == i)).sum().alias(f"open_{i}")
        for i in range(len(AGE_BUCKETS))
    ]
    out = counts.filter(LIVE).group_by(key).agg(aggs)
    return out.with_columns(
        pl.sum_horizontal([f"open_{i}" for i in range(len(AGE_BUCKETS))]).alias("open_total"),
        (pl.col("resolved_on_time") + pl.col("resolved_late")).alias("resolved_total"),
    )


def record_chart(record: pl.DataFrame, label_col: str, title: Bi, subtitle: Bi | None = None) -> Chart:
    n = record.height
    height = max(360, 34 * n + 170)

    def build(lang: str) -> dict:
        labels = values(record[label_col])
        traces = [
            {
                "type": "bar",
                "orientation": "h",
                "name": name.pick(lang),
                "y": labels,
                "x": values(record[col]),
                "marker": {"color": color},
                "hovertemplate": "%{y}: %{x}<extra>" + name.pick(lang) + "</extra>",
            }
            for col, name, color in RECORD_SERIES
        ]
        fig = {
            "data": traces,
            "layout": layout(
                lang,
                title,
                Bi("整改事项（件）", "Items (count)"),
                Bi("部门", "Department"),
                subtitle=subtitle,
                barmode="stack",
                yaxis={"autorange": "reversed", "type": "category"},
                margin={"l": 200},
                legend={"traceorder": "normal"},
            ),
        }
        return fig if n else no_data(fig, lang)

    return Chart(build, height=height)


ITEM_COLUMNS = [
    Col(Bi("整改编号", "Item")),
    Col(Bi("类别", "Rule")),
    Col(Bi("窗口", "Window")),
    Col(Bi("责任部门", "Department")),
    Col(Bi("发现日期", "Found on")),
    Col(Bi("整改期限", "Deadline")),
    Col(Bi("状态", "Status")),
    Col(Bi("情况", "What happened"), wrap=True),
]
# the column a window's (a department's) own page leaves out: every row's
# would be the page's own window (department), named in its title
OWN_COLUMN = {"window": 2, "dept": 3}


def item_columns(page_of: str | None = None) -> list[Col]:
    """``ITEM_COLUMNS`` of the items of one window (``page_of="window"``) or
    department (``"dept"``) on its own page, or of any items (None)."""
    own = OWN_COLUMN.get(page_of)
    return [c for i, c in enumerate(ITEM_COLUMNS) if i != own]


# What the nightly run writes beside the site, for the pages to link to:
# the site is HOME/dashboards and the exports HOME/exports
# (pipelines/resources.py), so from the site's root they are one folder up.
EXPORTS = "../exports/"
LEDGER_CSV = f"rectification/{list_publish.LEDGER_CSV}"
# one CSV per month of detection, once the ledger outgrows an Excel sheet
LEDGER_MONTHS = f"rectification/{list_publish.LEDGER_MONTHS_DIR}/"
DEPARTMENT_LISTS = f"rectification/{list_publish.DEPARTMENTS_DIR}/"
LEDGER_CSV_MAX_ITEMS = list_publish.LEDGER_CSV_MAX_ITEMS


def full_list(ledger_items: tuple[int, int], prefix: str = "") -> Html:
    """Where the items a table leaves out are, for a page at ``prefix``:
    links to the ledger the run writes and to the departments' lists. Office
    staff open files; they do not run commands. ``ledger_items``
    (``SiteData.ledger_items``): a ledger of more than ``LEDGER_CSV_MAX_ITEMS``
    items, each with its detection date, is written one CSV per month."""
    root = prefix + EXPORTS
    lists = root + DEPARTMENT_LISTS
    items, undated = ledger_items
    if items > LEDGER_CSV_MAX_ITEMS and not undated:
        ledger_zh = ["整改台账（事项超过 Excel 一张表的行数，按发现月份分为多个文件：",
                     link(root + LEDGER_MONTHS, "台账文件夹"), "；系统管理员可用命令 windowwatch export rectification 导出一份完整台账）"]
        ledger_en = ["the ledger (one file per month of detection, as it outgrows an Excel sheet: ",
                     link(root + LEDGER_MONTHS, "ledger folder"), "; a system administrator can export it whole with "
                     "windowwatch export rectification)"]
    else:
        ledger_zh = ["整改台账 ", link(root + LEDGER_CSV, "ledger.csv"), "（可用 Excel 打开）"]
        ledger_en = ["the ledger, ", link(root + LEDGER_CSV, "ledger.csv"), " (opens in Excel),"]
    return bi_markup(
        ["完整清单见", *ledger_zh, "和各部门《整改清单》（", link(lists, "整改清单文件夹"),
         "；往月已通报、已整改的事项按月归档在其中的 archive 文件夹）。"],
        [" The full list is in ", *ledger_en, " and the departments' lists (", link(lists, "folder of lists"),
         "; settled items of older months are in its archive folder, one workbook per month)."],
    )


def item_table(
    ctx: SiteContext,
    page: Page,
    items: pl.DataFrame,
    *,
    limit: int,
    empty: Bi,
    prefix: str = "",
    total: int | None = None,
    page_of: str | None = None,
) -> None:
    """The first ``limit`` items (rows of ``SiteData.rectification_shown``,
    with their descriptions, already in the order wanted), the total
    (``items.height`` unless given), and where the rest are; in
    ``item_columns(page_of)``. The rows' markup is taken from ``items`` when
    ``with_item_rows`` made it there for this ``prefix`` and ``page_of``,
    else made for the rows shown."""
    shown = items.head(limit)
    column = item_row_column(prefix, page_of)
    rows = shown.get_column(column) if column in shown.columns else item_rows_markup(ctx, shown, prefix, page_of=page_of)
    page.open("items")
    page.table_of_rows(
        item_columns(page_of),
        rows.to_list(),
        empty=empty,
        total=items.height if total is None else total,
        more=full_list(ctx.data.ledger_items, prefix),
    )
    page.close()


def item_row_column(prefix: str, page_of: str | None = None) -> str:
    """The column of an item frame holding its rows' markup for pages at
    ``prefix`` (of one window or department: ``page_of``)."""
    return f"_tr{prefix}{page_of or ''}"


def with_item_rows(ctx: SiteContext, items: pl.DataFrame, prefix: str, page_of: str | None = None) -> pl.DataFrame:
    """``items`` with each row's table markup, for every page at ``prefix``
    (of one window or department: ``page_of``) that lists some of them
    (``item_table``): a city site's window pages list ~32,000 items, whose
    cells are made once here."""
    return items.with_columns(item_rows_markup(ctx, items, prefix, page_of=page_of).alias(item_row_column(prefix, page_of)))


@functools.cache  # a handful of statuses, tens of thousands of rows
def status_tag(status: str | None) -> Html:
    kind = {"escalated": "bad", "overdue": "warn", "resolved": "good", "withdrawn": "muted"}.get(status or "", "muted")
    if status in ("open", "in_progress", "disputed"):
        kind = "muted"
    return tag(code("rect_status", status), kind)


# A city site's item tables show ~33,000 rows but only the eight rules and a
# few hundred dates: those cells are made once, as markup.
@functools.cache
def rule_cell(rule: str | None) -> Html:
    return Html(t(code("rule", rule)))


@functools.lru_cache(maxsize=4096)
def date_cell(day: date | None) -> Html:
    return Html(t(fmt_date(day)))


def item_rows_markup(ctx: SiteContext, items: pl.DataFrame, prefix: str = "", *, page_of: str | None = None) -> pl.Series:
    """Each item's row of an item table as markup, as ``Page.table`` makes
    it of the cells: the item id; the rule; its window, linked (— without a
    window); its department, linked; found on; deadline; status; what
    happened, as stored (— when empty), in ``item_columns(page_of)``' order.
    Cells that repeat are made once per value, ids and descriptions escaped in polars."""
    column = item_row_column(prefix, page_of)
    if items.height == 0:
        return pl.Series(column, [], dtype=pl.String)
    framed = items if page_of == "window" else with_window_cells(items, lambda h, w: ctx.window_cell(h, w, prefix) if w else "—")
    cells = [
        esc_expr(pl.col("item_id").cast(pl.String)).fill_null(""),
        cell_per_value(items, "rule", rule_cell),
        pl.col("_window"),
        cell_per_value(items, "dept_id", lambda d: ctx.dept_link(d, prefix)),
        cell_per_value(items, "detected_on", date_cell),
        cell_per_value(items, "deadline", date_cell),
        cell_per_value(items, "status", status_tag),
        # shown as stored, as in the ledger CSV and the lists: built with
        # their free text masked (items.py); masking again could eat a
        # case number they quote (the ID rule)
        pl.when(pl.col("description").cast(pl.String).fill_null("") == "")
        .then(pl.lit(t("—")))
        .otherwise(esc_expr(pl.col("description").cast(pl.String))),
    ]
    if page_of is not None:
        del cells[OWN_COLUMN[page_of]]
    return rows_markup(framed, item_columns(page_of), cells).alias(column)


def with_window_cells(frame: pl.DataFrame, make: Callable[[str, str | None], Text]) -> pl.DataFrame:
    """``frame`` with ``_window``: the markup ``t(make(hall_id, window_id))``
    of each row's window, made once per window."""
    pairs = frame.select("hall_id", "window_id").unique()
    windows = pairs.with_columns(pl.Series("_window", [t(make(h, w)) for h, w in pairs.iter_rows()], dtype=pl.String))
    return frame.join(windows, on=["hall_id", "window_id"], how="left", nulls_equal=True, maintain_order="left")


@functools.cache  # two levels
def warning_tag(level: str | None) -> Html:
    return tag(code("warning_level", level), "bad" if level == "overdue" else "warn")


# The open cases past or near their deadline (case_warnings), as the
# overview lists them; a window's page leaves out the window and department.
WARNING_PLACE_COLUMNS = [Col(Bi("窗口", "Window")), Col(Bi("部门", "Department"))]


def warning_columns(with_place: bool) -> list[Col]:
    return [
        Col(Bi("等级", "Level")),
        Col(Bi("办件编号", "Case")),
        *(WARNING_PLACE_COLUMNS if with_place else []),
        Col(Bi("经办人", "Handled by")),
        Col(Bi("受理日期", "Received")),
        Col(Bi("办结期限", "Deadline")),
        Col(Bi("超期天数", "Days late"), True),
    ]


def warning_rows(ctx: SiteContext, warnings: pl.DataFrame, *, with_place: bool = False) -> pl.Series:
    """Each open case's row of a warning table (``warning_columns``): level,
    case, (window and department, linked,) staff member, received, deadline,
    days past it; made column-wise, each repeated cell once."""
    framed = with_window_cells(warnings, ctx.window_cell) if with_place else warnings
    place = [pl.col("_window"), cell_per_value(framed, "dept_id", ctx.dept_link)] if with_place else []
    cells = [
        cell_per_value(framed, "level", warning_tag),
        esc_expr(pl.col("case_id").cast(pl.String)).fill_null(""),
        *place,
        cell_per_value(framed, "staff_id", ctx.staff_label),
        cell_per_value(framed, "received_date", date_cell),
        cell_per_value(framed, "deadline", date_cell),
        cell_per_value(framed, "days_past_deadline", fmt_int),
    ]
    return rows_markup(framed, warning_columns(with_place), cells)


def first_per(items: pl.DataFrame, keys: list[str], n: int) -> pl.DataFrame:
    """The first ``n`` rows of every ``keys`` group, in the order of ``items``
    (the rows of ``group_by(keys, maintain_order=True).head(n)``, kept where
    they are: one filter is several times quicker than gathering them group
    by group)."""
    return items.filter(pl.int_range(pl.len()).over(keys) < n)


def count_text(n: int, unit: Bi) -> Bi:
    v = fmt_int(n)
    return Bi(f"{v}{unit.zh}", f"{v} {unit.en}")


ITEMS = Bi("件", "items")
CASES = Bi("件", "cases")


def absent_note(table: str, what: Bi) -> Bi:
    return Bi(
        f"暂无数据：数据仓库中还没有 {table} 表（{what.zh}尚未生成）。",
        f"No data yet: the warehouse has no table {table} ({what.en} not produced yet).",
    )


def same_or(text: str | None) -> Bi:
    return same(text if text else "—")


# ---------------------------------------------------------------------------
# KPI helpers
# ---------------------------------------------------------------------------
def _ratio(num, den):
    return None if not den else num / den


def month_totals(frame: pl.DataFrame | None) -> dict:
    """Sums of the count columns and the ratios built from them."""
    cols = [
        "evaluated_cases", "on_time_cases", "served_tickets", "tickets_within_target",
        "ratings", "good_ratings", "bad_ratings", "deductions", "callbacks",
    ]  # fmt: skip
    if frame is None or frame.height == 0:
        out = {c: 0 for c in cols}
        out.update(on_time_rate=None, wait_rate=None, good_rate=None, bad_rate=None, composite=None, rows=0)
        return out
    sums = frame.select([pl.col(c).sum() for c in cols if c in frame.columns]).row(0, named=True)
    out = {c: (sums.get(c) or 0) for c in cols}
    out["on_time_rate"] = _ratio(out["on_time_cases"], out["evaluated_cases"])
    out["wait_rate"] = _ratio(out["tickets_within_target"], out["served_tickets"])
    out["good_rate"] = _ratio(out["good_ratings"], out["ratings"])
    out["bad_rate"] = _ratio(out["bad_ratings"], out["ratings"])
    out["composite"] = frame["composite"].mean() if "composite" in frame.columns else None
    out["rows"] = frame.height
    return out


def delta_vs_last_month(cur, prev, *, kind: str = "rate", higher_is_better: bool = True) -> tuple[Bi | None, str]:
    """('较上月 +1.2个百分点', 'good'|'bad'|'') for a KPI card."""
    from dashboards.labels import fmt_delta, fmt_delta_points, half_away

    if cur is None or prev is None:
        return Bi("上月无可比数据", "no figure for last month"), ""
    digits = 1 if kind == "rate" else 2
    # the change between the two figures as shown (and as the scores export
    # rounds them), so that anyone subtracting them by hand gets the same
    if kind == "rate":
        d = (half_away(cur * 100, digits) - half_away(prev * 100, digits)) / 100
    else:
        d = half_away(cur, digits) - half_away(prev, digits)
    text = fmt_delta_points(d, digits) if kind == "rate" else fmt_delta(d, digits, Bi("分", "pts"))
    # coloured by the change as shown, so '0.0' is never green or red
    shown = half_away(d * 100 if kind == "rate" else d, digits)
    kind_css = "" if shown == 0 else ("good" if (shown > 0) == higher_is_better else "bad")
    return Bi("较上月 ", "vs last month ") + text, kind_css
