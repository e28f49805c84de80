"""The demo inbox generator: layout, calendar, formats, reproducibility, planted rows.

Everything here reads the files back with plain readers (csv, openpyxl,
polars for Parquet) and checks them against the input contract as data
(assets/ingest/contract.py), independently of the project's own ingest code.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import openpyxl
import polars as pl
import pytest

from assets.ingest import contract as C
from pipelines.demo_inbox import DAILY_ORDER, InboxProfile, write_inbox

END = date(2026, 10, 20)  # 90 days: 2026-07-23 .. 2026-10-20, over Mid-autumn and National Day
SMALL = InboxProfile(departments=5, windows_per_hall=10, staff_per_hall=25, matters=30, days=30)
REASONS = {
    "missing_value", "bad_timestamp", "unknown_code", "out_of_range",
    "negative_count", "finish_before_start", "unknown_case", "duplicate",
}
DAILY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(csv|xlsx|parquet)$")
TS_RE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


# ---------------------------------------------------------------------------
# reading helpers


def read_table(path: Path) -> tuple[list[str], list[tuple]]:
    """Header and data rows of a CSV (any allowed encoding), XLSX or Parquet file."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            text = data.decode("utf-8-sig")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return rows[0], [tuple(r) for r in rows[1:]]
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return [str(h) for h in rows[0]], [tuple(r) for r in rows[1:]]
    frame = pl.read_parquet(path)
    return frame.columns, frame.rows()


def canonical(source: C.Source, headers: list[str]) -> list[str | None]:
    aliases = C.header_aliases(source)
    return [aliases.get(C.normalise_header(h)) for h in headers]


def records(source: C.Source, path: Path) -> list[dict]:
    headers, rows = read_table(path)
    names = canonical(source, headers)
    return [{n: v for n, v in zip(names, row) if n is not None} for row in rows]


def empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_ts(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if empty(value):
        return None
    m = TS_RE.match(str(value).strip())
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups()[:6])
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def code_ok(column: C.Column, value) -> bool:
    words = {k.lower() for k in column.codes} | {v.lower() for v in column.codes.values()}
    return str(value).strip().lower() in words


def score_ok(value) -> bool:
    if isinstance(value, str) and value in C.SCORE_WORDS:
        return True
    try:
        return 1 <= int(float(value)) <= 5 and float(value) == int(float(value))
    except (TypeError, ValueError):
        return False


def bool_ok(value) -> bool:
    return isinstance(value, bool) or str(value).strip().lower() in {"true", "false", "1", "0", "是", "否", "y", "n"}


def count_of(value) -> int:
    return int(float(value))


def reference(inbox: Path) -> dict[str, list[dict]]:
    out = {}
    for name, src in C.REFERENCE_SOURCES.items():
        (path,) = list((inbox / "reference").glob(f"{name}.*"))
        out[name] = records(src, path)
    return out


def daily_files(inbox: Path, source: str) -> list[Path]:
    return sorted((inbox / source).iterdir())


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    summary = write_inbox(root / "inbox", END)
    return root / "inbox", summary


@pytest.fixture(scope="module")
def loaded(demo):
    """Every daily file read back: source -> list of (file name, row number, record)."""
    inbox, _ = demo
    out = {}
    for source in DAILY_ORDER:
        src = C.DAILY_SOURCES[source]
        rows = []
        for path in daily_files(inbox, source):
            for i, rec in enumerate(records(src, path), start=1):
                rows.append((path.name, i, rec))
        out[source] = rows
    return out


# ---------------------------------------------------------------------------
# tests


def test_default_profile_is_summarised(demo):
    inbox, summary = demo
    manifest = inbox.parent / "demo_manifest.json"
    assert manifest.is_file()
    assert not list(inbox.rglob("*.json")), "the manifest must not be inside the inbox"
    on_disk = json.loads(manifest.read_text(encoding="utf-8"))
    assert on_disk["planted"] == json.loads(json.dumps(summary["planted"], default=str))
    assert summary["reference_rows"] == {"halls": 1, "departments": 12, "windows": 40, "staff": 120, "matters": 150}
    for source in DAILY_ORDER:
        assert summary["files"][source] == len(daily_files(inbox, source)) > 0
    # realistic volumes for one 40-window hall
    per_day = summary["rows"]["queue"] / summary["files"]["queue"]
    assert 300 < per_day < 550
    assert summary["rows"]["attendance"] / summary["files"]["attendance"] > 2 * 120


def test_layout_and_file_names(demo, loaded):
    inbox, summary = demo
    assert {p.name for p in inbox.iterdir()} == {"reference", *DAILY_ORDER}
    assert sorted(p.name for p in (inbox / "reference").iterdir()) == sorted(
        f"{n}.xlsx" for n in ("halls", "departments", "windows", "staff", "matters")
    )
    start = END - timedelta(days=89)
    for source in DAILY_ORDER:
        for path in daily_files(inbox, source):
            m = DAILY_NAME.match(path.name)
            assert m, path
            day = date.fromisoformat(m.group(1))
            assert start <= day <= END
            assert chinese_calendar.is_workday(day), f"{source}/{path.name} on a closed day"
        rows = len(loaded[source])
        assert rows == summary["rows"][source], source


def test_closed_on_holidays_open_on_make_up_days(demo):
    inbox, summary = demo
    # 2026: Mid-autumn 09-25..27, National Day 10-01..07; make-up working days
    # Sunday 09-20 and Saturday 10-10 (as the State Council schedule has them).
    holidays = [date(2026, 9, 25) + timedelta(i) for i in range(3)] + [date(2026, 10, 1) + timedelta(i) for i in range(7)]
    make_up = [date(2026, 9, 20), date(2026, 10, 10)]
    assert all(not chinese_calendar.is_workday(d) for d in holidays)
    assert all(chinese_calendar.is_workday(d) and d.weekday() >= 5 for d in make_up)
    for source in DAILY_ORDER:
        names = {p.stem for p in daily_files(inbox, source)}
        for d in holidays + [date(2026, 10, 11), date(2026, 10, 17), date(2026, 10, 18)]:
            assert d.isoformat() not in names, f"{source} has a file on closed day {d}"
    for source in ("attendance", "cases", "queue", "ratings"):
        names = {p.stem for p in daily_files(inbox, source)}
        for d in make_up + [date(2026, 9, 30), date(2026, 10, 8)]:
            assert d.isoformat() in names, f"{source} misses working day {d}"
    for d in holidays:
        assert d.isoformat() in summary["closed_days"]


def test_formats_and_encodings(demo):
    inbox, _ = demo
    for path in daily_files(inbox, "attendance"):
        data = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("gb18030")
        assert text.splitlines()[0].startswith("工号,")
        assert re.search(r",\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2},", text)
    first_att = daily_files(inbox, "attendance")[0].read_bytes().decode("gb18030")
    assert re.search(r",\d{4}/([1-9])/([1-9]|[12]\d|3[01]) 8:\d{2},", first_att), "one-digit forms expected"
    mon = daily_files(inbox, "monitoring")[0].read_bytes()
    assert mon.startswith(b"\xef\xbb\xbf")
    mon_text = mon.decode("utf-8-sig")
    assert mon_text.startswith("事件编号,发生时间")
    assert "T" in mon_text.splitlines()[1] and ("智能视频" in mon_text or "巡查" in mon_text)
    cases = daily_files(inbox, "cases")[0].read_bytes()
    assert not cases.startswith(b"\xef\xbb\xbf")
    assert cases.decode("utf-8").startswith("case_id,window_id,staff_id,matter_code,received_at")
    queue = pl.read_parquet(daily_files(inbox, "queue")[0])
    assert queue.schema["issued_at"] == pl.Datetime("us")
    ws = openpyxl.load_workbook(daily_files(inbox, "ratings")[0], read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("评价编号", "评价时间")
    assert isinstance(rows[1][1], datetime), "ratings carry real Excel datetime cells"
    ws = openpyxl.load_workbook(daily_files(inbox, "callbacks")[0], read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "callback_id" and isinstance(rows[1][2], str), "callbacks carry text dates"
    ws = openpyxl.load_workbook(inbox / "reference" / "windows.xlsx", read_only=True).worksheets[0]
    head = next(ws.iter_rows(values_only=True))
    assert "窗口编号" in head and "窗口类型" in head


def test_reproducible_byte_for_byte(tmp_path):
    a = write_inbox(tmp_path / "a" / "inbox", END, SMALL, seed=7)
    b = write_inbox(tmp_path / "b" / "inbox", END, SMALL, seed=7)
    assert a == b
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "inbox").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b" / "inbox").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) > 50
    for rel in files_a:
        pa, pb = tmp_path / "a" / rel, tmp_path / "b" / rel
        if pa.suffix in (".csv", ".parquet"):
            assert pa.read_bytes() == pb.read_bytes(), rel
        else:
            assert read_table(pa) == read_table(pb), rel
    c = write_inbox(tmp_path / "c" / "inbox", END, SMALL, seed=8)
    assert c["rows"] != a["rows"]
    day = sorted((tmp_path / "a" / "inbox" / "cases").iterdir())[3].name
    assert (tmp_path / "a/inbox/cases" / day).read_bytes() != (tmp_path / "c/inbox/cases" / day).read_bytes()


def test_planting_leaves_the_rest_unchanged(tmp_path):
    planted = write_inbox(tmp_path / "p" / "inbox", END, SMALL, seed=3)
    clean = write_inbox(tmp_path / "q" / "inbox", END, SMALL, seed=3, plant_bad_rows=False)
    assert clean["planted"] == [] and len(planted["planted"]) >= 10
    touched = {(p["source"], p["file"]) for p in planted["planted"]}
    for source in DAILY_ORDER:
        for path in sorted((tmp_path / "q" / "inbox" / source).iterdir()):
            other = tmp_path / "p" / "inbox" / source / path.name
            if (source, path.name) in touched:
                assert len(read_table(other)[1]) == len(read_table(path)[1]) + 1
            elif path.suffix != ".xlsx":
                assert other.read_bytes() == path.read_bytes(), (source, path.name)
            else:
                assert read_table(other) == read_table(path), (source, path.name)


def test_planted_rows_are_where_the_manifest_says(demo, loaded):
    inbox, summary = demo
    planted = summary["planted"]
    assert 10 <= len(planted) <= 15
    assert {p["reason"] for p in planted} == REASONS
    ref = reference(inbox)
    windows = {(w.get("hall_id") or "main", w["window_id"]) for w in ref["windows"]}
    staff = {s["staff_id"] for s in ref["staff"]}
    matters = {m["matter_code"] for m in ref["matters"]}
    case_ids = {rec["case_id"] for _, _, rec in loaded["cases"]}
    for p in planted:
        src = C.DAILY_SOURCES[p["source"]]
        path = inbox / p["source"] / p["file"]
        headers, rows = read_table(path)
        rec = records(src, path)[p["row"] - 1]
        col = p["column"]
        reason = p["reason"]
        if reason == "duplicate":
            assert rows[p["row"] - 1] == rows[p["duplicate_of"] - 1], p
            assert p["duplicate_of"] < p["row"]
            assert rows.count(rows[p["row"] - 1]) == 2
            continue
        key = src.key
        if key:
            assert rec[key] == p["id"], p
        value = rec[col]
        if reason == "missing_value":
            assert empty(value), p
            assert src.column(col).required
        elif reason == "bad_timestamp":
            assert str(value) == p["value"] and parse_ts(value) is None, p
        elif reason == "unknown_code":
            assert value == p["value"], p
            if col == "window_id":
                assert ("main", value) not in windows
            elif col == "staff_id":
                assert value not in staff
            elif col == "matter_code":
                assert value not in matters
            else:
                assert not code_ok(src.column(col), value)
        elif reason == "out_of_range":
            assert not score_ok(value) and int(value) == 7, p
        elif reason == "negative_count":
            assert count_of(value) < 0, p
        elif reason == "finish_before_start":
            start_col = {"queue": "called_at", "leave": "leave_start", "cases": "received_at"}[p["source"]]
            assert parse_ts(value) < parse_ts(rec[start_col]), p
        elif reason == "unknown_case":
            assert value == p["value"] and value not in case_ids, p
        else:  # pragma: no cover
            pytest.fail(f"unexpected reason {reason}")


def test_everything_else_keeps_the_contract(demo, loaded):
    inbox, summary = demo
    bad = {(p["source"], p["file"], p["row"]) for p in summary["planted"]}
    ref = reference(inbox)
    windows = {(w.get("hall_id") or "main", w["window_id"]) for w in ref["windows"]}
    staff = {s["staff_id"]: s for s in ref["staff"]}
    assert all((s.get("hall_id") or "main", s["window_id"]) in windows for s in staff.values())
    matters = {m["matter_code"] for m in ref["matters"]}
    ids_seen: dict[str, set] = {}
    case_ids = set()
    for source in DAILY_ORDER:
        src = C.DAILY_SOURCES[source]
        key = src.key
        for name, row, rec in loaded[source]:
            if (source, name, row) in bad:
                continue
            where = (source, name, row)
            for col in src.columns:
                value = rec.get(col.name)
                if empty(value):
                    assert not col.required or (source, col.name) in C.EMPTY_MEANS_FALSE, (where, col.name)
                    continue
                if col.kind == C.TIMESTAMP:
                    assert parse_ts(value) is not None, (where, col.name, value)
                elif col.kind == C.CODE:
                    assert code_ok(col, value), (where, col.name, value)
                elif col.kind == C.BOOL:
                    assert bool_ok(value), (where, col.name, value)
                elif col.kind == C.SCORE:
                    assert score_ok(value), (where, col.name, value)
                elif col.kind in (C.COUNT, C.NUMBER):
                    assert count_of(value) >= 0, (where, col.name, value)
            hall = rec.get("hall_id") or "main"
            if "window_id" in rec:
                assert (hall, rec["window_id"]) in windows, where
            if not empty(rec.get("staff_id")):
                assert rec["staff_id"] in staff, where
            if "matter_code" in rec:
                assert rec["matter_code"] in matters, where
            if source == "cases":
                case_ids.add(rec["case_id"])
                assert empty(rec["completed_at"]) == (rec["status"] == "in_progress"), where
                if not empty(rec["completed_at"]):
                    assert parse_ts(rec["completed_at"]) >= parse_ts(rec["received_at"]), where
            if source == "queue" and not empty(rec["finished_at"]):
                assert parse_ts(rec["issued_at"]) <= parse_ts(rec["called_at"]) <= parse_ts(rec["finished_at"]), where
            if key and source != "cases":
                seen = ids_seen.setdefault(source, set())
                assert rec[key] not in seen, (where, rec[key])
                seen.add(rec[key])
    for name, row, rec in loaded["callbacks"]:
        if ("callbacks", name, row) not in bad:
            assert rec["case_id"] in case_ids
            assert empty(rec["satisfaction"]) == (rec["outcome"] != "reached")
    for name, row, rec in loaded["ratings"]:
        if ("ratings", name, row) not in bad and not empty(rec["case_id"]):
            assert rec["case_id"] in case_ids


def test_cases_are_re_exported_as_they_change(demo, loaded):
    inbox, summary = demo
    versions: dict[str, list[tuple[str, dict]]] = {}
    bad = {(p["source"], p["file"], p["row"]) for p in summary["planted"]}
    for name, row, rec in loaded["cases"]:
        if ("cases", name, row) not in bad:
            versions.setdefault(rec["case_id"], []).append((name, rec))
    multi = {cid: v for cid, v in versions.items() if len(v) > 1}
    assert len(multi) > len(versions) * 0.2
    for cid, vs in list(multi.items())[:2000]:
        files = [n for n, _ in vs]
        assert len(set(files)) == len(files), cid  # at most one version per export day
        updated = [parse_ts(r["updated_at"]) for _, r in vs]
        assert updated == sorted(updated) and files == sorted(files)
        assert vs[0][1]["status"] == "in_progress"
        assert vs[0][1]["received_at"] == vs[-1][1]["received_at"]
    final = {cid: v[-1][1]["status"] for cid, v in versions.items()}
    statuses = set(final.values())
    assert {"completed", "in_progress", "rejected", "returned", "withdrawn"} <= statuses
    assert summary["patterns"]["open_past_deadline_at_end"] > 0
    assert summary["patterns"]["pii_comments"] > 0
    comments = [rec["comment"] or "" for _, _, rec in loaded["ratings"]]
    assert any(re.search(r"1[3-9]\d{9}", c) for c in comments)
    assert any(re.search(r"\d{17}[\dX]", c) for c in comments)


def test_bad_windows_and_peaks_stand_out(demo, loaded):
    _, summary = demo
    bad_windows = {w["window_id"] for w in summary["patterns"]["bad_windows"]}
    assert len(bad_windows) == 3
    words = {"不满意", "非常不满意", "1", "2", 1, 2}
    rated = [(rec["window_id"] in bad_windows, rec["score"] in words) for _, _, rec in loaded["ratings"]]
    share = lambda flag: sum(b for f, b in rated if f == flag) / max(1, sum(1 for f, _ in rated if f == flag))  # noqa: E731
    assert share(True) > 2.5 * share(False)
    # queue waits: Monday 09:00-10:00 at 不动产登记 is clearly worse than the rest
    peak, rest = [], []
    for _, _, rec in loaded["queue"]:
        if rec["status"] != "已办理" or rec["called_at"] is None:
            continue
        wait = (rec["called_at"] - rec["issued_at"]).total_seconds() / 60
        if rec["issued_at"].weekday() == 0 and rec["issued_at"].hour == 9 and rec["service_category"] == "不动产登记":
            peak.append(wait <= 20)
        else:
            rest.append(wait <= 20)
    assert peak and sum(peak) / len(peak) < 0.5 < 0.8 < sum(rest) / len(rest)
    # the bad staff are late far more often
    bad_staff = {s["staff_id"] for s in summary["patterns"]["bad_staff"]}
    first: dict[tuple[str, date], datetime] = {}
    for _, _, rec in loaded["attendance"]:
        t = parse_ts(rec["punch_at"])
        if t is None:
            continue
        k = (rec["staff_id"], t.date())
        first[k] = min(first.get(k, t), t)
    late = lambda flag: [t.time() > datetime(2000, 1, 1, 9, 5).time() for (s, _), t in first.items() if (s in bad_staff) == flag]  # noqa: E731
    assert sum(late(True)) / len(late(True)) > 3 * sum(late(False)) / len(late(False))


def test_several_halls(tmp_path):
    profile = InboxProfile(halls=3, departments=6, windows_per_hall=8, staff_per_hall=16, matters=25, days=14)
    summary = write_inbox(tmp_path / "inbox", END, profile, seed=5, plant_bad_rows=False)
    inbox = tmp_path / "inbox"
    ref = reference(inbox)
    assert [h["hall_id"] for h in ref["halls"]] == ["H01", "H02", "H03"]
    keys = [(w["hall_id"], w["window_id"]) for w in ref["windows"]]
    assert len(keys) == len(set(keys)) == 24
    assert len({w for _, w in keys}) == 8  # the same window ids in every hall
    staff_ids = [s["staff_id"] for s in ref["staff"]]
    assert len(staff_ids) == len(set(staff_ids)) == 48
    assert all((s["hall_id"], s["window_id"]) in set(keys) for s in ref["staff"])
    for source in DAILY_ORDER:
        for path in daily_files(inbox, source)[:2]:
            recs = records(C.DAILY_SOURCES[source], path)
            assert recs and all(r.get("hall_id") in {"H01", "H02", "H03"} for r in recs), (source, path.name)
            if "window_id" in recs[0]:
                assert all((r["hall_id"], r["window_id"]) in set(keys) for r in recs)
    assert summary["patterns"]["bad_windows"] and len({b["hall_id"] for b in summary["patterns"]["bad_windows"]}) == 3
