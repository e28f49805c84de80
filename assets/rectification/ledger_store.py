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

Merging a run's found items (``merge_found``) writes only the items that are
new, changed, reinstated or to be withdrawn: an item found exactly as the
ledger has it is left alone. Hence ``last_seen_run`` is the last run that
inserted, refreshed or reinstated the item (until 2026-11 it was rewritten
on every item every night); an item in a run's scope that the run does not
find is withdrawn unless resolved, so an item not withdrawn was found by
every run in whose scope it lay since.

Tables (version 3)
------------------
ledger_items(item_id PK, rule, category, hall_id, window_id, dept_id, staff_id,
    subject_ref, detected_on DATE, deadline DATE, description, first_seen_run,
    withdrawn BOOLEAN, created_at, last_seen_run, withdrawn_at, changed_at)
ledger_updates(update_key PK, item_id, status, note, updated_by, updated_at,
    source_file, source_row, accepted BOOLEAN, recorded_at, recorded_run)
ledger_refused_updates(update_key PK, item_id, status (raw), note, updated_by,
    updated_at, source_file, source_row, reason, recorded_at, updated_at_raw,
    reason_code, recorded_run)
ledger_merged_found(rule PK, content_id, as_of DATE): which content of each
    rule's found table the last merge took (merge_scope.py)
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

import duckdb
import polars as pl

from pipelines.clock import SHANGHAI

from .items import ITEM_SCHEMA, RULES, rule_param
from .merge_scope import MergeScope, record_merged
from .status import REFUSED_COLUMNS, UPDATE_COLUMNS
from .status_sql import ESCALATION_TABLE, escalation_dates, item_status_sql, resolved_items_sql

AddWorkingDays = Callable[[date, int], date]


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
    Migration(
        3,
        "the found contents each merge took, so that the next merges only what changed",
        (
            """CREATE TABLE ledger_merged_found (
                rule VARCHAR PRIMARY KEY,
                content_id VARCHAR NOT NULL,
                as_of DATE NOT NULL
            )""",
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


def open_ledger(
    path: str | Path,
    *,
    migrations: Iterable[Migration] = MIGRATIONS,
    on_upgrade: Callable[[int, int, Path], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the ledger at ``path`` and bring it to the
    latest schema version. Returns the read-write connection (caller closes).
    ``on_upgrade(old version, new version, backup)`` is told of an existing
    file upgraded, once its migrations are in.

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
            backup = backup_file(path, version)
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
            if existed and on_upgrade is not None:
                on_upgrade(version, latest, backup)
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
    return found.select([pl.col(c).cast(t) for c, t in ITEM_SCHEMA.items()])


def resolved_item_ids(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> set[str]:
    """Items whose latest accepted update (dated <= as_of, default: ever) is resolved."""
    rows = con.execute(resolved_items_sql(), {"as_of": as_of or date.max}).fetchall()
    return {r[0] for r in rows}


_SQL_TYPES = {pl.String(): "VARCHAR", pl.Date(): "DATE"}


# Rows per found table in the position key _pos = table number * 2^40 + rowid.
_POS_STRIDE = 1 << 40


def found_items_sql(tables: Iterable[str]) -> str:
    """The found items of several tables as one relation with ITEM_SCHEMA's
    columns and ``_pos``, their order (table by table, then rowid: what a
    window function would number, without one)."""
    select = ", ".join(f"CAST({c} AS {_SQL_TYPES[t]}) AS {c}" for c, t in ITEM_SCHEMA.items())
    return "\nUNION ALL\n".join(
        f"SELECT {select}, {k} * {_POS_STRIDE} + rowid AS _pos FROM {table}" for k, table in enumerate(tables)
    )


# Found items without an item_id, or that repeat one (a finder's bug): the
# merge refuses them. Repeats are looked for among the rows the merge looks
# at: a repeat of an id the finders did not touch was refused before.
FOUND_COUNTS = "SELECT count(*), count(item_id) FROM ({found})"
DISTINCT_IDS = "SELECT count(*), count(DISTINCT item_id) FROM ({found})"
REPEATED_IDS = "SELECT item_id FROM ({found}) GROUP BY item_id HAVING count(*) > 1 ORDER BY item_id NULLS FIRST LIMIT 5"
# A scoped merge (merge_scope.py) looks at the candidates' rows only.
CANDIDATES_TABLE = "_merge_candidates"
IN_CANDIDATES = f"item_id IN (SELECT item_id FROM {CANDIDATES_TABLE})"

# One pass over found ⟗ ledger ({ledger}: the table, or only the candidates'
# rows) keeps only the rows a write needs: `new` (not on the ledger),
# `refresh` (on it, but withdrawn or with other content) and `missing` (on
# it, in the run's scope — rule in $rules, detected by $as_of —, not
# withdrawn, not found). New items are inserted in the found order (`_pos`).
LEDGER_DIFF = """
CREATE OR REPLACE TEMP TABLE _ledger_diff AS
WITH found AS ({found})
SELECT CASE WHEN l.item_id IS NULL THEN 'new' WHEN f.item_id IS NULL THEN 'missing' ELSE 'refresh' END AS change,
       coalesce(f.item_id, l.item_id) AS item_id,
       f._pos AS pos,
       l.item_id IS NOT NULL AND f.item_id IS NOT NULL AND ({changed}) AS content_changed,
       coalesce(l.withdrawn, FALSE) AS was_withdrawn,
       {found_content}
FROM found AS f
FULL JOIN {ledger} AS l ON l.item_id = f.item_id
WHERE l.item_id IS NULL
   OR (f.item_id IS NULL AND NOT l.withdrawn AND list_contains($rules, l.rule) AND l.detected_on <= $as_of)
   OR (f.item_id IS NOT NULL AND (l.withdrawn OR {changed}))
"""
DIFF_COUNTS = """
SELECT count(*) FILTER (WHERE change = 'new'),
       count(*) FILTER (WHERE content_changed),
       count(*) FILTER (WHERE change = 'refresh' AND was_withdrawn)
FROM _ledger_diff
"""
# A refreshed item takes the found content, loses its withdrawal and records
# the run; an unchanged one is not written at all.
REFRESH_ITEMS = """
UPDATE ledger_items AS l SET
  {set_content},
  changed_at = $now,
  withdrawn_at = CASE WHEN l.withdrawn THEN NULL ELSE l.withdrawn_at END,
  withdrawn = FALSE,
  last_seen_run = $run_id
FROM _ledger_diff AS d
WHERE d.change = 'refresh' AND l.item_id = d.item_id
"""
INSERT_ITEMS = """
INSERT INTO ledger_items ({cols}, first_seen_run, last_seen_run, withdrawn, created_at, changed_at)
SELECT {cols}, $run_id, $run_id, FALSE, $now, $now
FROM _ledger_diff
WHERE change = 'new'
ORDER BY pos
"""
# Missing items are withdrawn unless resolved as of $as_of (by the updates
# recorded before this run's).
WITHDRAW_ITEMS = """
UPDATE ledger_items AS l SET withdrawn = TRUE, withdrawn_at = $now, changed_at = $now
FROM _ledger_diff AS d
WHERE d.change = 'missing' AND l.item_id = d.item_id
  AND NOT EXISTS (SELECT 1 FROM ({resolved}) AS r WHERE r.item_id = l.item_id)
"""


def upsert_items(
    con: duckdb.DuckDBPyConnection,
    found_items: pl.DataFrame,
    *,
    run_id: str | None = None,
    as_of: date | None = None,
    rules: Iterable[str] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Merge a frame of found items (ITEM_SCHEMA columns, items.py) into the
    ledger: ``merge_found`` over the frame."""
    df = _conform_items(found_items).with_row_index("_pos")
    with _registered(con, "_found_frame", df):
        return merge_found(con, "SELECT * FROM _found_frame", run_id=run_id, as_of=as_of, rules=rules, now=now)


def merge_found(
    con: duckdb.DuckDBPyConnection,
    found_sql: str,
    *,
    run_id: str | None = None,
    as_of: date | None = None,
    rules: Iterable[str] | None = None,
    now: datetime | None = None,
    scope: MergeScope | None = None,
) -> dict[str, int]:
    """Merge the items found by a run into the ledger, in one transaction.

    found_sql: a query giving ITEM_SCHEMA's columns and ``_pos``, the order
    in which new items are inserted (``found_items_sql``).
    New item_ids are inserted; existing ones whose content differs, or that
    were withdrawn, get every column refreshed (window, dept, detected_on,
    deadline, description… — identity columns cannot change since they make
    the id) and lose the withdrawn flag; items of the ledger that the run did
    not find are flagged withdrawn, except resolved ones. Withdrawal is
    scoped: only items of ``rules`` (default: all rules) and, when ``as_of``
    is given, detected on or before it — a run for an earlier date, or for
    some rules only, must not withdraw what it could not have found. Nothing
    is deleted, and an item found as the ledger has it is not written at all
    (``last_seen_run`` is the last run that inserted, refreshed or reinstated
    it; see the module docstring).

    With a ``scope`` (merge_scope.plan_merge_scope) the join takes only its
    candidate items when it has them, and the found contents merged are
    recorded with ``as_of`` for the next merge to plan from.

    Returns counts: inserted, refreshed (content changed), reinstated,
    withdrawn, unchanged (found minus inserted minus refreshed).
    """
    now = now or _now()
    rule_scope = list(rules) if rules is not None else list(RULES)
    changed = " OR ".join(f"l.{c} IS DISTINCT FROM f.{c}" for c in _CONTENT_COLUMNS)
    found_sql_seen, ledger = found_sql, "ledger_items"
    if scope is not None and scope.scoped:
        found_sql_seen = f"SELECT * FROM ({found_sql}) WHERE {IN_CANDIDATES}"
        ledger = f"(SELECT * FROM ledger_items WHERE {IN_CANDIDATES})"
    diff_sql = LEDGER_DIFF.format(
        found=found_sql_seen,
        ledger=ledger,
        changed=changed,
        found_content=", ".join(f"f.{c}" for c in _CONTENT_COLUMNS),
    )
    params = {"now": now, "run_id": run_id}
    # The temp tables are dropped only on success: after a failed statement
    # DuckDB refuses every call until ROLLBACK (which discards them), and a
    # clean-up that ran first would hide the real error behind
    # "transaction aborted".
    with transaction(con):
        if scope is not None and scope.scoped:
            _run(con, f"CREATE OR REPLACE TEMP TABLE {CANDIDATES_TABLE} AS {scope.candidates}", scope.params)
        total, with_id = _run(con, FOUND_COUNTS.format(found=found_sql))[0]
        if with_id < total:
            raise ValueError(f"found items lack an item_id ({total - with_id} row(s))")
        seen, distinct = _run(con, DISTINCT_IDS.format(found=found_sql_seen))[0]
        if distinct < seen:
            repeated = [r[0] for r in _run(con, REPEATED_IDS.format(found=found_sql_seen))]
            raise ValueError(f"found items repeat item_id(s): {repeated}")
        _run(con, diff_sql, {"rules": rule_scope, "as_of": as_of or date.max})
        inserted, refreshed, reinstated = (int(x) for x in _run(con, DIFF_COUNTS)[0])
        set_content = ", ".join(f"{c} = d.{c}" for c in _CONTENT_COLUMNS)
        _run(con, REFRESH_ITEMS.format(set_content=set_content), params)
        _run(con, INSERT_ITEMS.format(cols=", ".join(ITEM_COLUMNS)), params)
        withdrawn = _run(
            con, WITHDRAW_ITEMS.format(resolved=resolved_items_sql()), {"now": now, "as_of": as_of or date.max}
        )
        # a merge that records nothing still clears the record: it changed the ledger
        record_merged(con, scope if as_of is not None else None, as_of=as_of, rules=rule_scope)
        _run(con, f"DROP TABLE IF EXISTS _ledger_diff; DROP TABLE IF EXISTS {CANDIDATES_TABLE}")
    return {
        "inserted": inserted,
        "refreshed": refreshed,
        "reinstated": reinstated,
        "withdrawn": int(withdrawn[0][0]) if withdrawn else 0,
        "unchanged": int(total) - inserted - refreshed,
    }


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


def keyed_refusals(refused: pl.DataFrame) -> pl.DataFrame:
    """Refused rows (REFUSED_COLUMNS) with the update_key each is stored
    under, one row per key: what tells which stored refusals are still in
    the inbox's reply files."""
    return _keyed(refused, REFUSED_COLUMNS, ["reason_code"])


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
def ledger_item_dates(con: duckdb.DuckDBPyConnection, among: Iterable[str]) -> dict[str, date]:
    """The items of ``among`` that are on the ledger, each with its
    detected_on (a reply is checked against the day its item was found),
    without reading two million ids."""
    wanted = pl.DataFrame({"item_id": sorted({i for i in among if i is not None})}, schema={"item_id": pl.String()})
    with _registered(con, "_wanted_ids", wanted):
        rows = _run(con, "SELECT item_id, detected_on FROM ledger_items SEMI JOIN _wanted_ids USING (item_id)")
    return dict(rows)


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
    status columns of status.compute_status (escalate_after, last_*, status,
    resolved_on, status_zh, resolved_late), sorted by dept_id, deadline,
    item_id — computed by DuckDB (status_sql.py)."""
    with _registered(con, ESCALATION_TABLE, ledger_escalation_dates(con, as_of, add_working_days, rules=rules)):
        return con.sql(item_status_sql(), params={"as_of": as_of}).pl()


def ledger_escalation_dates(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    add_working_days: AddWorkingDays,
    *,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
) -> pl.DataFrame:
    """escalate_after for every deadline of the items detected by ``as_of``
    (status_sql.escalation_dates, escalation days from ``rules``)."""
    rows = _run(con, "SELECT DISTINCT deadline FROM ledger_items WHERE detected_on <= ?", [as_of])
    days = int(rule_param(rules, "escalation", "days"))
    return escalation_dates((r[0] for r in rows), add_working_days, days)
