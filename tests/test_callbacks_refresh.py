"""The callbacks tables brought up to date night by night equal a rebuild,
with the rows worked out by hand (assets/ingest/callbacks_refresh.py)."""

from datetime import date

import duckdb
import polars as pl

from assets.ingest import queries
from assets.ingest.callbacks_refresh import refresh_callbacks
from assets.ingest.assets import refresh_cases_current
from tests.test_scores_cases_current_merge import case_rows, stage

DAY1, DAY2, DAY3, DAY4 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)


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


def reasons(con):
    """Each unmatched callback's reason and detail, by callback id."""
    rows = con.execute(
        "SELECT json_extract_string(raw_values, '$.callback_id'), reason, detail FROM callbacks_unmatched"
    ).fetchall()
    return {k: (reason, detail) for k, reason, detail in rows}


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
    assert reasons(con) == {
        "K3": ("unknown_case",
               "case_id（办件编号）找不到办件：'C9'（已载入的办件中没有此编号；办件数据晚到的，下次运行会自动重新匹配）"),
        "K4": ("case_in_other_hall", "hall_id（大厅编号）与办件所属大厅不一致：'east'（办件 'C1' 属于大厅 'main'）"),
    }
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
    # K4's case is gone now: its reason says so, not the hall
    night3_reasons = {k: reason for k, (reason, _detail) in reasons(con).items()}
    assert night3_reasons == {"K4": "unknown_case", "K5": "unknown_case"}
    assert rebuilt(con, files) == night3
    assert {k: reason for k, (reason, _detail) in reasons(con).items()} == night3_reasons

    # night 4: day 2 is past the as-of date again (an earlier --as-of)
    del files[DAY2]
    assert refresh(con, files) == "incremental"
    assert state(con) == ([("K2", "W5", "S2"), ("K3", "W9", "S9"), ("K6", "W5", "S2")], [("K4", 3)])
    con.execute("DELETE FROM callbacks_unmatched")
    assert refresh(con, files) == "unchanged"


# ---------------------------------------------------------------------------
# cases_current merged for real: the callbacks compared with the cases the
# merge touched, or with none when it did not run, or with all after two merges
# ---------------------------------------------------------------------------
def cases_file(folder, day, rows, stamp):
    """A staged cases file: (case_id, updated_at, window_id) per row."""
    frame = case_rows(day, [(case_id, updated, None, "accepted") for case_id, updated, _w in rows])
    frame = frame.with_columns(pl.Series("window_id", [w for _c, _u, w in rows], dtype=pl.String))
    return stage(folder, day, frame, stamp)


def night(con, case_files, callback_files, as_of):
    con.execute("BEGIN TRANSACTION")
    how = refresh_cases_current(con, case_files, as_of)
    con.execute("COMMIT")
    return how, refresh(con, callback_files)


def test_callbacks_follow_the_cases_a_merge_touched(tmp_path):
    cases_dir, callbacks_dir = tmp_path / "cases", tmp_path / "callbacks"
    cases_dir.mkdir()
    callbacks_dir.mkdir()
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    earlier = [date(2026, 2, 23), date(2026, 2, 24), date(2026, 2, 25)]  # so that a night merges
    cases = {d: cases_file(cases_dir, d, [(f"E{d.day}", f"{d} 09:00", "W0")], 0) for d in earlier}
    cases[DAY1] = cases_file(cases_dir, DAY1, [("C1", "2026-03-02 10:00", "W1"), ("C2", "2026-03-02 10:00", "W2")], 1)
    calls = {DAY1: staged(callbacks_dir, DAY1, [("K1", "C1", None), ("K2", "C2", None), ("K3", "C9", None)])}
    assert night(con, cases, calls, DAY1) == ("full", "full")
    assert state(con) == ([("K1", "W1", "S1"), ("K2", "W2", "S1")], [("K3", 3)])

    # day 2: C2 moves to W5 and C9 arrives; only they are compared again
    cases[DAY2] = cases_file(cases_dir, DAY2, [("C2", "2026-03-03 10:00", "W5"), ("C9", "2026-03-03 11:00", "W9")], 2)
    assert night(con, cases, calls, DAY2) == ("merge", "incremental")
    day2 = ([("K1", "W1", "S1"), ("K2", "W5", "S1"), ("K3", "W9", "S1")], [])
    assert state(con) == day2

    # the same night again: cases_current unchanged, nothing to compare
    assert night(con, cases, calls, DAY2) == ("unchanged", "unchanged")
    assert state(con) == day2

    # two merges without the callbacks step between (it failed): day 3 moves
    # C1 to W6, day 4 moves C9 to W7; the callbacks compare every case, not
    # only those of the last merge (which did not touch C1)
    cases[DAY3] = cases_file(cases_dir, DAY3, [("C1", "2026-03-04 10:00", "W6")], 3)
    con.execute("BEGIN TRANSACTION")
    assert refresh_cases_current(con, cases, DAY3) == "merge"
    con.execute("COMMIT")
    cases[DAY4] = cases_file(cases_dir, DAY4, [("C9", "2026-03-05 11:00", "W7")], 4)
    assert night(con, cases, calls, DAY4) == ("merge", "incremental")
    day3 = ([("K1", "W6", "S1"), ("K2", "W5", "S1"), ("K3", "W7", "S1")], [])
    assert state(con) == day3
    assert rebuilt(con, calls) == day3
