"""The rectification ledger (整改台账) in DuckDB.

The ledger is the one thing that cannot be recomputed from the inbox, so:

* items are never deleted: an item whose trigger no longer holds is flagged
  ``withdrawn`` (unless resolved) and un-flagged if it is found again;
* updates are append-only, keyed by a content hash (``update_key``) so that
  re-reading the same file row, or the same command-line update, appends
  nothing;
* every write is one transaction (kill -9 leaves the file before or after it);
* the schema evolves only through the numbered ``MIGRATIONS``; before any
  migration is applied to an existing file, the file is checkpointed, closed
  and copied to ``<stem>.v<old>.<YYYYmmddTHHMMSSffffff>.bak<suffix>`` next to
  it; a file whose version is newer than this code is refused, never touched.

Tables (version 2)
------------------
ledger_items(item_id PK, rule, category, hall_id, window_id, dept_id, staff_id,
    subject_ref, detected_on DATE, deadline DATE, description, first_seen_run,
    withdrawn BOOLEAN, created_at, last_seen_run, withdrawn_at, changed_at)
ledger_updates(update_key PK, item_id, status, note, updated_by, updated_at,
    source_file, source_row, accepted BOOLEAN, recorded_at, recorded_run)
ledger_refused_updates(update_key PK, item_id, status (raw), note, updated_by,
    updated_at, source_file, source_row, reason, recorded_at, updated_at_raw,
    reason_code, recorded_run)
schema_version(version PK, description, applied_at)

DuckDB 2.0 API: frames via ``con.sql(q).pl()``; every ``con.execute`` is
fetched to the end at once (``_one``/``_run``): in DuckDB 2.0 even a
``fetchone()`` that has read the only row leaves the result "unfinished" and
blocks the next ``con.sql`` on the connection.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from assets.db import sql_literal

from .items import ITEM_SCHEMA, RULES
from .status import REFUSED_COLUMNS, UPDATE_COLUMNS, compute_status, latest_updates

AddWorkingDays = Callable[[date, int], date]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial ledger: items, append-only updates, refused updates",
        (
            """CREATE TABLE ledger_items (
                item_id VARCHAR PRIMARY KEY,
                rule VARCHAR NOT NULL,
                category VARCHAR,
                hall_id VARCHAR NOT NULL,
                window_id VARCHAR,
                dept_id VARCHAR,
                staff_id VARCHAR,
                subject_ref VARCHAR NOT NULL,
                detected_on DATE NOT NULL,
                deadline DATE NOT NULL,
                description VARCHAR,
                first_seen_run VARCHAR,
                withdrawn BOOLEAN NOT NULL DEFAULT FALSE,
                created_at TIMESTAMP
            )""",
            """CREATE TABLE ledger_updates (
                update_key VARCHAR PRIMARY KEY,
                item_id VARCHAR NOT NULL,
                status VARCHAR NOT NULL,
                note VARCHAR,
                updated_by VARCHAR,
                updated_at TIMESTAMP NOT NULL,
                source_file VARCHAR,
                source_row BIGINT,
                accepted BOOLEAN NOT NULL DEFAULT TRUE,
                recorded_at TIMESTAMP
            )""",
            """CREATE TABLE ledger_refused_updates (
                update_key VARCHAR PRIMARY KEY,
                item_id VARCHAR,
                status VARCHAR,
                note VARCHAR,
                updated_by VARCHAR,
                updated_at TIMESTAMP,
                source_file VARCHAR,
                source_row BIGINT,
                reason VARCHAR,
                recorded_at TIMESTAMP
            )""",
        ),
    ),
    Migration(
        2,
        "run tracking and withdrawal time on items; raw time and reason code on refusals",
        (
            "ALTER TABLE ledger_items ADD COLUMN last_seen_run VARCHAR",
            "ALTER TABLE ledger_items ADD COLUMN withdrawn_at TIMESTAMP",
            "ALTER TABLE ledger_items ADD COLUMN changed_at TIMESTAMP",
            "UPDATE ledger_items SET last_seen_run = first_seen_run, changed_at = created_at",
            "ALTER TABLE ledger_updates ADD COLUMN recorded_run VARCHAR",
            "ALTER TABLE ledger_refused_updates ADD COLUMN updated_at_raw VARCHAR",
            "ALTER TABLE ledger_refused_updates ADD COLUMN reason_code VARCHAR",
            "ALTER TABLE ledger_refused_updates ADD COLUMN recorded_run VARCHAR",
            "UPDATE ledger_refused_updates SET reason_code = 'unrecorded' WHERE reason_code IS NULL",
        ),
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version

ITEM_COLUMNS = [c for c in ITEM_SCHEMA]  # item_id … description
_CONTENT_COLUMNS = [c for c in ITEM_COLUMNS if c != "item_id"]


def _now() -> datetime:
    return datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """Execute and fetch at once (an unfetched result blocks the connection)."""
    res = con.execute(sql, params) if params is not None else con.execute(sql)
    try:
        return res.fetchall()
    except duckdb.InvalidInputException:  # statement without a result set
        return []


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    _run(con, "BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        _run(con, "ROLLBACK")
        raise
    _run(con, "COMMIT")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[str]:
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


# ---------------------------------------------------------------------------
# opening and migrations
# ---------------------------------------------------------------------------
def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Current schema version (0 for a file without a ledger)."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0]
    if not row or row[0] == 0:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0]
    return int(row[0])


def backup_file(path: Path, version: int, now: datetime | None = None) -> Path:
    """Copy a closed ledger file to a timestamped backup next to it."""
    stamp = (now or datetime.now(SHANGHAI).replace(tzinfo=None)).strftime("%Y%m%dT%H%M%S%f")
    target = path.with_name(f"{path.stem}.v{version}.{stamp}.bak{path.suffix}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.v{version}.{stamp}-{n}.bak{path.suffix}")
        n += 1
    tmp = target.with_name(target.name + ".part")
    shutil.copy2(path, tmp)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():  # should not happen after CHECKPOINT, but never lose it
        shutil.copy2(wal, target.with_name(target.name + ".wal"))
    os.replace(tmp, target)
    return target


# Bounds DuckDB's share of the ledger step (it spills beside the ledger);
# without a limit the merge of a city-year's ~2.1 M items took ~2.7 GiB.
LEDGER_MEMORY_LIMIT = "2GB"


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    spill = path.parent / "duckdb_tmp"
    return duckdb.connect(str(path), config={"memory_limit": LEDGER_MEMORY_LIMIT, "temp_directory": str(spill)})


def open_ledger(path: str | Path, *, migrations: Iterable[Migration] = MIGRATIONS) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the ledger at ``path`` and bring it to the
    latest schema version. Returns the read-write connection (caller closes).

    An existing file that needs a migration is first backed up (see module
    docstring); each migration runs in its own transaction together with its
    schema_version row. Raises RuntimeError for a file newer than the code.
    """
    path = Path(path)
    migrations = tuple(sorted(migrations, key=lambda m: m.version))
    latest = migrations[-1].version if migrations else 0
    existed = path.exists() and path.stat().st_size > 0
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path)
    try:
        version = schema_version(con)
        if version > latest:
            raise RuntimeError(
                f"ledger {path} has schema version {version}, newer than this program's {latest}; "
                "refusing to open it (upgrade WindowWatch)"
            )
        if version < latest and existed:
            _run(con, "CHECKPOINT")
            con.close()
            backup_file(path, version)
            con = _connect(path)
        if version < latest:
            _run(
                con,
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)",
            )
            for m in migrations:
                if m.version <= version:
                    continue
                with transaction(con):
                    for stmt in m.statements:
                        _run(con, stmt)
                    _run(con, "INSERT INTO schema_version VALUES (?, ?, ?)", [m.version, m.description, _now()])
            _run(con, "CHECKPOINT")
    except BaseException:
        con.close()
        raise
    return con


# ---------------------------------------------------------------------------
# items
# ---------------------------------------------------------------------------
def _conform_items(found: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ITEM_COLUMNS if c not in found.columns]
    if missing:
        raise ValueError(f"found items lack column(s) {missing}")
    df = found.select([pl.col(c).cast(t) for c, t in ITEM_SCHEMA.items()])
    dup = df.filter(pl.col("item_id").is_duplicated())
    if dup.height:
        raise ValueError(f"found items repeat item_id(s): {dup['item_id'].unique().sort().to_list()[:5]}")
    return df


def resolved_item_ids(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> set[str]:
    """Items whose latest accepted update (dated <= as_of, default: ever) is resolved."""
    return set(_resolved_items(con, as_of)["item_id"].to_list())


def _resolved_items(con: duckdb.DuckDBPyConnection, as_of: date | None) -> pl.DataFrame:
    last = latest_updates(read_updates(con), as_of or date.max)
    return last.filter(pl.col("last_status") == "resolved").select(pl.col("item_id").cast(pl.String))


def upsert_items(
    con: duckdb.DuckDBPyConnection,
    found_items: pl.DataFrame,
    *,
    run_id: str | None = None,
    as_of: date | None = None,
    rules: Iterable[str] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Merge the items found by a run into the ledger, in one transaction.

    found_items: ITEM_SCHEMA columns (items.py). New item_ids are inserted;
    existing ones get every column refreshed (window, dept, detected_on,
    deadline, description… — identity columns cannot change since they make
    the id) and lose a withdrawn flag; items of the ledger that the run did
    not find are flagged withdrawn, except resolved ones. Withdrawal is scoped:
    only items of ``rules`` (default: all rules) and, when ``as_of`` is given,
    detected on or before it — a run for an earlier date, or for some rules
    only, must not withdraw what it could not have found. Nothing is deleted.

    Returns counts: inserted, refreshed (content changed), reinstated,
    withdrawn, unchanged.
    """
    now = now or _now()
    df = _conform_items(found_items)
    scope = list(rules) if rules is not None else list(RULES)
    resolved = _resolved_items(con, as_of)
    # The frames are registered outside the transaction and the temp tables
    # dropped only on success: after a failed statement DuckDB refuses every
    # call until ROLLBACK (which discards the temp tables), and a clean-up
    # that ran first would hide the real error behind "transaction aborted".
    with _registered(con, "_found_frame", df), _registered(con, "_resolved_frame", resolved), transaction(con):
        # one copy of the found items that every statement below joins to
        _run(con, "CREATE OR REPLACE TEMP TABLE _found_items AS SELECT * FROM _found_frame")
        _run(con, "CREATE OR REPLACE TEMP TABLE _resolved AS SELECT item_id FROM _resolved_frame")
        inserted, refreshed, reinstated = _merge_found(con, run_id, now)
        withdrawn = _withdraw_missing(con, scope, as_of, now)
        _run(con, "DROP TABLE IF EXISTS _found_items")
        _run(con, "DROP TABLE IF EXISTS _resolved")
    return {
        "inserted": inserted,
        "refreshed": refreshed,
        "reinstated": reinstated,
        "withdrawn": withdrawn,
        "unchanged": df.height - inserted - refreshed,
    }


def _merge_found(con: duckdb.DuckDBPyConnection, run_id: str | None, now: datetime) -> tuple[int, int, int]:
    """Refresh the found items already on the ledger and insert the new ones;
    returns (inserted, refreshed, reinstated)."""
    changed = " OR ".join(f"l.{c} IS DISTINCT FROM f.{c}" for c in _CONTENT_COLUMNS)
    counts_sql = f"""
        SELECT
          count(*) FILTER (WHERE l.item_id IS NULL),
          count(*) FILTER (WHERE l.item_id IS NOT NULL AND ({changed})),
          count(*) FILTER (WHERE l.item_id IS NOT NULL AND l.withdrawn)
        FROM _found_items f LEFT JOIN ledger_items l USING (item_id)"""
    inserted, refreshed, reinstated = (int(x) for x in _run(con, counts_sql)[0])
    # Content refreshed and withdrawal lifted only where something changed;
    # then one narrow pass records the run on every found item. Rewriting all
    # columns of ~2 M unchanged rows every night held their undo copy in
    # memory (~2.7 GiB at city-year).
    refresh_sql = f"""
        UPDATE ledger_items AS l SET
          {", ".join(f"{c} = f.{c}" for c in _CONTENT_COLUMNS)},
          changed_at = ?::TIMESTAMP,
          withdrawn_at = CASE WHEN l.withdrawn THEN NULL ELSE l.withdrawn_at END,
          withdrawn = FALSE
        FROM _found_items AS f
        WHERE l.item_id = f.item_id AND (l.withdrawn OR {changed})"""
    _run(con, refresh_sql, [now])
    seen_sql = """
        UPDATE ledger_items AS l SET last_seen_run = ?
        FROM _found_items AS f
        WHERE l.item_id = f.item_id"""
    _run(con, seen_sql, [run_id])
    cols = ", ".join(ITEM_COLUMNS)
    insert_sql = f"""
        INSERT INTO ledger_items ({cols}, first_seen_run, last_seen_run, withdrawn, created_at, changed_at)
        SELECT {cols}, ?, ?, FALSE, ?, ? FROM _found_items f
        WHERE NOT EXISTS (SELECT 1 FROM ledger_items l WHERE l.item_id = f.item_id)"""
    _run(con, insert_sql, [run_id, run_id, now, now])
    return inserted, refreshed, reinstated


def _withdraw_missing(
    con: duckdb.DuckDBPyConnection, scope: list[str], as_of: date | None, now: datetime
) -> int:
    """Flag withdrawn the unresolved items of the rules in scope, detected by
    as_of, that this run did not find; returns how many."""
    if not scope:
        return 0
    withdraw_sql = f"""
        UPDATE ledger_items AS l SET withdrawn = TRUE, withdrawn_at = ?, changed_at = ?
        WHERE NOT l.withdrawn
          AND l.rule IN ({_sql_list(scope)})
          {f"AND l.detected_on <= DATE '{as_of.isoformat()}'" if as_of else ""}
          AND NOT EXISTS (SELECT 1 FROM _found_items f WHERE f.item_id = l.item_id)
          AND NOT EXISTS (SELECT 1 FROM _resolved r WHERE r.item_id = l.item_id)"""
    res = con.execute(withdraw_sql, [now, now]).fetchall()
    return int(res[0][0]) if res else 0


def _sql_list(values: list[str]) -> str:
    return ", ".join(sql_literal(v) for v in values)


# ---------------------------------------------------------------------------
# updates
# ---------------------------------------------------------------------------
def update_key(row: Mapping[str, Any], extra: Iterable[Any] = ()) -> str:
    """SHA-1 over the update's content: item_id, status, note, updated_by,
    updated_at (ISO), source_file, source_row [, extra]. The same file row or
    the same CLI update (source_file 'cli', no row) gives the same key."""
    at = row.get("updated_at")
    parts = [
        row.get("item_id"),
        row.get("status"),
        row.get("note"),
        row.get("updated_by"),
        at.isoformat() if isinstance(at, (datetime, date)) else at,
        row.get("source_file"),
        row.get("source_row"),
        *extra,
    ]
    return hashlib.sha1(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def append_updates(
    con: duckdb.DuckDBPyConnection,
    accepted: pl.DataFrame,
    refused: pl.DataFrame | None = None,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Append validated updates (status.validate_updates) in one transaction.

    accepted: UPDATE_COLUMNS; refused: REFUSED_COLUMNS (reason, reason_code,
    updated_at_raw optional). Rows whose content hash is already stored (or
    repeated in the batch) are not appended again. Returns counts appended,
    duplicates, refused_appended, refused_duplicates.
    """
    now = now or _now()
    acc = _keyed(accepted, UPDATE_COLUMNS, [])
    ref = _keyed(refused, REFUSED_COLUMNS, ["reason_code"]) if refused is not None else None
    out = {"appended": 0, "duplicates": 0, "refused_appended": 0, "refused_duplicates": 0}
    with transaction(con):
        if acc.height:
            with _registered(con, "_acc", acc):
                n = con.execute(
                    "SELECT count(*) FROM _acc a WHERE NOT EXISTS "
                    "(SELECT 1 FROM ledger_updates u WHERE u.update_key = a.update_key)"
                ).fetchall()[0][0]
                _run(
                    con,
                    """INSERT INTO ledger_updates (update_key, item_id, status, note, updated_by, updated_at,
                           source_file, source_row, accepted, recorded_at, recorded_run)
                       SELECT update_key, item_id, status, note, updated_by, updated_at, source_file, source_row,
                              TRUE, ?, ?
                       FROM _acc a WHERE NOT EXISTS
                           (SELECT 1 FROM ledger_updates u WHERE u.update_key = a.update_key)""",
                    [now, run_id],
                )
            out["appended"] = int(n)
        out["duplicates"] = (accepted.height if accepted is not None else 0) - out["appended"]
        if ref is not None and ref.height:
            with _registered(con, "_ref", ref):
                n = con.execute(
                    "SELECT count(*) FROM _ref r WHERE NOT EXISTS "
                    "(SELECT 1 FROM ledger_refused_updates u WHERE u.update_key = r.update_key)"
                ).fetchall()[0][0]
                _run(
                    con,
                    """INSERT INTO ledger_refused_updates (update_key, item_id, status, note, updated_by,
                           updated_at, source_file, source_row, reason, recorded_at, updated_at_raw,
                           reason_code, recorded_run)
                       SELECT update_key, item_id, status, note, updated_by, updated_at, source_file,
                              source_row, reason, ?, updated_at_raw, reason_code, ?
                       FROM _ref r WHERE NOT EXISTS
                           (SELECT 1 FROM ledger_refused_updates u WHERE u.update_key = r.update_key)""",
                    [now, run_id],
                )
            out["refused_appended"] = int(n)
        out["refused_duplicates"] = (refused.height if refused is not None else 0) - out["refused_appended"]
    return out


def _keyed(frame: pl.DataFrame | None, schema: Mapping[str, pl.DataType], extra: list[str]) -> pl.DataFrame:
    if frame is None:
        frame = pl.DataFrame(schema=schema)
    for c, t in schema.items():
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=t).alias(c))
    frame = frame.select([pl.col(c).cast(t) for c, t in schema.items()])
    keys = [update_key(r, [r.get(e) for e in extra]) for r in frame.iter_rows(named=True)]
    return frame.with_columns(pl.Series("update_key", keys, dtype=pl.String)).unique(
        "update_key", keep="first", maintain_order=True
    )


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------
def ledger_item_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return set(con.sql("SELECT item_id FROM ledger_items").pl()["item_id"].to_list())


def read_items(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql("SELECT * FROM ledger_items ORDER BY item_id").pl()


def read_updates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM ledger_updates ORDER BY item_id, updated_at, source_file, source_row, update_key"
    ).pl()


def read_refused(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql("SELECT * FROM ledger_refused_updates ORDER BY recorded_at, source_file, source_row").pl()


def read_ledger(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    add_working_days: AddWorkingDays,
    *,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
) -> pl.DataFrame:
    """The ledger as of ``as_of``: items detected on or before it, with the
    status columns of status.compute_status (status, status_zh, resolved_on,
    resolved_late, escalate_after, last_*), sorted by dept_id, deadline,
    item_id."""
    items = con.sql(
        f"SELECT * FROM ledger_items WHERE detected_on <= DATE '{as_of.isoformat()}'"
    ).pl()
    out = compute_status(items, read_updates(con), as_of, add_working_days, rules=rules)
    return out.sort(["dept_id", "deadline", "item_id"], nulls_last=True)
