"""From which date a night must recompute the scores (pure).

Every day and month figure uses only facts dated in its period (the hall
means of the shrinkage and the ranks are per hall and period, the department
means per period), so the periods before a date M0 keep their figures when no
fact dated before M0 changed. M0 is the first day of the month holding the
earliest of:

- the day after the previous as-of date (what the new as-of date admits:
  later partitions, completions, open cases turning late on deadline + 1);
- the earliest fact date of every staged file that changed, appeared or
  vanished, in its old and its new version (a corrected file can move facts
  either way); case files excepted, whose cases are placed one by one:
- the earliest date a changed case counts on (received, completed,
  evaluated, its callbacks), old and new; a case is changed when its current
  version is, or was, in a changed case file, or was updated after the
  previous as-of date.

Nothing to reuse (no previous state, another method config or reference
data, an as-of date that went back, or an M0 covering most of the history)
means a full recompute, returned as None.

The earliest of those dates itself, D0 (``earliest_change``), bounds what
the recompute writes back: a row-level fact, or a day figure, dated before
D0 is the one already stored (its facts did not change), so only the month
figures from M0 and the rows dated from D0 are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Stamp:
    """What every score row was computed with, besides the facts."""

    as_of: date
    config_hash: str
    reference_hash: str


def refresh_start(
    previous: Stamp | None,
    current: Stamp,
    changed_dates: Iterable[date | None],
    history_start: date | None,
) -> date | None:
    """M0, the first day of the first month to recompute; None: recompute everything.

    changed_dates: the earliest fact dates of the changed files and cases
    (None entries are ignored). history_start: the earliest fact date of the
    history as it is now.
    """
    if previous is None or history_start is None:
        return None
    if (previous.config_hash, previous.reference_hash) != (current.config_hash, current.reference_hash):
        return None
    if current.as_of < previous.as_of:
        return None
    start = earliest_change(previous.as_of, changed_dates).replace(day=1)
    # Recomputing more than half of the history costs about a full run, and
    # a full run also rewrites the tables compactly.
    if start <= history_start or (current.as_of - start) * 2 > (current.as_of - history_start):
        return None
    return start


def earliest_change(previous_as_of: date, changed_dates: Iterable[date | None]) -> date:
    """D0: the day after the previous as-of date, or an earlier changed fact date."""
    return min([previous_as_of + timedelta(days=1), *(d for d in changed_dates if d is not None)])
