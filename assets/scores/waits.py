"""Queue waits (等候时长), the wait_rate of scoring.md "Timeliness T"."""

from __future__ import annotations

from datetime import date

import polars as pl

from assets.scores._common import Frame, daily, date_of, hall


def ticket_waits(queue: Frame, as_of: date, wait_target_minutes: float = 20.0) -> pl.LazyFrame:
    """Served tickets with both issued_at and called_at, dated by date(called_at) <= as_of.

    Columns: ticket_id, hall_id, window_id, date, issued_at, called_at,
    wait_minutes, within_target (called_at − issued_at <= target).
    """
    q = daily(queue, "queue", as_of)
    return (
        q.filter(
            (pl.col("status") == "served")
            & pl.col("issued_at").is_not_null()
            & pl.col("called_at").is_not_null()
        )
        .with_columns(hall(), date=date_of("called_at"))
        .filter(pl.col("date") <= as_of)
        .with_columns(
            wait_minutes=(pl.col("called_at") - pl.col("issued_at")).dt.total_microseconds() / 60_000_000.0,
        )
        .with_columns(within_target=pl.col("wait_minutes") <= float(wait_target_minutes))
        .select("ticket_id", "hall_id", "window_id", "date", "issued_at", "called_at", "wait_minutes", "within_target")
    )


def ticket_activity(queue: Frame, as_of: date) -> pl.LazyFrame:
    """(hall_id, window_id, date) of every ticket issued or called on or before as_of (any status)."""
    q = daily(queue, "queue", as_of).with_columns(hall())
    issued = q.select("hall_id", "window_id", date=date_of("issued_at"))
    called = q.filter(pl.col("called_at").is_not_null()).select("hall_id", "window_id", date=date_of("called_at"))
    return pl.concat([issued, called]).filter(pl.col("date") <= as_of)
