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


def test_data_docs_read_offline(tmp_path):
    """GX loads its scripts and styles from CDNs, which an intranet cannot
    reach: the pages keep none of them, and the index is a plain table."""
    docs = tmp_path / "gx" / "data_docs"
    g.validate_frame("attendance", good_frame("attendance"), docs)
    bad = g.validate_frame("cases", with_cell(good_frame("cases"), "status", 0, "x"), docs)
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) == 5  # the index, two validations, two suites
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=[\"']https?://", text), page
        assert "<style>" in text, page
    index = bad.docs_index.read_text(encoding="utf-8")
    assert "<script" not in index
    assert "<h2>考勤打卡 attendance</h2>" in index and "<h2>办件 cases</h2>" in index
    (cases_row,) = [row for row in index.split("<tr>") if "validations/cases/" in row]
    assert "未通过 failed" in cases_row and f"<td>{DAY}</td>" in cases_row
    (attendance_row,) = [row for row in index.split("<tr>") if "validations/attendance/" in row]
    assert "通过 passed" in attendance_row and "未通过" not in attendance_row
    for href in re.findall(r'href="([^"]+)"', index):
        assert (docs / href).is_file(), href
    # the run time GX names its folder after is UTC; the index shows Beijing time
    (folder,) = [p.parent.name for p in (docs / "validations" / "cases").rglob("*.html")]
    utc = dt.datetime.strptime(folder, "%Y%m%dT%H%M%S.%fZ")
    assert (utc + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S") in cases_row


def test_data_docs_built_once_for_several_validations(tmp_path):
    """The nightly check validates every source, then builds the site once."""
    docs = tmp_path / "gx" / "data_docs"
    a = g.validate_frame("queue", good_frame("queue"), docs, build_docs=False)
    b = g.validate_frame("leave", good_frame("leave"), docs, build_docs=False)
    assert a.docs_index is None and b.docs_index is None
    assert not (docs / "index.html").exists()  # kept for the site, not yet built
    assert len(a.docs_keys) == 2  # its validation result and its suite
    index = g.build_data_docs(docs, [*a.docs_keys, *b.docs_keys])
    assert index == docs / "index.html"
    assert len(list((docs / "validations" / "queue").rglob("*.html"))) == 1
    assert len(list((docs / "validations" / "leave").rglob("*.html"))) == 1
    assert (docs / "expectations" / "queue.html").is_file() and (docs / "expectations" / "leave.html").is_file()


def test_no_progress_bars_or_noise(capfd, docs_dir):
    g.reset_context()  # includes context creation in what is captured
    g.validate_frame("ratings", good_frame("ratings", 500), docs_dir)
    g.validate_frame("ratings", with_cell(good_frame("ratings"), "score", 1, 9), None)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Calculating Metrics" not in err and "it/s" not in err and "%|" not in err


# ---- at scale: exact counts over all rows, GX over a sample --------------------


def faulty_frame(source: str, n: int = 40) -> pl.DataFrame:
    """A good frame with one fault of every kind its suite checks, on distinct rows."""
    src = c.DAILY_SOURCES[source]
    frame = good_frame(source, n)
    row = iter(range(1, n))
    for rule in g.suite_rules(source):
        if rule.expectation == "ExpectColumnValuesToNotBeNull":
            frame = with_cell(frame, rule.kwargs["column"], next(row), None)
        elif rule.expectation == "ExpectColumnValuesToBeInSet":
            frame = with_cell(frame, rule.kwargs["column"], next(row), "bogus")
        elif rule.expectation == "ExpectColumnValuesToBeBetween":
            low = rule.kwargs["min_value"]
            frame = with_cell(frame, rule.kwargs["column"], next(row), low - 1)
        elif rule.expectation == "ExpectColumnPairValuesAToBeGreaterThanB":
            early = frame.get_column(rule.kwargs["column_B"])[0] - dt.timedelta(days=1)
            frame = with_cell(frame, rule.kwargs["column_A"], next(row), early)
    for col in src.columns:
        if col.kind == c.NUMBER:  # pandas reads NaN as null: neither null nor out of range for GX
            frame = with_cell(frame, col.name, next(row), float("nan"))
    return frame


@pytest.mark.parametrize("source", SOURCES)
def test_exact_counts_agree_with_gx(source):
    """The polars count of every rule equals GX's unexpected_count on the same rows."""
    from checks.exact_counts import count_unexpected

    frame = faulty_frame(source)
    rules = g.suite_rules(source)
    counts = count_unexpected(rules, frame.lazy())
    result, _ = g._run_gx(source, frame.to_pandas(), "agreement", None)
    by_key = {g._config_key_from_gx(r.expectation_config): r for r in result.results}
    assert counts.rows == frame.height and counts.first_day == counts.last_day == DAY
    compared = 0
    for i, rule in enumerate(rules):
        gx_count = (by_key[g._config_key(rule.expectation, rule.kwargs)].result or {}).get("unexpected_count")
        if rule.expectation == "ExpectColumnToExist":
            assert i not in counts.unexpected
            continue
        assert counts.unexpected[i] == gx_count, (rule, counts.unexpected[i], gx_count)
        compared += 1
    assert compared and sum(counts.unexpected.values()) >= 5


def test_sample_is_spread_over_every_day_and_reproducible():
    from checks.exact_counts import sample

    days = [DAY + dt.timedelta(days=k) for k in range(10)]
    frame = pl.concat(
        good_frame("queue", 1_000).with_columns(partition_date=pl.lit(day)) for day in days
    ).lazy()
    picked = sample(frame, 10_000, 1_000).collect()
    assert 990 <= picked.height <= 1_010
    per_day = picked.group_by("partition_date").len()
    assert per_day.height == 10 and per_day["len"].min() >= 90
    assert picked.equals(sample(frame, 10_000, 1_000).collect())  # the same rows every time
    assert sample(frame, 10_000, 10_000).collect().height == 10_000  # small enough: every row


def test_a_bad_row_outside_the_sample_still_fails():
    from checks.exact_counts import sample

    frame = good_frame("cases", 2_000)
    in_sample = set(sample(frame.lazy(), frame.height, 300).collect()["source_row"])
    outside = next(r for r in range(1, frame.height + 1) if r not in in_sample)
    bad = with_cell(frame, "status", outside - 1, "finished")
    out = g.validate_frame("cases", bad, None, sample_rows=300)
    assert out.rows == 2_000 and out.sampled and 280 <= out.gx_rows <= 320
    assert out.blocking_failures == [
        "ExpectColumnValuesToBeInSet(status): 1 of 2000 rows unexpected, e.g. 'finished'"
    ]
    # The same frame in full gives the same message.
    assert g.validate_frame("cases", bad, None).blocking_failures == out.blocking_failures


def test_validate_files_reads_staged_parquet(tmp_path):
    files = []
    for k in range(3):
        day = DAY + dt.timedelta(days=k)
        path = tmp_path / f"{day}.parquet"
        good_frame("ratings", 50).with_columns(partition_date=pl.lit(day)).write_parquet(path)
        files.append(path)
    bad = tmp_path / "bad.parquet"
    with_cell(pl.read_parquet(files[1]), "score", 7, 9).write_parquet(bad)
    out = g.validate_files("ratings", [files[0], bad, files[2]], None, sample_rows=60)
    assert out.rows == 150 and out.sampled
    assert out.blocking_failures == ["ExpectColumnValuesToBeBetween(score): 1 of 150 rows unexpected, e.g. 9"]
    out = g.validate_files("ratings", [], None)
    assert out.success and out.rows == 0


def test_a_column_of_another_type_is_reported_by_gx():
    # Staging always writes the contract's types; a frame that does not gets
    # GX's error as a blocking failure rather than an exception from polars.
    frame = good_frame("ratings").with_columns(pl.col("score").cast(pl.String))
    out = g.validate_frame("ratings", frame, None)
    assert not out.success
    (msg,) = out.blocking_failures
    assert msg.startswith("ExpectColumnValuesToBeBetween(score): error: ")
