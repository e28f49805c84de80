"""Item ids computed over whole columns (DuckDB's sha1) are the ids of
``item_id`` (hashlib), row for row."""

import hashlib

import polars as pl

from assets.rectification.items import item_id, item_ids


def test_column_ids_are_the_python_ids():
    halls = pl.Series(["main", "中心", "a b", "main", "main"])
    subjects = pl.Series(["R1", "张@2026-03", "😀 x", "\x1f", None])
    got = item_ids("bad_rating", halls, subjects).to_list()
    assert got == [item_id("bad_rating", h, s) for h, s in zip(halls, subjects)]
    # worked by hand: "RX-" + the first 12 hex digits of SHA-1("bad_rating\x1fmain\x1fR1")
    assert got[0] == "RX-" + hashlib.sha1("bad_rating\x1fmain\x1fR1".encode()).hexdigest()[:12] == "RX-2ce94a0b6d12"
    # a missing subject hashes as the text None, as str(None) does
    assert got[4] == item_id("bad_rating", "main", "None")


def test_order_follows_the_input_on_many_rows():
    subjects = pl.Series([f"S{i:06d}" for i in range(200_000)][::-1])
    halls = pl.Series(["main"] * subjects.len())
    got = item_ids("absence", halls, subjects)
    assert got.len() == 200_000
    for i in (0, 1, 77_777, 199_999):
        assert got[i] == item_id("absence", "main", subjects[i])
