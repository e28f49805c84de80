"""The rectification figures of the site, worked out in the warehouse.

A city's ledger holds two million items; the pages show counts of them and
about 33,000 rows. Reading every item into polars to count and pick them
was a third of a night's site build, so DuckDB does both:

- ``ITEM_COUNTS``: items per hall, window, department, rule, status, age
  bucket and the flags the pages ask about (~30,000 rows at city scale);
  a page's count is a sum of ``n`` over the rows it means;
- ``SHOWN_ITEMS``: every row some page lists, in urgency order (``URGENCY``):
  each window's and each department's most urgent, the most urgent of those
  past their deadline, and the open items due this week by deadline.
  ``min(key, n)`` finds the n smallest keys of each list in one pass over the
  ledger, and the rows up to the last of them are kept; a ``row_number()``
  window per list sorted the ledger four times (2.1 s against ~0.15 s).

Any subset of the shown rows filtered in their order is the same as the
page's list taken from the whole ledger: each list's rows are in it, and any
other row of that kind comes after them.

Both read ``rectification_items`` as of the site's date, without withdrawn
items for the lists. Columns an older ledger table lacks read as NULL.
"""

from __future__ import annotations

from datetime import date, timedelta

from assets.rectification.status import UNRESOLVED
from dashboards.labels import Bi

LATE_STATUSES = ("overdue", "escalated")

# Most urgent first: by status in this order (any other status after them),
# then by deadline, then by item_id, nulls first (as polars sorts), so the
# order is total and any subset filtered from it is in the order sorting
# that subset would give.
URGENCY = ["escalated", "overdue", "disputed", "in_progress", "open", "resolved", "withdrawn"]
_STATUS_RANK = "CASE status " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(URGENCY)) + " ELSE 9 END"
URGENCY_ORDER = f"{_STATUS_RANK}, deadline ASC NULLS FIRST, item_id ASC NULLS FIRST"
# The same order but for the item id, as one number (status first, then
# the deadline's day number, a missing deadline first), to find the key of
# each list's last row (``min(key, n)``): a struct with the item id compared
# 2-3 times slower, and the rows up to that key are few beyond the list's
# own (those tying with its last row on status and deadline).
_DAY = "coalesce(date_diff('day', DATE '0001-01-01', deadline), -1)"
_URGENCY_KEY = f"({_STATUS_RANK}) * 10000000 + {_DAY}"

# (first day, last day, label) since an item was found
AGE_BUCKETS = [
    (0, 5, Bi("≤5天", "≤5 days")),
    (6, 15, Bi("6–15天", "6–15 days")),
    (16, 30, Bi("16–30天", "16–30 days")),
    (31, 10**6, Bi(">30天", ">30 days")),
]
# the finer buckets of the rectification page's aging chart
AGING = [
    (0, 5, Bi("0–5天", "0–5 d")),
    (6, 10, Bi("6–10天", "6–10 d")),
    (11, 15, Bi("11–15天", "11–15 d")),
    (16, 20, Bi("16–20天", "16–20 d")),
    (21, 30, Bi("21–30天", "21–30 d")),
    (31, 60, Bi("31–60天", "31–60 d")),
    (61, 10**6, Bi(">60天", ">60 d")),
]

WINDOW_ITEMS_SHOWN = 40  # a window's page lists its most urgent items
DEPT_ITEMS_SHOWN = 40  # and a department's page its own
LIST_ITEMS_SHOWN = 500  # the rectification page's lists (late; due this week)

# Columns of rectification_items the pages read (the description only for shown rows).
ITEM_COLUMNS = ["item_id", "rule", "hall_id", "window_id", "dept_id", "detected_on", "deadline", "status", "resolved_late"]


def week_of_today(as_of: date) -> tuple[date, date]:
    """The deadlines 本周到期 lists: from the as-of date to the Sunday of the
    week seen from today (the day after it; on a Saturday or Sunday, the
    coming week). An item due on the as-of date is not late in the data
    (rectification.md: overdue only when D is after the deadline) but falls
    due before anyone reads the page, so it must be on this list: starting
    at today, it was on neither list on the day it fell due."""
    today = as_of + timedelta(days=1)
    monday = today + timedelta(days=7 - today.weekday()) if today.weekday() >= 5 else today
    return as_of, monday + timedelta(days=6 - monday.weekday())


def _bucket_sql(buckets: list, age: str, otherwise: int) -> str:
    """The index of the first bucket holding ``age``, else ``otherwise``."""
    whens = " ".join(f"WHEN {age} BETWEEN {lo} AND {hi} THEN {i}" for i, (lo, hi, _) in enumerate(buckets))
    return f"CASE {whens} ELSE {otherwise} END"


def items_as_of(present: set[str], *, with_rowid: bool) -> str:
    """rectification_items found by $as_of, as a subquery with the columns of
    ``ITEM_COLUMNS`` (NULL where the table has none), and the ``_rowid`` of a
    base table (a view has none): descriptions are fetched by it."""
    cols = ", ".join(c if c in present else f"NULL AS {c}" for c in ITEM_COLUMNS)
    rowid = "rowid AS _rowid, " if with_rowid else ""
    return f"(SELECT {rowid}{cols} FROM rectification_items WHERE detected_on <= $as_of)"


_AGE = "($as_of - detected_on)"  # whole days; never null: detected_on <= $as_of

# {items}: items_as_of(...). $month_start, $week_start, $week_end: dates.
ITEM_COUNTS = f"""
SELECT
    hall_id, window_id, dept_id, rule, status,
    coalesce(resolved_late, false) AS resolved_late,
    coalesce(detected_on >= $month_start, false) AS found_this_month,
    coalesce(deadline BETWEEN $week_start AND $week_end, false) AS due_this_week,
    {_bucket_sql(AGE_BUCKETS, _AGE, len(AGE_BUCKETS) - 1)} AS age_bucket,
    {_bucket_sql(AGING, _AGE, 0)} AS aging,
    count(*) AS n,
    max({_AGE}) AS oldest_age
FROM {{items}}
GROUP BY ALL
"""

_LATE = "status IN (" + ", ".join(f"'{s}'" for s in LATE_STATUSES) + ")"
_DUE = "status IN (" + ", ".join(f"'{s}'" for s in UNRESOLVED) + ") AND deadline BETWEEN $week_start AND $week_end"

# {items}: items_as_of(...). Every row up to the last key of some list: each
# list's rows and any that tie with its last one, which the pages' own cut
# (``first_per``, ``head``) in URGENCY_ORDER leaves out. DuckDB would copy
# `live` (two million rows with their strings) once for its five readers;
# scanning the table for each costs half as much (0.29 s -> 0.15 s).
SHOWN_ITEMS = f"""
WITH live AS NOT MATERIALIZED (
    SELECT *, {_URGENCY_KEY} AS urgency, {_DAY} AS due_day FROM {{items}} WHERE status <> 'withdrawn'
),
window_cut AS (
    SELECT hall_id, window_id, list_max(min(urgency, {WINDOW_ITEMS_SHOWN})) AS cut FROM live GROUP BY ALL
),
dept_cut AS (
    SELECT dept_id, list_max(min(urgency, {DEPT_ITEMS_SHOWN})) AS cut FROM live GROUP BY ALL
),
late_cut AS (SELECT list_max(min(urgency, {LIST_ITEMS_SHOWN})) AS cut FROM live WHERE {_LATE}),
due_cut AS (SELECT list_max(min(due_day, {LIST_ITEMS_SHOWN})) AS cut FROM live WHERE {_DUE})
SELECT live.* EXCLUDE (urgency, due_day)
FROM live
JOIN window_cut AS w ON live.hall_id IS NOT DISTINCT FROM w.hall_id AND live.window_id IS NOT DISTINCT FROM w.window_id
JOIN dept_cut AS d ON live.dept_id IS NOT DISTINCT FROM d.dept_id
CROSS JOIN late_cut CROSS JOIN due_cut
WHERE live.urgency <= w.cut
   OR live.urgency <= d.cut
   OR ({_LATE} AND live.urgency <= late_cut.cut)
   OR ({_DUE} AND live.due_day <= due_cut.cut)
ORDER BY {URGENCY_ORDER}
"""
