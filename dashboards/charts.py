"""Charts as plain plotly figure dicts, one per language.

A ``Chart`` holds a builder ``lang -> {"data": [...], "layout": {...}}``.
Figures are plain dicts (no ``plotly.graph_objects`` validation at build
time: the site has hundreds of them and must build in seconds); ``validate``
runs the full plotly validation and is used by the tests.

Every chart says what it shows and in which unit: ``check_labels`` refuses a
figure without a title, a cartesian axis without a title, or a colour bar
without one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable

import polars as pl

from dashboards import theme
from dashboards.labels import PLOTLY_DATE_HOVER, PLOTLY_DATE_TICK, Bi

Figure = dict


class ChartError(ValueError):
    pass


@dataclass
class Chart:
    build: Callable[[str], Figure]
    height: int = 440
    ident: str = ""

    def figure(self, lang: str) -> Figure:
        fig = self.build(lang)
        fig.setdefault("layout", {})["height"] = self.height
        check_labels(fig)
        return fig


_CARTESIAN = {"bar", "scatter", "heatmap", "box", "histogram", "scattergl"}
_AXIS_KEY = re.compile(r"^[xy]axis\d*$")


def _title_text(obj) -> str:
    if not isinstance(obj, dict):
        return ""
    title = obj.get("title")
    if isinstance(title, dict):
        return str(title.get("text") or "")
    return str(title or "")


def check_labels(fig: Figure) -> None:
    layout = fig.get("layout", {})
    if not _title_text(layout):
        raise ChartError("chart without a title")
    traces = fig.get("data", [])
    if any(tr.get("type", "scatter") in _CARTESIAN for tr in traces):
        axes = {k for k in layout if _AXIS_KEY.match(k)} | {"xaxis", "yaxis"}
        for key in axes:
            axis = layout.get(key, {})
            if axis.get("visible") is False:
                continue
            if not _title_text(axis):
                raise ChartError(f"chart {_title_text(layout)!r}: {key} has no title (say its unit)")
    for tr in traces:
        if tr.get("type") == "heatmap" and tr.get("showscale", True):
            if not _title_text(tr.get("colorbar", {})):
                raise ChartError(f"chart {_title_text(layout)!r}: heatmap colour bar has no title")


def validate(fig: Figure) -> None:
    """Full plotly validation (slow; tests only)."""
    import plotly.graph_objects as go

    go.Figure(fig)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def values(series: pl.Series | Iterable) -> list:
    """JSON-ready values: None for null/NaN, ISO strings for dates."""
    if isinstance(series, pl.Series):  # by dtype, not value by value: a city site draws tens of thousands of series
        if series.dtype == pl.Date:
            return [None if d is None else d.isoformat() for d in series.to_list()]
        if series.dtype.is_float():
            return [None if v is None or math.isnan(v) else v for v in series.to_list()]
        if series.dtype.is_integer() or series.dtype in (pl.String, pl.Boolean):
            return series.to_list()
    out = []
    for v in series:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, datetime):
            out.append(v.isoformat(sep=" "))
        elif isinstance(v, date):
            out.append(v.isoformat())
        else:
            out.append(v)
    return out


def pct_values(series: pl.Series | Iterable) -> list:
    """Shares 0..1 -> percent 0..100 (None kept)."""
    return [None if v is None else v * 100 for v in values(series)]


def layout(
    lang: str, title: Bi, x: Bi | None = None, y: Bi | None = None, *, subtitle: Bi | None = None, **extra
) -> dict:
    """Title (and a smaller second line), axis titles with units, and the rest."""
    out: dict = {"title": {"text": title.pick(lang)}}
    if subtitle is not None:
        out["title"]["subtitle"] = {"text": subtitle.pick(lang), "font": {"size": theme.SUBTITLE_FONT_PX, "color": theme.MUTED}}
        out["margin"] = {"t": theme.TOP_WITH_SUBTITLE_PX}
    if x is not None:
        out["xaxis"] = {"title": {"text": x.pick(lang)}}
    if y is not None:
        out["yaxis"] = {"title": {"text": y.pick(lang)}}
    for key, val in extra.items():
        if key in out and isinstance(out[key], dict) and isinstance(val, dict):
            out[key].update(val)
        else:
            out[key] = val
    return out


def date_axis(lang: str, dates: Iterable | None = None, **extra) -> dict:
    """A date axis in the language's format. Given the dates plotted, a short
    span (two weeks or less) gets one tick per day and a day of padding, so a
    chart of one or two days does not show hours or one fat bar."""
    axis = {"type": "date", "tickformat": PLOTLY_DATE_TICK[lang], "hoverformat": PLOTLY_DATE_HOVER[lang]}
    first, last = _date_span(dates)
    if first is not None and (last - first).days <= 14:
        lo, hi = first - timedelta(days=1), last + timedelta(days=1)
        axis.update(dtick=86400000, tick0=first.isoformat(), range=[lo.isoformat(), hi.isoformat()])
    axis.update(extra)
    return axis


def calendar_days(dates: Iterable | None) -> list[date]:
    """Every calendar day from the first of ``dates`` to the last. A heatmap
    on a date axis draws each cell halfway to its neighbours: given only the
    open days, Friday's cell covers the weekend and a holiday's eve the
    holiday. Given every day, each is one cell wide and a day without a
    value (None) is blank, as the captions say."""
    first, last = _date_span(dates)
    if first is None:
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _date_span(dates: Iterable | None) -> tuple[date | None, date | None]:
    """First and last of the dates (nulls left out), or (None, None)."""
    if isinstance(dates, pl.Series) and dates.dtype in (pl.Date, pl.Datetime):
        # min/max in polars: a city site asks this of ~6,000 series of 90 days
        first, last = dates.min(), dates.max()
        return (None, None) if first is None else (_as_date(first), _as_date(last))
    ds = [_as_date(d) for d in (dates if dates is not None else []) if d is not None]
    return (min(ds), max(ds)) if ds else (None, None)


def _as_date(d) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return date.fromisoformat(str(d)[:10])


def percent_axis(**extra) -> dict:
    return {"ticksuffix": "%", "rangemode": "tozero", **extra}


NO_DATA = Bi("暂无数据", "No data")


def no_data(fig: Figure, lang: str, text: Bi = NO_DATA) -> Figure:
    """Mark an empty chart: a big centred note, axes kept (titles and units)."""
    fig.setdefault("layout", {}).setdefault("annotations", []).append(
        {
            "text": text.pick(lang),
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 26, "color": "#6b6b6b"},
        }
    )
    return fig


def hover(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en
