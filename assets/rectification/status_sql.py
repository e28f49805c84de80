"""Status of the ledger's items as of a date D, computed by DuckDB.

The same rules as ``status.compute_status`` (see status.py's docstring), as
named queries over the ledger tables, so that two million items need not be
copied into polars and back: ``ledger_store.read_ledger`` runs them on the
ledger connection, the ledger step runs them on the warehouse connection with
the ledger attached read-only and writes ``rectification_items`` straight
from them.

Working days stay Python's: escalate_after = add_working_days(deadline, n)
is computed by ``WorkCalendar.add_working_days`` once per distinct deadline
(a few hundred at city-year) and joined as a small table
(``escalation_dates``), so the SQL never needs a calendar of its own.

Ties between updates are broken as in ``status.latest_updates``: polars sorts
the keys ascending with nulls first and takes the last row, i.e. the first
row in descending order with nulls last. Both compare text byte by byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import polars as pl

from .status import STATUS_ZH

AddWorkingDays = Callable[[date, int], date]

# The name under which escalation_dates(...) is registered on a connection.
ESCALATION_TABLE = "_escalation_dates"

# {updates}: the ledger_updates table (qualified when attached).
# Parameter $as_of (DATE): updates dated after it are not yet used.
LATEST_UPDATES = """
SELECT item_id,
       status AS last_status,
       note AS last_note,
       updated_by AS last_updated_by,
       updated_at AS last_updated_at
FROM {updates}
WHERE coalesce(accepted, TRUE) AND CAST(updated_at AS DATE) <= $as_of
QUALIFY row_number() OVER (
    PARTITION BY item_id
    ORDER BY updated_at DESC NULLS LAST, source_file DESC NULLS LAST, source_row DESC NULLS LAST,
             recorded_at DESC NULLS LAST, status DESC NULLS LAST, note DESC NULLS LAST, updated_by DESC NULLS LAST
) = 1
"""

# Items resolved as of $as_of: their deciding update is `resolved`.
RESOLVED_ITEMS = "SELECT item_id FROM (" + LATEST_UPDATES + ") WHERE last_status = 'resolved'"

_STATUS_ZH_CASE = "CASE status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATUS_ZH.items()) + " END"

# The items detected on or before $as_of with their status columns, in the
# column order of compute_status: the item's columns ({items_star}, e.g.
# `i.*` or `i.* EXCLUDE (...)`), escalate_after, last_*, status, resolved_on,
# status_zh, resolved_late; {order}
# ITEM_ORDER or nothing. The first WHEN that holds decides, in the spec's order (withdrawn right
# after resolved: see docs/RECTIFICATION.md).
ITEM_STATUS = """
WITH latest AS ({latest}),
decided AS (
    SELECT {items_star},
           e.escalate_after,
           u.last_status, u.last_note, u.last_updated_by, u.last_updated_at,
           CASE WHEN u.last_status = 'resolved' THEN 'resolved'
                WHEN i.withdrawn THEN 'withdrawn'
                WHEN $as_of > e.escalate_after THEN 'escalated'
                WHEN $as_of > i.deadline THEN 'overdue'
                WHEN u.last_status = 'disputed' THEN 'disputed'
                WHEN u.last_status = 'in_progress' THEN 'in_progress'
                ELSE 'open'
           END AS status,
           CASE WHEN u.last_status = 'resolved' THEN CAST(u.last_updated_at AS DATE) END AS resolved_on
    FROM {items} AS i
    LEFT JOIN {escalation} AS e ON e.deadline = i.deadline
    LEFT JOIN latest AS u ON u.item_id = i.item_id
    WHERE i.detected_on <= $as_of
)
SELECT * EXCLUDE (status, resolved_on),
       status,
       resolved_on,
       {status_zh} AS status_zh,
       CASE WHEN status = 'resolved' THEN resolved_on > deadline END AS resolved_late
FROM decided
{order}
"""

# The order read_ledger returns the items in (department, deadline, item).
ITEM_ORDER = "ORDER BY dept_id ASC NULLS LAST, deadline ASC NULLS LAST, item_id ASC NULLS LAST"


def latest_updates_sql(updates: str = "ledger_updates") -> str:
    return LATEST_UPDATES.format(updates=updates)


def resolved_items_sql(updates: str = "ledger_updates") -> str:
    return RESOLVED_ITEMS.format(updates=updates)


def item_status_sql(
    schema: str = "",
    *,
    exclude: Iterable[str] = (),
    escalation: str = ESCALATION_TABLE,
    ordered: bool = True,
    items_star: str | None = None,
    only: str | None = None,
) -> str:
    """ITEM_STATUS over ``{schema}ledger_items`` / ``{schema}ledger_updates``
    (schema e.g. ``"led."`` for an attached ledger), without the item columns
    in ``exclude`` (or with only the item columns ``items_star`` lists, e.g.
    ``"i.item_id, i.deadline"``); parameter ``$as_of``, and ``escalation``
    registered (see ``escalation_dates``); in ITEM_ORDER unless not ``ordered``;
    with ``only`` (a table with an item_id column), for those items alone."""
    dropped = list(exclude)
    if items_star is None:
        items_star = "i.* EXCLUDE (" + ", ".join(dropped) + ")" if dropped else "i.*"
    items, updates = f"{schema}ledger_items", f"{schema}ledger_updates"
    if only is not None:  # the semi joins are on the tables, before the window and the joins
        items = f"(SELECT * FROM {items} SEMI JOIN {only} USING (item_id))"
        updates = f"(SELECT * FROM {updates} SEMI JOIN {only} USING (item_id))"
    return ITEM_STATUS.format(
        latest=latest_updates_sql(updates),
        items_star=items_star,
        items=items,
        escalation=escalation,
        status_zh=_STATUS_ZH_CASE,
        order=ITEM_ORDER if ordered else "",
    )


def escalation_dates(deadlines: Iterable[date], add_working_days: AddWorkingDays, days: int) -> pl.DataFrame:
    """deadline -> escalate_after (= add_working_days(deadline, days)), one
    row per distinct deadline."""
    unique = sorted({d for d in deadlines if d is not None})
    return pl.DataFrame(
        {"deadline": unique, "escalate_after": [add_working_days(d, days) for d in unique]},
        schema={"deadline": pl.Date(), "escalate_after": pl.Date()},
    )
