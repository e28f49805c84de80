"""The published statuses brought up to date from the candidates alone
(ledger_publish.ITEM_CANDIDATES): over six publications of one real ledger
and warehouse, moving the as-of date forward and back, adding replies,
changing the escalation days and putting the ledger back from a copy, the
published table must equal a full rewrite each time, and the rows written
must be the ones worked out by hand below.

Escalation dates use the hand-written 2026 calendar of test_ledger_store
(04-06 is a holiday), 5 working days unless said otherwise.
"""

import shutil
from datetime import date

import duckdb
import polars as pl

from assets.rectification.ledger_publish import LEDGER_BOOKKEEPING, publish_ledger
from assets.rectification.ledger_store import append_updates, ledger_escalation_dates, open_ledger, upsert_items
from assets.rectification.status import validate_updates
from assets.rectification.updates_quality import INBOX_REFUSALS_SCHEMA
from tests.test_ledger_sql import add_wd, frame, item, reference_status, replies

ITEMS = [
    item("RX-A", date(2026, 4, 13), detected_on=date(2026, 4, 1)),  # escalates after 04-20 (3 days: 04-16)
    item("RX-B", date(2026, 4, 8), detected_on=date(2026, 4, 1)),  # after 04-15 (3 days: 04-13)
    item("RX-C", date(2026, 4, 20), detected_on=date(2026, 4, 13)),  # not detected by 04-10
    item("RX-D", date(2026, 4, 16), detected_on=date(2026, 4, 1)),
    item("RX-E", date(2026, 4, 30), detected_on=date(2026, 4, 1)),
    item("RX-F", date(2026, 4, 9), detected_on=date(2026, 4, 1)),  # after 04-16 (3 days: 04-14)
]
IDS = {r["item_id"] for r in ITEMS}


def publish(home, as_of: date, escalation_days: int = 5) -> tuple[int, dict[str, str]]:
    """Publish the ledger into the warehouse as of ``as_of``: the rows
    written and each item's published status. The published table must
    equal what a full rewrite gives (the polars statuses)."""
    ledger_file, warehouse = home / "ledger.duckdb", home / "warehouse.duckdb"
    led = open_ledger(ledger_file)
    escalation = ledger_escalation_dates(led, as_of, add_wd, rules={"escalation": {"days": escalation_days}})
    led.close()
    with duckdb.connect(str(warehouse)) as con:
        _counts, written = publish_ledger(
            con, ledger_file, as_of=as_of, escalation=escalation, run_counts=pl.DataFrame({"runs": [1]}),
            inbox_refusals=pl.DataFrame(schema=INBOX_REFUSALS_SCHEMA),
        )
        got = con.sql("SELECT * FROM rectification_items ORDER BY dept_id NULLS LAST, deadline, item_id").pl()
    with duckdb.connect(str(ledger_file), read_only=True) as led:
        want = reference_status(led, as_of, lambda d, n: add_wd(d, escalation_days)).drop(LEDGER_BOOKKEEPING)
    assert got.schema == want.schema and got.equals(want), as_of
    return written, dict(zip(got["item_id"], got["status"]))


def merge(home, found: list[dict], run_id: str, as_of: date) -> None:
    led = open_ledger(home / "ledger.duckdb")
    upsert_items(led, frame(found), run_id=run_id, as_of=as_of)
    led.close()


def reply(home, item_id: str, status: str, day: str) -> None:
    led = open_ledger(home / "ledger.duckdb")
    rows = [(item_id, status, "说明", "王", f"{day} 10:00", f"{item_id}-{day}.xlsx", 1)]
    append_updates(led, *validate_updates(replies(rows), IDS))
    led.close()


def test_published_rows_written_only_where_they_differ(tmp_path):
    led = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(led, frame(ITEMS), run_id="r1", as_of=date(2026, 4, 30))
    led.close()
    reply(tmp_path, "RX-F", "已整改", "2026-04-09")
    reply(tmp_path, "RX-D", "整改中", "2026-04-12")  # dated after the first as-of date

    # 04-10, the first publication: every item detected by then, written whole
    written, status = publish(tmp_path, date(2026, 4, 10))
    assert written == 5
    assert status == {"RX-A": "open", "RX-B": "overdue", "RX-D": "open", "RX-E": "open", "RX-F": "resolved"}

    # 04-14: C is detected (04-13), A's deadline 04-13 passes, D's reply of
    # 04-12 counts now, a merge corrects E's description; B's escalation
    # (after 04-15) is still ahead
    corrected = [r if r["item_id"] != "RX-E" else {**r, "description": "更正"} for r in ITEMS]
    merge(tmp_path, corrected, "r2", date(2026, 4, 14))
    written, status = publish(tmp_path, date(2026, 4, 14))
    assert written == 4
    assert (status["RX-A"], status["RX-C"], status["RX-D"], status["RX-E"]) == ("overdue", "open", "in_progress", "open")
    shutil.copyfile(tmp_path / "ledger.duckdb", tmp_path / "ledger-copy.duckdb")

    # 04-16: B escalates (after 04-15); E gets a reply dated before the
    # published date (04-09), recorded only now; A is no longer found
    reply(tmp_path, "RX-E", "申诉", "2026-04-09")
    merge(tmp_path, [r for r in corrected if r["item_id"] != "RX-A"], "r3", date(2026, 4, 16))
    written, status = publish(tmp_path, date(2026, 4, 16))
    assert written == 3
    assert (status["RX-A"], status["RX-B"], status["RX-E"]) == ("withdrawn", "escalated", "disputed")

    # the same date with 3 escalation days: every deadline's escalation
    # date moves, so every row's escalate_after
    written, status = publish(tmp_path, date(2026, 4, 16), escalation_days=3)
    assert written == 6
    assert status == {
        "RX-A": "withdrawn", "RX-B": "escalated", "RX-C": "open", "RX-D": "in_progress", "RX-E": "disputed",
        "RX-F": "resolved",
    }

    # back to 04-10: C is gone again, B not yet escalated (after 04-13), D's
    # reply (04-12) not yet dated; A is withdrawn, F resolved and E's reply
    # (04-09) counts on either date
    written, status = publish(tmp_path, date(2026, 4, 10), escalation_days=3)
    assert written == 3
    assert status == {"RX-A": "withdrawn", "RX-B": "overdue", "RX-D": "open", "RX-E": "disputed", "RX-F": "resolved"}

    # the ledger put back from the copy taken before E's reply and A's
    # withdrawal: both are open again
    shutil.copyfile(tmp_path / "ledger-copy.duckdb", tmp_path / "ledger.duckdb")
    written, status = publish(tmp_path, date(2026, 4, 10), escalation_days=3)
    assert written == 2
    assert (status["RX-A"], status["RX-E"]) == ("open", "open")


def test_a_lost_record_rewrites_the_table_whole(tmp_path):
    led = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(led, frame(ITEMS), run_id="r1", as_of=date(2026, 4, 30))
    led.close()
    assert publish(tmp_path, date(2026, 4, 14))[0] == 6
    assert publish(tmp_path, date(2026, 4, 14))[0] == 0  # nothing changed
    for table in ("rectification_items_replies", "rectification_items_escalation", "rectification_items_versions"):
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute(f"DROP TABLE {table}")
        assert publish(tmp_path, date(2026, 4, 14))[0] == 6, table
