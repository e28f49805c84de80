"""Dagster's SQLite event log, with its database connections kept open.

Dagster's stock ``SqliteEventLogStorage`` builds a SQLAlchemy engine, opens
the file and closes it again for every event, twice for an asset event (the
run's own file and the cross-run index): 8–11 ms an event on this machine.
A daily-partitioned asset staged over a year logs a planned and a
materialization event per day, so a city's full rebuild stores ~5,300
events, ~5,200 of them asset events: 40-50 s of its run. A night stores
~210 events.

This subclass writes the same files, tables and transactions, so the web UI
and any stock Dagster process read them as before. It keeps one engine and
one open connection per file, for the few files most recently used.

One thing the stock storage did as a side effect is kept on purpose. The web
UI follows a running run by watching its file, ``<run id>.db``, for
changes. The files are in WAL mode, so a commit changes only the ``-wal``
file beside it; the stock storage's closing the connection after each event
copied the log into ``<run id>.db`` (a checkpoint). Here each write to a
run's log ends with that checkpoint (~1 ms), so the UI sees every event as
it comes; the index, which nothing watches, is not checkpointed.

Durability settings stay as they were: the index keeps Dagster's default,
the run logs get pipelines/run_logs.py's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy.pool import StaticPool

# The index and the running run's file are the ones written; a UI browsing
# old runs opens and closes the others.
OPEN_FILES = 4


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` (same ``base_dir`` config) whose database
    connections stay open between events."""

    def __init__(self, base_dir: str, inst_data=None):
        # Set before the parent's __init__, which already connects to the index.
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        # The parent's builds a SqliteEventLogStorage whatever the class.
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        # _db_lock is held from opening to commit, as in the parent: the one
        # connection of a file is never used by two threads at once.
        with self._db_lock:
            with self._engine(shard).connect() as conn:
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME:
                    # Copy the run's WAL into <run id>.db: the change the UI watches for.
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_FILES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_files(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self._close_files()  # the run files are deleted
        super().wipe()

    def dispose(self) -> None:
        self._close_files()
        super().dispose()
