"""The ledger's published tables in the warehouse (rectification_items,
rectification_refused_updates, rectification_run_counts, rectification_as_of),
written by DuckDB from the ledger file attached read-only: the statuses are
computed by status_sql.ITEM_STATUS and land in the warehouse without passing
through polars.

A night brings ``rectification_items`` up to date instead of rewriting it.
At a city's year it holds ~2.1 M items with their descriptions (~600 MB of
text), while a night changes a few tens of thousands. Beside the table the
warehouse keeps what its rows were computed from: the as-of date
(``rectification_as_of``), each item's version in the ledger
(``rectification_items_versions``: ``last_seen_run``, the run that last
inserted, refreshed or reinstated it, unique per run; ``changed_at``, also
set when it is withdrawn, but only to the second; and ``withdrawn``, which a
withdrawal always flips), the
ledger's replies (``rectification_items_replies``: their keys, which are
hashes of their content) and the escalation date of each deadline
(``rectification_items_escalation``). A published row can differ from what a
full rewrite would give only for the candidates (``ITEM_CANDIDATES``):

* items whose version differs, or that are on one side only (detected by the
  new date; gone from the ledger or not yet detected when the date went back);
* items whose deadline or escalation date lies between the two as-of dates
  (``date > deadline`` holds for one and not the other), or whose deadline's
  escalation date moved (the calendar or the escalation days were changed);
* items with a reply added or removed since, or dated between the two dates.

The same transaction keeps the lists' fingerprints of each department and
month (list_fingerprints.py) in step with the rows it deletes and inserts.

Every other item has the same ledger row, the same replies in use and the
same answer to each date comparison of ITEM_STATUS, so the same status. The
candidates' statuses are computed and compared with their published rows;
the rows that differ are deleted and written again, and the table then equals
a full rewrite row for row. The first run, a table of another layout or a
lost record table rewrite the whole table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from assets.db import replace_table, table_names

from .attached import attached
from .items import ITEM_ID_FORM
from .ledger_store import transaction
from .list_fingerprints import rebuild_fingerprints, update_fingerprints
from .masking import mask_text_expr
from .status_sql import ESCALATION_TABLE, item_status_sql

LEDGER = "led"

# Which run saw an item when: kept in the ledger, left out of the published
# table so that the same inbox gives the same table on every run.
LEDGER_BOOKKEEPING = ["first_seen_run", "created_at", "last_seen_run", "withdrawn_at", "changed_at"]

ITEMS_TABLE = "rectification_items"
REFUSED_TABLE = "rectification_refused_updates"
VERSIONS_TABLE = "rectification_items_versions"
REPLIES_TABLE = "rectification_items_replies"
ESCALATION_PUBLISHED = "rectification_items_escalation"
AS_OF_TABLE = "rectification_as_of"

# The published items: the statuses as of $as_of. In no particular order:
# every reader sorts what it shows, and sorting two million rows with their
# descriptions took half the write.
_ITEM_ROWS = item_status_sql(f"{LEDGER}.", exclude=LEDGER_BOOKKEEPING, ordered=False)
PUBLISHED_ITEMS = f"CREATE OR REPLACE TABLE {ITEMS_TABLE} AS\n{_ITEM_ROWS}"
PUBLISHED_VERSIONS = f"""
CREATE OR REPLACE TABLE {VERSIONS_TABLE} AS
SELECT item_id, last_seen_run, changed_at, withdrawn FROM {LEDGER}.ledger_items WHERE detected_on <= $as_of
"""
PUBLISHED_REPLIES = f"""
CREATE OR REPLACE TABLE {REPLIES_TABLE} AS SELECT update_key, item_id, accepted FROM {LEDGER}.ledger_updates
"""
PUBLISHED_ESCALATION = f"""
CREATE OR REPLACE TABLE {ESCALATION_PUBLISHED} AS SELECT deadline, escalate_after FROM {ESCALATION_TABLE}
"""
RECORD_LAYOUT = {
    VERSIONS_TABLE: ["item_id", "last_seen_run", "changed_at", "withdrawn"],
    REPLIES_TABLE: ["update_key", "item_id", "accepted"],
    ESCALATION_PUBLISHED: ["deadline", "escalate_after"],
}

# The items whose published row may differ from a full rewrite as of $as_of,
# the rows having been computed as of $published (see the module's docstring).
# $since and $until are the earlier and the later of the two dates: a date
# comparison `d > x` differs between them exactly when since <= x < until.
_CANDIDATES = "_items_candidates"
ITEM_CANDIDATES = f"""
CREATE OR REPLACE TEMP TABLE {_CANDIDATES} AS
SELECT coalesce(n.item_id, p.item_id) AS item_id
FROM (SELECT item_id, last_seen_run, changed_at, withdrawn FROM {LEDGER}.ledger_items WHERE detected_on <= $as_of) AS n
FULL JOIN {VERSIONS_TABLE} AS p ON p.item_id = n.item_id
WHERE (n.last_seen_run, n.changed_at, n.withdrawn) IS DISTINCT FROM (p.last_seen_run, p.changed_at, p.withdrawn)
UNION
SELECT i.item_id
FROM {LEDGER}.ledger_items AS i LEFT JOIN {ESCALATION_TABLE} AS e ON e.deadline = i.deadline
WHERE i.detected_on <= $as_of
  AND (i.deadline >= $since AND i.deadline < $until OR e.escalate_after >= $since AND e.escalate_after < $until)
UNION
SELECT i.item_id
FROM {LEDGER}.ledger_items AS i
SEMI JOIN (
    SELECT coalesce(n.deadline, p.deadline) AS deadline
    FROM {ESCALATION_TABLE} AS n FULL JOIN {ESCALATION_PUBLISHED} AS p ON p.deadline = n.deadline
    WHERE n.escalate_after IS DISTINCT FROM p.escalate_after
) AS moved ON moved.deadline = i.deadline
UNION
SELECT coalesce(n.item_id, p.item_id)
FROM {LEDGER}.ledger_updates AS n FULL JOIN {REPLIES_TABLE} AS p ON p.update_key = n.update_key
WHERE (n.item_id, n.accepted) IS DISTINCT FROM (p.item_id, p.accepted)
UNION
SELECT item_id FROM {LEDGER}.ledger_updates
WHERE CAST(updated_at AS DATE) > $since AND CAST(updated_at AS DATE) <= $until
"""

# What decides whether a published row is still right: the item's version in
# the ledger and every column that depends on the as-of date or the replies.
# A withdrawal sets only changed_at, to the second, so a merge in the same
# second as the publication before it would leave the version as it was:
# `withdrawn` is part of the version (in the candidates) and of the row.
_STATUS_COLUMNS = [
    "deadline", "withdrawn", "escalate_after", "last_status", "last_note", "last_updated_by", "last_updated_at",
    "status", "resolved_on", "status_zh", "resolved_late",
]  # fmt: skip
_VERSION = ["last_seen_run", "changed_at"]
_NOW, _REDO = "_items_now", "_items_redo"
ITEMS_NOW = f"""CREATE OR REPLACE TEMP TABLE {_NOW} AS
{item_status_sql(
    f"{LEDGER}.", items_star="i.item_id, i.last_seen_run, i.changed_at, i.deadline, i.withdrawn", ordered=False,
    only=_CANDIDATES,
)}"""
# candidates whose row differs, or that are only on one side (new as of the
# date, or no longer shown when the as-of date went back)
ITEMS_TO_REDO = f"""
CREATE OR REPLACE TEMP TABLE {_REDO} AS
SELECT item_id
FROM {_NOW} AS n
FULL JOIN (
    SELECT * FROM {ITEMS_TABLE} JOIN (SELECT item_id, last_seen_run, changed_at FROM {VERSIONS_TABLE}) USING (item_id)
    SEMI JOIN {_CANDIDATES} USING (item_id)
) AS p USING (item_id)
WHERE ({", ".join(f"n.{c}" for c in _VERSION + _STATUS_COLUMNS)})
      IS DISTINCT FROM ({", ".join(f"p.{c}" for c in _VERSION + _STATUS_COLUMNS)})
"""
_REDONE_ROWS = item_status_sql(f"{LEDGER}.", exclude=LEDGER_BOOKKEEPING, ordered=False, only=_REDO)
# The rows to replace found once, by rowid (the lists' fingerprints read
# them before they go, and the delete takes them by it), and their new rows
# made before the insert (the fingerprints add them).
_OLD_ROWS, _NEW_ROWS = "_items_old_rows", "_items_new_rows"
REPLACED = [
    f"CREATE OR REPLACE TEMP TABLE {_OLD_ROWS} AS"
    f" SELECT rowid AS row_number FROM {ITEMS_TABLE} WHERE item_id IN (SELECT item_id FROM {_REDO})",
    f"CREATE OR REPLACE TEMP TABLE {_NEW_ROWS} AS {_REDONE_ROWS}",
]
OLD_ROWS = f"(SELECT r.* FROM {ITEMS_TABLE} AS r SEMI JOIN {_OLD_ROWS} AS o ON r.rowid = o.row_number)"
REDONE = [
    f"DELETE FROM {ITEMS_TABLE} WHERE rowid IN (SELECT row_number FROM {_OLD_ROWS})",
    f"DELETE FROM {VERSIONS_TABLE} WHERE item_id IN (SELECT item_id FROM {_REDO})",
    f"INSERT INTO {ITEMS_TABLE} BY NAME SELECT * FROM {_NEW_ROWS}",
    f"INSERT INTO {VERSIONS_TABLE} SELECT item_id, last_seen_run, changed_at, withdrawn FROM {_NOW}"
    f" WHERE item_id IN (SELECT item_id FROM {_REDO})",
]

# answered_later: an accepted reply to the same item came in a later run, or
# is dated (填报时间) at or after the refused one. Until then the refusal is
# on the department's daily list (list_publish.PENDING_REFUSALS). Both
# tests, as a run that reads a whole inbox at once records every reply with
# one time: a reply dated later is then the one that counts.
# in_inbox, returned_to: the refusal is in this run's reply files, and the
# department an unknown item's refusal goes back to by the file's name
# (updates_quality.inbox_refusals, registered as INBOX_REFUSALS).
INBOX_REFUSALS = "_inbox_refusals"
PUBLISHED_REFUSED = f"""
CREATE OR REPLACE TABLE {REFUSED_TABLE} AS
SELECT r.*,
       EXISTS (
           SELECT 1 FROM {LEDGER}.ledger_updates AS a
           WHERE a.item_id = r.item_id AND coalesce(a.accepted, TRUE)
             AND (a.recorded_at > r.recorded_at OR a.updated_at >= r.updated_at)
       ) AS answered_later,
       t.update_key IS NOT NULL AS in_inbox,
       t.returned_to
FROM {LEDGER}.ledger_refused_updates AS r
LEFT JOIN {INBOX_REFUSALS} AS t ON t.update_key = r.update_key
"""
STATUS_COUNTS = f"SELECT status, count(*) FROM {ITEMS_TABLE} GROUP BY status ORDER BY status"

# The ledger file keeps a refused reply's cells as the department wrote them:
# it is the record. The published copy is what the lists, the pages and the
# run summary show, so it is masked once, here (rectification.md, "Personal
# data"). An id of the ledger's own form cannot hold anything personal and
# must stay as it is, since it is what the refusal is joined to its item by.
REFUSED_TEXT = ("status", "note", "updated_by", "updated_at_raw", "source_file", "reason")
REFUSED_AS_PUBLISHED = f"SELECT update_key, item_id, {', '.join(REFUSED_TEXT)} FROM {REFUSED_TABLE}"
_MASKED_REFUSED = "_masked_refusals"
MASK_REFUSED = (
    f"UPDATE {REFUSED_TABLE} AS r SET item_id = m.item_id, "
    + ", ".join(f"{c} = m.{c}" for c in REFUSED_TEXT)
    + f" FROM {_MASKED_REFUSED} AS m WHERE r.update_key = m.update_key"
)


def publish_ledger(
    con: duckdb.DuckDBPyConnection,
    ledger_file: Path,
    *,
    as_of: date,
    escalation: pl.DataFrame,
    run_counts: pl.DataFrame,
    inbox_refusals: pl.DataFrame,
    lock_timeout_s: float = 900.0,
) -> tuple[dict[str, int], int]:
    """Bring the published tables on the warehouse connection ``con`` up to
    date in one transaction, from the closed ledger file; ``escalation`` is
    status_sql.escalation_dates for the ledger's deadlines, ``inbox_refusals``
    updates_quality.inbox_refusals of this run's reply files. Returns the
    number of items per status, and how many item rows were written."""
    with attached(con, ledger_file, LEDGER, lock_timeout_s=lock_timeout_s):
        con.register(ESCALATION_TABLE, escalation)
        con.register(INBOX_REFUSALS, inbox_refusals)
        try:
            with transaction(con):
                published = _publishable_in_place(con)
                if published is not None:
                    rewritten = _bring_up_to_date(con, as_of=as_of, published=published)
                else:
                    con.execute(PUBLISHED_ITEMS, {"as_of": as_of}).fetchall()
                    con.execute(PUBLISHED_VERSIONS, {"as_of": as_of}).fetchall()
                    rebuild_fingerprints(con)
                    rewritten = con.execute(f"SELECT count(*) FROM {ITEMS_TABLE}").fetchone()[0]
                con.execute(PUBLISHED_REPLIES).fetchall()
                con.execute(PUBLISHED_ESCALATION).fetchall()
                con.execute(PUBLISHED_REFUSED).fetchall()
                _mask_published_refusals(con)
                replace_table(con, "rectification_run_counts", run_counts)
                replace_table(con, AS_OF_TABLE, pl.DataFrame({"as_of": [as_of]}, schema={"as_of": pl.Date}))
        finally:
            con.unregister(ESCALATION_TABLE)
            con.unregister(INBOX_REFUSALS)
    counts = {status: int(n) for status, n in con.execute(STATUS_COUNTS).fetchall()}
    return counts, int(rewritten)


def _mask_published_refusals(con: duckdb.DuckDBPyConnection) -> None:
    published = con.sql(REFUSED_AS_PUBLISHED).pl()
    masked = published.with_columns(
        *(mask_text_expr(c) for c in REFUSED_TEXT),
        item_id=pl.when(pl.col("item_id").str.contains(ITEM_ID_FORM)).then("item_id").otherwise(mask_text_expr("item_id")),
    )
    changed = masked.filter(pl.any_horizontal(pl.col(c).ne_missing(published[c]) for c in ("item_id", *REFUSED_TEXT)))
    if changed.height:
        con.register(_MASKED_REFUSED, changed)
        try:
            con.execute(MASK_REFUSED).fetchall()
        finally:
            con.unregister(_MASKED_REFUSED)


def _bring_up_to_date(con: duckdb.DuckDBPyConnection, *, as_of: date, published: date) -> int:
    """Rewrite the published rows that differ from a full rewrite as of
    ``as_of`` (they were computed as of ``published``); how many."""
    dates = {"as_of": as_of, "since": min(as_of, published), "until": max(as_of, published)}
    con.execute(ITEM_CANDIDATES, dates).fetchall()
    con.execute(ITEMS_NOW, {"as_of": as_of}).fetchall()
    con.execute(ITEMS_TO_REDO).fetchall()
    rewritten = con.execute(f"SELECT count(*) FROM {_REDO}").fetchone()[0]
    for sql in REPLACED:
        con.execute(sql, {"as_of": as_of} if "$as_of" in sql else None).fetchall()
    kept = update_fingerprints(con, removed=OLD_ROWS, added=_NEW_ROWS)  # before the old rows go
    for sql in REDONE:
        con.execute(sql).fetchall()
    if not kept:
        rebuild_fingerprints(con)
    con.execute(f"DROP TABLE {_NOW}; DROP TABLE {_REDO}; DROP TABLE {_CANDIDATES}; DROP TABLE {_OLD_ROWS}; DROP TABLE {_NEW_ROWS}")
    return rewritten


def _publishable_in_place(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date of the published table, when it and the record of what
    its rows were computed from are there with the columns a full rewrite
    would give (an upgrade that changed them rewrites it); else None."""
    if not {ITEMS_TABLE, AS_OF_TABLE, *RECORD_LAYOUT} <= table_names(con):
        return None
    for table, names in RECORD_LAYOUT.items():
        if [name for name, _type in _columns(con, f"SELECT * FROM {table}")] != names:
            return None
    if _columns(con, f"SELECT * FROM {ITEMS_TABLE}") != _columns(con, _ITEM_ROWS, {"as_of": date.min}):
        return None
    return published_as_of(con)


def _columns(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> list[tuple[str, str]]:
    """(name, type) of each column ``query`` gives, without reading its rows."""
    cur = con.execute(f"SELECT * FROM ({query}) LIMIT 0", params)
    columns = [(d[0], str(d[1])) for d in cur.description]
    cur.fetchall()
    return columns


def published_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as-of date the published statuses are computed for (None before
    the ledger step has run)."""
    if AS_OF_TABLE not in table_names(con):
        return None
    rows = con.execute(f"SELECT as_of FROM {AS_OF_TABLE}").fetchall()
    return rows[0][0] if rows else None
