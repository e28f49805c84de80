"""Named DuckDB queries of the ingest layer.

File lists are inlined as SQL string literals (DuckDB takes no parameters in
DDL); ``sql_files`` quotes them.
"""

from __future__ import annotations

from pathlib import Path

from assets.db import among_ids, sql_literal
from assets.ingest.parsing import REASONS


def sql_files(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_literal(p) for p in paths) + "]"


def staged_view(view: str, files: list[Path]) -> str:
    """A view over a source's staged partitions (already limited to as-of)."""
    return f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet({sql_files(files)}, union_by_name = true)"


def best_versions(versions: str) -> str:
    """The latest version of every case among ``versions`` (a relation); ties
    broken by the later delivery, then the later row."""
    return f"""
SELECT * EXCLUDE (version_rank)
FROM (
    SELECT *,
           row_number() OVER (
               PARTITION BY case_id
               ORDER BY updated_at DESC, partition_date DESC, source_row DESC
           ) AS version_rank
    FROM {versions}
)
WHERE version_rank = 1
"""


# Every case's latest version among those updated on or before the as-of date.
CASES_CURRENT = (
    "CREATE OR REPLACE TABLE cases_current AS"
    + best_versions(
        "(SELECT * FROM read_parquet({files}, union_by_name = true)"
        " WHERE updated_at < CAST('{as_of}' AS DATE) + INTERVAL 1 DAY)"
    )
    + "ORDER BY case_id\n"
)

# Callbacks take their hall and window from their case; a callback naming a
# hall must name its case's hall. {staged}: the staged callbacks
# (callbacks_staged_view, or a night's rows to redo copied out of it).
CALLBACKS_MATCHED_ROWS = """
SELECT cb.* EXCLUDE (hall_id),
       cs.hall_id,
       cs.window_id,
       cs.staff_id AS case_staff_id
FROM {staged} AS cb
JOIN cases_current AS cs
  ON cs.case_id = cb.case_id AND (cb.hall_id IS NULL OR cb.hall_id = cs.hall_id)
ORDER BY cb.partition_date, cb.source_file, cb.source_row
"""

# The rest, and why: no case of that id is loaded (yet: an unmatched callback
# is matched again every night, so a case exported late still finds it), or
# the callback names another hall than its case's.
CALLBACKS_UNMATCHED_ROWS = """
SELECT 'callbacks' AS source,
       cb.source_file AS file,
       cb.partition_date,
       cb.source_row AS row,
       CASE WHEN cs.case_id IS NULL THEN 'unknown_case' ELSE 'case_in_other_hall' END AS reason,
       CASE WHEN cs.case_id IS NULL
            THEN 'case_id（办件编号）""" + REASONS["unknown_case"] + """：''' || cb.case_id
                 || '''（已载入的办件中没有此编号；办件数据晚到的，下次运行会自动重新匹配）'
            ELSE 'hall_id（大厅编号）""" + REASONS["case_in_other_hall"] + """：''' || cb.hall_id
                 || '''（办件 ''' || cb.case_id || ''' 属于大厅 ''' || cs.hall_id || '''）'
       END AS detail,
       to_json(cb)::VARCHAR AS raw_values
FROM {staged} AS cb
LEFT JOIN cases_current AS cs ON cs.case_id = cb.case_id
WHERE cs.case_id IS NULL OR cb.hall_id <> cs.hall_id
ORDER BY cb.partition_date, cb.source_row
"""

# What the callback tables were last built from: file_states of the staged
# callback files.
CALLBACKS_INPUTS = "callbacks_inputs"

# What a write of cases_current changed, for the callbacks step
# (callbacks_refresh.py): a fresh content id and the one it was written over
# (NULL after a rebuild), and the ids a merge touched (CASES_TOUCHED_BY_MERGE);
# and which content the callbacks were last compared with.
CASES_CURRENT_VERSIONS = "cases_current_versions"
CASES_CURRENT_TOUCHED = "cases_current_touched"
CALLBACKS_CASES_SEEN = "callbacks_cases_seen"

# The case ids whose callbacks are matched again on a night: every unmatched
# callback (its case may have arrived), and a matched callback whose case is
# gone or now has another hall, window or staff member than the ones copied,
# among the cases in {cases} (joined as {join}; {gone}: the case has no row).
_CALLBACK_RECHECK = """
CREATE OR REPLACE TEMP TABLE callback_cases_recheck AS
SELECT DISTINCT json_extract_string(raw_values, '$.case_id') AS case_id FROM callbacks_unmatched
{matched}"""
_CALLBACKS_WHOSE_CASE_MOVED = """UNION
SELECT cb.case_id
FROM callbacks AS cb
{join} {cases} AS cs ON cs.case_id = cb.case_id
WHERE {gone}
   OR cs.hall_id IS DISTINCT FROM cb.hall_id
   OR cs.window_id IS DISTINCT FROM cb.window_id
   OR cs.staff_id IS DISTINCT FROM cb.case_staff_id
"""
# Every case, whatever cases_current did since the last comparison.
CALLBACK_CASES_TO_RECHECK = _CALLBACK_RECHECK.format(
    matched=_CALLBACKS_WHOSE_CASE_MOVED.format(join="LEFT JOIN", cases="cases_current", gone="cs.case_id IS NULL")
)
# The cases one merge of cases_current touched (cases_current_touched, with
# their new values): every other case's row is as the last comparison saw it.
CALLBACK_TOUCHED_CASES_TO_RECHECK = _CALLBACK_RECHECK.format(
    matched=_CALLBACKS_WHOSE_CASE_MOVED.format(join="JOIN", cases=CASES_CURRENT_TOUCHED, gone="NOT cs.present")
)
# None: cases_current is as the last comparison saw it.
CALLBACK_UNMATCHED_TO_RECHECK = _CALLBACK_RECHECK.format(matched="")

# The rows a night redoes: the changed days' callbacks and those of the
# cases to recheck. {partition_date}, {case_id}: how the table at hand names
# them.
CALLBACK_ROWS_TO_REDO = "{partition_date} IN ({days}) OR {case_id} IN (SELECT case_id FROM callback_cases_recheck)"

# What cases_current was last built from: one row per staged file (its
# modification time and size say whether it changed since) and the as-of date.
CASES_CURRENT_INPUTS = "cases_current_inputs"

# Case ids whose current version may differ from the one in cases_current
# (cases_affected is the union of those that apply):
# - their current version came from a changed or removed partition;
CASES_FROM_DAYS = "SELECT case_id FROM cases_current WHERE partition_date IN ({days})"
# - a changed partition's new file holds a version of them;
CASES_IN_FILES = "SELECT case_id FROM read_parquet({files}, union_by_name = true)"
# - the as-of date moved on and admits a version of them updated in between.
CASES_UPDATED_BETWEEN = """
SELECT case_id FROM read_parquet({files}, union_by_name = true)
WHERE updated_at >= CAST('{old_as_of}' AS DATE) + INTERVAL 1 DAY
  AND updated_at < CAST('{as_of}' AS DATE) + INTERVAL 1 DAY
"""


def cases_affected(parts: list[str]) -> str:
    return "CREATE OR REPLACE TEMP TABLE cases_affected AS\n" + "\nUNION\n".join(parts)


# A night's merge re-ranks only the versions that can win for the affected
# case ids (case_candidates), not every version in every file:
# - the case's row in cases_current, unless it came from a changed day
#   ({not_from_changed_days}): it won among all versions of the unchanged
#   files up to the old as-of date;
CASE_KEPT_WINNERS = f"""
SELECT * FROM cases_current
WHERE {among_ids("cases_affected")} AND {{not_from_changed_days}}
"""
# - every version in the changed days' new files;
CASE_VERSIONS_IN_FILES = """
SELECT * FROM read_parquet({files}, union_by_name = true)
WHERE updated_at < CAST('{as_of}' AS DATE) + INTERVAL 1 DAY
"""
# - versions anywhere that the new as-of date admits;
CASE_VERSIONS_UPDATED_BETWEEN = """
SELECT * FROM read_parquet({files}, union_by_name = true)
WHERE updated_at >= CAST('{old_as_of}' AS DATE) + INTERVAL 1 DAY
  AND updated_at < CAST('{as_of}' AS DATE) + INTERVAL 1 DAY
"""
# - all versions of the cases whose winner came from a changed day (rare: a
#   day delivered again), read from every file.
CASES_LOST_WINNER = "CREATE OR REPLACE TEMP TABLE cases_lost_winner AS " + CASES_FROM_DAYS
CASE_VERSIONS_OF_LOST_WINNERS = """
SELECT * FROM read_parquet({files}, union_by_name = true)
WHERE case_id IN (SELECT case_id FROM cases_lost_winner)
  AND updated_at < CAST('{as_of}' AS DATE) + INTERVAL 1 DAY
"""


def case_candidates(parts: list[str]) -> str:
    return "CREATE OR REPLACE TEMP TABLE case_candidates AS\n" + "\nUNION ALL BY NAME\n".join(parts)


# The affected ids' rows replaced by their best candidate (cases_new).
CASES_CURRENT_MERGE = (
    "CREATE OR REPLACE TEMP TABLE cases_new AS" + best_versions("case_candidates") + ";\n"
    f"DELETE FROM cases_current WHERE {among_ids('cases_affected')};\n"
    "INSERT INTO cases_current BY NAME SELECT * FROM cases_new;\n"
)

# After a merge, the affected ids with what callbacks take from their row
# now (present: the id still has a row).
CASES_TOUCHED_BY_MERGE = f"""
CREATE OR REPLACE TABLE {CASES_CURRENT_TOUCHED} AS
SELECT a.case_id, n.case_id IS NOT NULL AS present, n.hall_id, n.window_id, n.staff_id
FROM cases_affected AS a LEFT JOIN cases_new AS n ON n.case_id = a.case_id
"""


# file_quality with one source's rows in place of its last ones, in the order
# ingest_quality writes the table. {source}: the source; {rows}: a relation
# of the new rows. Used by the steps that account for files outside the
# staging (the reference files of a failed run, the reply files).
FILE_QUALITY_WITH_SOURCE_ROWS = """
CREATE OR REPLACE TABLE file_quality AS
SELECT * FROM (
    SELECT * FROM file_quality WHERE source <> '{source}'
    UNION ALL BY NAME
    SELECT * FROM {rows}
)
ORDER BY source, partition_date NULLS LAST, file
"""
