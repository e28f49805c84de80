"""The callbacks table (each callback with its case's hall, window and staff
member) and callbacks_unmatched (callbacks of unknown cases), brought up to
date with the staged callback files and cases_current.

A night redoes only what can have changed: the callbacks of the days whose
staged file is new, changed or gone since the tables were built (recorded in
callbacks_inputs), and the callbacks of the cases whose match may differ now
(queries.CALLBACK_CASES_TO_RECHECK compares every matched callback with its
case as it is now). That comparison reads ~15 M cases at a city's year, so
the step records which content of cases_current it compared with
(callbacks_cases_seen, the content ids of cases_current_versions): when
cases_current is still that content only the unmatched callbacks are
rechecked, and when it is exactly one merge past it only the callbacks of the
case ids that merge touched (cases_current_touched, with their new hall,
window and staff member); anything else compares every callback.
Any other callback has the file and the case it had: its row would come out
the same. A first run, a lost record or a staged file
with a new column rebuilds both tables whole; both ways give the same rows
(tests/test_callbacks_refresh.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from assets.db import replace_table, sql_dates, table_names
from assets.ingest import queries
from assets.ingest.file_states import changed_days, file_states

TABLES = ("callbacks", "callbacks_unmatched")
STAGED = "callbacks_staged_view"
REDO = "callbacks_redo"  # a night's staged rows to redo


def refresh_callbacks(con, files: dict[date, Path]) -> str:
    """Bring both tables up to date inside the caller's transaction, with
    callbacks_staged_view over ``files`` (the staged days up to the as-of
    date). Returns 'full', 'incremental' or 'unchanged'."""
    state = file_states(files)
    how = "full"
    if {*TABLES, queries.CALLBACKS_INPUTS} <= table_names(con):
        changed = changed_days(con.sql(f"SELECT * FROM {queries.CALLBACKS_INPUTS}").pl(), state)
        if _same_columns(con):
            how = _redo_rows(con, changed)
    if how == "full":
        con.execute("CREATE OR REPLACE TABLE callbacks AS "
                    + queries.CALLBACKS_MATCHED_ROWS.format(staged=STAGED))
        con.execute("CREATE OR REPLACE TABLE callbacks_unmatched AS "
                    + queries.CALLBACKS_UNMATCHED_ROWS.format(staged=STAGED))
    replace_table(con, queries.CALLBACKS_INPUTS, state)
    _record_cases_seen(con)
    return how


def _cases_content(con, tables: set[str]) -> tuple[str | None, str | None]:
    """cases_current's content id and the one it was written over."""
    if queries.CASES_CURRENT_VERSIONS not in tables:
        return None, None
    rows = con.execute(f"SELECT content_id, previous_content_id FROM {queries.CASES_CURRENT_VERSIONS}").fetchall()
    return rows[0] if rows else (None, None)


def _recheck_query(con) -> str:
    """Which callbacks to compare with their case (the module docstring)."""
    tables = table_names(con)
    current, previous = _cases_content(con, tables)
    seen = None
    if current is not None and queries.CALLBACKS_CASES_SEEN in tables:
        rows = con.execute(f"SELECT content_id FROM {queries.CALLBACKS_CASES_SEEN}").fetchall()
        seen = rows[0][0] if rows else None
    if seen is None:
        return queries.CALLBACK_CASES_TO_RECHECK
    if seen == current:
        return queries.CALLBACK_UNMATCHED_TO_RECHECK
    if seen == previous and queries.CASES_CURRENT_TOUCHED in tables:
        return queries.CALLBACK_TOUCHED_CASES_TO_RECHECK
    return queries.CALLBACK_CASES_TO_RECHECK


def _record_cases_seen(con) -> None:
    current, _previous = _cases_content(con, table_names(con))
    con.execute(f"CREATE OR REPLACE TABLE {queries.CALLBACKS_CASES_SEEN} AS SELECT ?::VARCHAR AS content_id", [current])


def _same_columns(con) -> bool:
    """Whether the staged callbacks still give the table's columns (a file
    with a column no earlier one had widens the view: rebuild whole)."""
    query = queries.CALLBACKS_MATCHED_ROWS.format(staged=STAGED)
    return [r[0] for r in con.execute(f"DESCRIBE {query}").fetchall()] == [
        r[0] for r in con.execute("DESCRIBE callbacks").fetchall()
    ]


def _redo_rows(con, changed: list[date]) -> str:
    con.execute(_recheck_query(con))
    try:
        (recheck,) = con.execute("SELECT count(*) FROM callback_cases_recheck").fetchone()
        if not changed and not recheck:
            return "unchanged"
        days = sql_dates(changed)

        def rows(partition_date: str, case_id: str) -> str:
            return queries.CALLBACK_ROWS_TO_REDO.format(partition_date=partition_date, days=days, case_id=case_id)

        con.execute(f"DELETE FROM callbacks WHERE {rows('partition_date', 'case_id')}")
        con.execute("DELETE FROM callbacks_unmatched WHERE "
                    + rows("partition_date", "json_extract_string(raw_values, '$.case_id')"))
        # The few staged rows to redo, copied out of the view once: matched
        # against cases_current as a known handful, the join reads the 15 M
        # cases once instead of building on them (0.8 s -> 0.3 s a night).
        con.execute(f"CREATE OR REPLACE TEMP TABLE {REDO} AS SELECT * FROM {STAGED} AS cb WHERE "
                    + rows("cb.partition_date", "cb.case_id"))
        con.execute("INSERT INTO callbacks " + queries.CALLBACKS_MATCHED_ROWS.format(staged=REDO))
        con.execute("INSERT INTO callbacks_unmatched "
                    + queries.CALLBACKS_UNMATCHED_ROWS.format(staged=REDO))
    finally:
        con.execute("DROP TABLE IF EXISTS callback_cases_recheck")
        con.execute(f"DROP TABLE IF EXISTS {REDO}")
    return "incremental"
