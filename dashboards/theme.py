"""A projector-friendly look: large type, dark text on white, saturated colours
that survive a washed-out beamer, a CJK font stack with no web font to fetch.

``PLOTLY_TEMPLATE`` is a plotly.js template (``{"layout": …, "data": …}``)
written once into every page and applied to each chart when it is drawn, so
the charts' JSON stays small.
"""

from __future__ import annotations

FONT_FAMILY = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
    '"PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)

INK = "#111111"
MUTED = "#4a4a4a"
GRID = "#d0d0d0"
PAPER = "#ffffff"
NAV = "#0b3d91"

# main series colours (distinct on a projector, colour-blind friendly order)
BLUE = "#1f5fbf"
ORANGE = "#e06c00"
GREEN = "#1e8a3c"
PURPLE = "#7b3fbf"
TEAL = "#00838f"
RED = "#c62828"
GREY = "#6b6b6b"
DARK = "#222222"
GOLD = "#c99700"

COLORWAY = [BLUE, ORANGE, GREEN, PURPLE, TEAL, RED, GREY, GOLD]

# meanings
GOOD = GREEN
BAD = RED
WARN = ORANGE
RED_LIST = "#d32f2f"  # 红榜 is an honour in China: red
BLACK_LIST = "#222222"  # 黑榜
NEUTRAL = "#8fb3e8"

PART_COLORS = {"composite": BLUE, "timeliness": ORANGE, "quality": GREEN, "satisfaction": PURPLE}

STATUS_COLORS = {
    "open": "#5c8fd6",
    "in_progress": "#1f5fbf",
    "disputed": PURPLE,
    "overdue": ORANGE,
    "escalated": RED,
    "resolved": GREEN,
    "withdrawn": GREY,
}

BASE_FONT_PX = 18
TITLE_FONT_PX = 22
SUBTITLE_FONT_PX = 16
TITLE_TOP_PX = 16  # from the chart's top edge to the title's anchor (its text starts ~10 px above it)
TITLE_MODEBAR_GAP_PX = 12  # a title wrapped in the browser ends this far left of the mode bar
# the plot area's top edge below a title and a subtitle: room for both
# (down to ~80 px) and for a one-row legend on the plot area (~34 px)
TOP_WITH_SUBTITLE_PX = 120

# sequential scale for waits (light -> dark red) and a diverging one for gaps
SEQ_WAIT = [[0.0, "#fff5eb"], [0.35, "#fdae6b"], [0.7, "#e6550d"], [1.0, "#7f2704"]]
SEQ_BLUE = [[0.0, "#f0f5fc"], [0.5, "#6b9bd8"], [1.0, "#0b3d91"]]
SEQ_SCORE = [[0.0, "#b71c1c"], [0.5, "#fff59d"], [1.0, "#1b5e20"]]
DIVERGING_GAP = [[0.0, "#1f5fbf"], [0.5, "#f7f7f7"], [1.0, "#c62828"]]

_AXIS = {
    "gridcolor": GRID,
    "linecolor": INK,
    "zerolinecolor": "#9e9e9e",
    "ticks": "outside",
    "tickcolor": INK,
    "showline": True,
    "automargin": True,
    "title": {"font": {"size": BASE_FONT_PX, "color": INK}, "standoff": 12},
    "tickfont": {"size": 16, "color": INK},
}

PLOTLY_TEMPLATE: dict = {
    "layout": {
        "font": {"family": FONT_FAMILY, "size": BASE_FONT_PX, "color": INK},
        # the title hangs TITLE_TOP_PX below the chart's top edge whatever
        # its height: as a share of the height (y 0.97) it slid 40 px down a
        # 1,400 px ranking, under the legend that sits on the plot area
        "title": {
            "font": {"size": TITLE_FONT_PX, "color": INK},
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TITLE_TOP_PX},
        },
        "colorway": COLORWAY,
        "paper_bgcolor": PAPER,
        "plot_bgcolor": PAPER,
        "margin": {"l": 70, "r": 30, "t": 80, "b": 60},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "legend": {
            "font": {"size": 16},
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.8)",
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"size": 17, "family": FONT_FAMILY}, "namelength": -1},
        "separators": ".,",
        "bargap": 0.25,
        "coloraxis": {"colorbar": {"tickfont": {"size": 15}}},
    },
    "data": {
        "scatter": [{"line": {"width": 3}, "marker": {"size": 8}}],
        "heatmap": [{"colorbar": {"tickfont": {"size": 15}, "thickness": 18}}],
    },
}

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

# th.num: a long header of a figure (办结及时 T, 等候达标率（≤20分钟）) wraps,
# at a space or a bracket only, rather than widen its table past a laptop's screen
# .ranking: the windows ranking's English words (Satisfaction, Comprehensive)
# do not wrap; in the size of the other tables it is ~1,340 px wide, 30 px
# more than a 1366 px screen leaves it. The Chinese keeps the size (~1,190 px)
# .items: an item table of several halls and departments (overview,
# rectification page) has eight columns, two of them full dates; in the size
# of the other tables it was ~1,380 px at a city even with the hall under the
# window (Chinese ~1,280 px a size smaller)
# max-width 1340px: a 1280 px screen (the 5:4 monitors many offices still
# have) leaves the tables ~85 px less; narrower margins and cell padding win it
# back without making the type smaller, and keep the English menu on one line
CSS = """
:root { --ink: %(ink)s; --muted: %(muted)s; --nav: %(nav)s; --line: #c8c8c8; --soft: #f3f5f9;
        --good: %(good)s; --bad: %(bad)s; --warn: %(warn)s; }
* { box-sizing: border-box; }
html { font-size: 19px; }
body { margin: 0; font-family: %(font)s; color: var(--ink); background: #fff; line-height: 1.5; }
html[data-lang="zh"] .l-en, html[data-lang="en"] .l-zh { display: none !important; }
a { color: #0b4fb3; }
nav.top { position: sticky; top: 0; z-index: 10; display: flex; flex-wrap: wrap; align-items: center;
          gap: .2rem .4rem; background: var(--nav); padding: .45rem 1.2rem; }
nav.top .brand { color: #fff; font-weight: 700; font-size: 1.15rem; margin-right: 1rem; }
nav.top a { color: #fff; text-decoration: none; padding: .3rem .7rem; border-radius: .3rem; font-size: 1.02rem; }
nav.top a:hover, nav.top a.current { background: rgba(255,255,255,.22); }
nav.top .spacer { flex: 1; }
nav.top button.lang { font: inherit; font-size: .95rem; background: #fff; color: var(--nav); border: 0;
          border-radius: .3rem; padding: .25rem .7rem; cursor: pointer; font-weight: 700; }
main { max-width: 1680px; margin: 0 auto; padding: 1rem 1.4rem 3rem; }
header.page h1 { font-size: 2rem; margin: .4rem 0 .1rem; }
header.page p.sub { margin: 0 0 .8rem; color: var(--muted); font-size: 1.05rem; }
h2 { font-size: 1.45rem; margin: 1.8rem 0 .6rem; border-left: .4rem solid var(--nav); padding-left: .6rem; }
h3 { font-size: 1.15rem; margin: 1rem 0 .4rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .8rem; }
.kpi { border: 2px solid var(--line); border-radius: .5rem; padding: .7rem .9rem; background: var(--soft); }
.kpi .label { font-size: 1rem; color: var(--muted); }
.kpi .value { font-size: 2.3rem; font-weight: 700; line-height: 1.2; }
.kpi .delta { font-size: .95rem; word-break: keep-all; overflow-wrap: anywhere; }
.kpi .delta.good { color: var(--good); } .kpi .delta.bad { color: var(--bad); }
.kpi.alert { border-color: var(--bad); } .kpi.alert .value { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: 1fr; gap: 1rem; }
@media (min-width: 1300px) { .grid2 { grid-template-columns: 1fr 1fr; } }
.chart { border: 1px solid var(--line); border-radius: .5rem; padding: .3rem; margin: .6rem 0; background: #fff; }
.ww-chart { width: 100%%; }
table.data { border-collapse: collapse; width: 100%%; font-size: .95rem; margin: .4rem 0 .8rem; }
table.data th { background: #e4e9f2; text-align: left; padding: .35rem .5rem; border-bottom: 2px solid #9aa5b8; }
.tablewrap table.data th { position: sticky; top: 0; z-index: 1; }
table.data td { padding: .3rem .5rem; border-bottom: 1px solid #e0e0e0; vertical-align: top; white-space: nowrap; }
table.data td.wrap { white-space: normal; min-width: 16rem; }
table.data td .under { display: block; font-size: .9em; color: var(--muted); }
html[data-lang="en"] .ranking table.data { font-size: .85rem; } html[data-lang="en"] .ranking .tag { font-size: .8rem; }
.items table.data { font-size: .85rem; } .items .tag { font-size: .8rem; }
table.data tr:nth-child(even) td { background: #f8f9fb; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data td.num { white-space: nowrap; } table.data th.num { word-break: keep-all; }
.tablewrap { max-height: 34rem; overflow: auto; border: 1px solid var(--line); border-radius: .4rem; }
.tablewide { overflow-x: auto; }
.tag { display: inline-block; padding: 0 .45rem; border-radius: .3rem; font-size: .9rem; color: #fff; white-space: nowrap; }
.tag.red { background: %(red_list)s; } .tag.black { background: %(black_list)s; }
.tag.bad { background: var(--bad); } .tag.warn { background: var(--warn); } .tag.good { background: var(--good); }
.tag.muted { background: #7a7a7a; }
.nobr { white-space: nowrap; }
.code { color: var(--muted); font-size: .8rem; font-family: monospace; }
.note { background: #fff8e1; border-left: .35rem solid #f0b400; padding: .6rem .9rem; margin: .6rem 0; border-radius: .3rem; }
.empty { background: #f1f1f1; border-left: .35rem solid #9e9e9e; padding: .6rem .9rem; margin: .6rem 0; color: #333;
         border-radius: .3rem; }
.cols { display: grid; grid-template-columns: 1fr; gap: 1rem; }
@media (min-width: 1600px) { .cols { grid-template-columns: 1fr 1fr; } }
.cols > *, .grid2 > * { min-width: 0; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; border-top: 1px solid var(--line); padding-top: .6rem; }
ul.links { columns: 4 14rem; padding-left: 1.2rem; }
@media (max-width: 1340px) {
  nav.top { padding-left: .7rem; padding-right: .7rem; }
  nav.top a { padding-left: .45rem; padding-right: .45rem; } nav.top .brand { margin-right: .4rem; }
  main { padding-left: .7rem; padding-right: .7rem; }
  table.data th, table.data td { padding-left: .35rem; padding-right: .35rem; }
}
"""


def page_css() -> str:
    return CSS % {
        "ink": INK,
        "muted": MUTED,
        "nav": NAV,
        "font": FONT_FAMILY,
        "good": GOOD,
        "bad": BAD,
        "warn": WARN,
        "red_list": RED_LIST,
        "black_list": BLACK_LIST,
    }
