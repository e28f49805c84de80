"""Scores and found items refreshed night by night equal those of one run.

Real Dagster runs on a small demo inbox: a home loaded night by night (the
score step recomputes only the months from M0 on, the finders of
assets.rectification.found_refresh re-find only from it) against fresh homes
given the same inbox once. Every score table and every found_items_* table
must hold the same rows with the same values (only the stamp columns of the
score tables differ: a kept row keeps the as-of date of the night that
computed it, see assets.scores.incremental), and the ledger the same items
with the same statuses, apart from items the nightly home withdrew.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.rectification.found_refresh import MONTHLY_RULES, REFRESHED_INPUTS
from assets.rectification.items import RULES
from assets.scores.assets import SCORE_TABLES
from assets.scores.incremental import case_dates_moved
from assets.scores.refresh_plan import Stamp, refresh_start
from pipelines.demo_inbox import InboxProfile, write_inbox
from pipelines.runner import open_instance, run_graph

PROFILE = InboxProfile(
    departments=4, windows_per_hall=8, staff_per_hall=24, matters=20, days=75,
    formats={"cases": "csv", "ratings": "csv", "callbacks": "csv", "leave": "csv"},
)
END = date(2026, 3, 6)  # the inbox runs from 2025-12-22
STAMP_COLUMNS = ["as_of", "config_hash"]


def table(home: Path, name: str) -> pl.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(f"SELECT * FROM {name}").pl()


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


# ---- M0, worked by hand ---------------------------------------------------------

HISTORY = date(2025, 10, 31)


def stamp(as_of: date, cfg: str = "c1", ref: str = "r1") -> Stamp:
    return Stamp(as_of, cfg, ref)


def test_a_night_recomputes_the_month_after_the_previous_as_of():
    # nothing changed: the day after 10-29 is 10-30, in October
    assert refresh_start(stamp(date(2026, 10, 29)), stamp(date(2026, 10, 30)), [], HISTORY) == date(2026, 10, 1)
    # the previous as-of was Saturday 10-31: the day after is 11-01
    assert refresh_start(stamp(date(2026, 10, 31)), stamp(date(2026, 11, 2)), [None], HISTORY) == date(2026, 11, 1)


def test_a_changed_file_or_case_moves_m0_back_to_its_month():
    # a corrected file whose facts start 09-15: September and on
    # (11-02 - 09-01 = 62 days, under half of the 367 days since 2025-10-31)
    assert refresh_start(
        stamp(date(2026, 10, 31)), stamp(date(2026, 11, 2)), [date(2026, 10, 20), date(2026, 9, 15)], HISTORY
    ) == date(2026, 9, 1)


def test_full_recompute_when_nothing_can_be_reused():
    night = stamp(date(2026, 10, 30))
    assert refresh_start(None, night, [], HISTORY) is None
    assert refresh_start(stamp(date(2026, 10, 29), cfg="c0"), night, [], HISTORY) is None
    assert refresh_start(stamp(date(2026, 10, 29), ref="r0"), night, [], HISTORY) is None
    assert refresh_start(stamp(date(2026, 10, 31)), night, [], HISTORY) is None  # as-of went back
    # a change dated 03-10: March to October is 243 days, over half of the 364
    assert refresh_start(stamp(date(2026, 10, 29)), night, [date(2026, 3, 10)], HISTORY) is None
    # M0 on or before the start of the history
    assert refresh_start(stamp(date(2025, 11, 20)), stamp(date(2025, 11, 21)), [], date(2025, 11, 3)) is None


def case_rows(rows: list[tuple]) -> pl.DataFrame:
    """(case_id, window_id, received, completed, evaluated on, on_time) at hall main, staff S1."""
    return pl.DataFrame(
        [
            {"case_id": c, "hall_id": "main", "window_id": w, "staff_id": "S1", "received_date": r,
             "completed_date": done, "evaluation_date": ev, "is_completed": done is not None,
             "supplement_count": 0, "visit_count": 1, "one_trip": False, "evaluated": ev is not None,
             "on_time": bool(ok)}
            for c, w, r, done, ev, ok in rows
        ]
    )


def test_a_changed_case_moves_only_the_dates_whose_figures_change():
    before = case_rows([
        ("C1", "W1", date(2026, 9, 28), None, None, False),  # open
        ("C2", "W1", date(2026, 10, 5), None, None, False),
        ("C3", "W1", date(2026, 8, 15), date(2026, 8, 20), date(2026, 8, 20), True),
    ])
    # C1 completed on time on 10-30: its receipt in September counts as before
    now = case_rows([("C1", "W1", date(2026, 9, 28), date(2026, 10, 30), date(2026, 10, 30), True)])
    assert min(d for d in case_dates_moved(before.head(1), now) if d) == date(2026, 10, 30)
    # C2 moved to another window: its receipt day moves both windows' figures
    now = case_rows([("C2", "W2", date(2026, 10, 5), None, None, False)])
    assert min(d for d in case_dates_moved(before[1:2], now) if d) == date(2026, 10, 5)
    # C3 is gone (its day file was re-exported without it): back to its receipt in August
    assert min(d for d in case_dates_moved(before[2:3], now.clear()) if d) == date(2026, 8, 15)


# ---- night by night against one run ---------------------------------------------


@pytest.fixture(scope="module")
def source_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("source") / "inbox"
    write_inbox(inbox, END, PROFILE, seed=11)
    return inbox


def deliver(source: Path, inbox: Path, up_to: date) -> None:
    """Copy the reference and every day file dated on or before ``up_to`` not yet delivered."""
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source)
        if rel.parts[0] != "reference" and date.fromisoformat(path.name[:10]) > up_to:
            continue
        target = inbox / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def run(home: Path, as_of: date, config: Path | None = None) -> tuple[str, str]:
    """Run the graph; returns the scores step's (refresh, refresh_from) metadata."""
    assert run_graph(home, home / "inbox", as_of, config_path=str(config or ""), progress=False).success
    instance = open_instance(home)
    event = instance.get_latest_materialization_event(dg.AssetKey("window_scores_daily"))
    meta = event.asset_materialization.metadata
    return meta["refresh"].value, meta["refresh_from"].value


FOUND_TABLES = [f"found_items_{rule}" for rule in RULES]


def score_tables(home: Path) -> dict[str, pl.DataFrame]:
    """Score tables, found items and the ledger's items not withdrawn, comparable."""
    tables = {name: comparable(table(home, name).drop(STAMP_COLUMNS)) for name in SCORE_TABLES}
    tables |= {name: comparable(table(home, name)) for name in FOUND_TABLES}
    items = table(home, "rectification_items").filter(pl.col("status") != "withdrawn")
    return tables | {"rectification_items": comparable(items)}


def found_refresh(home: Path) -> dict[str, tuple[str, str]]:
    """(refresh, refresh_from) of the last run of each finder that can refresh from D0 or M0."""
    instance = open_instance(home)
    out = {}
    for rule in REFRESHED_INPUTS:
        meta = instance.get_latest_materialization_event(dg.AssetKey(f"found_items_{rule}")).asset_materialization.metadata
        out[rule] = (meta["refresh"].value, meta["refresh_from"].value)
    return out


def ledger_merge(home: Path) -> str:
    """How the last ledger step merged the found items: "whole", or "changed"
    (only the items the finders touched, assets.rectification.merge_scope)."""
    event = open_instance(home).get_latest_materialization_event(dg.AssetKey("rectification_ledger"))
    return event.asset_materialization.metadata["ledger_merge"].value


def refreshed_from(d0: str, m0: str) -> dict[str, tuple[str, str]]:
    return {rule: ("incremental", m0 if rule in MONTHLY_RULES else d0) for rule in REFRESHED_INPUTS}


def one_shot(nightly: Path, home: Path, as_of: date, config: Path | None = None) -> dict[str, pl.DataFrame]:
    """Score tables of a fresh home given the nightly home's inbox at once."""
    shutil.copytree(nightly / "inbox", home / "inbox")
    assert run(home, as_of, config) == ("full", "")
    return score_tables(home)


def assert_same_scores(nightly: dict[str, pl.DataFrame], once: dict[str, pl.DataFrame]) -> None:
    for name in nightly:
        assert nightly[name].height > 0 or name in ("red_black_lists", "case_warnings", "window_warnings"), name
        assert nightly[name].equals(once[name]), name


def edit_case_rows(inbox: Path, day: date, case_id: str, **cells: str) -> None:
    """Re-export ``day``'s case file with the given cells of ``case_id``'s rows replaced."""
    path = inbox / "cases" / f"{day.isoformat()}.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    for i, line in enumerate(lines[1:], start=1):
        row = line.rstrip("\r\n").split(",")
        if row[header.index("case_id")] == case_id:
            for name, value in cells.items():
                row[header.index(name)] = value
            lines[i] = ",".join(row) + line[len(line.rstrip("\r\n")):]
    path.write_text("".join(lines), encoding="utf-8")


def complete_an_open_case(inbox: Path, day: date, warehouse: Path) -> str:
    """Re-export ``day``'s case file with one case received that day, still open
    and with no later version, completed that afternoon; returns its id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        case_id = con.execute(
            """SELECT case_id FROM cases_current
               WHERE partition_date = ? AND received_at::DATE = ? AND completed_at IS NULL
                 AND status NOT IN ('rejected', 'returned', 'withdrawn')
               ORDER BY case_id LIMIT 1""",
            [day, day],
        ).fetchall()[0][0]
    done = f"{day.isoformat()} 16:00:00"
    edit_case_rows(inbox, day, case_id, completed_at=done, status="completed", updated_at=done)
    return case_id


def rename_matter_of_an_old_one_notice_case(inbox: Path, before: date, warehouse: Path) -> tuple[str, str]:
    """Re-export the day file of a one-notice case completed before
    ``before`` with its matter replaced by another with the same one-trip
    flag. The case carries its own promised days, so no date and nothing the
    scores count moves (M0 stays, though the file is old), but the item's
    description names the new matter. Returns (case id, new matter code)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        case_id, day, new_matter = con.execute(
            """SELECT c.case_id, c.partition_date, min(o.matter_code)
               FROM found_items_one_notice f
               JOIN cases_current c ON c.case_id = f.subject_ref
               JOIN matters m ON m.matter_code = c.matter_code
               JOIN matters o ON o.one_trip = m.one_trip AND o.matter_code <> m.matter_code
               WHERE f.detected_on < ? AND c.promised_days IS NOT NULL
               GROUP BY c.case_id, c.partition_date
               ORDER BY c.case_id LIMIT 1""",
            [before],
        ).fetchall()[0]
    edit_case_rows(inbox, day, case_id, matter_code=new_matter)
    return case_id, new_matter


def remove_first_rating(inbox: Path, day: date) -> None:
    path = inbox / "ratings" / f"{day.isoformat()}.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")


def stamps(home: Path, name: str, kept: pl.Expr) -> tuple[set, set]:
    """The as-of stamps of the rows ``kept`` selects, and of the others."""
    rows = table(home, name)
    return set(rows.filter(kept)["as_of"]), set(rows.filter(~kept)["as_of"])


def assert_written_from(home: Path, *, d0: date, month: str, before: date, night: date) -> None:
    for name in ("ticket_waits", "rating_facts", "attendance_days"):
        assert stamps(home, name, pl.col("date") < d0) == ({before}, {night}), name
    day_rows = (pl.col("period").str.len_chars() == 10) & (pl.col("period") < d0.isoformat())
    month_rows = (pl.col("period").str.len_chars() == 7) & (pl.col("period") < month)
    assert stamps(home, "window_scores_daily", day_rows) == ({before}, {night})
    assert stamps(home, "window_scores_monthly", month_rows) == ({before}, {night})
    # a case completed before D0 was final; an open one may turn late
    final = pl.col("completed_date") < d0
    assert stamps(home, "case_timeliness", final)[0] == {before}
    assert stamps(home, "case_timeliness", pl.col("completed_date").is_null())[0] == {night}


def test_nightly_scores_equal_one_run(source_inbox, tmp_path):
    nightly = tmp_path / "nightly"
    inbox = nightly / "inbox"

    deliver(source_inbox, inbox, date(2026, 2, 26))
    assert run(nightly, date(2026, 2, 26)) == ("full", "")  # nothing recorded yet
    assert ledger_merge(nightly) == "whole"

    # Thursday 02-26 -> Monday 03-02: the night crosses into March, so
    # February (from the day after 02-26) and March are recomputed.
    deliver(source_inbox, inbox, date(2026, 3, 2))
    assert run(nightly, date(2026, 3, 2)) == ("incremental", "2026-02-01")
    # the finders that can refresh did: from D0 = 02-27 (the day after the
    # previous as-of), repeated lateness from M0 (it counts per month); the
    # rest re-found their rule whole
    assert found_refresh(nightly) == refreshed_from(d0="2026-02-27", m0="2026-02-01")
    # and the ledger merged only what they touched; its items are compared below
    assert ledger_merge(nightly) == "changed"
    # Recomputed from 02-01 but written back only from D0 = 02-27 (the day
    # after the previous as-of), besides February's month rows: what is dated
    # before D0 keeps the stamp of the night of 02-26.
    assert_written_from(nightly, d0=date(2026, 2, 27), month="2026-02", before=date(2026, 2, 26), night=date(2026, 3, 2))
    assert_same_scores(score_tables(nightly), one_shot(nightly, tmp_path / "once_0302", date(2026, 3, 2)))

    # 03-03, and two old days re-exported: a case of 02-10 completed, a
    # rating of 02-12 removed. Without them M0 would be 03-01.
    deliver(source_inbox, inbox, date(2026, 3, 3))
    case_id = complete_an_open_case(inbox, date(2026, 2, 10), nightly / "warehouse.duckdb")
    remove_first_rating(inbox, date(2026, 2, 12))
    # and a December case file re-exported with one one-notice case's matter
    # changed: nothing dated moves, so M0 stays and only the changed cases
    # bring its item (dated before M0) to be found again
    renamed, matter = rename_matter_of_an_old_one_notice_case(inbox, date(2026, 2, 1), nightly / "warehouse.duckdb")
    assert run(nightly, date(2026, 3, 3)) == ("incremental", "2026-02-01")
    assert found_refresh(nightly) == refreshed_from(d0="2026-02-10", m0="2026-02-01")
    assert ledger_merge(nightly) == "changed"
    after = score_tables(nightly)
    completed = after["case_timeliness"].filter(pl.col("case_id") == case_id)
    assert completed["completed_date"].to_list() == [date(2026, 2, 10)]
    with duckdb.connect(str(nightly / "warehouse.duckdb"), read_only=True) as con:
        matter_name = con.execute("SELECT matter_name FROM matters WHERE matter_code = ?", [matter]).fetchall()[0][0]
    item = after["found_items_one_notice"].filter(pl.col("subject_ref") == renamed)
    assert item["detected_on"].item() < date(2026, 2, 1) and f"（{matter_name}）" in item["description"].item()
    assert_same_scores(after, one_shot(nightly, tmp_path / "once_0303", date(2026, 3, 3)))

    # (another method config means a full recompute: test_full_recompute_when_nothing_can_be_reused
    # and tests/test_found_refresh_plan.py; a graph run for it cost the suite ~25 s)
