"""HTML of a dashboard page: the shell (nav bar, 中文/English switch), KPI
cards, tables, notes and chart containers.

Both languages are in the page; ``<html data-lang="zh|en">`` and two CSS
rules show one. The choice travels two ways, neither of which sends a
request: the site's own links carry it (``?lang=en``), so a person moving
through the site by links keeps it even where the browser keeps no storage
for local files or drops a write (headless Chromium was seen to lose one
when the page was left at once); and it is kept in ``localStorage`` for a
page opened afresh (a bookmark, a file opened from the folder). Charts are
stored as JSON per language in ``<script type="application/json">`` blocks
and drawn with the page's language by a small inline script after
``plotly.min.js`` (shipped once at the site root).
"""

from __future__ import annotations

import functools
import html as _html
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import orjson
import polars as pl

from dashboards.charts import Chart
from dashboards.labels import Bi
from dashboards.theme import PLOTLY_CONFIG, PLOTLY_TEMPLATE, TITLE_MODEBAR_GAP_PX, page_css

LANG_KEY = "windowwatch-lang"


def esc(text: object) -> str:
    return _html.escape("" if text is None else str(text), quote=True)


def esc_expr(text: pl.Expr) -> pl.Expr:
    """``esc`` of a polars string column: html.escape's five characters, ``&`` first."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        text = text.str.replace_all(raw, entity, literal=True)
    return text


class Html(str):
    """Markup that is inserted as it is (already escaped)."""


Text = Bi | str | Html | None


def t(text: Text) -> str:
    """A text in both languages as markup."""
    if text is None:
        return ""
    if isinstance(text, Html):
        return str(text)
    if isinstance(text, Bi):
        if text.zh == text.en:
            return esc(text.zh)
        return f'<span class="l-zh">{esc(text.zh)}</span><span class="l-en">{esc(text.en)}</span>'
    return esc(text)


def link(href: str, text: Text) -> Html:
    return Html(f'<a href="{esc(href)}">{t(text)}</a>')


def bi_markup(zh: Iterable[Text], en: Iterable[Text]) -> Html:
    """A text in both languages made of parts, some of them markup (a link
    inside a sentence), each language's parts in their order."""
    return Html(f'<span class="l-zh">{"".join(t(p) for p in zh)}</span><span class="l-en">{"".join(t(p) for p in en)}</span>')


def with_line_under(text: Text, under: Text) -> Html:
    """A cell's text with a grey line under it (``.under``): a window's hall
    or department, a staff member's department, where a column of its own
    would widen the table."""
    return Html(f'{t(text)}<span class="under">{t(under)}</span>')


def tag(text: Text, kind: str) -> Html:
    """A small coloured label: kind in red, black, bad, warn, good, muted."""
    return Html(f'<span class="tag {esc(kind)}">{t(text)}</span>')


def nobr(text: Text) -> Html:
    """A text kept on one line (a figure and its label)."""
    return Html(f'<span class="nobr">{t(text)}</span>')


def bold(text: Text) -> Html:
    return Html(f"<strong>{t(text)}</strong>")


def join(parts: Iterable[Text], sep: str = " ") -> Html:
    return Html(esc(sep).join(t(p) for p in parts))


def without_empty_columns(columns: Sequence[Col], rows: Sequence[Sequence[Text]]) -> tuple[list[Col], list[list[Text]], list[Col]]:
    """The columns that have something in some row, the rows cut to them, and
    the columns left out: a column of "—" in every row (名次 when nobody is
    ranked yet) says nothing and takes room; the caller says why instead."""
    def blank(v: Text) -> bool:
        return v is None or (isinstance(v, str) and v.strip() in ("", "—"))

    keep = [i for i in range(len(columns)) if not rows or not all(blank(r[i]) for r in rows)]
    dropped = [c for i, c in enumerate(columns) if i not in keep]
    return [columns[i] for i in keep], [[r[i] for i in keep] for r in rows], dropped


@dataclass
class Kpi:
    label: Bi
    value: Text
    delta: Text = None
    delta_kind: str = ""  # good / bad / ""
    alert: bool = False


@dataclass(frozen=True)
class Col:
    header: Bi
    numeric: bool = False
    wrap: bool = False  # long free text; other cells stay on one line

    def css(self) -> str:
        return "num" if self.numeric else ("wrap" if self.wrap else "")


@functools.lru_cache(maxsize=256)  # a city site has ~2,400 tables of a few dozen kinds
def _table_head(columns: tuple[Col, ...]) -> str:
    return "<thead><tr>" + "".join(f'<th class="{c.css()}">{t(c.header)}</th>' for c in columns) + "</tr></thead>"


# Tables of a city site's window and department pages hold tens of thousands
# of rows whose cells repeat (a few hundred dates, staff, codes): their
# markup is made column-wise in polars, each distinct cell once.
def cell_per_value(frame: pl.DataFrame, column: str, make: Callable[[object], Text]) -> pl.Expr:
    """The markup ``t(make(value))`` of ``column`` per row of ``frame``,
    ``make`` called once per distinct value."""
    values = frame.get_column(column).unique().to_list()
    mapping = {v: t(make(v)) for v in values if v is not None}
    if not mapping:
        return pl.lit(t(make(None)))
    cells = pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
    return cells.fill_null(t(make(None))) if None in values else cells


def rows_markup(frame: pl.DataFrame, columns: Sequence[Col], cells: Sequence[pl.Expr]) -> pl.Series:
    """Each row of ``frame`` as ``Page.table`` makes it of the cells whose
    markup ``cells`` give (one expression per column, never null), for
    ``Page.table_of_rows``."""
    parts: list[pl.Expr] = [pl.lit("<tr>")]
    for col, cell in zip(columns, cells, strict=True):
        parts += [pl.lit(f'<td class="{col.css()}">'), cell, pl.lit("</td>")]
    parts.append(pl.lit("</tr>"))
    # with_columns: a cell that is one literal (a column all null) is broadcast to every row
    return frame.with_columns(pl.concat_str(parts).alias("_tr_markup")).get_column("_tr_markup")


@dataclass
class NavItem:
    key: str
    href: str  # relative to the site root
    label: Bi


NAV: list[NavItem] = [
    NavItem("overview", "index.html", Bi("总览", "Overview")),
    NavItem("windows", "windows.html", Bi("窗口考评", "Windows")),
    NavItem("departments", "departments.html", Bi("部门与人员", "Departments & staff")),
    NavItem("queues", "queues.html", Bi("排队等候", "Queues")),
    NavItem("rectification", "rectification.html", Bi("整改督办", "Rectification")),
    NavItem("staffing", "staffing.html", Bi("窗口配置", "Staffing")),
    NavItem("quality", "quality.html", Bi("数据质量", "Data quality")),
]

BRAND = Bi("窗口督查 WindowWatch", "WindowWatch 窗口督查")


@dataclass
class Page:
    """One HTML page of the site; ``path`` is relative to the site root."""

    path: str
    nav_key: str
    title: Bi
    subtitle: Text = None
    parts: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    # -- content -------------------------------------------------------
    def h2(self, text: Text, anchor: str | None = None) -> None:
        ident = f' id="{esc(anchor)}"' if anchor else ""
        self.parts.append(f"<h2{ident}>{t(text)}</h2>")

    def h3(self, text: Text) -> None:
        self.parts.append(f"<h3>{t(text)}</h3>")

    def p(self, text: Text) -> None:
        self.parts.append(f"<p>{t(text)}</p>")

    def note(self, text: Text, anchor: str | None = None) -> None:
        ident = f' id="{esc(anchor)}"' if anchor else ""
        self.parts.append(f'<div class="note"{ident}>{t(text)}</div>')

    def empty(self, text: Text) -> None:
        """The '暂无数据' box: what is missing and why."""
        self.parts.append(f'<div class="empty">{t(text)}</div>')

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def open(self, css_class: str) -> None:
        self.parts.append(f'<div class="{esc(css_class)}">')

    def close(self) -> None:
        self.parts.append("</div>")

    def kpis(self, items: Sequence[Kpi]) -> None:
        cards = []
        for k in items:
            delta = ""
            if k.delta is not None:
                delta = f'<div class="delta {esc(k.delta_kind)}">{t(k.delta)}</div>'
            cls = "kpi alert" if k.alert else "kpi"
            cards.append(
                f'<div class="{cls}"><div class="label">{t(k.label)}</div>'
                f'<div class="value">{t(k.value)}</div>{delta}</div>'
            )
        self.parts.append(f'<div class="kpis">{"".join(cards)}</div>')

    def chart(self, chart: Chart) -> None:
        chart.ident = f"chart{len(self.charts) + 1}"
        self.charts.append(chart)
        self.parts.append(
            f'<div class="chart"><div id="{chart.ident}" class="ww-chart plotly-graph-div" '
            f'style="height:{int(chart.height)}px"></div></div>'
        )

    def table(
        self,
        columns: Sequence[Col],
        rows: Iterable[Sequence[Text]],
        *,
        empty: Bi | None = None,
        scroll: bool = True,
        limit: int | None = None,
        total: int | None = None,
        more: Text = None,
    ) -> int:
        """A table; returns the number of rows shown. ``limit`` cuts and says
        so. ``total``: the full count when the caller already cut ``rows``
        (formatting a million rows to show forty is what made a city site
        slow). ``more``: where the rows not shown can be found."""
        rows = list(rows)
        if limit is not None and len(rows) > limit:
            total = len(rows) if total is None else max(total, len(rows))
            rows = rows[:limit]
        opening = [f'<td class="{c.css()}">' for c in columns]  # once per table, not per cell
        body = ["<tr>" + "".join(f"{o}{t(v)}</td>" for o, v in zip(opening, r)) + "</tr>" for r in rows]
        return self.table_of_rows(columns, body, empty=empty, scroll=scroll, total=total, more=more)

    def table_of_rows(
        self,
        columns: Sequence[Col],
        rows: Sequence[str],
        *,
        empty: Bi | None = None,
        scroll: bool = True,
        total: int | None = None,
        more: Text = None,
    ) -> int:
        """``table`` of rows already made as markup (``<tr>…</tr>``, cells
        opened as ``table`` opens them), all of them shown."""
        total = len(rows) if total is None else max(total, len(rows))
        if not rows:
            self.empty(empty or Bi("暂无数据", "No data"))
            return 0
        markup = f'<table class="data">{_table_head(tuple(columns))}<tbody>{"".join(rows)}</tbody></table>'
        # a long table scrolls in a box of its own; a short one only sideways,
        # so that a wide one never makes the page wider than the screen
        box = "tablewrap" if scroll and len(rows) > 14 else "tablewide"
        markup = f'<div class="{box}">{markup}</div>'
        self.parts.append(markup)
        if len(rows) < total:
            shown = len(rows)
            note = Bi(f"仅显示前 {shown} 条，共 {total:,} 条。", f"Showing the first {shown} of {total:,}.")
            self.note(note if more is None else Html(t(note) + t(more)))  # ``more`` may hold links
        return len(rows)

    # -- output --------------------------------------------------------
    def render(self, *, footer: Text, validate: Callable[[dict], None] | None = None) -> str:
        prefix = "../" * self.path.count("/")
        nav = [f'<span class="brand">{t(BRAND)}</span>']
        for item in NAV:
            cls = ' class="current"' if item.key == self.nav_key else ""
            nav.append(f'<a href="{prefix}{item.href}"{cls}>{t(item.label)}</a>')
        nav.append('<span class="spacer"></span>')
        nav.append(
            '<button type="button" class="lang" onclick="wwToggleLang()" '
            'title="切换语言 / Switch language">'
            '<span class="l-zh">English</span><span class="l-en">中文</span></button>'
        )
        chart_json = []
        for chart in self.charts:
            for lang in ("zh", "en"):
                fig = chart.figure(lang)
                if validate is not None:
                    validate(fig)
                chart_json.append(
                    f'<script type="application/json" id="{chart.ident}-{lang}">{_json(fig)}</script>'
                )
        titles = {"zh": f"{self.title.zh} · 窗口督查", "en": f"{self.title.en} · WindowWatch"}
        # the link's ?lang= wins over storage and is stored again, so a page
        # reached by a link also repairs a choice that storage lost
        head_script = (
            "(function(){var K='%s',l=null,s=null;"
            "try{l=new URLSearchParams(location.search).get('lang')}catch(e){}"
            "try{s=localStorage.getItem(K)}catch(e){}"
            "if(l==='en'||l==='zh'){if(l!==s){try{localStorage.setItem(K,l)}catch(e){}}}else{l=s==='en'?'en':'zh';}"
            "var h=document.documentElement;h.setAttribute('data-lang',l);"
            "h.lang=l==='zh'?'zh-CN':'en';})();" % LANG_KEY
        )
        body_script = _BODY_SCRIPT % {
            "key": LANG_KEY,
            "gap": TITLE_MODEBAR_GAP_PX,
            "template": _json(PLOTLY_TEMPLATE),
            "config": _json(PLOTLY_CONFIG),
            "titles": _json(titles),
        }
        sub = f'<p class="sub">{t(self.subtitle)}</p>' if self.subtitle else ""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="zh-CN" data-lang="zh">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<link rel="icon" href="data:,">\n'
            f"<title>{esc(titles['zh'])}</title>\n"
            f"<script>{head_script}</script>\n"
            f"<style>{page_css()}</style>\n</head>\n<body>\n"
            f'<nav class="top">{"".join(nav)}</nav>\n<main>\n'
            f'<header class="page"><h1>{t(self.title)}</h1>{sub}</header>\n'
            + "\n".join(self.parts)
            + f"\n<footer>{t(footer)}</footer>\n</main>\n"
            + "\n".join(chart_json)
            + f'\n<script src="{prefix}plotly.min.js"></script>\n<script>{body_script}</script>\n'
            "</body>\n</html>\n"
        )


# As with the standard library's json and ``default=str``: dates and
# dataclasses are written as their str(), str and int subclasses as plain
# strings and numbers, keys that are not str as strings; NaN and infinities
# become null (plotly draws a gap). Numpy numbers are numbers.
_JSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_NON_STR_KEYS
)


def _json(obj) -> str:
    """JSON safe inside a <script> element. orjson, not the standard
    library: a city's site serialises ~10,000 figures, and json.dumps was
    0.8 s of the site's one busy core."""
    text = orjson.dumps(obj, default=str, option=_JSON_OPTIONS).decode()
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_BODY_SCRIPT = """
(function(){
var KEY='%(key)s', TEMPLATE=%(template)s, CONFIG=%(config)s, TITLES=%(titles)s;
function lang(){return document.documentElement.getAttribute('data-lang')==='en'?'en':'zh';}
function draw(){
  var l=lang(); document.title=TITLES[l];
  if(!window.Plotly){console.warn('plotly.min.js missing');return;}
  var divs=document.querySelectorAll('.ww-chart');
  for(var i=0;i<divs.length;i++){
    var d=divs[i], src=document.getElementById(d.id+'-'+l);
    if(!src)continue;
    var f=JSON.parse(src.textContent); f.layout.template=TEMPLATE;
    var top=(f.layout.margin||{}).t; d.wwTitle=f.layout.title.text; d.wwTop=top!=null?top:TEMPLATE.layout.margin.t;
    Plotly.react(d,f.data,f.layout,CONFIG).then(fitTitle.bind(null,d));
    if(!d.wwFits){d.wwFits=true; d.on('plotly_relayout',fitTitle.bind(null,d));}
  }
}
// The mode bar (the toolbar at a chart's top right, shown on hover) covered
// the end of a long title on a half-width chart of a 1366 px laptop: a title
// that reaches it is wrapped to end GAP px left of it, at a space or before a
// bracket (a bracket's words kept together), between two characters only in
// a word longer than the room; the plot moves down by the lines added. Again
// after each relayout: a resized window (the charts are responsive) may want
// fewer lines or more.
var GAP=%(gap)s, MEASURE=document.createElement('canvas').getContext('2d');
function wrapped(text,room){
  var out=[], line='';
  function fits(s){return MEASURE.measureText(s.trim()).width<=room;}
  function put(word){
    if(fits(line+word)){line+=word;return;}
    var parts=/\s/.test(word.trim())?word.split(/(?<=\s)/):Array.from(word);
    if(fits(word)||parts.length<2){if(line.trim())out.push(line.trim());line=word;return;}
    parts.forEach(put);
  }
  (text.match(/[（(][^）)]*[）)]?[，、：；。,:;]?\s*|[^\s（(]+\s*|\s+/g)||[]).forEach(put);
  if(line.trim())out.push(line.trim());
  return out;
}
function fitTitle(d){
  var g=d.querySelector('.gtitle'), bar=d.querySelector('.modebar');
  if(!g||!d.wwTitle)return;
  var cs=getComputedStyle(g), size=parseFloat(cs.fontSize);
  MEASURE.font=cs.fontWeight+' '+cs.fontSize+' '+cs.fontFamily;
  var right=(bar||d).getBoundingClientRect()[bar?'left':'right'];
  var lines=wrapped(d.wwTitle,right-g.getBoundingClientRect().left-GAP);
  var text=lines.length>1?lines.join('<br>'):d.wwTitle;
  if(text===d.layout.title.text)return;
  // plotly sets a text's lines 1.3 em apart, and the 0.7 em by which it
  // lowers a title of one line it does not give the first of several
  var more=lines.length-1, pad=TEMPLATE.layout.title.pad.t+(more?0.7*size:0);
  Plotly.relayout(d,{'title.text':text,'title.pad.t':pad,'margin.t':d.wwTop+Math.ceil(more*1.3*size)});
}
// the site's root is where plotly.min.js is; links under it are the site's
// own pages and carry the language, links elsewhere (GX data docs) do not
var ROOT=(function(){var s=document.querySelector('script[src$="plotly.min.js"]');
  return s?s.src.slice(0,s.src.length-'plotly.min.js'.length):null;})();
function tagLinks(){
  if(!ROOT||!window.URL)return;
  var l=lang(), as=document.querySelectorAll('a[href]');
  for(var i=0;i<as.length;i++){
    var a=as[i]; if(a.href.indexOf(ROOT)!==0)continue;
    var u=new URL(a.href); if(!/\\.html$/.test(u.pathname))continue;
    u.searchParams.set('lang',l); a.href=u.href;
  }
}
window.wwToggleLang=function(){
  var l=lang()==='zh'?'en':'zh', h=document.documentElement;
  h.setAttribute('data-lang',l); h.lang=l==='zh'?'zh-CN':'en';
  try{localStorage.setItem(KEY,l);}catch(e){}
  tagLinks(); draw();
};
tagLinks(); draw();
})();
"""
