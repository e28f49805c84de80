"""The ledger merge and statuses done by DuckDB (ledger_store.merge_found,
status_sql.py, ledger_publish.py), against hand-worked numbers and against
the polars ``compute_status`` they replace.

Hand calendar: the State Council's 2026 schedule written out (as in
test_rectification_status.py); other years Monday–Friday, as WorkCalendar
falls back for years chinese_calendar does not know.
"""

from datetime import date, datetime, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.calendar import WorkCalendar
from assets.method_config import load_config
from assets.rectification.assets import found_table, rectification_ledger
from assets.rectification.ledger_publish import LEDGER_BOOKKEEPING
from assets.rectification.items import ITEM_SCHEMA, RULES
from assets.rectification.ledger_store import (
    append_updates,
    open_ledger,
    read_items,
    read_ledger,
    read_updates,
    upsert_items,
)
from assets.rectification.status import compute_status, validate_updates
from pipelines.resources import Warehouse, WindowWatchHome
from tests import test_ledger_store

# the hand-written 2026 calendar of the ledger store's tests (other years: Monday to Friday)
add_wd = test_ledger_store.add_wd


def item(item_id, deadline, *, detected_on=None, dept="D1", rule="absence", description="原描述") -> dict:
    return {
        "item_id": item_id, "rule": rule, "category": "旷工", "hall_id": "main", "window_id": "A01",
        "dept_id": dept, "staff_id": "S1", "subject_ref": f"S1@{item_id}",
        "detected_on": detected_on or deadline - timedelta(days=7), "deadline": deadline,
        "description": description,
    }


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ITEM_SCHEMA)


def replies(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["item_id", "status", "note", "updated_by", "updated_at", "source_file", "source_row"],
        orient="row",
    )


def reference_status(con, as_of: date, add_working_days) -> pl.DataFrame:
    """What read_ledger gave before it was SQL: polars compute_status."""
    items = read_items(con).filter(pl.col("detected_on") <= as_of)
    out = compute_status(items, read_updates(con), as_of, add_working_days)
    return out.sort(["dept_id", "deadline", "item_id"], nulls_last=True)


# ---------------------------------------------------------------------------
# escalate_after: working days from Python, once per deadline
# ---------------------------------------------------------------------------
def test_escalate_after_is_the_calendars_add_working_days(tmp_path):
    cal = WorkCalendar()  # chinese_calendar's schedule, Mon–Fri for 2027
    start = date(2025, 12, 1)
    deadlines = [start + timedelta(days=i) for i in range(0, 420)]  # to 2027-01-24, every weekday and holiday
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, frame([item(f"RX-{i:04d}", d) for i, d in enumerate(deadlines)]), as_of=date(2027, 2, 1))
    got = read_ledger(con, date(2027, 2, 1), cal.add_working_days)
    assert got.height == len(deadlines)
    pairs = dict(zip(got["deadline"], got["escalate_after"]))
    assert all(pairs[d] == cal.add_working_days(d, 5) == add_wd(d, 5) for d in deadlines)
    # worked by hand: National Day (10-01..07 off, Saturday 10-10 on)
    assert pairs[date(2026, 9, 30)] == date(2026, 10, 13)  # 10-08, 10-09, 10-10, 10-12, 10-13
    # Spring Festival (02-16..20 and 02-23 off, Saturday 02-14 on)
    assert pairs[date(2026, 2, 13)] == date(2026, 2, 27)  # 02-14, 02-24, 02-25, 02-26, 02-27
    # into 2027, Monday–Friday there: 12-31, 01-01, 01-04, 01-05, 01-06
    assert pairs[date(2026, 12, 30)] == date(2027, 1, 6)
    con.close()


# ---------------------------------------------------------------------------
# SQL statuses = polars statuses
# ---------------------------------------------------------------------------
def test_sql_statuses_equal_compute_status(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    start = date(2026, 1, 1)
    rows = [
        item(f"RX-{i:04d}", start + timedelta(days=3 * i), dept=[None, "D1", "D2"][i % 3],
             description=None if i % 7 == 0 else f"第{i}项")
        for i in range(130)
    ]
    upsert_items(con, frame(rows), run_id="r1", as_of=date(2027, 1, 31))
    # half of them withdrawn by a run that finds the other half
    upsert_items(con, frame(rows[::2]), run_id="r2", as_of=date(2027, 1, 31))
    ids = [r["item_id"] for r in rows]
    statuses = ["整改中", "已整改", "申诉", "已整改"]
    raw = [
        (ids[i], statuses[i % 4], f"说明{i}", "张", f"2026-{1 + i % 12:02d}-{1 + i % 27:02d} 09:00", "a.xlsx", i)
        for i in range(0, 130, 3)
    ]
    # ties: same time, the later file decides; same file and time, the later row
    raw += [(ids[4], "已整改", "先", "张", "2026-03-01 10:00", "a.xlsx", 900),
            (ids[4], "申诉", "后文件", "张", "2026-03-01 10:00", "b.xlsx", 1),
            (ids[5], "申诉", "前行", "张", "2026-03-01 10:00", "c.xlsx", 1),
            (ids[5], "已整改", "后行", "张", "2026-03-01 10:00", "c.xlsx", 2)]
    append_updates(con, *validate_updates(replies(raw), set(ids)))
    for as_of in [date(2026, 1, 5), date(2026, 2, 27), date(2026, 3, 1), date(2026, 6, 30), date(2026, 10, 9),
                  date(2027, 1, 8)]:
        got = read_ledger(con, as_of, add_wd)
        want = reference_status(con, as_of, add_wd)
        assert got.schema == want.schema
        assert got.equals(want), as_of
    got = dict(zip(*read_ledger(con, date(2026, 3, 1), add_wd).select("item_id", "last_note")))
    assert got[ids[4]] == "后文件" and got[ids[5]] == "后行"
    con.close()


# ---------------------------------------------------------------------------
# the merge
# ---------------------------------------------------------------------------
def test_the_same_found_items_twice_change_nothing(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    rows = [item(f"RX-{i}", date(2026, 3, 10 + i)) for i in range(5)]
    t1, t2 = datetime(2026, 3, 20, 1, 30), datetime(2026, 3, 21, 1, 30)
    first = upsert_items(con, frame(rows), run_id="run-1", as_of=date(2026, 3, 19), now=t1)
    assert first == {"inserted": 5, "refreshed": 0, "reinstated": 0, "withdrawn": 0, "unchanged": 0}
    before = read_items(con)
    again = upsert_items(con, frame(rows[::-1]), run_id="run-2", as_of=date(2026, 3, 20), now=t2)
    assert again == {"inserted": 0, "refreshed": 0, "reinstated": 0, "withdrawn": 0, "unchanged": 5}
    after = read_items(con)
    assert after.equals(before)  # bookkeeping too: an unchanged item is not written
    assert after["last_seen_run"].unique().to_list() == ["run-1"]
    assert after["changed_at"].unique().to_list() == [t1]
    con.close()


def test_withdraw_resolve_reinstate_worked_by_hand(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    a = item("RX-A", date(2026, 3, 27))  # escalates after 04-03 (03-30, 03-31, 04-01, 04-02, 04-03)
    b = item("RX-B", date(2026, 3, 19))
    c = item("RX-C", date(2026, 4, 15), detected_on=date(2026, 3, 24))
    d = item("RX-D", date(2026, 4, 9))  # escalates after 04-16
    e = item("RX-E", date(2026, 4, 20), detected_on=date(2026, 4, 8))
    t1, t2, t3 = (datetime(2026, 4, day, 1, 30) for day in (11, 12, 13))
    upsert_items(con, frame([a, b, c, d, e]), run_id="r1", as_of=date(2026, 4, 10), now=t1)
    append_updates(con, *validate_updates(replies([
        ("RX-B", "已整改", "已约谈", "王", "2026-03-20 10:00", "f.xlsx", 1),
        ("RX-C", "整改中", "在改", "王", "2026-03-25 10:00", "f.xlsx", 2),
    ]), {"RX-B", "RX-C"}))

    # a run for 04-02 finds only A: C and D are withdrawn; B is resolved and
    # E detected after 04-02, so neither is
    counts = upsert_items(con, frame([a]), run_id="r2", as_of=date(2026, 4, 2), now=t2)
    assert counts == {"inserted": 0, "refreshed": 0, "reinstated": 0, "withdrawn": 2, "unchanged": 1}
    items = read_items(con)
    row = {r["item_id"]: r for r in items.iter_rows(named=True)}
    assert [i for i in row if row[i]["withdrawn"]] == ["RX-C", "RX-D"]
    assert row["RX-C"]["withdrawn_at"] == t2 and row["RX-C"]["changed_at"] == t2
    assert row["RX-A"]["last_seen_run"] == "r1" and row["RX-A"]["changed_at"] == t1
    led = read_ledger(con, date(2026, 4, 2), add_wd)
    st = {r["item_id"]: r for r in led.iter_rows(named=True)}
    assert {i: r["status"] for i, r in st.items()} == {
        "RX-A": "overdue", "RX-B": "resolved", "RX-C": "withdrawn", "RX-D": "withdrawn"}
    assert st["RX-B"]["resolved_on"] == date(2026, 3, 20) and st["RX-B"]["resolved_late"] is True
    assert st["RX-A"]["escalate_after"] == date(2026, 4, 3)

    # the run of 04-10 finds A, C (corrected description), D and E: C and D
    # come back, C's content is refreshed; B (resolved) is still not withdrawn
    c2 = {**c, "description": "更正后的描述"}
    counts = upsert_items(con, frame([a, c2, d, e]), run_id="r3", as_of=date(2026, 4, 10), now=t3)
    assert counts == {"inserted": 0, "refreshed": 1, "reinstated": 2, "withdrawn": 0, "unchanged": 3}
    row = {r["item_id"]: r for r in read_items(con).iter_rows(named=True)}
    assert not any(r["withdrawn"] for r in row.values())
    assert row["RX-C"]["description"] == "更正后的描述"
    assert (row["RX-C"]["withdrawn_at"], row["RX-C"]["changed_at"], row["RX-C"]["last_seen_run"]) == (None, t3, "r3")
    assert (row["RX-D"]["withdrawn_at"], row["RX-D"]["last_seen_run"]) == (None, "r3")
    assert (row["RX-A"]["last_seen_run"], row["RX-E"]["last_seen_run"]) == ("r1", "r1")
    led = read_ledger(con, date(2026, 4, 10), add_wd)
    assert dict(zip(led["item_id"], led["status"])) == {
        "RX-A": "escalated", "RX-B": "resolved", "RX-C": "in_progress", "RX-D": "overdue", "RX-E": "open"}
    assert led["item_id"].to_list() == ["RX-B", "RX-A", "RX-D", "RX-C", "RX-E"]  # by deadline
    con.close()


def test_repeated_item_ids_are_refused_and_nothing_is_written(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, frame([item("RX-A", date(2026, 3, 27))]), as_of=date(2026, 4, 2))
    before = read_items(con)
    twice = frame([item("RX-B", date(2026, 3, 27)), item("RX-B", date(2026, 3, 28)), item("RX-C", date(2026, 3, 2))])
    with pytest.raises(ValueError, match=r"repeat item_id\(s\): \['RX-B'\]"):
        upsert_items(con, twice, as_of=date(2026, 4, 2))
    assert read_items(con).equals(before)
    con.close()


# ---------------------------------------------------------------------------
# the asset: a real materialization writes what the polars path wrote
# ---------------------------------------------------------------------------
def ledger_night(home, warehouse: Warehouse, as_of: date) -> dict:
    """Materialize the ledger step as of ``as_of``; its metadata."""
    result = dg.materialize(
        [rectification_ledger],
        resources={"home": WindowWatchHome(home=str(home), as_of=as_of.isoformat()), "warehouse": warehouse},
    )
    assert result.success
    return {k: v.value for k, v in result.asset_materializations_for_node("rectification_ledger")[0].metadata.items()}


def test_materialized_ledger_publishes_the_polars_result(tmp_path):
    home = tmp_path / "home"
    (home / "inbox" / "rectification_updates").mkdir(parents=True)
    rows = [
        item("RX-A", date(2026, 3, 27), dept="D2"),
        item("RX-B", date(2026, 3, 19), dept=None),
        item("RX-C", date(2026, 4, 15), dept="D1", rule="bad_rating"),
        item("RX-D", date(2026, 4, 9), dept="D1", rule="bad_rating"),
        item("RX-F", date(2026, 4, 20), detected_on=date(2026, 4, 12)),  # after the as-of date
    ]
    warehouse = Warehouse(path=str(home / "warehouse.duckdb"))
    with warehouse.connect() as con:
        for rule in RULES:
            con.register("f", frame([r for r in rows if r["rule"] == rule]))
            con.execute(f"CREATE TABLE {found_table(rule)} AS SELECT * FROM f")
            con.unregister("f")
    (home / "inbox" / "rectification_updates" / "回复.csv").write_text(
        "整改编号,整改状态,整改情况,填报人,填报时间\n"
        "RX-B,已整改,已约谈,王,2026-03-20 10:00\n"
        "RX-C,申诉,不属实,李,2026-04-09 09:00\n"  # found 04-08 (a week before its deadline)
        "RX-Z,已整改,无此编号,李,2026-04-01 09:00\n",
        encoding="utf-8",
    )
    as_of = date(2026, 4, 10)
    meta = ledger_night(home, warehouse, as_of)
    assert (meta["items_inserted"], meta["updates_appended"], meta["updates_refused"]) == (5, 2, 1)
    assert (meta["status_resolved"], meta["status_disputed"], meta["status_escalated"], meta["status_overdue"]) == (
        1, 1, 1, 1)

    con = duckdb.connect(str(home / "ledger" / "ledger.duckdb"), read_only=True)
    cal = WorkCalendar.from_config(load_config(None))
    want = reference_status(con, as_of, cal.add_working_days).drop(LEDGER_BOOKKEEPING)
    refused = con.sql("SELECT * FROM ledger_refused_updates").pl()
    con.close()
    with warehouse.connect(read_only=True) as wh:
        # the published table has no order of its own (ledger_publish.PUBLISHED_ITEMS)
        got = wh.sql("SELECT * FROM rectification_items ORDER BY dept_id NULLS LAST, deadline, item_id").pl()
        got_refused = wh.sql("SELECT * FROM rectification_refused_updates").pl()
        counts = wh.sql("SELECT * FROM rectification_run_counts").pl().row(0, named=True)
    assert got.schema == want.schema and got.equals(want)
    assert got["item_id"].to_list() == ["RX-D", "RX-C", "RX-A", "RX-B"]
    # RX-Z is no item, so no accepted reply can answer it; it is in the inbox, in a file of no department's list
    assert got_refused.equals(
        refused.with_columns(answered_later=False, in_inbox=True, returned_to=pl.lit(None, pl.String))
    )
    assert got_refused["item_id"].to_list() == ["RX-Z"]
    assert counts == {"inserted": 5, "refreshed": 0, "reinstated": 0, "withdrawn": 0, "unchanged": 0,
                      "updates_appended": 2, "updates_refused": 1}
    assert meta["published_rows_written"] == 4  # the first run writes the table whole

    # The next night, 04-14, rewrites only the rows that differ: RX-F is
    # detected by now (04-12), RX-D has a reply (its status stays overdue,
    # its last reply changes), RX-A's description was corrected (a new
    # version in the ledger). RX-B, RX-C keep their rows: RX-C's deadline
    # 04-15 and RX-D's escalation after 04-16 are still ahead.
    with warehouse.connect() as con_w:
        con_w.execute(f"UPDATE {found_table('absence')} SET description = '更正后的描述' WHERE item_id = 'RX-A'")
    (home / "inbox" / "rectification_updates" / "回复2.csv").write_text(
        "整改编号,整改状态,整改情况,填报人,填报时间\nRX-D,整改中,已安排,赵,2026-04-13 15:00\n", encoding="utf-8"
    )
    later = date(2026, 4, 14)
    assert ledger_night(home, warehouse, later)["published_rows_written"] == 3
    con = duckdb.connect(str(home / "ledger" / "ledger.duckdb"), read_only=True)
    want = reference_status(con, later, cal.add_working_days).drop(LEDGER_BOOKKEEPING)
    con.close()
    with warehouse.connect(read_only=True) as wh:
        got = wh.sql("SELECT * FROM rectification_items ORDER BY dept_id NULLS LAST, deadline, item_id").pl()
        assert wh.execute("SELECT as_of FROM rectification_as_of").fetchall() == [(later,)]
    assert got.schema == want.schema and got.equals(want)
    status = dict(zip(got["item_id"], zip(got["status"], got["last_status"], got["description"])))
    assert status == {
        "RX-A": ("escalated", None, "更正后的描述"), "RX-B": ("resolved", "resolved", "原描述"),
        "RX-C": ("disputed", "disputed", "原描述"), "RX-D": ("overdue", "in_progress", "原描述"),
        "RX-F": ("open", None, "原描述"),
    }


# ---------------------------------------------------------------------------
# attaching a file another process is writing: wait, as the Warehouse does
# ---------------------------------------------------------------------------
def test_attach_waits_for_a_writer_then_gives_up(tmp_path):
    import subprocess
    import sys

    from assets.rectification.attached import attached

    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE t AS SELECT 42 AS x").fetchall()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep(3)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        con = duckdb.connect()
        with pytest.raises(duckdb.IOException, match="lock"):
            with attached(con, path, "wh", lock_timeout_s=0.2):
                pass
        assert holder.poll() is None  # still holding: the next attach has to wait for it
        with attached(con, path, "wh", lock_timeout_s=30):  # the holder exits after 3 s
            assert con.execute("SELECT x FROM wh.t").fetchall() == [(42,)]
        assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'wh'").fetchall() == [(0,)]
    finally:
        holder.wait(timeout=30)
