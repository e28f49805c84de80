"""Found items refreshed from the scores' D0 (or M0) instead of re-found whole.

On a night the finders of every rule but low_score (which reads the small
monthly score table whole) re-find only what the score step recomputed: the
facts dated on or after its D0 (for repeated lateness, which counts within
a calendar month, its M0, the first of D0's month) and the cases it re-read
because they changed (scores_refreshed_cases), with their callbacks. Their
found_items_* table keeps every older row and replaces the rest, in one
transaction.

Why the kept rows are what a full run would find: an item is dated by the
fact that triggers it (detected_on = the rating's, event's, callback's or
staff-day's date, the case's completion day, or its deadline + 1, its
evaluation date; repeated lateness by the day of the month's third
late-or-early day), and the score step's D0 is at most the earliest fact
date of every new, re-delivered or vanished file (a case file through its
cases, which are all changed cases), of every changed case and of its
callbacks, and at most the day after the previous as-of date
(assets.scores.incremental). So a fact dated before D0 is in a file that did
not change, or is a case that did not change, and was already known at the
previous as-of date; the rule finds the same item from it with the same
deadline and description (a month's lateness count, from M0, sees all of
D0's month). Anything else - method config, reference data
(window and matter names and departments are in the descriptions) - makes
the score step recompute everything, and then the finders too.

A finder refreshes this way only when it is one score run behind: its state
row (found_items_state) names the score generation its table was found
after, and it must be the previous one, with the score run incremental, at
the same as-of date and method config as this run. Any other case (first
run, a step that failed or was skipped, a rule run on its own) re-finds the
rule whole.

Every write also says what it changed, for the ledger's merge
(ledger_store.merge_found, merge_scope.py): ``found_items_versions`` gives
each found table's content a fresh id at each write and names the content it
was written over, and ``found_items_touched`` holds the item ids whose row
that write added, removed or changed (a row found again exactly as before is
not touched). A ledger that merged exactly the previous content need look
only at these ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import polars as pl

from assets.db import replace_table, sql_literal, table_names
from assets.scores import queries as score_queries
from assets.scores.incremental import state_generation

from .items import ITEM_SCHEMA

STATE_TABLE = "found_items_state"
CHANGED_CASES = f"SELECT case_id FROM {score_queries.REFRESHED_CASES_TABLE}"

# The case rules' inputs with the matter's name, which the item description
# shows (the matter names are reference data: a change recomputes everything).
OVERDUE_CASES = "SELECT t.*, m.matter_name FROM case_timeliness t LEFT JOIN matters m USING (matter_code)"
CASE_VERSIONS = "SELECT c.*, m.matter_name FROM cases_current c LEFT JOIN matters m USING (matter_code)"

# rule -> (the narrowed input query, the rows of the found table it replaces).
# {start} is D0 (M0 for the MONTHLY_RULES); the rule settings are {rule_key} placeholders as in
# assets.RULE_INPUTS. Each query reads every input row that can give an item
# matching its condition (a superset is fine: the new rows are kept only
# where they match the condition too).
REFRESHED_INPUTS: dict[str, tuple[str, str]] = {
    "bad_rating": (
        "SELECT * FROM ratings WHERE score <= {bad_rating_max_score} AND rated_at >= TIMESTAMP '{start}'",
        "detected_on >= DATE '{start}'",
    ),
    "overdue_case": (
        f"""{OVERDUE_CASES} WHERE NOT t.excluded AND t.late
            AND (t.deadline + 1 >= DATE '{{start}}' OR t.case_id IN ({CHANGED_CASES}))""",
        f"detected_on >= DATE '{{start}}' OR subject_ref IN ({CHANGED_CASES})",
    ),
    # cases_current holds one row per case: filtered in the one scan (as a
    # semi join on its own ids it read the 15 M cases twice, 0.8-1.8 s -> 0.3 s)
    "one_notice": (
        f"""{CASE_VERSIONS} WHERE c.status = 'completed' AND c.supplement_count >= {{one_notice_min_supplements}}
              AND (c.completed_at >= TIMESTAMP '{{start}}' OR c.case_id IN ({CHANGED_CASES}))""",
        f"detected_on >= DATE '{{start}}' OR subject_ref IN ({CHANGED_CASES})",
    ),
    "behaviour": (
        "SELECT * FROM monitoring_events WHERE occurred_at >= TIMESTAMP '{start}'",
        "detected_on >= DATE '{start}'",
    ),
    # a callback is placed at its case's window: a changed case's callbacks too
    "callback_problem": (
        f"SELECT * FROM callbacks WHERE called_at >= TIMESTAMP '{{start}}' OR case_id IN ({CHANGED_CASES})",
        f"""detected_on >= DATE '{{start}}'
            OR subject_ref IN (SELECT callback_id FROM callbacks WHERE case_id IN ({CHANGED_CASES}))""",
    ),
    "absence": ("SELECT * FROM attendance_days WHERE date >= DATE '{start}'", "detected_on >= DATE '{start}'"),
    # from M0, the first of a month (MONTHLY_RULES): whole months of
    # staff-days are re-read, its count runs per calendar month
    "repeated_lateness": ("SELECT * FROM attendance_days WHERE date >= DATE '{start}'", "detected_on >= DATE '{start}'"),
}

# Rules counted within a calendar month re-find from M0, the first of D0's month.
MONTHLY_RULES = frozenset({"repeated_lateness"})

CREATE_STATE = f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (rule VARCHAR PRIMARY KEY, scores_generation BIGINT)"
VERSIONS_TABLE = "found_items_versions"
TOUCHED_TABLE = "found_items_touched"
CREATE_VERSIONS = (
    f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} "
    "(rule VARCHAR PRIMARY KEY, content_id VARCHAR NOT NULL, previous_content_id VARCHAR)"
)
CREATE_TOUCHED = f"CREATE TABLE IF NOT EXISTS {TOUCHED_TABLE} (rule VARCHAR NOT NULL, item_id VARCHAR)"
_CONTENT = [c for c in ITEM_SCHEMA if c != "item_id"]
# The ids of the rows in {part} (the replaced part, or every row) that the
# new frame __found does not give again exactly, or gives new: one join on
# the id (hashing whole rows both ways, EXCEPT ALL, cost twice as much).
TOUCHED_ROWS = f"""
INSERT INTO {TOUCHED_TABLE}
SELECT DISTINCT $rule, coalesce(o.item_id, n.item_id)
FROM (SELECT * FROM {{table}} WHERE {{part}}) AS o
FULL JOIN (SELECT * FROM __found WHERE {{part}}) AS n ON o.item_id = n.item_id
WHERE o.item_id IS NULL OR n.item_id IS NULL
   OR ({", ".join(f"o.{c}" for c in _CONTENT)}) IS DISTINCT FROM ({", ".join(f"n.{c}" for c in _CONTENT)})
"""
SCORES_STAMP = f"SELECT as_of, config_hash, refresh, refresh_from, {{days_from}} FROM {score_queries.STATE_TABLE}"


@dataclass(frozen=True)
class FoundRefresh:
    """How a finder refreshes its table this run."""

    start: date | None  # D0, or M0 for a monthly rule; None: re-find the rule whole
    scores_generation: int | None  # the score run this table is found after

    @property
    def refresh(self) -> str:
        return "full" if self.start is None else "incremental"


def plan_found_refresh(con, rule: str, *, as_of: date, cfg_hash: str, table: str) -> FoundRefresh:
    """Incremental from the scores' D0 (M0 for a monthly rule) when the
    rule's table is exactly one score run behind, else full (see the module
    docstring)."""
    generation = state_generation(con)
    if rule not in REFRESHED_INPUTS or generation is None:
        return FoundRefresh(None, generation)
    names = table_names(con)
    if not {STATE_TABLE, table, score_queries.REFRESHED_CASES_TABLE} <= names:
        return FoundRefresh(None, generation)
    # a state written before D0 was recorded names M0 only: refresh from it
    state_columns = {r[0] for r in con.execute(f"DESCRIBE {score_queries.STATE_TABLE}").fetchall()}
    days_from = "days_from" if "days_from" in state_columns else "refresh_from"
    scored_as_of, scored_cfg, refresh, month_start, day_start = con.execute(
        SCORES_STAMP.format(days_from=days_from)
    ).fetchall()[0]
    start = month_start if rule in MONTHLY_RULES else day_start
    behind = con.execute(f"SELECT scores_generation FROM {STATE_TABLE} WHERE rule = ?", [rule]).fetchall()
    one_run_behind = bool(behind) and behind[0][0] == generation - 1
    if refresh == "incremental" and one_run_behind and scored_as_of == as_of and scored_cfg == cfg_hash:
        return FoundRefresh(start, generation)
    return FoundRefresh(None, generation)


def found_input_query(rule: str, full_query: str, plan: FoundRefresh) -> str:
    """The rule's input query, narrowed to the refreshed part on an incremental run."""
    if plan.start is None:
        return full_query
    return REFRESHED_INPUTS[rule][0].replace("{start}", plan.start.isoformat())


def write_found(con, rule: str, table: str, found: pl.DataFrame, plan: FoundRefresh) -> int:
    """Replace the table (or its refreshed part), record the plan's score
    generation and what the write changed (the module docstring), in one
    transaction; returns the table's row count."""
    names = table_names(con)
    con.execute("BEGIN TRANSACTION")
    con.execute(CREATE_VERSIONS)
    con.execute(CREATE_TOUCHED)
    con.execute(f"DELETE FROM {TOUCHED_TABLE} WHERE rule = ?", [rule])
    previous = None
    replaced = "TRUE" if plan.start is None else REFRESHED_INPUTS[rule][1].replace("{start}", plan.start.isoformat())
    con.register("__found", found)
    if table in names:
        rows = con.execute(f"SELECT content_id FROM {VERSIONS_TABLE} WHERE rule = ?", [rule]).fetchall()
        previous = rows[0][0] if rows else None
    if previous is not None:
        con.execute(TOUCHED_ROWS.format(table=table, part=replaced), {"rule": rule})
    if plan.start is None:
        replace_table(con, table, found)
    else:
        con.execute(f"DELETE FROM {table} WHERE {replaced}")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __found WHERE {replaced}")
    con.unregister("__found")
    con.execute(CREATE_STATE)
    con.execute(f"DELETE FROM {STATE_TABLE} WHERE rule = {sql_literal(rule)}")
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?)", [rule, plan.scores_generation])
    con.execute(f"DELETE FROM {VERSIONS_TABLE} WHERE rule = ?", [rule])
    con.execute(f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?)", [rule, uuid.uuid4().hex, previous])
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    con.execute("COMMIT")
    return rows
