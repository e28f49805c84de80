"""The callbacks tables brought up to date night by night equal a rebuild,
with the rows worked out by hand (assets/ingest/callbacks_refresh.py)."""

from datetime import date

import duckdb
import polars as pl

from assets.ingest import queries
from assets.ingest.callbacks_refresh import refresh_callbacks

DAY1, DAY2, DAY3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)


def staged(folder, day, rows):
    """A staged callbacks file: (callback_id, case_id, hall_id) per row."""
    path = folder / f"{day.isoformat()}.parquet"
    pl.DataFrame(
        {
            "callback_id": [r[0] for r in rows],
            "case_id": [r[1] for r in rows],
            "hall_id": [r[2] for r in rows],
            "partition_date": [day] * len(rows),
            "source_file": [f"callbacks/{day.isoformat()}.csv"] * len(rows),
            "source_row": list(range(1, len(rows) + 1)),
        },
        schema_overrides={"hall_id": pl.String},
    ).write_parquet(path)
    return path


def set_cases(con, rows):
    """cases_current as (case_id, hall_id, window_id, staff_id) rows."""
    frame = pl.DataFrame(rows, schema=["case_id", "hall_id", "window_id", "staff_id"], orient="row")
    con.execute("CREATE OR REPLACE TABLE cases_current AS SELECT * FROM frame")


def refresh(con, files):
    con.execute(queries.staged_view("callbacks_staged_view", list(files.values())))
    return refresh_callbacks(con, files)


def state(con):
    matched = sorted(con.execute("SELECT callback_id, window_id, case_staff_id FROM callbacks").fetchall())
    unmatched = sorted(
        con.execute("SELECT json_extract_string(raw_values, '$.callback_id'), row FROM callbacks_unmatched").fetchall()
    )
    return matched, unmatched


def rebuilt(con, files):
    """The same tables made whole, as a first run would."""
    con.execute(f"DROP TABLE {queries.CALLBACKS_INPUTS}")
    assert refresh(con, files) == "full"
    return state(con)


def test_night_by_night_equals_rebuild(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    set_cases(con, [("C1", "main", "W1", "S1"), ("C2", "main", "W2", "S2")])
    # K3's case is unknown, K4 names another hall than its case's
    files = {DAY1: staged(tmp_path, DAY1, [("K1", "C1", None), ("K2", "C2", None), ("K3", "C9", None),
                                            ("K4", "C1", "east")])}
    assert refresh(con, files) == "full"
    assert state(con) == ([("K1", "W1", "S1"), ("K2", "W2", "S2")], [("K3", 3), ("K4", 4)])
    # nothing new: only the two unknown ones are looked up again
    assert refresh(con, files) == "incremental"
    assert state(con) == ([("K1", "W1", "S1"), ("K2", "W2", "S2")], [("K3", 3), ("K4", 4)])

    # night 2: C2 moved to W5, C9 arrived, a new day with a callback on C1
    set_cases(con, [("C1", "main", "W1", "S1"), ("C2", "main", "W5", "S2"), ("C9", "main", "W9", "S9")])
    files[DAY2] = staged(tmp_path, DAY2, [("K5", "C1", None)])
    assert refresh(con, files) == "incremental"
    night2 = ([("K1", "W1", "S1"), ("K2", "W5", "S2"), ("K3", "W9", "S9"), ("K5", "W1", "S1")], [("K4", 4)])
    assert state(con) == night2
    assert rebuilt(con, files) == night2

    # night 3: day 1 delivered again without K1; C1 is gone (its callbacks
    # unknown now); day 3 brings K6 on C2
    set_cases(con, [("C2", "main", "W5", "S2"), ("C9", "main", "W9", "S9")])
    files[DAY1] = staged(tmp_path, DAY1, [("K2", "C2", None), ("K3", "C9", None), ("K4", "C1", "east")])
    files[DAY3] = staged(tmp_path, DAY3, [("K6", "C2", None)])
    assert refresh(con, files) == "incremental"
    night3 = ([("K2", "W5", "S2"), ("K3", "W9", "S9"), ("K6", "W5", "S2")], [("K4", 3), ("K5", 1)])
    assert state(con) == night3
    assert rebuilt(con, files) == night3

    # night 4: day 2 is past the as-of date again (an earlier --as-of)
    del files[DAY2]
    assert refresh(con, files) == "incremental"
    assert state(con) == ([("K2", "W5", "S2"), ("K3", "W9", "S9"), ("K6", "W5", "S2")], [("K4", 3)])
    con.execute("DELETE FROM callbacks_unmatched")
    assert refresh(con, files) == "unchanged"
