"""The lists' month fingerprints kept by the ledger step
(assets/rectification/list_fingerprints.py): over publications of one real
ledger and warehouse that add, correct, withdraw, escalate and resolve
items of three months and two departments, moving the as-of date forward
and back, the fingerprints read from the kept table equal, to the digit,
the ones computed from every published item; and the lists step falls back
to computing them when the table is missing, does not count every item or
was kept over other columns."""

from datetime import date

import duckdb

from assets.db import row_hash
from assets.rectification.department_lists import LEDGER_CSV_COLUMNS
from assets.rectification.ledger_csv import DETECTED_MONTH, LEDGER_MONTHS
from assets.rectification.ledger_store import append_updates, open_ledger, upsert_items
from assets.rectification.list_fingerprints import (
    ARCHIVE_FINGERPRINT_COLUMNS,
    ARCHIVE_MONTHS,
    ARCHIVE_MONTHS_KEPT,
    FINGERPRINTS_TABLE,
    LEDGER_MONTHS_KEPT,
    archive_months,
    ledger_months,
)
from assets.rectification.status import validate_updates
from tests.test_ledger_sql import frame, item, replies
from tests.test_publish_scope import merge, publish

ITEMS = [
    item("FP-A", date(2026, 2, 10), detected_on=date(2026, 2, 2), dept="D1"),
    item("FP-B", date(2026, 2, 20), detected_on=date(2026, 2, 9), dept="D2"),
    item("FP-C", date(2026, 3, 12), detected_on=date(2026, 3, 2), dept="D1"),
    item("FP-D", date(2026, 3, 25), detected_on=date(2026, 3, 16), dept="D2"),
    item("FP-E", date(2026, 4, 13), detected_on=date(2026, 4, 1), dept="D1"),
    item("FP-F", date(2026, 4, 20), detected_on=date(2026, 4, 8), dept=None),
]
CUTOFFS = [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]


def reply(home, item_id: str, status: str, day: str) -> None:
    led = open_ledger(home / "ledger.duckdb")
    rows = [(item_id, status, "说明", "王", f"{day} 10:00", f"{item_id}-{day}.xlsx", 1)]
    append_updates(led, *validate_updates(replies(rows), {r["item_id"] for r in ITEMS}))
    led.close()


def assert_kept_as_computed(home) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.sql(LEDGER_MONTHS_KEPT).fetchall() == con.sql(LEDGER_MONTHS).fetchall()
        for cutoff in CUTOFFS:
            kept = con.sql(ARCHIVE_MONTHS_KEPT, params={"cutoff": cutoff}).fetchall()
            assert kept == con.sql(ARCHIVE_MONTHS, params={"cutoff": cutoff}).fetchall(), cutoff


def test_fingerprints_kept_equal_the_computed_ones(tmp_path):
    led = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(led, frame(ITEMS), run_id="r1", as_of=date(2026, 4, 30))
    led.close()
    assert publish(tmp_path, date(2026, 3, 20))[0] == 4  # whole: A, B, C, D detected by then
    assert_kept_as_computed(tmp_path)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        # by hand, on 20 March: A (deadline 10 Feb) and B (20 Feb) escalated,
        # C overdue (12 March), D open; archives before March hold A and B
        assert [(m, n) for m, n, _ in con.sql(LEDGER_MONTHS_KEPT).fetchall()] == [("2026-02", 2), ("2026-03", 2)]
        assert [(d, m, n) for d, m, n, _ in con.sql(ARCHIVE_MONTHS_KEPT, params={"cutoff": date(2026, 3, 1)}).fetchall()] == [
            ("D1", "2026-02", 1), ("D2", "2026-02", 1)]  # fmt: skip

    reply(tmp_path, "FP-C", "已整改", "2026-03-21")  # resolved: settled now
    corrected = [r if r["item_id"] != "FP-D" else {**r, "description": "更正后的描述"} for r in ITEMS]
    merge(tmp_path, corrected, "r2", date(2026, 4, 14))
    written, status = publish(tmp_path, date(2026, 4, 14))
    assert written > 0 and status["FP-C"] == "resolved"
    assert_kept_as_computed(tmp_path)

    merge(tmp_path, [r for r in corrected if r["item_id"] != "FP-B"], "r3", date(2026, 4, 22))  # B withdrawn
    publish(tmp_path, date(2026, 4, 22))
    assert_kept_as_computed(tmp_path)

    publish(tmp_path, date(2026, 3, 20))  # back: E and F not yet detected
    assert_kept_as_computed(tmp_path)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert "2026-04" not in [m for m, _n, _h in con.sql(LEDGER_MONTHS_KEPT).fetchall()]


def test_the_lists_compute_them_without_a_whole_table(tmp_path):
    led = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(led, frame(ITEMS), run_id="r1", as_of=date(2026, 4, 30))
    led.close()
    publish(tmp_path, date(2026, 4, 22))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        computed = con.sql(LEDGER_MONTHS).pl(), con.sql(ARCHIVE_MONTHS, params={"cutoff": date(2026, 4, 1)}).pl()
        assert ledger_months(con).equals(computed[0]) and archive_months(con, date(2026, 4, 1)).equals(computed[1])
        # a table that does not count every item is not used: the months come out right
        con.execute(f"DELETE FROM {FINGERPRINTS_TABLE} WHERE month = '2026-02'")
        assert ledger_months(con).equals(computed[0]) and archive_months(con, date(2026, 4, 1)).equals(computed[1])
        con.execute(f"DROP TABLE {FINGERPRINTS_TABLE}")
        assert ledger_months(con).equals(computed[0]) and archive_months(con, date(2026, 4, 1)).equals(computed[1])
    publish(tmp_path, date(2026, 4, 22))  # the next publication makes it again
    assert_kept_as_computed(tmp_path)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert FINGERPRINTS_TABLE in {r[0] for r in con.execute("SHOW TABLES").fetchall()}


def test_a_table_kept_over_other_columns_is_computed_again(tmp_path):
    """A warehouse from the version before 上次反馈 kept its archive sums
    without the last reply's columns: the lists do not use them, and the
    next publication computes the table again instead of updating it."""
    led = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(led, frame(ITEMS), run_id="r1", as_of=date(2026, 4, 30))
    led.close()
    publish(tmp_path, date(2026, 4, 14))
    older = [c for c in ARCHIVE_FINGERPRINT_COLUMNS if not c.startswith("last_")]
    assert len(older) == len(ARCHIVE_FINGERPRINT_COLUMNS) - 4
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            f"""CREATE OR REPLACE TABLE {FINGERPRINTS_TABLE} AS
                SELECT dept_id, {DETECTED_MONTH} AS month, coalesce(status IN ('escalated', 'resolved'), false) AS settled,
                       count(*) AS items, sum({row_hash(LEDGER_CSV_COLUMNS)}) AS ledger_hash,
                       sum({row_hash(older)}) AS archive_hash
                FROM rectification_items GROUP BY ALL"""
        )
        cutoff = date(2026, 4, 1)
        assert archive_months(con, cutoff).equals(con.sql(ARCHIVE_MONTHS, params={"cutoff": cutoff}).pl())
    reply(tmp_path, "FP-A", "整改中", "2026-04-15")  # a reply to an archived item: its last reply changes
    written, status = publish(tmp_path, date(2026, 4, 16))
    assert written > 0 and status["FP-A"] == "escalated"
    assert_kept_as_computed(tmp_path)
