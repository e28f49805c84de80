"""Named DuckDB queries of the score step (see warehouse_io)."""

# The columns compute_scores reads of each staged input (others are added as
# nulls by the scoring modules and never looked at).
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
    "queue": """
        SELECT hall_id, ticket_id, issued_at, called_at, window_id, status, partition_date
        FROM queue_tickets""",
    "attendance": "SELECT hall_id, staff_id, punch_at, partition_date FROM attendance",
    "leave": "SELECT hall_id, staff_id, leave_start, leave_end, approved, partition_date FROM leave_records",
    "monitoring": """
        SELECT hall_id, event_id, occurred_at, window_id, staff_id, event_type, source, confirmed, partition_date
        FROM monitoring_events""",
    "ratings": """
        SELECT hall_id, rating_id, rated_at, window_id, staff_id, case_id, score, partition_date
        FROM ratings""",
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
