"""Great Expectations suites over staged frames (real GX, no mocks).

GX is imported once per process (~3 s); every later validation takes 0.05-0.4 s.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from assets.ingest import contract as c
from checks import gx_suites as g

SOURCES = list(c.DAILY_SOURCES)
DAY = dt.date(2026, 3, 5)


def good_frame(source: str, n: int = 12) -> pl.DataFrame:
    """A valid staged frame: every column of the contract, lineage last.

    Timestamps grow with the column's position in the contract, so every
    ordered pair (issued < called < finished, start < end, received < completed)
    holds."""
    base = dt.datetime(2026, 3, 5, 8, 30)
    data: dict[str, list] = {}
    for pos, col in enumerate(c.DAILY_SOURCES[source].columns):
        if col.kind == c.TEXT:
            values = [f"{col.name}-{i}" for i in range(n)]
        elif col.kind == c.TIMESTAMP:
            values = [base + dt.timedelta(minutes=3 * i + pos) for i in range(n)]
        elif col.kind == c.CODE:
            codes = sorted(col.codes)
            values = [codes[i % len(codes)] for i in range(n)]
        elif col.kind == c.SCORE:
            values = [1 + i % 5 for i in range(n)]
        elif col.kind == c.COUNT:
            values = [i % 3 for i in range(n)]
        elif col.kind == c.NUMBER:
            values = [float(i % 30) for i in range(n)]
        elif col.kind == c.BOOL:
            values = [i % 2 == 0 for i in range(n)]
        else:  # pragma: no cover - no other kind in the daily contract
            raise AssertionError(col.kind)
        data[col.name] = values
    data["partition_date"] = [DAY] * n
    data["source_file"] = [f"{source}/{DAY}.csv"] * n
    data["source_row"] = list(range(1, n + 1))
    return pl.DataFrame(data, schema=c.staged_schema(source))


def with_cell(frame: pl.DataFrame, column: str, row: int, value) -> pl.DataFrame:
    series = frame.get_column(column).to_list()
    series[row] = value
    return frame.with_columns(pl.Series(column, series, dtype=frame.schema[column]))


def mentions(failures: list[str], expectation: str, column: str) -> bool:
    return any(f.startswith(f"{expectation}({column})") for f in failures)


# ---- the rules, derived from the contract (no GX needed) ---------------------


@pytest.mark.parametrize("source", SOURCES)
def test_rules_follow_the_contract(source):
    src = c.DAILY_SOURCES[source]
    rules = g.suite_rules(source)
    index = {(r.expectation, r.column): r for r in rules}
    assert len(index) == len(rules), "one expectation per (type, column)"
    for col in src.columns:
        if col.required:
            assert index[("ExpectColumnToExist", col.name)].blocking
            assert ("ExpectColumnValuesToNotBeNull", col.name) in index
        else:
            assert ("ExpectColumnToExist", col.name) not in index
            assert ("ExpectColumnValuesToNotBeNull", col.name) not in index
        if col.kind == c.CODE:
            rule = index[("ExpectColumnValuesToBeInSet", col.name)]
            assert rule.blocking and rule.kwargs["value_set"] == sorted(col.codes)
            assert not set(rule.kwargs["value_set"]) & set(col.codes.values())  # English only
        if col.required and col.kind in (c.TIMESTAMP, c.CODE):
            assert index[("ExpectColumnValuesToNotBeNull", col.name)].blocking
        if col.kind == c.SCORE:
            rule = index[("ExpectColumnValuesToBeBetween", col.name)]
            assert (rule.kwargs["min_value"], rule.kwargs["max_value"], rule.blocking) == (1, 5, True)
        if col.kind in (c.COUNT, c.NUMBER):
            rule = index[("ExpectColumnValuesToBeBetween", col.name)]
            assert (rule.kwargs["min_value"], rule.kwargs["max_value"], rule.blocking) == (0, None, True)
    assert index[("ExpectColumnValuesToNotBeNull", src.key or "staff_id")].blocking
    for name in c.LINEAGE_SCHEMA:
        assert not index[("ExpectColumnToExist", name)].blocking


def test_queue_time_order_ignores_missing_values():
    pairs = {r.column: r for r in g.suite_rules("queue") if "column_A" in r.kwargs}
    assert set(pairs) == {"called_at>=issued_at", "finished_at>=called_at", "finished_at>=issued_at"}
    for rule in pairs.values():
        assert rule.kwargs["ignore_row_if"] == "either_value_is_missing"
        assert rule.kwargs["or_equal"] is True
        assert not rule.blocking


def test_expectations_are_gx_objects_with_severity():
    exps = g.expectations_for("callbacks")
    rules = g.suite_rules("callbacks")
    assert len(exps) == len(rules)
    for exp, rule in zip(exps, rules):
        assert type(exp).__name__ == rule.expectation
        assert exp.meta["blocking"] is rule.blocking
        assert str(exp.severity.value) == ("critical" if rule.blocking else "warning")


# ---- validation with GX --------------------------------------------------------


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("gx") / "data_docs"


@pytest.mark.parametrize("source", SOURCES)
def test_good_frame_passes(source, docs_dir):
    frame = good_frame(source)
    out = g.validate_frame(source, frame, docs_dir)
    assert out.success, out.blocking_failures
    assert out.blocking_failures == [] and out.warnings == []
    assert out.rows == frame.height
    assert out.evaluated == len(g.suite_rules(source))
    assert out.docs_index == docs_dir / "index.html"


@pytest.mark.parametrize(
    "source, column, value, expectation",
    [
        ("cases", "status", "finished", "ExpectColumnValuesToBeInSet"),  # unknown code
        ("cases", "status", "办结", "ExpectColumnValuesToBeInSet"),  # staged codes are English
        ("ratings", "channel", "fax", "ExpectColumnValuesToBeInSet"),  # optional code column
        ("queue", "ticket_id", None, "ExpectColumnValuesToNotBeNull"),  # null id
        ("cases", "window_id", None, "ExpectColumnValuesToNotBeNull"),  # null reference id
        ("attendance", "punch_at", None, "ExpectColumnValuesToNotBeNull"),  # required timestamp
        ("ratings", "score", 7, "ExpectColumnValuesToBeBetween"),
        ("callbacks", "satisfaction", 0, "ExpectColumnValuesToBeBetween"),
        ("cases", "visit_count", -1, "ExpectColumnValuesToBeBetween"),  # negative count
        ("monitoring", "duration_minutes", -5.0, "ExpectColumnValuesToBeBetween"),
    ],
)
def test_bad_cell_is_a_blocking_failure(source, column, value, expectation):
    frame = with_cell(good_frame(source), column, 3, value)
    out = g.validate_frame(source, frame, None)
    assert not out.success
    assert mentions(out.blocking_failures, expectation, column), out.blocking_failures
    assert len(out.blocking_failures) == 1, out.blocking_failures
    assert "1 of 12 rows unexpected" in out.blocking_failures[0]
    assert out.docs_index is None


def test_failure_message_quotes_the_unknown_code():
    frame = with_cell(good_frame("cases"), "status", 0, "finished")
    (msg,) = g.validate_frame("cases", frame, None).blocking_failures
    assert "'finished'" in msg


def test_warning_does_not_block():
    frame = good_frame("queue")
    frame = with_cell(frame, "finished_at", 2, dt.datetime(2026, 3, 5, 6, 0))  # before issue
    frame = with_cell(frame, "called_at", 5, None)  # optional: no wait, no failure
    out = g.validate_frame("queue", frame, None)
    assert out.success and out.blocking_failures == []
    assert mentions(out.warnings, "ExpectColumnPairValuesAToBeGreaterThanB", "finished_at>=called_at")
    assert mentions(out.warnings, "ExpectColumnPairValuesAToBeGreaterThanB", "finished_at>=issued_at")
    assert len(out.warnings) == 2


def test_missing_columns():
    frame = good_frame("monitoring")
    # An optional column may be missing; lineage missing is a warning only.
    out = g.validate_frame("monitoring", frame.drop("evidence_ref", "source_file"), None)
    assert out.success
    assert out.warnings == ["ExpectColumnToExist(source_file): column missing"]
    # A required column missing is reported once, as blocking.
    out = g.validate_frame("monitoring", frame.drop("event_type"), None)
    assert out.blocking_failures == ["ExpectColumnToExist(event_type): column missing"]


@pytest.mark.parametrize("source", ["cases", "queue"])
def test_empty_frame_passes(source, docs_dir):
    out = g.validate_frame(source, good_frame(source).clear(), docs_dir)
    assert out.success and out.rows == 0 and out.warnings == []


def test_data_docs_are_written_and_kept(tmp_path):
    docs = tmp_path / "gx" / "data_docs"
    a = g.validate_frame("attendance", good_frame("attendance"), docs)
    b = g.validate_frame("attendance", good_frame("attendance"), docs)
    assert a.docs_index == b.docs_index == docs / "index.html"
    assert a.docs_index.is_file()
    pages = sorted((docs / "validations" / "attendance").rglob("*.html"))
    assert len(pages) == 2
    assert (docs / "expectations" / "attendance.html").is_file()
    # A new context (as a new process would make) must not wipe earlier pages.
    g.reset_context()
    c_ = g.validate_frame("cases", with_cell(good_frame("cases"), "status", 0, "x"), docs)
    assert not c_.success
    assert len(list((docs / "validations" / "attendance").rglob("*.html"))) == 2
    assert len(list((docs / "validations" / "cases").rglob("*.html"))) == 1
    index = c_.docs_index.read_text()
    links = re.findall(r"validations/[^\"']+\.html", index)
    assert sum("attendance" in link for link in set(links)) == 2
    assert sum("cases" in link for link in set(links)) == 1
    assert f"attendance-{DAY}" in index  # run named after the partition


def test_no_progress_bars_or_noise(capfd, docs_dir):
    g.reset_context()  # includes context creation in what is captured
    g.validate_frame("ratings", good_frame("ratings", 500), docs_dir)
    g.validate_frame("ratings", with_cell(good_frame("ratings"), "score", 1, 9), None)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Calculating Metrics" not in err and "it/s" not in err and "%|" not in err
