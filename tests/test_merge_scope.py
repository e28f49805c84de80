"""The ledger merge looks only at what the finders touched since the last
merge (assets.rectification.merge_scope), and gives what the whole merge gives.

Real DuckDB files: a warehouse whose found tables are written by
found_refresh.write_found, and a ledger opened by open_ledger, merged as the
ledger step merges (the warehouse attached read-only). Every night is merged
twice, on two copies of the ledger: scoped, and whole; the items must be the
same, and the counts are worked out by hand.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.rectification.attached import attached
from assets.rectification.found_refresh import FoundRefresh, write_found
from assets.rectification.items import ITEM_SCHEMA
from assets.rectification.ledger_store import (
    append_updates,
    found_items_sql,
    merge_found,
    open_ledger,
    read_items,
    upsert_items,
)
from assets.rectification.merge_scope import plan_merge_scope

RULES = ("bad_rating", "absence")
BOOKKEEPING = ["first_seen_run", "last_seen_run", "created_at", "changed_at", "withdrawn_at"]


def item(item_id: str, rule: str, detected: date, description: str = "说明") -> dict:
    return {
        "item_id": item_id, "rule": rule, "category": "类别", "hall_id": "H1", "window_id": "A01",
        "dept_id": "D1", "staff_id": None, "subject_ref": item_id.lower(), "detected_on": detected,
        "deadline": date(2026, 3, 31), "description": description,
    }  # fmt: skip


def frame(*items: dict) -> pl.DataFrame:
    return pl.DataFrame(list(items), schema=ITEM_SCHEMA)


class Home:
    """A warehouse file and two ledgers: one merged with its scope, one whole."""

    def __init__(self, root: Path):
        self.warehouse = root / "warehouse.duckdb"
        self.scoped = root / "scoped" / "ledger.duckdb"
        self.whole = root / "whole" / "ledger.duckdb"

    def find(self, rule: str, found: pl.DataFrame, start: date | None) -> None:
        """The finders' write of one rule: whole (start None) or from ``start``."""
        with duckdb.connect(str(self.warehouse)) as con:
            write_found(con, rule, f"found_items_{rule}", found, FoundRefresh(start, 1))

    def touched(self) -> set[str]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return {r[0] for r in con.execute("SELECT item_id FROM found_items_touched").fetchall()}

    def merge(self, as_of: date, path: Path | None = None, whole: bool = False) -> tuple[dict, bool]:
        """Merge as the ledger step does; returns (counts, whether scoped)."""
        ledger = open_ledger(path or self.scoped)
        try:
            with attached(ledger, self.warehouse, "wh"):
                found = found_items_sql(f"wh.found_items_{r}" for r in RULES)
                scope = plan_merge_scope(ledger, "wh", as_of=as_of, rules=RULES)
                counts = merge_found(
                    ledger, found, run_id=f"run-{as_of}", as_of=as_of, rules=RULES, scope=None if whole else scope
                )
        finally:
            ledger.close()
        return counts, scope.scoped

    def night(self, as_of: date) -> tuple[dict, bool]:
        """Both ledgers merged; their items must agree. Returns the scoped one's."""
        whole_counts, _ = self.merge(as_of, self.whole, whole=True)
        counts, scoped = self.merge(as_of)
        assert counts == whole_counts
        assert self.items(self.scoped).equals(self.items(self.whole))
        return counts, scoped

    def items(self, path: Path | None = None) -> pl.DataFrame:
        with duckdb.connect(str(path or self.scoped), read_only=True) as con:
            return read_items(con).drop(BOOKKEEPING)

    def reply(self, item_id: str, status: str, at: datetime) -> None:
        for path in (self.scoped, self.whole):
            con = open_ledger(path)
            try:
                append_updates(con, pl.DataFrame({"item_id": [item_id], "status": [status], "updated_at": [at]}))
            finally:
                con.close()


# the bad ratings found from the night of 03-11 on: B's description changed, E new
RATINGS_FROM_0311 = frame(
    item("A", "bad_rating", date(2026, 3, 2)),
    item("B", "bad_rating", date(2026, 3, 5), "新的说明"),
    item("E", "bad_rating", date(2026, 3, 11)),
)


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path)


def withdrawn(items: pl.DataFrame) -> set[str]:
    return set(items.filter(pl.col("withdrawn"))["item_id"])


def test_nights_merge_only_what_the_finders_touched(home):
    # night of 03-10: both rules found whole, for the first time
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2)), item("B", "bad_rating", date(2026, 3, 5))), None)
    home.find("absence", frame(
        item("C", "absence", date(2026, 3, 3)), item("D", "absence", date(2026, 3, 9)),
        item("G", "absence", date(2026, 3, 9)), item("H", "absence", date(2026, 3, 15)),
    ), None)  # fmt: skip
    counts, scoped = home.night(date(2026, 3, 10))
    assert not scoped  # nothing merged before
    assert counts == {"inserted": 6, "refreshed": 0, "reinstated": 0, "withdrawn": 0, "unchanged": 0}

    # G is resolved on 03-10
    home.reply("G", "resolved", datetime(2026, 3, 10, 9, 0))

    # night of 03-11, from D0 = 03-05 (ratings) and 03-09 (absence): B's
    # description changes, E is new; D, G and H are no longer found, F is new
    home.find("bad_rating", RATINGS_FROM_0311, date(2026, 3, 5))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3)), item("F", "absence", date(2026, 3, 10))), date(2026, 3, 9))
    assert home.touched() == {"B", "E", "D", "F", "G", "H"}  # A and C were found again as they were
    counts, scoped = home.night(date(2026, 3, 11))
    assert scoped
    # found A B E C F: E and F inserted, B refreshed, A and C unchanged; D
    # withdrawn; G resolved and H (03-15) not yet in scope, both left alone
    assert counts == {"inserted": 2, "refreshed": 1, "reinstated": 0, "withdrawn": 1, "unchanged": 2}
    items = home.items()
    assert withdrawn(items) == {"D"}
    assert items.filter(pl.col("item_id") == "B")["description"].item() == "新的说明"

    # G is taken up again on 03-12: no longer resolved
    home.reply("G", "in_progress", datetime(2026, 3, 12, 9, 0))

    # night of 03-16, from 03-12: nothing found changes, so the finders touch
    # nothing; but G's reply and H's date (03-15, now in scope) make both missing
    home.find("bad_rating", RATINGS_FROM_0311, date(2026, 3, 12))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3)), item("F", "absence", date(2026, 3, 10))), date(2026, 3, 12))
    assert home.touched() == set()
    counts, scoped = home.night(date(2026, 3, 16))
    assert scoped
    assert counts == {"inserted": 0, "refreshed": 0, "reinstated": 0, "withdrawn": 2, "unchanged": 5}
    assert withdrawn(home.items()) == {"D", "G", "H"}

    # D found again on 03-17: reinstated
    home.find("absence", frame(
        item("C", "absence", date(2026, 3, 3)), item("D", "absence", date(2026, 3, 9)), item("F", "absence", date(2026, 3, 10)),
    ), date(2026, 3, 9))  # fmt: skip
    home.find("bad_rating", RATINGS_FROM_0311, date(2026, 3, 17))
    counts, scoped = home.night(date(2026, 3, 17))
    assert scoped
    # six found: none inserted, none with new content (a reinstated item counts as unchanged)
    assert counts == {"inserted": 0, "refreshed": 0, "reinstated": 1, "withdrawn": 0, "unchanged": 6}
    assert withdrawn(home.items()) == {"G", "H"}


def first_night(home: Home) -> None:
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), None)
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), None)
    home.merge(date(2026, 3, 10))


def test_a_found_table_written_twice_since_the_merge_merges_whole(home):
    first_night(home)
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3)), item("F", "absence", date(2026, 3, 10))), date(2026, 3, 9))
    # the ledger step failed that night; the next night's finders write again
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3)), item("F", "absence", date(2026, 3, 10))), date(2026, 3, 9))
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), date(2026, 3, 11))
    assert home.touched() == set()  # the second write found F again as it was
    counts, scoped = home.merge(date(2026, 3, 11))
    assert not scoped
    assert counts["inserted"] == 1  # F, which only the whole merge can see


def test_an_earlier_as_of_date_merges_whole(home):
    first_night(home)
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), date(2026, 3, 9))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), date(2026, 3, 9))
    assert not home.merge(date(2026, 3, 9))[1]


def test_a_merge_without_a_scope_clears_the_record(home):
    first_night(home)
    # another merge of other items, as a test or a repair might run: the record
    # no longer says what the ledger holds
    con = open_ledger(home.scoped)
    try:
        upsert_items(con, frame(item("Z", "absence", date(2026, 3, 4))), as_of=date(2026, 3, 10), rules=["absence"])
        assert con.execute("SELECT count(*) FROM ledger_merged_found").fetchall()[0][0] == 0
    finally:
        con.close()
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), date(2026, 3, 11))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), date(2026, 3, 11))
    counts, scoped = home.merge(date(2026, 3, 11))
    assert not scoped
    assert counts["withdrawn"] == 1  # Z, not found


def test_a_refused_merge_changes_nothing_and_the_next_is_whole(home):
    first_night(home)
    before = home.items()
    with duckdb.connect(str(home.scoped), read_only=True) as con:
        record = con.execute("SELECT * FROM ledger_merged_found ORDER BY rule").fetchall()
    # a finder's bug: absence gives A, an id bad_rating gives too
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3)), item("A", "absence", date(2026, 3, 10))), date(2026, 3, 9))
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), date(2026, 3, 11))
    with pytest.raises(ValueError, match=r"repeat item_id\(s\): \['A'\]"):
        home.merge(date(2026, 3, 11))
    assert home.items().equals(before)
    with duckdb.connect(str(home.scoped), read_only=True) as con:
        assert con.execute("SELECT * FROM ledger_merged_found ORDER BY rule").fetchall() == record
    # fixed the next night: the tables are two writes past the record
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), date(2026, 3, 9))
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2))), date(2026, 3, 12))
    counts, scoped = home.merge(date(2026, 3, 12))
    assert not scoped and counts["unchanged"] == 2


def test_a_ledger_put_back_from_a_copy_merges_whole(home, tmp_path):
    first_night(home)
    shutil.copy2(home.scoped, tmp_path / "copy.duckdb")
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2)), item("B", "bad_rating", date(2026, 3, 11))), date(2026, 3, 11))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), date(2026, 3, 11))
    assert home.merge(date(2026, 3, 11))[1]
    home.find("bad_rating", frame(item("A", "bad_rating", date(2026, 3, 2)), item("B", "bad_rating", date(2026, 3, 11))), date(2026, 3, 12))
    home.find("absence", frame(item("C", "absence", date(2026, 3, 3))), date(2026, 3, 12))
    # the office puts back the copy taken before the night of 03-11
    shutil.copy2(tmp_path / "copy.duckdb", home.scoped)
    counts, scoped = home.merge(date(2026, 3, 12))
    assert not scoped
    assert counts["inserted"] == 1  # B, which the copy never had
