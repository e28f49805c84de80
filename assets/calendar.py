"""Working-day calendar (工作日历) of scoring.md "Working days".

A date is a working day by the State Council's published schedule (the
``chinese_calendar`` package: public holidays off, make-up weekends 调休 on),
with the config's ``calendar.holidays`` / ``calendar.workdays`` on top. For a
year the package does not know (it covers 2004–2026), Monday–Friday are working
days and ONE ``CalendarFallbackWarning`` is emitted per unknown year and
calendar instance, naming the year.

``add_working_days(d, n)`` is the n-th working day after d (d not counted);
n = 0 gives d itself. ``add_working_days_expr`` does the same for polars
columns without a Python loop per row: it builds the sorted array of working
days over the needed range once per batch and uses ``numpy.searchsorted``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import polars as pl

try:  # the package is named chinesecalendar on the index, chinese_calendar on import
    import chinese_calendar as _cc
except ImportError:  # pragma: no cover - the venv has it; fall back to Mon–Fri
    _cc = None

_EPOCH = date(1970, 1, 1)


class CalendarFallbackWarning(UserWarning):
    """A year outside the published schedule: Monday–Friday are used."""


def _ordinal(d: date) -> int:
    return (d - _EPOCH).days


def _from_ordinal(i: int) -> date:
    return _EPOCH + timedelta(days=int(i))


class WorkCalendar:
    """Chinese working-day calendar with config overrides.

    ``holidays`` are forced off, ``workdays`` forced on (a date in both is a
    config error caught by method_config; here ``holidays`` wins).
    """

    def __init__(self, holidays: Iterable[date] = frozenset(), workdays: Iterable[date] = frozenset()):
        self.holidays: frozenset[date] = frozenset(holidays)
        self.workdays: frozenset[date] = frozenset(workdays)
        self.fallback_years: set[int] = set()  # years warned about (Mon–Fri used)
        self._year_cache: dict[int, np.ndarray] = {}  # year -> sorted int32 day numbers of its working days

    @classmethod
    def from_config(cls, cfg) -> "WorkCalendar":
        """Build from a MethodConfig (its ``calendar`` section)."""
        return cls(holidays=cfg.calendar.holidays, workdays=cfg.calendar.workdays)

    # ---- single dates ------------------------------------------------------
    def _published_workday(self, d: date) -> bool:
        if _cc is not None:
            try:
                return bool(_cc.is_workday(d))
            except NotImplementedError:
                pass
        if d.year not in self.fallback_years:
            self.fallback_years.add(d.year)
            warnings.warn(
                f"working-day calendar: no published schedule for year {d.year}; "
                f"Monday–Friday are used as working days for {d.year}",
                CalendarFallbackWarning,
                stacklevel=3,
            )
        return d.weekday() < 5

    def is_workday(self, d: date) -> bool:
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        return self._published_workday(d)

    def _year_workdays(self, year: int) -> np.ndarray:
        arr = self._year_cache.get(year)
        if arr is None:
            start = date(year, 1, 1)
            n = (date(year + 1, 1, 1) - start).days
            days = [start + timedelta(days=i) for i in range(n)]
            arr = np.array([_ordinal(d) for d in days if self.is_workday(d)], dtype=np.int64)
            self._year_cache[year] = arr
        return arr

    def workday_ordinals(self, start: date, end: date) -> np.ndarray:
        """Sorted day numbers (days since 1970-01-01) of working days in [start, end]."""
        if end < start:
            return np.empty(0, dtype=np.int64)
        parts = [self._year_workdays(y) for y in range(start.year, end.year + 1)]
        arr = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        lo, hi = _ordinal(start), _ordinal(end)
        return arr[(arr >= lo) & (arr <= hi)]

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days in [start, end], in order."""
        return [_from_ordinal(i) for i in self.workday_ordinals(start, end)]

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself not counted); n = 0 -> d."""
        if n < 0:
            raise ValueError(f"add_working_days: n must be >= 0, got {n}")
        if n == 0:
            return d
        return _from_ordinal(self._add_ordinals(np.array([_ordinal(d)]), np.array([n]))[0])

    # ---- vectorised ---------------------------------------------------------
    def _add_ordinals(self, days: np.ndarray, ns: np.ndarray) -> np.ndarray:
        """Vectorised core: days and ns int arrays of equal length, no nulls.

        Working days of whole years are taken from the year of the earliest
        date on; a further year is added only when some row's target lies
        beyond the table (so a year is never looked at, and never warned
        about, unless a result really falls in it).
        """
        if len(days) == 0:
            return days.astype(np.int64)
        first_year = _from_ordinal(int(days.min())).year
        last_year = _from_ordinal(int(days.max())).year
        years = list(range(first_year, last_year + 1))
        while True:
            wd = np.concatenate([self._year_workdays(y) for y in years])
            # count of working days <= d; the (count + n)-th working day (1-based)
            pos = np.searchsorted(wd, days, side="right") + ns - 1
            if len(wd) and int(pos.max()) < len(wd):
                break
            if len(years) > 400:  # pragma: no cover - only with an absurd n or a calendar without working days
                raise ValueError("add_working_days: no working day found within 400 years")
            years.append(years[-1] + 1)
        out = wd[np.clip(pos, 0, len(wd) - 1)]
        return np.where(ns == 0, days, out)

    def add_working_days_expr(self, d: pl.Expr | str, n: pl.Expr | str | int) -> pl.Expr:
        """Polars expression: add_working_days(d, n) row by row, vectorised.

        ``d`` a Date expression (or column name), ``n`` an integer expression,
        column name or constant. Null d or n gives null. Works on LazyFrames.
        """
        d_expr = pl.col(d) if isinstance(d, str) else d
        n_expr = pl.col(n) if isinstance(n, str) else (pl.lit(n) if isinstance(n, int) else n)
        cal = self

        def _batch(s: pl.Series) -> pl.Series:
            df = s.struct.unnest()
            dd = df.get_column("d").cast(pl.Int64)  # days since epoch
            nn = df.get_column("n").cast(pl.Int64)
            valid = (dd.is_not_null() & nn.is_not_null() & (nn >= 0)).to_numpy()
            out = np.zeros(len(df), dtype=np.int64)
            if valid.any():
                out[valid] = cal._add_ordinals(
                    dd.to_numpy()[valid].astype(np.int64), nn.to_numpy()[valid].astype(np.int64)
                )
            return (
                pl.DataFrame({"v": out, "m": valid})
                .select(pl.when(pl.col("m")).then(pl.col("v")).cast(pl.Date).alias(s.name))
                .to_series()
            )

        return pl.struct(d_expr.cast(pl.Date).alias("d"), n_expr.cast(pl.Int64).alias("n")).map_batches(
            _batch, return_dtype=pl.Date, is_elementwise=True
        )

    def is_workday_expr(self, d: pl.Expr | str) -> pl.Expr:
        """Polars expression: is the date a working day (null for null)."""
        d_expr = pl.col(d) if isinstance(d, str) else d
        cal = self

        def _batch(s: pl.Series) -> pl.Series:
            ords = s.cast(pl.Int64)
            valid = ords.is_not_null().to_numpy()
            out = np.zeros(len(s), dtype=bool)
            if valid.any():
                vals = ords.to_numpy()[valid].astype(np.int64)
                wd = cal.workday_ordinals(_from_ordinal(int(vals.min())), _from_ordinal(int(vals.max())))
                idx = np.searchsorted(wd, vals)
                idx_c = np.clip(idx, 0, max(len(wd) - 1, 0))
                out[valid] = (wd[idx_c] == vals) if len(wd) else False
            return (
                pl.DataFrame({"v": out, "m": valid})
                .select(pl.when(pl.col("m")).then(pl.col("v")).alias(s.name))
                .to_series()
            )

        return d_expr.cast(pl.Date).map_batches(_batch, return_dtype=pl.Boolean, is_elementwise=True)


def add_working_days_column(
    frame: pl.DataFrame | pl.LazyFrame, calendar: WorkCalendar, date_col: str, n: str | int, out: str
):
    """Convenience: frame with ``out`` = add_working_days(date_col, n)."""
    return frame.with_columns(calendar.add_working_days_expr(date_col, n).alias(out))
