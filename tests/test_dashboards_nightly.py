"""What keeps the nightly site build cheap at city scale, on small real
DuckDB files with hand-made rows: the ledger counted and its shown rows
picked in DuckDB (dashboards/rectification_data.py), descriptions fetched by
rowid, score tables read without their per-row ``as_of`` stamp, date axes
from a series' min/max, and the old site removed off the caller's path."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from dashboards import site as site_mod
from dashboards.charts import date_axis
from dashboards.context import LIVE, SiteContext, counts_by, first_per, item_count, rectification_record
from dashboards.data import SiteData
from dashboards.rectification_data import LATE_STATUSES, UNRESOLVED, week_of_today

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
    ("R12", "open", "2026-03-06", "2026-03-02"),  # due on the as-of date itself
]
# by hand: escalated (deadline 02-25: R04 before R05 by id), overdue (no deadline first: R02,
# then R03), in_progress R06, open R07, resolved R01, withdrawn R09, then any other status
# or none (rank 9) by deadline: R08 (01-01) before R10 (03-03); R12 before R07 (03-06 < 03-10)
URGENT_FIRST = ["R04", "R05", "R02", "R03", "R06", "R12", "R07", "R01", "R09", "R08", "R10"]


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


def test_shown_items_in_urgency_order_with_their_descriptions(tmp_path):
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        shown = data.rectification_shown
    # by hand: one window and one department of fewer than 40 items, so every
    # item is shown, in URGENT_FIRST's order, but the withdrawn R09 and R10,
    # which has no status (R11 was found after the as-of date)
    live = ["R04", "R05", "R02", "R03", "R06", "R12", "R07", "R01", "R08"]
    assert shown["item_id"].to_list() == live
    assert shown["description"].to_list() == [f"事项{i}说明" for i in live]


def test_item_counts_by_hand(tmp_path):
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        counts = data.rectification_counts
    # by hand, as of Friday 6 March 2026 (R11 found after it): the page is read
    # on Saturday, so "this week" is the coming one, Monday 9 to Sunday 15
    # March, and the list starts on the as-of day: R12, due that Friday, is
    # not late in the data, and would be on neither list
    assert week_of_today(AS_OF) == (date(2026, 3, 6), date(2026, 3, 15))
    status = pl.col("status")
    assert item_count(counts) == 11
    assert item_count(counts, status.is_in(UNRESOLVED)) == 7  # R07 R05 R02 R03 R04 R06 R12
    assert item_count(counts, status.is_in(LATE_STATUSES)) == 4  # R05 R02 R03 R04
    assert item_count(counts, pl.col("found_this_month")) == 5  # R07 R02 R06 R10 R12: found 1-6 March
    assert item_count(counts, status.is_in(UNRESOLVED) & pl.col("due_this_week")) == 2  # R12 due 6, R07 due 10 March
    assert counts_by(counts, ["dept_id"], LIVE).rows() == [("D1", 9)]
    # ages on 6 March: R07 5, R02 5, R06 4, R12 4 (<=5 days); R03 14 (6-15); R05 24, R04 23 (16-30);
    # R01 resolved in time; R08's status is none of the open ones
    record = rectification_record(counts, "dept_id").row(0, named=True)
    assert record == {
        "dept_id": "D1", "resolved_on_time": 1, "resolved_late": 0,
        "open_0": 4, "open_1": 1, "open_2": 2, "open_3": 0, "open_total": 7, "resolved_total": 1,
    }  # fmt: skip
    # the aging chart's buckets of the open items: 0-5 days R07 R02 R06 R12, 11-15 R03, 21-30 R05 R04
    aging = counts_by(counts, ["aging"], status.is_in(UNRESOLVED)).sort("aging").rows()
    assert aging == [(0, 4), (2, 1), (4, 2)]
    oldest = counts.filter(status.is_in(UNRESOLVED))["oldest_age"].max()
    assert oldest == 24  # R05, found 10 February


URGENCY_RANK = {s: i for i, s in enumerate(["escalated", "overdue", "disputed", "in_progress", "open", "resolved", "withdrawn"])}


def _many_items(n: int = 4000) -> pl.DataFrame:
    """A ledger where each list needs its own cut: ~100 items per window,
    whose 40 most urgent reach past the late ones, but WBIG (400, more late
    ones than its 40); ~1,300 per department but D9 (80, whose 40 reach past
    both); more than 500 late and 500 due this week; many ties on the
    deadline. Each cut made strict (< instead of <=) fails this test."""
    import random

    rng = random.Random(7)
    statuses = ["escalated", "overdue", "disputed", "in_progress", "open", "resolved", "withdrawn", None]
    days = [date(2026, 2, 20) + timedelta(days=d) for d in range(29)]
    rows = []
    for k in rng.sample(range(n), n):  # inserted out of order
        rows.append({
            "item_id": f"I{k:05d}", "rule": "late", "hall_id": "H1", "window_id": "WBIG" if k % 10 == 3 else f"W{k % 40}", "dept_id": "D9" if k % 50 == 1 else f"D{k % 3}",
            "detected_on": date(2026, 2, 1), "deadline": None if k % 50 == 0 else rng.choice(days),
            "status": rng.choice(statuses), "resolved_late": False, "description": f"说明{k}",
        })  # fmt: skip
    return pl.DataFrame(rows)


def test_shown_items_hold_each_list_as_sorting_the_whole_ledger_gives(tmp_path):
    """Each page's list taken from the shown rows is the list sorting every
    item in polars and taking the first ones gives (min_by in DuckDB picks them)."""
    items = _many_items()
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(LEDGER)
    con.execute("INSERT INTO rectification_items SELECT * FROM items")
    con.execute("CREATE TABLE windows (hall_id VARCHAR, window_id VARCHAR, window_name VARCHAR, dept_id VARCHAR, window_type VARCHAR)")
    con.close()
    with SiteData(path, AS_OF) as data:
        shown = data.rectification_shown
        counts = data.rectification_counts
    live = (
        items.filter(pl.col("status") != "withdrawn")
        .with_columns(pl.col("status").replace_strict(URGENCY_RANK, default=9, return_dtype=pl.Int32).alias("_rank"))
        .sort("_rank", "deadline", "item_id", nulls_last=False)
    )
    late, status = pl.col("status").is_in(LATE_STATUSES), pl.col("status")
    monday, sunday = week_of_today(AS_OF)
    due = status.is_in(UNRESOLVED) & pl.col("deadline").is_between(monday, sunday)
    assert live.filter(late).height > 500 and live.filter(due).height > 500 and live.group_by("window_id").len()["len"].min() > 40
    for keys in (["hall_id", "window_id"], ["dept_id"]):
        want = live.group_by(keys, maintain_order=True).head(40)
        got = first_per(shown, keys, 40)
        for key, part in want.partition_by(keys, as_dict=True).items():
            assert got.filter(pl.all_horizontal(pl.col(k) == v for k, v in zip(keys, key)))["item_id"].to_list() == part["item_id"].to_list()
    assert shown.filter(late).head(500)["item_id"].to_list() == live.filter(late).head(500)["item_id"].to_list()
    assert (
        shown.filter(due).sort("deadline", "item_id").head(500)["item_id"].to_list()
        == live.filter(due).sort("deadline", "item_id").head(500)["item_id"].to_list()
    )
    assert shown["description"].to_list() == [f"说明{int(i[1:])}" for i in shown["item_id"]]
    assert dict(counts_by(counts, ["window_id"], LIVE).rows()) == dict(live.group_by("window_id").len().rows())


def test_descriptions_by_rowid_and_by_item_id(tmp_path):
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        some = data.rectification_shown.drop("description").filter(pl.col("item_id").is_in(["R03", "R08", "R01"]))
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
    """A view has no rowid: the items are still picked in urgency order and
    their descriptions found by item_id."""
    path = _warehouse(tmp_path)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE rectification_items RENAME TO ledger_rows")
    con.execute("CREATE VIEW rectification_items AS SELECT * FROM ledger_rows")
    con.close()
    with SiteData(path, AS_OF) as data:
        shown = data.rectification_shown
    assert "_rowid" not in shown.columns
    assert shown["item_id"].to_list() == ["R04", "R05", "R02", "R03", "R06", "R12", "R07", "R01", "R08"]
    assert shown.select("item_id", "description").rows()[:2] == [("R04", "事项R04说明"), ("R05", "事项R05说明")]


def test_item_rows_made_column_wise(tmp_path):
    """An item table's rows, made in polars for all the pages at once, are
    the rows ``Page.table`` makes of the same cells: ids and descriptions
    escaped, no window or department and no description shown as —."""
    from dashboards.context import ITEM_COLUMNS, date_cell, item_rows_markup, rule_cell, status_tag
    from dashboards.html import Page
    from dashboards.labels import Bi

    items = pl.DataFrame({
        "item_id": ["R<&>\"'", "R2"], "rule": ["bad_rating", "absence"], "hall_id": ["H1", "H1"],
        "window_id": ["W1", None], "dept_id": ["D1", None],
        "detected_on": [date(2026, 3, 1), date(2026, 3, 2)], "deadline": [date(2026, 3, 9), None],
        "status": ["open", "escalated"], "description": ['a <b> & "c"', ""],
    })  # fmt: skip
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        ctx = SiteContext(data=data, as_of=AS_OF)
        got = item_rows_markup(ctx, items).to_list()
    # by hand: W1 and D1 have no page in this warehouse, so they are named, not linked
    want_first = (
        '<tr><td class="">R&lt;&amp;&gt;&quot;&#x27;</td>'
        f'<td class="">{rule_cell("bad_rating")}</td><td class="">W1</td><td class="">D1</td>'
        f'<td class="">{date_cell(date(2026, 3, 1))}</td><td class="">{date_cell(date(2026, 3, 9))}</td>'
        f'<td class="">{status_tag("open")}</td><td class="wrap">a &lt;b&gt; &amp; &quot;c&quot;</td></tr>'
    )
    assert got[0] == want_first
    # no window, no department, no deadline, no description
    assert got[1].count("<td") == 8 and got[1].count(">—</td>") == 4
    by_cells = Page("x.html", "x", Bi("x", "x"))
    by_cells.table(ITEM_COLUMNS, [
        [items["item_id"][0], rule_cell("bad_rating"), "W1", "D1", date_cell(date(2026, 3, 1)),
         date_cell(date(2026, 3, 9)), status_tag("open"), items["description"][0]],
        ["R2", rule_cell("absence"), "—", "—", date_cell(date(2026, 3, 2)), date_cell(None), status_tag("escalated"), "—"],
    ])  # fmt: skip
    assert by_cells.parts[-1].endswith("<tbody>" + "".join(got) + "</tbody></table></div>")


def test_window_tables_made_column_wise(tmp_path):
    """A window page's deduction and open-case rows, made in polars for all
    windows at once, are worked out by hand here and equal what
    ``Page.table`` makes of the same cells."""
    from dashboards.html import Page
    from dashboards.labels import Bi
    from dashboards.context import warning_columns, warning_rows
    from dashboards.pages.windows import DEDUCTION_COLUMNS, deduction_rows

    deductions = pl.DataFrame(
        {
            "hall_id": ["H1"] * 4, "window_id": ["W1"] * 4, "staff_id": ["S9", None, "S9", "S8"],
            "date": [date(2026, 3, 5), date(2026, 3, 5), date(2026, 3, 4), date(2026, 3, 4)],
            "what": [["late", "early"], [], None, ["chatting", None]], "points": [1.5, 1234.0, 0.5, 2.0],
        },
        schema_overrides={"what": pl.List(pl.String)},
    )  # fmt: skip
    warnings = pl.DataFrame(
        {
            "case_id": ["C<1>&", None], "hall_id": ["H1", "H1"], "window_id": ["W1", "W1"], "dept_id": ["D1", None],
            "staff_id": ["S9", None],
            "received_date": [date(2026, 3, 1), date(2026, 3, 2)], "deadline": [date(2026, 3, 4), None],
            "level": ["overdue", "due_soon"], "days_past_deadline": [12345, None],
        }
    )  # fmt: skip
    with SiteData(_warehouse(tmp_path), AS_OF) as data:
        ctx = SiteContext(data=data, as_of=AS_OF)
        ded = deduction_rows(ctx, deductions).to_list()
        warn = warning_rows(ctx, warnings).to_list()
        placed = warning_rows(ctx, warnings, with_place=True).to_list()

    def bi(zh, en):
        return f'<span class="l-zh">{zh}</span><span class="l-en">{en}</span>'

    # S9 and S8 are not in this warehouse's staff table: shown by id alone
    assert ded[0] == (
        f'<tr><td class="">{bi("2026年3月5日", "5 Mar 2026")}</td>'
        f'<td class="">{bi("迟到", "Late")}、{bi("早退", "Early leave")}</td>'
        '<td class="">S9</td><td class="num">1.5</td></tr>'
    )
    assert ded[1] == f'<tr><td class="">{bi("2026年3月5日", "5 Mar 2026")}</td><td class=""></td><td class="">—</td><td class="num">1,234.0</td></tr>'
    assert ded[2] == f'<tr><td class="">{bi("2026年3月4日", "4 Mar 2026")}</td><td class=""></td><td class="">S9</td><td class="num">0.5</td></tr>'
    assert ded[3] == (
        f'<tr><td class="">{bi("2026年3月4日", "4 Mar 2026")}</td><td class="">{bi("串岗聊天", "Chatting")}、—</td>'
        '<td class="">S8</td><td class="num">2.0</td></tr>'
    )
    assert warn == [
        f'<tr><td class=""><span class="tag bad">{bi("超期", "Overdue")}</span></td><td class="">C&lt;1&gt;&amp;</td>'
        f'<td class="">S9</td><td class="">{bi("2026年3月1日", "1 Mar 2026")}</td>'
        f'<td class="">{bi("2026年3月4日", "4 Mar 2026")}</td><td class="num">12,345</td></tr>',
        f'<tr><td class=""><span class="tag warn">{bi("预警", "Due soon")}</span></td><td class=""></td>'
        f'<td class="">—</td><td class="">{bi("2026年3月2日", "2 Mar 2026")}</td><td class="">—</td><td class="num">—</td></tr>',
    ]
    # the overview's rows: the window and the department after the case (W1
    # and D1 have no page in this warehouse, so they are named, not linked)
    case_cell = '<td class="">C&lt;1&gt;&amp;</td>'
    assert placed[0] == warn[0].replace(case_cell, case_cell + '<td class="">W1</td><td class="">D1</td>')
    assert placed[1].count("<td") == 8 and '<td class="">W1</td><td class="">—</td>' in placed[1]
    assert [c.header for c in warning_columns(with_place=True)][2:4] == [Bi("窗口", "Window"), Bi("部门", "Department")]
    page = Page("x.html", "x", Bi("x", "x"))
    page.table(DEDUCTION_COLUMNS, [[Bi("2026年3月4日", "4 Mar 2026"), "", "S9", "0.5"]])
    assert page.parts[-1].endswith("<tbody>" + ded[2] + "</tbody></table></div>")


def test_break_gaps_by_hand():
    """A gap of more than four days gets a null point the day after its
    start; a missing date neither opens nor closes a gap."""
    from dashboards.context import break_gaps

    days = [date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), None, date(2026, 10, 20), date(2026, 10, 21)]
    x, y = break_gaps(days, [1, 2, 3, 4, 5, 6])
    assert x == ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-08", None, "2026-10-20", "2026-10-21"]
    assert y == [1, 2, None, 3, 4, 5, 6]
    assert break_gaps([], []) == ([], [])
