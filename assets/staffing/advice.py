"""Window staffing advice from queue tickets (排队叫号) — 科学设置调配办事窗口.

Pure polars functions (no I/O, no globals changed). Input: a queue-ticket
frame with at least the columns

    hall_id, ticket_id, issued_at, called_at, finished_at, window_id,
    service_category, status

(timestamps naive ``Datetime``; ``status`` one of ``served`` / ``no_show`` /
``cancelled``; extra columns such as lineage columns are ignored).

Public functions
----------------
``slot_profile(tickets, target_seconds=1200, *, by_category=True)``
    What happened, per slot (hall_id, service_category, weekday 1=Mon…7=Sun,
    hour 0–23).
``staffing_advice(tickets, target_share=0.8, target_seconds=1200, *, by_category=True, max_servers=200)``
    ``slot_profile`` plus the Erlang C recommendation and a status per slot.
``recurring_peaks(tickets, target_share=0.8, target_seconds=1200, *, min_weeks=3, min_share=0.5, by_category=True, max_servers=200)``
    Weekday-hours that are under-staffed in most weeks: where a temporary
    window (临时窗口) would pay.

Rules (documented here once, used by all three)
-----------------------------------------------
Normalising
    * Null/blank ``service_category`` → ``'未分类'``; null ``hall_id`` → ``'main'``
      (the ingest contract's default hall). With ``by_category=False`` every
      ticket of a hall goes to one pooled queue, category ``'全部'`` (for
      halls where comprehensive windows 综合窗口 take every category).
    * Tickets without ``issued_at`` are dropped.
Slots and days
    * A ticket's slot is the weekday and hour of ``issued_at`` (when the
      customer arrived), its handling time belongs to that slot too. A ticket
      taken before the hall's first call of that day (people queueing before
      the windows open) belongs to the hour of that first call: no window can
      serve anyone earlier, so counting it in the hour before opening would
      call for windows in an hour the hall is closed. Its observed wait is
      still measured from the real ``issued_at``.
    * A hall is **open on a date** if any ticket of that hall was issued or
      called that date. ``open_days`` of (hall, weekday) = the number of such
      dates with that weekday in the data. Every per-hour figure is a total
      over those dates divided by ``open_days``, so an open day on which the
      slot had no ticket counts as zero, and a closed day (holiday) counts not.
Measures per slot
    * ``arrivals_per_hour`` = tickets issued in the slot / open_days (all
      statuses).
    * ``no_show_rate`` = no_show tickets / all tickets of the slot.
    * ``offered_per_hour`` = (tickets − no_shows) / open_days: the arrivals the
      windows must serve. Cancelled tickets stay in (a customer who gave up
      waiting still needed service); no-shows are left out (the window only
      calls the number). This is the λ given to Erlang C.
    * ``handling_seconds`` = mean(finished_at − called_at) over *served* tickets
      of the slot with both times and finished ≥ called. If the slot has none,
      the mean of the same (hall, category) over all hours is used, then the
      hall's mean; ``handling_from`` says which (``slot``/``category``/``hall``,
      null if none exists).
    * ``actual_windows`` = per date, the distinct ``window_id`` that called (any
      called ticket: served or no-show) a ticket of that category in that
      weekday-hour of ``called_at``; summed over dates, / open_days. A window
      calling several categories in one hour counts once in each of them, so
      summing ``actual_windows`` over categories can exceed the hall's windows;
      use ``by_category=False`` for a hall-wide count.
    * ``observed_wait_seconds`` / ``observed_service_level``: mean of
      (called_at − issued_at) and share ≤ target_seconds over called tickets
      of the slot — the real queue, to hold against the model.
      ``observed_share_with_cancelled``: the same share with each cancelled
      ticket counted as missed (it has no call time; its holder may have
      given up waiting); null when the slot has neither.
    * A weekday a hall opened on in fewer than half of the weeks it was open
      at all (a make-up working Saturday) is no weekly pattern: its tickets
      are left out before anything is counted.
Recommendation (``staffing_advice``)
    * ``recommended_windows`` etc. = ``erlang.fewest_servers(offered_per_hour,
      handling_seconds, target_share, target_seconds, max_servers)``. No
      offered load → 0 windows. No handling time at all → nulls, status
      ``unknown``. ``target_reachable`` is false when even ``max_servers``
      windows miss the target (recommendation capped at ``max_servers``).
    * ``status``: ``under_staffed`` if actual_windows < recommended_windows
      unless observed_share_with_cancelled >= target_share (windows that
      called are a lower bound of those open: an idle window calls nobody, so
      a quiet slot averages under one window while everyone was served in
      time), or if the waits actually measured in the slot missed the target
      (observed_service_level < target_share over at least
      ``MIN_OBSERVED_TICKETS`` tickets) even though the model finds the
      windows enough — what people lived through outranks the model, which
      cannot see windows that were open but busy with other work;
      ``over_staffed`` if actual_windows ≥ recommended_windows + 2; else ``ok``.
      ``actual_windows`` is an average, so 2.5 against 3 is under-staffed.
Recurring peaks (``recurring_peaks``)
    * Each open date of the hall with the slot's weekday is one *week*. That
      week is under-staffed if the windows that called in that hour
      (distinct count) < ``fewest_servers(that day's offered tickets in that
      hour, slot handling_seconds, …)``. Open dates without a ticket in the
      slot count as weeks that were not under-staffed.
    * A slot is a recurring peak when ``weeks_observed >= min_weeks`` (default
      3) and ``weeks_under_staffed / weeks_observed > min_share`` (default
      0.5, i.e. strictly more than half of the weeks).
    * ``temporary_windows`` = ceil of the median shortfall (recommended −
      actual) over the under-staffed weeks: how many 临时窗口 to open then.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from .erlang import Staffing, fewest_servers

__all__ = [
    "ADVICE_SCHEMA",
    "advice_and_peaks",
    "PEAKS_SCHEMA",
    "PROFILE_SCHEMA",
    "recurring_peaks",
    "slot_profile",
    "staffing_advice",
]

UNCATEGORISED = "未分类"
ALL_CATEGORIES = "全部"
DEFAULT_HALL = "main"  # = assets.ingest.contract.DEFAULT_HALL

REQUIRED_COLUMNS = (
    "hall_id",
    "ticket_id",
    "issued_at",
    "called_at",
    "finished_at",
    "window_id",
    "service_category",
    "status",
)
KEYS = ["hall_id", "service_category", "weekday", "hour"]
# Tickets a slot needs before its measured waits can overrule the model.
MIN_OBSERVED_TICKETS = 20

PROFILE_SCHEMA: dict[str, pl.DataType] = {
    "hall_id": pl.String(),
    "service_category": pl.String(),
    "weekday": pl.Int8(),
    "hour": pl.Int8(),
    "open_days": pl.UInt32(),
    "tickets": pl.UInt32(),
    "arrivals_per_hour": pl.Float64(),
    "offered_per_hour": pl.Float64(),
    "no_show_rate": pl.Float64(),
    "handling_seconds": pl.Float64(),
    "handling_from": pl.String(),
    "actual_windows": pl.Float64(),
    "observed_wait_seconds": pl.Float64(),
    "observed_service_level": pl.Float64(),
    "observed_share_with_cancelled": pl.Float64(),
}
ADVICE_SCHEMA: dict[str, pl.DataType] = {
    **PROFILE_SCHEMA,
    "traffic_erlangs": pl.Float64(),
    "recommended_windows": pl.Int64(),
    "p_wait": pl.Float64(),
    "service_level": pl.Float64(),
    "expected_wait_seconds": pl.Float64(),
    "target_reachable": pl.Boolean(),
    "status": pl.String(),
}
PEAKS_SCHEMA: dict[str, pl.DataType] = {
    "hall_id": pl.String(),
    "service_category": pl.String(),
    "weekday": pl.Int8(),
    "hour": pl.Int8(),
    "weeks_observed": pl.UInt32(),
    "weeks_under_staffed": pl.UInt32(),
    "share_under_staffed": pl.Float64(),
    "arrivals_per_hour": pl.Float64(),
    "actual_windows": pl.Float64(),
    "recommended_windows": pl.Int64(),
    "temporary_windows": pl.Int64(),
}


# ---- helpers -----------------------------------------------------------------


def _seconds(end: str, start: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_seconds(fractional=True)


def _prepare(tickets: pl.DataFrame, by_category: bool) -> pl.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in tickets.columns]
    if missing:
        raise ValueError(f"queue tickets lack column(s): {', '.join(missing)}")
    cat = pl.col("service_category").cast(pl.String).str.strip_chars()
    category = (
        pl.lit(ALL_CATEGORIES)
        if not by_category
        else pl.when(cat.is_null() | (cat == "")).then(pl.lit(UNCATEGORISED)).otherwise(cat)
    )
    prepared = (
        tickets.select(REQUIRED_COLUMNS)
        .filter(pl.col("issued_at").is_not_null())
        .with_columns(
            pl.col("hall_id").cast(pl.String).fill_null(DEFAULT_HALL),
            category.alias("service_category"),
            pl.col("window_id").cast(pl.String),
            pl.col("status").cast(pl.String).str.strip_chars().str.to_lowercase(),
            pl.col("issued_at").alias("issued_at_raw"),
        )
    )
    opening = (
        pl.col("called_at").min().over("hall_id", pl.col("issued_at").dt.date()).dt.truncate("1h")
    )
    return prepared.with_columns(
        pl.when(opening.is_not_null() & (pl.col("issued_at") < opening))
        .then(opening)
        .otherwise(pl.col("issued_at"))
        .alias("issued_at")
    )


def _open_dates(df: pl.DataFrame) -> pl.DataFrame:
    """(hall_id, date): the dates a hall issued or called any ticket."""
    return pl.concat(
        [
            df.select("hall_id", pl.col("issued_at").dt.date().alias("date")),
            df.filter(pl.col("called_at").is_not_null()).select(
                "hall_id", pl.col("called_at").dt.date().alias("date")
            ),
        ]
    ).unique()


def _on_regular_weekdays(df: pl.DataFrame) -> pl.DataFrame:
    """The tickets of weekdays a hall opens on in at least half of the weeks
    it was open at all: a make-up working Saturday (调休) or two in the
    lookback is no weekly pattern to staff for."""
    dates = _open_dates(df).with_columns(
        pl.col("date").dt.weekday().cast(pl.Int8).alias("weekday"),
        pl.col("date").dt.truncate("1w").alias("week"),
    )
    weeks = dates.group_by("hall_id").agg(pl.col("week").n_unique().alias("weeks"))
    regular = (
        dates.group_by("hall_id", "weekday").agg(pl.len().alias("days"))
        .join(weeks, on="hall_id")
        .filter(pl.col("days") * 2 >= pl.col("weeks"))
        .select("hall_id", "weekday")
    )
    return df.join(
        regular, left_on=["hall_id", pl.col("issued_at").dt.weekday().cast(pl.Int8)], right_on=["hall_id", "weekday"],
        how="semi",
    )


def _open_days(df: pl.DataFrame) -> pl.DataFrame:
    """(hall_id, weekday) -> open_days: distinct dates with any ticket issued or called."""
    dates = _open_dates(df)
    return dates.group_by("hall_id", pl.col("date").dt.weekday().cast(pl.Int8).alias("weekday")).agg(
        pl.len().cast(pl.UInt32).alias("open_days")
    )


def _daily(df: pl.DataFrame) -> pl.DataFrame:
    """One row per (hall, category, date, hour) with any arrival or call.

    Columns: hall_id, service_category, date, weekday, hour, tickets, no_shows,
    offered (= tickets − no_shows), windows (distinct windows calling).
    """
    arrivals = df.group_by(
        "hall_id",
        "service_category",
        pl.col("issued_at").dt.date().alias("date"),
        pl.col("issued_at").dt.hour().cast(pl.Int8).alias("hour"),
    ).agg(
        pl.len().cast(pl.UInt32).alias("tickets"),
        (pl.col("status") == "no_show").sum().cast(pl.UInt32).alias("no_shows"),
    )
    calls = (
        df.filter(pl.col("called_at").is_not_null() & pl.col("window_id").is_not_null())
        .group_by(
            "hall_id",
            "service_category",
            pl.col("called_at").dt.date().alias("date"),
            pl.col("called_at").dt.hour().cast(pl.Int8).alias("hour"),
        )
        .agg(pl.col("window_id").n_unique().cast(pl.UInt32).alias("windows"))
    )
    keys = ["hall_id", "service_category", "date", "hour"]
    return (
        arrivals.join(calls, on=keys, how="full", coalesce=True)
        .with_columns(pl.col("tickets", "no_shows", "windows").fill_null(0))
        .with_columns(
            (pl.col("tickets") - pl.col("no_shows")).alias("offered"),
            pl.col("date").dt.weekday().cast(pl.Int8).alias("weekday"),
        )
    )


def _handling(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Mean handling time of served tickets per slot, per (hall, category), per hall."""
    served = df.filter(pl.col("status") == "served").with_columns(_seconds("finished_at", "called_at").alias("h"))
    served = served.filter(pl.col("h").is_not_null() & (pl.col("h") >= 0)).with_columns(
        pl.col("issued_at").dt.weekday().cast(pl.Int8).alias("weekday"),
        pl.col("issued_at").dt.hour().cast(pl.Int8).alias("hour"),
    )
    slot = served.group_by(KEYS).agg(pl.col("h").mean().alias("h_slot"))
    cat = served.group_by("hall_id", "service_category").agg(pl.col("h").mean().alias("h_cat"))
    hall = served.group_by("hall_id").agg(pl.col("h").mean().alias("h_hall"))
    return slot, cat, hall


def _observed_waits(df: pl.DataFrame, target_seconds: float) -> pl.DataFrame:
    waited = df.with_columns(_seconds("called_at", "issued_at_raw").alias("w"))
    called = pl.col("w").is_not_null() & (pl.col("w") >= 0)
    in_time = called & (pl.col("w") <= target_seconds)
    # a cancelled ticket has no call time: someone who may have given up waiting
    counted = called | (pl.col("status") == "cancelled")
    return (
        waited.filter(counted)
        .group_by(
            "hall_id",
            "service_category",
            pl.col("issued_at").dt.weekday().cast(pl.Int8).alias("weekday"),
            pl.col("issued_at").dt.hour().cast(pl.Int8).alias("hour"),
        )
        .agg(
            pl.col("w").filter(called).mean().alias("observed_wait_seconds"),
            (in_time.sum() / called.sum()).alias("observed_service_level"),
            (in_time.sum() / pl.len()).alias("observed_share_with_cancelled"),
        )
        .with_columns(  # a slot whose tickets were all cancelled was never measured
            pl.when(pl.col("observed_service_level").is_nan()).then(None)
            .otherwise(pl.col("observed_service_level")).alias("observed_service_level")
        )
    )


def _staffer(
    target_share: float, target_seconds: float, max_servers: int
) -> Callable[[float | None, float | None], Staffing | None]:
    """fewest_servers with a memo; None when there is load but no handling time."""
    memo: dict[tuple[float, float | None], Staffing | None] = {}

    def staff(rate: float | None, aht: float | None) -> Staffing | None:
        rate = rate or 0.0
        if rate == 0:
            aht = None  # not needed: no arrivals -> 0 windows
        key = (rate, aht)
        if key not in memo:
            if rate == 0:
                memo[key] = fewest_servers(0.0, 1.0, target_share, target_seconds, max_servers)
            elif aht is None or not aht > 0:
                memo[key] = None
            else:
                memo[key] = fewest_servers(rate, aht, target_share, target_seconds, max_servers)
        return memo[key]

    return staff


def _check_targets(target_share: float, target_seconds: float) -> None:
    if not (0 <= target_share < 1):
        raise ValueError(f"target_share must be in [0, 1), got {target_share!r}")
    if not (target_seconds >= 0):
        raise ValueError(f"target_seconds must be >= 0, got {target_seconds!r}")


# ---- public --------------------------------------------------------------------


def slot_profile(tickets: pl.DataFrame, target_seconds: float = 1200, *, by_category: bool = True) -> pl.DataFrame:
    """Measured demand and supply per (hall_id, service_category, weekday, hour).

    Columns: see ``PROFILE_SCHEMA``; rules in the module docstring. Only slots
    with at least one ticket issued or called appear. Sorted by the keys.
    """
    df = _on_regular_weekdays(_prepare(tickets, by_category))
    return _profile(df, _daily(df), target_seconds)


def _profile(df: pl.DataFrame, daily: pl.DataFrame, target_seconds: float) -> pl.DataFrame:
    """``slot_profile`` from the prepared tickets and their ``_daily`` rows."""
    open_days = _open_days(df)
    slot_h, cat_h, hall_h = _handling(df)
    out = (
        daily.group_by(KEYS)
        .agg(
            pl.col("tickets").sum().cast(pl.UInt32),
            pl.col("no_shows").sum(),
            pl.col("offered").sum(),
            pl.col("windows").sum(),
        )
        .join(open_days, on=["hall_id", "weekday"], how="left")
        .join(slot_h, on=KEYS, how="left")
        .join(cat_h, on=["hall_id", "service_category"], how="left")
        .join(hall_h, on="hall_id", how="left")
        .join(_observed_waits(df, target_seconds), on=KEYS, how="left")
    )
    days = pl.col("open_days").cast(pl.Float64)
    out = out.with_columns(
        (pl.col("tickets") / days).alias("arrivals_per_hour"),
        (pl.col("offered") / days).alias("offered_per_hour"),
        pl.when(pl.col("tickets") > 0).then(pl.col("no_shows") / pl.col("tickets")).alias("no_show_rate"),
        pl.coalesce("h_slot", "h_cat", "h_hall").alias("handling_seconds"),
        pl.when(pl.col("h_slot").is_not_null())
        .then(pl.lit("slot"))
        .when(pl.col("h_cat").is_not_null())
        .then(pl.lit("category"))
        .when(pl.col("h_hall").is_not_null())
        .then(pl.lit("hall"))
        .alias("handling_from"),
        (pl.col("windows") / days).alias("actual_windows"),
    )
    return out.select([pl.col(c).cast(t) for c, t in PROFILE_SCHEMA.items()]).sort(KEYS)


def staffing_advice(
    tickets: pl.DataFrame,
    target_share: float = 0.8,
    target_seconds: float = 1200,
    *,
    by_category: bool = True,
    max_servers: int = 200,
) -> pl.DataFrame:
    """Recommended windows per slot by Erlang C, against the windows actually open.

    Default target: 80 % of customers called within 1200 s (20 min).
    Columns: ``PROFILE_SCHEMA`` + traffic_erlangs, recommended_windows, p_wait,
    service_level, expected_wait_seconds (model values at the recommended
    staffing), target_reachable, status (under_staffed / over_staffed / ok /
    unknown). Rules in the module docstring.
    """
    _check_targets(target_share, target_seconds)
    prof = slot_profile(tickets, target_seconds, by_category=by_category)
    return _advice(prof, target_share, _staffer(target_share, target_seconds, max_servers))


def _advice(prof: pl.DataFrame, target_share: float, staff: Callable[[float | None, float | None], Staffing | None]) -> pl.DataFrame:
    """``staffing_advice`` from the slot profile."""
    results = [staff(r, a) for r, a in prof.select("offered_per_hour", "handling_seconds").iter_rows()]

    def col(i: int, name: str) -> pl.Series:
        return pl.Series(name, [None if s is None else s[i] for s in results], dtype=ADVICE_SCHEMA[name])

    out = prof.with_columns(
        (pl.col("offered_per_hour") * pl.col("handling_seconds") / 3600.0).alias("traffic_erlangs"),
        col(0, "recommended_windows"),
        col(1, "p_wait"),
        col(2, "service_level"),
        col(3, "expected_wait_seconds"),
    )
    rec, act = pl.col("recommended_windows"), pl.col("actual_windows")
    measured_missed = (pl.col("observed_service_level") < target_share) & (pl.col("tickets") >= MIN_OBSERVED_TICKETS)
    measured_met = (pl.col("observed_share_with_cancelled") >= target_share).fill_null(False)
    out = out.with_columns(
        (pl.col("service_level") >= target_share).alias("target_reachable"),
        pl.when(rec.is_null())
        .then(pl.lit("unknown"))
        .when(measured_missed | ((act < rec) & ~measured_met))
        .then(pl.lit("under_staffed"))
        .when(act >= rec + 2)
        .then(pl.lit("over_staffed"))
        .otherwise(pl.lit("ok"))
        .alias("status"),
    )
    return out.select([pl.col(c).cast(t) for c, t in ADVICE_SCHEMA.items()])


def recurring_peaks(
    tickets: pl.DataFrame,
    target_share: float = 0.8,
    target_seconds: float = 1200,
    *,
    min_weeks: int = 3,
    min_share: float = 0.5,
    by_category: bool = True,
    max_servers: int = 200,
) -> pl.DataFrame:
    """Weekday-hours under-staffed in most weeks: candidates for a 临时窗口.

    Rule (see module docstring): each open date with the slot's weekday is a
    week; flagged when weeks_observed >= ``min_weeks`` and
    weeks_under_staffed / weeks_observed > ``min_share``. Columns:
    ``PEAKS_SCHEMA``; sorted by hall, share_under_staffed descending, keys.
    """
    return advice_and_peaks(
        tickets, target_share, target_seconds,
        min_weeks=min_weeks, min_share=min_share, by_category=by_category, max_servers=max_servers,
    )[1]  # fmt: skip


def advice_and_peaks(
    tickets: pl.DataFrame,
    target_share: float = 0.8,
    target_seconds: float = 1200,
    *,
    min_weeks: int = 3,
    min_share: float = 0.5,
    by_category: bool = True,
    max_servers: int = 200,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(staffing_advice(...), recurring_peaks(...))`` of the same tickets.

    The peaks are judged against the advice's handling times, so both rest on
    one normalising and one per-day count of the tickets: done once here, not
    once per table (eight weeks of a city's tickets are millions of rows).
    """
    _check_targets(target_share, target_seconds)
    if not (0 <= min_share < 1):
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    df = _on_regular_weekdays(_prepare(tickets, by_category))
    daily = _daily(df)
    staff = _staffer(target_share, target_seconds, max_servers)  # one memo for slots and days
    advice = _advice(_profile(df, daily, target_seconds), target_share, staff)
    return advice, _peaks(advice, daily, staff, min_weeks, min_share)


def _peaks(
    advice: pl.DataFrame,
    daily: pl.DataFrame,
    staff: Callable[[float | None, float | None], Staffing | None],
    min_weeks: int,
    min_share: float,
) -> pl.DataFrame:
    """``recurring_peaks`` from the advice and the ``_daily`` rows it was made of."""
    daily = daily.join(advice.select(*KEYS, "handling_seconds"), on=KEYS, how="left")
    day_rec = [
        None if s is None else s.servers
        for s in (staff(float(o), h) for o, h in daily.select("offered", "handling_seconds").iter_rows())
    ]
    daily = daily.with_columns(pl.Series("day_rec", day_rec, dtype=pl.Int64)).with_columns(
        (pl.col("day_rec") - pl.col("windows").cast(pl.Int64)).alias("shortfall")
    )
    under = (
        daily.filter(pl.col("shortfall") > 0)
        .group_by(KEYS)
        .agg(
            pl.len().cast(pl.UInt32).alias("weeks_under_staffed"),
            pl.col("shortfall").median().alias("median_shortfall"),
        )
    )
    out = (
        advice.join(under, on=KEYS, how="inner")
        .with_columns(
            pl.col("open_days").alias("weeks_observed"),
            (pl.col("weeks_under_staffed") / pl.col("open_days").cast(pl.Float64)).alias("share_under_staffed"),
            pl.col("median_shortfall").ceil().cast(pl.Int64).alias("temporary_windows"),
        )
        .filter((pl.col("weeks_observed") >= min_weeks) & (pl.col("share_under_staffed") > min_share))
    )
    return out.select([pl.col(c).cast(t) for c, t in PEAKS_SCHEMA.items()]).sort(
        ["hall_id", "share_under_staffed", "service_category", "weekday", "hour"],
        descending=[False, True, False, False, False],
    )
