"""The rectification ledger in a real DuckDB file, and the item finders that feed it."""

import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.rectification import items as it
from assets.rectification.ledger_store import (
    LATEST_VERSION,
    append_updates,
    ledger_item_dates,
    open_ledger,
    read_items,
    read_ledger,
    read_refused,
    read_updates,
    schema_version,
    upsert_items,
)
from assets.rectification.status import validate_updates

# --- a hand-written 2026 calendar (see test_rectification_status.py) --------
HOLIDAYS = {
    date(2026, 1, 1), date(2026, 1, 2), *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),
    date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5), date(2026, 6, 19),
    date(2026, 9, 25), *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),
}
MAKEUP = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
          date(2026, 10, 10)}


def add_wd(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d not in HOLIDAYS and (d in MAKEUP or d.weekday() < 5):
            n -= 1
    return d


AS_OF = date(2026, 4, 2)
DT = pl.Datetime("us")
WINDOWS = pl.DataFrame(
    {
        "hall_id": ["main", "main", "main"],
        "window_id": ["A03", "B01", "C02"],
        "window_name": ["不动产登记", "社保", "公积金"],
        "dept_id": ["D_LAND", "D_HR", "D_FUND"],
    }
)


def t(s: str) -> datetime:
    return datetime.fromisoformat(s)


def ratings() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rating_id": ["R1", "R2", "R3", "R4"],
            "rated_at": [t("2026-03-05 10:00"), t("2026-03-05 11:00"), t("2026-03-06 09:00"),
                         t("2026-04-03 09:00")],
            "window_id": ["A03", "A03", "B01", "A03"],
            "staff_id": ["S001", None, "S002", "S001"],
            "score": [1, 4, 2, 1],
            "channel": ["device", "qr", "sms", "device"],
            "reasons": ["态度差", None, "多跑路", "态度差"],
            "comment": ["工作人员不耐烦，我是申请人张三，电话13812345678", None, None, "x"],
            "rater_phone": ["13812345678", None, "13900001111", None],
        },
        schema_overrides={"rated_at": DT, "score": pl.Int8},
    )


def attendance_days() -> pl.DataFrame:
    rows = []
    for d, absent, late, early in [
        (date(2026, 3, 2), False, True, False),
        (date(2026, 3, 3), True, False, False),
        (date(2026, 3, 4), False, False, True),
        (date(2026, 3, 5), False, True, True),
        (date(2026, 3, 6), False, True, False),
        (date(2026, 4, 1), False, True, False),
    ]:
        rows.append({"hall_id": "main", "staff_id": "S001", "date": d, "absent": absent, "late": late,
                     "early": early, "window_id": "A03", "dept_id": "D_LAND"})
    rows.append({"hall_id": "main", "staff_id": "S002", "date": date(2026, 3, 2), "absent": False, "late": True,
                 "early": False, "window_id": "B01", "dept_id": "D_HR"})
    return pl.DataFrame(rows)


def frames() -> dict[str, pl.DataFrame]:
    return {
        "bad_rating": ratings(),
        "overdue_case": pl.DataFrame(
            {
                "case_id": ["C1", "C2", "C3"],
                "window_id": ["A03", "B01", "B01"],
                "staff_id": ["S001", "S002", "S002"],
                "deadline": [date(2026, 3, 10), date(2026, 3, 31), date(2026, 4, 1)],
                "late": [True, True, True],
                "completed_at": [t("2026-03-12 15:00"), None, None],
                "matter_name": ["不动产转移登记", "社保卡补办", "社保转移"],
            },
            schema_overrides={"completed_at": DT},
        ),
        "one_notice": pl.DataFrame(
            {
                "case_id": ["C4", "C5"],
                "window_id": ["C02", "C02"],
                "staff_id": ["S003", "S003"],
                "status": ["completed", "completed"],
                "completed_at": [t("2026-03-20 10:00"), t("2026-03-20 11:00")],
                "supplement_count": [2, 1],
                "updated_at": [t("2026-03-20 10:00"), t("2026-03-20 11:00")],
            },
            schema_overrides={"completed_at": DT, "updated_at": DT},
        ),
        "behaviour": pl.DataFrame(
            {
                "event_id": ["E1", "E2", "E3"],
                "occurred_at": [t("2026-03-09 10:12"), t("2026-03-09 11:00"), t("2026-03-10 14:00")],
                "window_id": ["A03", "A03", "B01"],
                "staff_id": ["S001", None, None],
                "event_type": ["phone", "off_post", "empty_window"],
                "duration_minutes": [15.0, None, 30.0],
                "source": ["ai_camera", "ai_camera", "patrol"],
                "confirmed": [True, False, False],
                "evidence_ref": ["V-1", None, "群众吴十一13812340050举报"],
            },
            schema_overrides={"occurred_at": DT},
        ),
        "callback_problem": pl.DataFrame(
            {
                "callback_id": ["K1", "K2", "K3"],
                "case_id": ["C1", "C2", "C1"],
                "called_at": [t("2026-03-13 10:00"), t("2026-03-16 10:00"), t("2026-03-13 11:00")],
                "outcome": ["reached", "reached", "reached"],
                "problem_type": ["misconduct", "extra_trip", "none"],
                "problem_verified": [True, True, True],
                "comment": ["群众王小明反映被索要好处费，身份证110101199003071234", None, None],
                "window_id": ["A03", "B01", "A03"],
                "staff_id": ["S001", "S002", "S001"],
            },
            schema_overrides={"called_at": DT},
        ),
        "absence": attendance_days(),
        "repeated_lateness": attendance_days(),
        "low_score": pl.DataFrame(
            {
                "period": ["2026-03", "2026-03", "2026-04", "2026-03-05"],
                "hall_id": ["main"] * 4,
                "window_id": ["A03", "B01", "A03", "C02"],
                "dept_id": ["D_LAND", "D_HR", "D_LAND", "D_FUND"],
                "composite": [76.5, 91.0, 50.0, 10.0],
            }
        ),
    }


def found(as_of=AS_OF, fr=None) -> pl.DataFrame:
    return it.find_items(fr or frames(), as_of=as_of, add_working_days=add_wd, windows=WINDOWS)


# ---------------------------------------------------------------------------
# items
# ---------------------------------------------------------------------------
def test_item_id_is_stable():
    assert it.item_id("bad_rating", "main", "R1") == "RX-" + __import__("hashlib").sha1(
        "bad_rating\x1fmain\x1fR1".encode()).hexdigest()[:12]
    assert it.item_id("bad_rating", None, "R1") == it.item_id("bad_rating", "main", "R1")
    assert it.item_id("absence", "main", "S001@2026-03-03") == "RX-a12246a448db"  # pinned across versions


def test_finders():
    df = found()
    assert list(df.schema) == list(it.ITEM_SCHEMA)
    assert df["item_id"].is_unique().all()
    got = {(r["rule"], r["subject_ref"]): r for r in df.iter_rows(named=True)}
    assert set(got) == {
        ("bad_rating", "R1"), ("bad_rating", "R3"),  # R2 is 4 stars, R4 after as_of
        ("overdue_case", "C1"), ("overdue_case", "C2"),  # C3: detected 04-02 ... see below
        ("overdue_case", "C3"),
        ("one_notice", "C4"),
        ("behaviour", "E1"), ("behaviour", "E3"),  # E2 an unconfirmed camera event
        ("callback_problem", "K1"), ("callback_problem", "K2"),
        ("absence", "S001@2026-03-03"),
        ("repeated_lateness", "S001@2026-03"),
        ("low_score", "A03@2026-03"),  # April not over; B01 is fine; day rows ignored
    }
    r1 = got[("bad_rating", "R1")]
    assert (r1["detected_on"], r1["deadline"]) == (date(2026, 3, 5), add_wd(date(2026, 3, 5), 15))
    assert r1["deadline"] == date(2026, 3, 26)
    assert r1["dept_id"] == "D_LAND" and r1["category"] == "差评"
    assert r1["description"].startswith("2026年3月5日，A03窗口（不动产登记）收到差评（1星，评价器渠道）：态度差；评价内容：")
    assert "138****5678" in r1["description"] and "张*" in r1["description"]
    assert "13812345678" not in df["description"].str.join("").item()
    c1 = got[("overdue_case", "C1")]
    assert c1["detected_on"] == date(2026, 3, 11) and c1["deadline"] == date(2026, 3, 16)
    assert got[("overdue_case", "C3")]["detected_on"] == date(2026, 4, 2)
    k1, k2 = got[("callback_problem", "K1")], got[("callback_problem", "K2")]
    assert k1["deadline"] == add_wd(date(2026, 3, 13), 3) == date(2026, 3, 18)  # misconduct: 3 days
    assert k2["deadline"] == add_wd(date(2026, 3, 16), 5) == date(2026, 3, 23)
    assert "110101********1234" in k1["description"] and "王**" in k1["description"]
    # an inspector wrote who reported E3 into its evidence field
    assert "证据编号群众吴**138****0050举报，" in got[("behaviour", "E3")]["description"]
    assert "证据编号V-1，" in got[("behaviour", "E1")]["description"]
    rl = got[("repeated_lateness", "S001@2026-03")]
    assert rl["detected_on"] == date(2026, 3, 5)  # 3rd of 03-02, 03-04, 03-05 (03-03 is absence)
    assert (rl["window_id"], rl["dept_id"], rl["staff_id"]) == ("A03", "D_LAND", "S001")
    low = got[("low_score", "A03@2026-03")]
    # 10 working days from 04-01 skip Qingming (Monday 04-06)
    assert (low["detected_on"], low["deadline"]) == (date(2026, 4, 1), date(2026, 4, 16))
    assert "76.50分" in low["description"]


def test_finders_ignore_input_order_and_future():
    fr = frames()
    shuffled = {k: v.sample(fraction=1.0, shuffle=True, seed=7) for k, v in fr.items()}
    assert found(fr=shuffled).equals(found(fr=fr))
    early = found(as_of=date(2026, 3, 4))
    assert early["subject_ref"].to_list() == ["S001@2026-03-03"]  # only the absence by 03-04


def test_rule_settings_override():
    df = it.find_bad_ratings(ratings(), as_of=AS_OF, add_working_days=add_wd,
                             rules={"bad_rating": {"max_score": 1, "days": 1}}, windows=WINDOWS)
    assert df["subject_ref"].to_list() == ["R1"]
    assert df["deadline"].to_list() == [date(2026, 3, 6)]


# ---------------------------------------------------------------------------
# ledger
# ---------------------------------------------------------------------------
ITEM_COLS = list(it.ITEM_SCHEMA) + ["withdrawn"]


def snapshot(con) -> pl.DataFrame:
    return read_items(con).select(ITEM_COLS).sort("item_id")


def test_new_ledger_and_upsert_twice_is_the_same(tmp_path):
    path = tmp_path / "ledger.duckdb"
    con = open_ledger(path)
    assert schema_version(con) == LATEST_VERSION
    items = found()
    c1 = upsert_items(con, items, run_id="run-1", as_of=AS_OF)
    assert c1["inserted"] == items.height and c1["withdrawn"] == 0
    before = snapshot(con)
    c2 = upsert_items(con, items.reverse(), run_id="run-2", as_of=AS_OF)
    assert c2 == {"inserted": 0, "refreshed": 0, "reinstated": 0, "withdrawn": 0, "unchanged": items.height}
    assert snapshot(con).equals(before)
    assert read_items(con)["first_seen_run"].unique().to_list() == ["run-1"]
    con.close()
    # no backup for a fresh file, and it reopens without migrating
    con = open_ledger(path)
    assert snapshot(con).equals(before)
    con.close()
    assert not list(tmp_path.glob("*.bak*"))


def test_refresh_withdraw_and_reinstate(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, found(), run_id="r1", as_of=AS_OF)
    fr = frames()
    # corrected data: R3 was really a 3, E3's time moved (description changes)
    fr["bad_rating"] = fr["bad_rating"].with_columns(
        pl.when(pl.col("rating_id") == "R3").then(3).otherwise(pl.col("score")).cast(pl.Int8).alias("score"))
    fr["behaviour"] = fr["behaviour"].with_columns(
        pl.when(pl.col("event_id") == "E3").then(t("2026-03-10 15:30")).otherwise(pl.col("occurred_at"))
        .alias("occurred_at"))
    # K2 resolved before its trigger disappears -> stays resolved
    fr["callback_problem"] = fr["callback_problem"].filter(pl.col("callback_id") != "K2")
    k2 = it.item_id("callback_problem", "main", "K2")
    r3 = it.item_id("bad_rating", "main", "R3")
    acc, ref = validate_updates(
        pl.DataFrame({"item_id": [k2], "status": ["已整改"], "note": ["已约谈"], "updated_by": ["王"],
                      "updated_at": ["2026-03-20 10:00"], "source_file": ["f.xlsx"], "source_row": [1]}),
        {k2},
    )
    append_updates(con, acc, ref)
    counts = upsert_items(con, found(fr=fr), run_id="r2", as_of=AS_OF)
    assert counts["withdrawn"] == 1 and counts["refreshed"] == 1
    items = read_items(con).sort("item_id")
    assert items.height == found().height  # nothing deleted
    assert items.filter(pl.col("withdrawn"))["item_id"].to_list() == [r3]
    ledger = read_ledger(con, AS_OF, add_wd)
    st = dict(zip(ledger["item_id"], ledger["status"]))
    assert st[r3] == "withdrawn" and st[k2] == "resolved"
    # a run for an earlier as-of, or for one rule only, withdraws nothing else
    assert upsert_items(con, found(as_of=date(2026, 3, 10), fr=fr), as_of=date(2026, 3, 10))["withdrawn"] == 0
    assert upsert_items(con, found(fr=fr).filter(pl.col("rule") == "absence"), rules=["absence"],
                        as_of=AS_OF)["withdrawn"] == 0
    # the trigger comes back -> reinstated
    c = upsert_items(con, found(), run_id="r3", as_of=AS_OF)
    assert c["reinstated"] == 1
    assert not read_items(con)["withdrawn"].any()
    con.close()


def test_append_updates_is_idempotent(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, found(), as_of=AS_OF)
    ids = sorted(read_items(con)["item_id"].to_list())
    raw = pl.DataFrame(
        {
            "item_id": [ids[0], ids[1], ids[1], "RX-unknown", ids[2]],
            "status": ["整改中", "已整改", "已整改", "已整改", None],
            "note": ["正在整改", "已约谈当事人", "已约谈当事人", "x", None],
            "updated_by": ["张科", "张科", "张科", "张科", None],
            "updated_at": ["2026-03-20 09:00", "2026-03-21 09:00", "2026-03-21 09:00", "2026-03-21", None],
            "source_file": ["a.xlsx", "a.xlsx", "a.xlsx", "a.xlsx", "a.xlsx"],
            "source_row": [1, 2, 2, 3, 4],
        }
    )
    res = validate_updates(raw, set(ids))
    first = append_updates(con, *res, run_id="r1")
    assert first == {"appended": 2, "duplicates": 1, "refused_appended": 1, "refused_duplicates": 0}
    again = append_updates(con, *validate_updates(raw, set(ids)), run_id="r2")
    assert again == {"appended": 0, "duplicates": 3, "refused_appended": 0, "refused_duplicates": 1}
    # the same command-line update twice
    cli = pl.DataFrame({"item_id": [ids[0]], "status": ["resolved"], "note": ["ok"], "updated_by": ["cli"],
                        "updated_at": [datetime(2026, 3, 22, 8, 0)], "source_file": ["cli"],
                        "source_row": [None]}, schema_overrides={"source_row": pl.Int64})
    assert append_updates(con, cli)["appended"] == 1
    assert append_updates(con, cli)["appended"] == 0
    assert read_updates(con).height == 3
    assert read_refused(con)["reason_code"].to_list() == ["unknown_item"]
    ledger = read_ledger(con, AS_OF, add_wd)
    st = dict(zip(ledger["item_id"], ledger["status"]))
    assert st[ids[0]] == "resolved"
    con.close()


def test_a_reply_dated_before_its_item_was_found_or_after_today_is_refused(tmp_path):
    """A 填报时间 before the item's detected_on, or after the office's today,
    is a mistyped date (it would count a late fix as on time, or sit unused
    and then outrank later answers): refused. The days themselves stand."""
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, found(), as_of=AS_OF)
    item = read_items(con).row(0, named=True)
    found_on = item["detected_on"]
    known = ledger_item_dates(con, among=[item["item_id"], "RX-unknown"])
    con.close()
    assert known == {item["item_id"]: found_on}
    raw = pl.DataFrame({
        "item_id": [item["item_id"]] * 2,
        "status": ["已整改"] * 2,
        "note": ["已约谈"] * 2,
        "updated_by": ["张科"] * 2,
        "updated_at": [f"{found_on} 08:00", f"{found_on - timedelta(days=1)} 17:00"],
        "source_file": ["a.xlsx"] * 2,
        "source_row": [1, 2],
    })
    today = found_on + timedelta(days=3)
    late = pl.DataFrame({**raw.head(1).to_dict(), "updated_at": [f"{today + timedelta(days=1)} 09:00"], "source_row": [3]})
    on_the_day = pl.DataFrame({**raw.head(1).to_dict(), "updated_at": [f"{today} 23:00"], "source_row": [4]})
    accepted, refused = validate_updates(pl.concat([raw, late, on_the_day]), known, today=today)
    assert accepted["source_row"].to_list() == [1, 4]
    assert refused.select("source_row", "reason_code", "reason").rows() == [
        (2, "before_detected", f"填报时间早于问题发现日期 {found_on} updated_at before the item was found"),
        (3, "after_today", f"填报时间晚于今天 {today} updated_at after today"),
    ]
    # without the dates (a set of ids) and today, neither is checked
    assert validate_updates(pl.concat([raw, late]), set(known))[0].height == 3


V1_SQL = [
    """CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)""",
    """CREATE TABLE ledger_items (item_id VARCHAR PRIMARY KEY, rule VARCHAR NOT NULL, category VARCHAR,
        hall_id VARCHAR NOT NULL, window_id VARCHAR, dept_id VARCHAR, staff_id VARCHAR,
        subject_ref VARCHAR NOT NULL, detected_on DATE NOT NULL, deadline DATE NOT NULL,
        description VARCHAR, first_seen_run VARCHAR, withdrawn BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMP)""",
    """CREATE TABLE ledger_updates (update_key VARCHAR PRIMARY KEY, item_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL, note VARCHAR, updated_by VARCHAR, updated_at TIMESTAMP NOT NULL,
        source_file VARCHAR, source_row BIGINT, accepted BOOLEAN NOT NULL DEFAULT TRUE, recorded_at TIMESTAMP)""",
    """CREATE TABLE ledger_refused_updates (update_key VARCHAR PRIMARY KEY, item_id VARCHAR, status VARCHAR,
        note VARCHAR, updated_by VARCHAR, updated_at TIMESTAMP, source_file VARCHAR, source_row BIGINT,
        reason VARCHAR, recorded_at TIMESTAMP)""",
    "INSERT INTO schema_version VALUES (1, 'initial ledger', TIMESTAMP '2026-03-01 00:00:00')",
    """INSERT INTO ledger_items VALUES
        ('RX-aaaaaaaaaaaa', 'bad_rating', '差评', 'main', 'A03', 'D_LAND', 'S001', 'R9',
         DATE '2026-03-02', DATE '2026-03-23', '旧版描述', 'old-run', FALSE, TIMESTAMP '2026-03-02 01:30:00'),
        ('RX-bbbbbbbbbbbb', 'absence', '旷工', 'main', 'B01', 'D_HR', 'S002', 'S002@2026-03-02',
         DATE '2026-03-02', DATE '2026-03-09', '旧版描述2', 'old-run', TRUE, TIMESTAMP '2026-03-02 01:30:00')""",
    """INSERT INTO ledger_updates VALUES
        ('k1', 'RX-aaaaaaaaaaaa', 'resolved', '已整改完毕', '王', TIMESTAMP '2026-03-10 10:00:00', 'old.xlsx', 3,
         TRUE, TIMESTAMP '2026-03-11 01:30:00')""",
    """INSERT INTO ledger_refused_updates VALUES
        ('k2', 'RX-zzz', '已整改', 'x', '王', NULL, 'old.xlsx', 4, 'unknown item', TIMESTAMP '2026-03-11 01:30:00')""",
]


def test_migration_from_version_1_keeps_rows_and_backs_up(tmp_path):
    path = tmp_path / "ledger.duckdb"
    con = duckdb.connect(str(path))
    for stmt in V1_SQL:
        con.execute(stmt).fetchall()
    con.close()
    size_v1 = path.stat().st_size

    con = open_ledger(path)
    assert schema_version(con) == LATEST_VERSION == 3
    versions = con.execute("SELECT list(version ORDER BY version) FROM schema_version").fetchall()[0][0]
    assert versions == [1, 2, 3]
    assert con.execute("SELECT count(*) FROM ledger_merged_found").fetchall()[0][0] == 0
    items = read_items(con).sort("item_id")
    assert items["item_id"].to_list() == ["RX-aaaaaaaaaaaa", "RX-bbbbbbbbbbbb"]
    assert items["description"].to_list() == ["旧版描述", "旧版描述2"]
    assert items["last_seen_run"].to_list() == ["old-run", "old-run"]  # filled by the migration
    assert items["withdrawn"].to_list() == [False, True]
    assert read_updates(con)["note"].to_list() == ["已整改完毕"]
    ref = read_refused(con)
    assert ref["reason"].to_list() == ["unknown item"] and ref["reason_code"].to_list() == ["unrecorded"]
    ledger = read_ledger(con, date(2026, 3, 31), add_wd)
    assert dict(zip(ledger["item_id"], ledger["status"])) == {
        "RX-aaaaaaaaaaaa": "resolved", "RX-bbbbbbbbbbbb": "withdrawn"}
    con.close()

    backups = list(tmp_path.glob("ledger.v1.*.bak.duckdb"))
    assert len(backups) == 1
    old = duckdb.connect(str(backups[0]), read_only=True)
    assert old.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] == 1
    assert old.execute("SELECT count(*) FROM ledger_items").fetchall()[0][0] == 2
    old.close()
    assert backups[0].stat().st_size >= size_v1 // 2

    # opening again does not migrate nor back up again
    open_ledger(path).close()
    assert len(list(tmp_path.glob("*.bak*"))) == 1


def test_refuses_a_newer_ledger(tmp_path):
    path = tmp_path / "ledger.duckdb"
    con = open_ledger(path)
    con.execute("INSERT INTO schema_version VALUES (99, 'future', NULL)").fetchall()
    con.close()
    with pytest.raises(RuntimeError, match="newer"):
        open_ledger(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] == 99
    con.close()


def test_failed_write_leaves_the_ledger_as_before(tmp_path):
    con = open_ledger(tmp_path / "ledger.duckdb")
    upsert_items(con, found(), as_of=AS_OF)
    before = snapshot(con)
    bad = found().with_columns(pl.lit(None, dtype=pl.Date).alias("deadline"))  # NOT NULL violated
    bad = bad.with_columns(pl.col("item_id") + "-new")
    with pytest.raises(duckdb.Error):
        upsert_items(con, pl.concat([found().head(0), bad]), as_of=AS_OF)
    assert snapshot(con).equals(before)
    con.close()


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9")
def test_kill_9_mid_write_leaves_before_or_after(tmp_path):
    path = tmp_path / "ledger.duckdb"
    con = open_ledger(path)
    upsert_items(con, found(), as_of=AS_OF)
    n_before = read_items(con).height
    con.close()
    root = Path(__file__).resolve().parents[1]
    script = textwrap.dedent(
        f"""
        import datetime, os, signal, sys
        sys.path.insert(0, {str(root)!r})
        import polars as pl
        from assets.rectification import ledger_store as ls
        from assets.rectification.items import ITEM_SCHEMA
        con = ls.open_ledger({str(path)!r})
        big = pl.DataFrame({{
            "item_id": [f"RX-k{{i:010d}}" for i in range(50000)], "rule": "absence", "category": "旷工",
            "hall_id": "main", "window_id": "A03", "dept_id": "D", "staff_id": "S",
            "subject_ref": [f"S@{{i}}" for i in range(50000)],
            "detected_on": datetime.date(2026, 3, 3), "deadline": datetime.date(2026, 3, 10), "description": "x",
        }})
        orig = ls._run
        def killing(con, sql, params=None):
            out = orig(con, sql, params)
            if sql.lstrip().startswith("INSERT INTO ledger_items"):
                os.kill(os.getpid(), signal.SIGKILL)  # after the insert, before COMMIT
            return out
        ls._run = killing
        ls.upsert_items(con, big, rules=["absence"])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    con = open_ledger(path)
    assert read_items(con).height == n_before
    con.close()
