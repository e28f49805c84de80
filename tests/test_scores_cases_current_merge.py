"""cases_current, refreshed night by night by merging the changed partitions,
equals cases_current rebuilt whole from the same staged files (real Parquet
files, real DuckDB files)."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from assets.ingest.assets import refresh_cases_current
from assets.ingest.contract import staged_schema


def case_rows(day: date, rows: list[tuple[str, str, str | None, str]]) -> pl.DataFrame:
    """rows: (case_id, updated_at, completed_at, status) delivered on ``day``."""
    frame = pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "hall_id": ["main"] * len(rows),
            "window_id": ["W1"] * len(rows),
            "staff_id": ["S1"] * len(rows),
            "matter_code": ["M1"] * len(rows),
            "received_at": [datetime(2026, 3, 2, 9)] * len(rows),
            "completed_at": [datetime.fromisoformat(r[2]) if r[2] else None for r in rows],
            "status": [r[3] for r in rows],
            "updated_at": [datetime.fromisoformat(r[1]) for r in rows],
            "partition_date": [day] * len(rows),
            "source_file": [f"cases/{day}.csv"] * len(rows),
            "source_row": list(range(2, len(rows) + 2)),
        }
    )
    schema = staged_schema("cases")
    return frame.with_columns(
        [pl.lit(None, dtype=t).alias(n) for n, t in schema.items() if n not in frame.columns]
    ).select([pl.col(n).cast(t) for n, t in schema.items()])


def stage(folder: Path, day: date, frame: pl.DataFrame, stamp: int) -> Path:
    path = folder / f"{day.isoformat()}.parquet"
    frame.write_parquet(path)
    os.utime(path, ns=(stamp, stamp))  # a restaged day is a new file
    return path


def refresh(db: Path, files: dict[date, Path], as_of: date) -> str:
    with duckdb.connect(str(db)) as con:
        con.execute("BEGIN TRANSACTION")
        how = refresh_cases_current(con, files, as_of)
        con.execute("COMMIT")
    return how


def table(db: Path) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT * FROM cases_current ORDER BY case_id").pl()


D1, D2, D3, D4 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)


def test_nightly_merges_equal_a_full_rebuild(tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    nightly, full = tmp_path / "nightly.duckdb", tmp_path / "full.duckdb"
    # two earlier days, so that a night changes fewer than half the partitions
    files = {d: stage(staged, d, case_rows(d, [(f"C0{d.day}", f"{d} 10:00", None, "accepted")]), 0)
             for d in (date(2026, 2, 26), date(2026, 2, 27))}

    files[D1] = stage(staged, D1, case_rows(D1, [("C1", "2026-03-02 10:00", None, "accepted"),
                                                 ("C2", "2026-03-02 11:00", None, "accepted"),
                                                 ("C3", "2026-03-02 12:00", None, "accepted")]), 1)
    files[D2] = stage(staged, D2, case_rows(D2, [("C1", "2026-03-03 10:00", "2026-03-03 10:00", "completed"),
                                                 ("C4", "2026-03-03 09:00", None, "accepted")]), 2)
    assert refresh(nightly, files, D2) == "full"  # nothing recorded yet
    assert refresh(nightly, files, D2) == "unchanged"

    # Night 3: a new day, and day 2 re-exported without C1's completion but
    # with a withdrawal of C2; a version of C3 dated day 4 waits in day 3's
    # file, beside a version of C026 older than the one 02-26 delivered (which
    # stays current).
    files[D3] = stage(staged, D3, case_rows(D3, [("C3", "2026-03-04 15:00", "2026-03-04 15:00", "completed"),
                                                 ("C3", "2026-03-05 08:00", "2026-03-04 15:00", "withdrawn"),
                                                 ("C026", "2026-02-25 08:00", None, "withdrawn")]), 3)
    files[D2] = stage(staged, D2, case_rows(D2, [("C2", "2026-03-03 16:00", None, "withdrawn"),
                                                 ("C4", "2026-03-03 09:00", None, "accepted")]), 4)
    assert refresh(nightly, files, D3) == "merge"
    by_id = {r["case_id"]: r["status"] for r in table(nightly).iter_rows(named=True)}
    assert by_id == {"C026": "accepted", "C027": "accepted",
                     "C1": "accepted", "C2": "withdrawn", "C3": "completed", "C4": "accepted"}

    # Night 4: no new file, but the as-of date admits C3's later version.
    assert refresh(nightly, files, D4) == "merge"
    assert table(nightly).filter(pl.col("case_id") == "C3")["status"].to_list() == ["withdrawn"]

    assert refresh(full, files, D4) == "full"
    assert_frame_equal(table(nightly), table(full))


def test_an_earlier_as_of_rebuilds_whole(tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    files = {D1: stage(staged, D1, case_rows(D1, [("C1", "2026-03-02 10:00", None, "accepted")]), 1),
             D2: stage(staged, D2, case_rows(D2, [("C1", "2026-03-03 10:00", None, "withdrawn")]), 2)}
    db = tmp_path / "w.duckdb"
    assert refresh(db, files, D2) == "full"
    assert table(db)["status"].to_list() == ["withdrawn"]
    assert refresh(db, {D1: files[D1]}, D1) == "full"
    assert table(db)["status"].to_list() == ["accepted"]


def test_among_ids_selects_what_the_in_probe_selects(tmp_path):
    """The id-range bound added to the changed-case lookups changes no
    result: NULL ids on either side, ids outside the range, an empty list."""
    from assets.db import among_ids

    con = duckdb.connect(str(tmp_path / "ids.duckdb"))
    con.execute("CREATE TABLE cases (case_id VARCHAR, n INT)")
    con.execute("INSERT INTO cases VALUES ('A1', 1), ('B2', 2), ('C3', 3), (NULL, 4), ('Z9', 5), ('B2x', 6)")
    con.execute("CREATE TABLE changed (case_id VARCHAR)")
    con.execute("INSERT INTO changed VALUES ('B2'), ('C3'), (NULL), ('Q7')")
    picked = sorted(r[0] for r in con.execute(f"SELECT n FROM cases WHERE {among_ids('changed')}").fetchall())
    assert picked == [2, 3]  # B2x lies inside the range and Z9 past it: neither is listed
    con.execute("DELETE FROM changed")
    assert con.execute(f"SELECT count(*) FROM cases WHERE {among_ids('changed')}").fetchall() == [(0,)]
    con.close()
