"""The whole graph on the full demo inbox: what the generator planted must be
found — bad rows quarantined for their reason, the bad windows on the black
list, the peak hours flagged as under-staffed."""

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.demo_inbox import write_inbox
from pipelines.runner import run_graph
from tests.warehouse_reading import table

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    write_inbox(home / "inbox", AS_OF)
    manifest = json.loads((home / "demo_manifest.json").read_text())
    outcome = run_graph(home, home / "inbox", AS_OF, progress=False)
    assert outcome.success, outcome.failures
    return home, manifest


def test_planted_rows_quarantined_or_removed(demo):
    home, manifest = demo
    quarantine = table(home, "quarantine")
    quality = table(home, "file_quality")
    for planted in manifest["planted"]:
        if planted["reason"] == "duplicate":
            row = quality.filter(pl.col("source") == planted["source"], pl.col("file") == planted["file"]).row(0, named=True)
            assert row["duplicates_removed"] >= 1, planted
            continue
        hit = quarantine.filter(
            pl.col("source") == planted["source"], pl.col("file") == planted["file"], pl.col("row") == planted["row"]
        )
        assert hit["reason"].to_list() == [planted["reason"]], planted
    assert quarantine.height == sum(1 for p in manifest["planted"] if p["reason"] != "duplicate")


def test_bad_windows_rank_at_the_bottom(demo):
    home, manifest = demo
    monthly = table(home, "window_scores_monthly").filter(pl.col("period") == "2026-10")
    bad = {w["window_id"] for w in manifest["patterns"]["bad_windows"]}
    ranked = monthly.filter(pl.col("rank").is_not_null()).sort("rank")
    bottom = set(ranked.tail(len(bad) + 2)["window_id"])
    assert bad <= bottom
    black = set(monthly.filter(pl.col("list") == "black")["window_id"])
    assert black and black <= bad | bottom


def test_planted_peak_hours_flagged_under_staffed(demo):
    home, manifest = demo
    advice = table(home, "staffing_advice")
    for peak in manifest["patterns"]["peak_hours"]:
        for category in peak["service_categories"]:
            slot = advice.filter(
                pl.col("weekday") == peak["weekday"] + 1,  # the manifest counts Monday as 0
                pl.col("hour") == peak["hour"],
                pl.col("service_category") == category,
            )
            assert slot["status"].to_list() == ["under_staffed"], (peak, category)


def test_exports_written(demo):
    home, _ = demo
    assert (home / "exports" / "rectification" / "ledger.csv").exists()
    assert list((home / "exports" / "rectification" / "departments").glob("整改清单_*.xlsx"))
    assert (home / "exports" / "staffing" / "排班建议_main.xlsx").exists()
