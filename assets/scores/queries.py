"""Named DuckDB queries of the score step (see warehouse_io)."""

from assets.db import among_ids

# The columns compute_scores reads of each staged input (others are added as
# nulls by the scoring modules and never looked at). The staged sources are
# read through their views over every staged day (ingest's source_tables).
STAGED_INPUTS = {  # source -> (view, columns)
    "queue": ("queue_tickets", "hall_id, ticket_id, issued_at, called_at, window_id, status, partition_date"),
    "attendance": ("attendance", "hall_id, staff_id, punch_at, partition_date"),
    "leave": ("leave_records", "hall_id, staff_id, leave_start, leave_end, approved, partition_date"),
    "monitoring": (
        "monitoring_events",
        "hall_id, event_id, occurred_at, window_id, staff_id, event_type, source, confirmed, partition_date",
    ),
    "ratings": ("ratings", "hall_id, rating_id, rated_at, window_id, staff_id, case_id, score, partition_date"),
}
INPUT_QUERIES = {
    "cases_current": """
        SELECT hall_id, case_id, window_id, staff_id, matter_code, received_at, completed_at, status,
               promised_days, supplement_count, visit_count, channel, updated_at
        FROM cases_current""",
    # only the cases some callback names: all callbacks_at_windows joins on
    "callback_cases": """
        SELECT case_id, hall_id, window_id, staff_id
        FROM cases_current
        WHERE case_id IN (SELECT case_id FROM callbacks)""",
    **{source: f"SELECT {columns} FROM {view}" for source, (view, columns) in STAGED_INPUTS.items()},
    "callbacks": """
        SELECT callback_id, case_id, called_at, outcome, satisfaction, problem_type, problem_verified,
               partition_date, hall_id, window_id, case_staff_id
        FROM callbacks""",
}

# A score table from a Parquet file of its rows, stamped like every score table.
STAMPED_TABLE = """
CREATE OR REPLACE TABLE {table} AS
SELECT *, {cfg_hash} AS config_hash, DATE '{as_of}' AS as_of
FROM read_parquet({path})
"""

# ---- incremental refresh (see assets.scores.incremental) ---------------------

# The state the score tables were computed from, written in the transaction
# that writes them: the run's stamp, the staged files with the span of dates
# their facts count on, and the partition of every current case version.
STATE_TABLE = "scores_state"
FILES_TABLE = "scores_input_files"
CASES_TABLE = "scores_case_inputs"
# The cases a run re-read because they changed (empty after a full run): the
# rectification finders refresh their items from the same M0 and re-find these.
REFRESHED_CASES_TABLE = "scores_refreshed_cases"

# The date columns each staged source's facts are dated by (a leave record
# counts on every day from its start to its end; a ticket on its issue and
# call days). The partition date is counted too: it is the day an attendance
# file makes judged.
FACT_DATE_COLUMNS = {
    "cases": (),  # cases are placed by date case by case (incremental.changed_case_dates)
    "queue": ("issued_at", "called_at"),
    "attendance": ("punch_at",),
    "leave": ("leave_start", "leave_end"),
    "monitoring": ("occurred_at",),
    "ratings": ("rated_at",),
    "callbacks": ("called_at",),
}

# Per staged file (one a partition date): the earliest and latest fact date.
FILE_DATE_SPAN = """
SELECT partition_date,
       least(partition_date, {mins}) AS min_date,
       greatest(partition_date, {maxs}) AS max_date
FROM read_parquet({files}, union_by_name = true)
GROUP BY partition_date
"""

# The partition each case's current version came from.
CASE_PARTITIONS = "SELECT case_id, partition_date FROM cases_current"

# Cases whose current version may not be the one the score tables were
# computed from: a version updated after the previous as-of date was
# admitted, or the current version (now or then) lies in a changed case
# partition. (Any other version stayed and is still outranked by the same
# current version.)
CHANGED_CASES = f"""
SELECT case_id FROM cases_current
WHERE updated_at >= CAST('{{old_as_of}}' AS DATE) + INTERVAL 1 DAY OR partition_date IN ({{days}})
UNION
SELECT case_id FROM {CASES_TABLE} WHERE partition_date IN ({{days}})
"""

# The changed cases' rows as scored before (case_timeliness columns that
# place a case on a date: see incremental.CASE_DATE_ATTRIBUTES).
CHANGED_CASES_BEFORE = f"""
SELECT case_id, hall_id, window_id, staff_id, received_date, completed_date, evaluation_date, is_completed,
       supplement_count, visit_count, one_trip, evaluated, on_time
FROM case_timeliness
WHERE {among_ids("changed_cases")}
"""
CHANGED_CASES_NOW = f"""
SELECT hall_id, case_id, window_id, staff_id, matter_code, received_at, completed_at, status,
       promised_days, supplement_count, visit_count, channel, updated_at, partition_date
FROM cases_current
WHERE {among_ids("changed_cases")}
"""
# The earliest date of a changed case's callback placed elsewhere than
# before (another hall, window or staff member, or placed only before or
# only now).
CHANGED_CALLBACKS_EARLIEST = """
WITH before AS (
    SELECT callback_id, hall_id, window_id, staff_id, date FROM callback_facts
    WHERE case_id IN (SELECT case_id FROM changed_cases)
), now AS (
    SELECT callback_id, coalesce(hall_id, '{default_hall}') AS hall_id, window_id, case_staff_id AS staff_id,
           called_at::DATE AS date
    FROM callbacks
    WHERE case_id IN (SELECT case_id FROM changed_cases) AND called_at::DATE <= DATE '{as_of}'
)
SELECT min(date) FROM ((SELECT * FROM before EXCEPT SELECT * FROM now) UNION ALL (SELECT * FROM now EXCEPT SELECT * FROM before))
"""
# Keeping the case partitions up to date after an incremental refresh
# (changed_cases carries the partition of each current version: the plan read it).
CASE_PARTITIONS_UPDATE = f"""
DELETE FROM {CASES_TABLE} WHERE {among_ids("changed_cases")};
INSERT INTO {CASES_TABLE} SELECT case_id, partition_date FROM changed_cases WHERE partition_date IS NOT NULL;
"""

# What a night's recompute of the days from D0 reads. Staged sources: the
# partitions holding a fact dated on or after D0. Cases: those with a date on
# or after D0 (open ones may turn late; a case received and completed before
# D0 is also evaluated before D0, its deadline + 1 being at most its
# completion), and the changed cases (their rows are replaced even when all
# their dates are older and unchanged).
RECENT_CASES = """
SELECT * FROM ({sql})
WHERE received_at >= TIMESTAMP '{start}' OR completed_at IS NULL OR completed_at >= TIMESTAMP '{start}'
   OR case_id IN (SELECT case_id FROM changed_cases)
"""
IN_PARTITIONS = "SELECT * FROM ({sql}) WHERE partition_date IN ({days})"
# A staged source's partitions read from their own files: its view lists
# every staged day's file (~250 at a city's year), and finding a night's few
# partitions in it read all their footers (0.06-0.17 s a source).
PARTITION_FILES = """
SELECT {columns} FROM read_parquet({files}, union_by_name = true)
WHERE partition_date IN ({days})
"""
# The stored day rows of the days from M0 before D0, which a night keeps and
# adds to the recomputed ones to roll up the months (compute.EarlierDays).
EARLIER_DAYS = """
SELECT {columns} FROM {table}
WHERE length(period) = 10 AND period >= '{start}' AND period < '{until}'
"""
# (bounded by the ids' range: 15 M cases looked up, 0.23 s -> 0.08 s)
RECENT_CALLBACK_CASES = f"""
SELECT case_id, hall_id, window_id, staff_id
FROM cases_current
WHERE {among_ids("(SELECT case_id FROM callbacks WHERE partition_date IN ({days})) AS night_callbacks")}
"""

# Replacing the recomputed rows of a score table ({keep_new} selects the new
# rows that belong to the recomputed part, {replaced} the old rows they replace).
DELETE_ROWS = "DELETE FROM {table} WHERE {replaced}"
INSERT_STAMPED = """
INSERT INTO {table} BY NAME
SELECT *, {cfg_hash} AS config_hash, DATE '{as_of}' AS as_of
FROM {source}
WHERE {keep_new}
"""
