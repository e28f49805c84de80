"""What keeps the nightly site build cheap at city scale, on small real
DuckDB files with hand-made rows: the ledger read in urgency order by DuckDB
(the same order ``sort_items`` gives), descriptions fetched by rowid, score
tables read without their per-row ``as_of`` stamp, date axes from a series'
min/max, and the old site removed off the caller's path."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from dashboards import site as site_mod
from dashboards.charts import date_axis
from dashboards.context import SiteContext, sort_items
from dashboards.data import SiteData

AS_OF = date(2026, 3, 6)

LEDGER = """
CREATE TABLE rectification_items (
    item_id VARCHAR, rule VARCHAR, hall_id VARCHAR, window_id VARCHAR, dept_id VARCHAR,
    detected_on DATE, deadline DATE, status VARCHAR, resolved_late BOOLEAN, description VARCHAR)
"""
ITEMS = [  # item_id, status, deadline, detected_on
    ("R07", "open", "2026-03-10", "2026-03-01"),
    ("R01", "resolved", "2026-03-02", "2026-02-20"),
    ("R05", "escalated", "2026-02-25", "2026-02-10"),
    ("R02", "overdue", None, "2026-03-01"),
    ("R09", "withdrawn", "2026-03-01", "2026-02-15"),
    ("R03", "overdue", "2026-03-01", "2026-02-20"),
    ("R08", "odd-status", "2026-01-01", "2026-02-01"),
    ("R04", "escalated", "2026-02-25", "2026-02-11"),
    ("R06", "in_progress", "2026-03-20", "2026-03-02"),
    ("R10", None, "2026-03-03", "2026-03-01"),
    ("R11", "open", "2026-03-12", "2026-03-07"),  # found after the as-of date: not read
]
# by hand: escalated (deadline 02-25: R04 before R05 by id), overdue (no deadline first: R02,
# then R03), in_progress R06, open R07, resolved R01, withdrawn R09, then any other status
# or none (rank 9) by deadline: R08 (01-01) before R10 (03-03)
URGENT_FIRST = ["R04", "R05", "R02", "R03", "R06", "R07", "R01", "R09", "R08", "R10"]


def _warehouse(tmp_path, *, score_stamp: bool = True):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(LEDGER)
    for i, (item, status, deadline, found) in enumerate(ITEMS):
        con.execute(
            "INSERT INTO rectification_items VALUES (?, 'late', 'H1', 'W1', 'D1', ?, ?, ?, false, ?)",
            [item, found, deadline, status, f"事项{item}说明"],
        )
    stamp = ", as_of DATE" if score_stamp else ""
    con.execute(f"CREATE TABLE window_scores_monthly (period VARCHAR, hall_id VARCHAR, window_id VARCHAR, composite DOUBLE, config_hash VARCHAR{stamp})")
    con.execute(
        "INSERT INTO window_scores_monthly VALUES ('2026-03', 'H1', 'W1', 91.5, 'abc'" + (", DATE '2026-03-01')" if score_stamp else ")")
    )
    con.execute("CREATE TABLE windows (hall_id VARCHAR, window_id VARCHAR, window_name VARCHAR, dept_id VARCHAR, window_type VARCHAR)")
    con.execute("CREATE TABLE departments (dept_id VARCHAR, dept_name VARCHAR)")
    con.execute("CREATE TABLE staff (staff_id VARCHAR, staff_name VARCHAR, dept_id VARCHAR, hall_id VARCHAR, window_id VARCHAR, role VARCHAR)")
    con.close()
    return path


def test_ledger_read_in_the_order_sort_items_gives(tmp_path):
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        items = data.rectification
        assert data.rectification_in_urgency_order
        assert items["item_id"].to_list() == URGENT_FIRST  # R11 was found after the as-of date
        assert_frame_equal(items, sort_items(items.sample(fraction=1.0, shuffle=True, seed=3)))
        live = SiteContext(data=data, as_of=AS_OF).live_items  # no sort: a filter of the read order
        assert live["item_id"].to_list() == ["R04", "R05", "R02", "R03", "R06", "R07", "R01", "R08"]


def test_descriptions_by_rowid_and_by_item_id(tmp_path):
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        some = data.rectification.filter(pl.col("item_id").is_in(["R03", "R08", "R01"]))
        by_rowid = data.with_descriptions(some)
        assert by_rowid.select("item_id", "description").rows() == [
            ("R03", "事项R03说明"), ("R01", "事项R01说明"), ("R08", "事项R08说明"),
        ]  # fmt: skip
        by_id = data.with_descriptions(some.drop("_rowid"))  # a frame without rowids still works
        assert by_id.select("item_id", "description").rows() == by_rowid.select("item_id", "description").rows()


def test_score_tables_read_without_their_stamp(tmp_path):
    for stamp in (True, False):
        folder = tmp_path / str(stamp)
        folder.mkdir()
        with SiteData(_warehouse(folder, score_stamp=stamp), AS_OF) as data:
            wm = data.window_monthly
            assert wm.columns == ["period", "hall_id", "window_id", "composite"]
            assert wm.rows() == [("2026-03", "H1", "W1", 91.5)]


def test_date_axis_from_a_series_as_from_a_list():
    short = pl.Series("date", [date(2026, 3, 5), None, date(2026, 3, 2), date(2026, 3, 4)], dtype=pl.Date)
    long = pl.Series("date", [date(2026, 1, 1), date(2026, 3, 6)], dtype=pl.Date)
    for series in (short, long, short.clear(), pl.Series("date", [None], dtype=pl.Date)):
        for lang in ("zh", "en"):
            assert date_axis(lang, series) == date_axis(lang, series.to_list())
    axis = date_axis("en", short)
    # by hand: 2–5 March, a span of 3 days -> a tick a day, a day of padding each side
    assert (axis["tick0"], axis["range"], axis["dtick"]) == ("2026-03-02", ["2026-03-01", "2026-03-06"], 86400000)
    assert "range" not in date_axis("en", long)


def test_old_site_removed_after_the_swap(tmp_path):
    out = tmp_path / "site"
    (tmp_path / "new1").mkdir()
    (tmp_path / "new1" / "index.html").write_text("one")
    site_mod._swap(tmp_path / "new1", out)
    (tmp_path / "new2").mkdir()
    (tmp_path / "new2" / "index.html").write_text("two")
    site_mod._swap(tmp_path / "new2", out)
    assert (out / "index.html").read_text() == "two"  # the new site is in place at once
    site_mod._wait_for_old_site_removal()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # the old one is gone, nothing left over


def test_first_per_group_keeps_the_rows_of_group_by_head():
    from dashboards.context import first_per

    items = pl.DataFrame({
        "item_id": ["a", "b", "c", "d", "e", "f", "g"],
        "dept_id": ["D2", "D1", "D2", None, "D2", "D1", None],
    })  # fmt: skip
    # by hand: the first two of D2 (a, c), of D1 (b, f) and of no department (d, g), in place
    assert first_per(items, ["dept_id"], 2)["item_id"].to_list() == ["a", "b", "c", "d", "f", "g"]
    head = items.group_by("dept_id", maintain_order=True).head(2)
    got = first_per(items, ["dept_id"], 2)
    for key, part in head.partition_by("dept_id", as_dict=True).items():
        assert part.select(got.columns).equals(got.partition_by("dept_id", as_dict=True)[key])


def test_ledger_as_a_view_is_read_by_item_id(tmp_path):
    """A view has no rowid: the items are still read in urgency order and
    their descriptions found by item_id."""
    path = _warehouse(tmp_path)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE rectification_items RENAME TO ledger_rows")
    con.execute("CREATE VIEW rectification_items AS SELECT * FROM ledger_rows")
    con.close()
    with SiteData(path, AS_OF) as data:
        items = data.rectification
        assert "_rowid" not in items.columns and items["item_id"].to_list() == URGENT_FIRST
        shown = data.with_descriptions(items.head(2))
        assert shown.select("item_id", "description").rows() == [("R04", "事项R04说明"), ("R05", "事项R05说明")]
