"""Dagster's SQLite event log, with its database connections kept open.

Dagster's stock ``SqliteEventLogStorage`` builds a SQLAlchemy engine, opens
the file and closes it again for every event, twice for an asset event (the
run's own file and the cross-run index): 8–11 ms an event on this machine.
A daily-partitioned asset staged over a year logs a planned and a
materialization event per day, so a city's full rebuild stores ~5,300
events, ~5,200 of them asset events: 40-50 s of its run. A night stores
~210 events.

This subclass writes the same files, tables and rows, so the web UI and
any stock Dagster process read them as before. It keeps one engine and one
open connection per file, for the few files most recently used, and writes
a batch of asset events (a run's planned events, a partition range's
materializations) in one transaction per file instead of one per event.

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

import itertools
import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.events.log import EventLogEntry
from dagster._core.events import ASSET_EVENTS
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlalchemy_compat import db_result
from sqlalchemy.pool import StaticPool

# The index and the running run's file are the ones written; a UI browsing
# old runs opens and closes the others.
OPEN_FILES = 4
# Dagster reads this at every event; 0 (its default) stores one at a time.
# A city's full rebuild plans ~2,600 asset events in one batch and logs
# 364 materializations per staged asset in another.
EVENT_BATCH_SIZE = "1000"


def store_asset_events_in_batches() -> None:
    """Let Dagster hand this process's batches of asset events to
    ``store_event_batch`` (unless DAGSTER_EVENT_BATCH_SIZE is set already)."""
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)


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

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A batch of one run's events (Dagster sends the planned events of a
        run and the materializations of a partition range as batches when
        DAGSTER_EVENT_BATCH_SIZE is set, see ``store_asset_events_in_batches``):
        the rows ``store_event`` writes for each asset event, in one
        transaction per file for each unbroken stretch of them instead of one
        per event. Other events (a check's planned event among the assets')
        are stored one by one, in their place."""
        for is_asset, stretch in itertools.groupby(events, key=_is_asset_event):
            stretch = list(stretch)
            if is_asset and len(stretch) > 1:
                self._store_asset_events(stretch)
            else:
                for event in stretch:
                    self.store_event(event)

    def _store_asset_events(self, events: list[EventLogEntry]) -> None:
        # as the parent's store_event does for each asset event
        for run_id, of_run in itertools.groupby(events, key=lambda e: e.run_id):
            of_run = list(of_run)
            with self.run_connection(run_id) as conn:
                conn.execute(self.prepare_insert_event_batch(of_run))
            with self.index_transaction() as conn:
                for event in of_run:
                    with db_result(conn, self.prepare_insert_event(event)) as result:
                        event_id = result.inserted_primary_key[0]
                    self._store_asset_event_tags(conn, [event], [event_id])
                    self._store_asset_event(conn, event, event_id)

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


def _is_asset_event(event: EventLogEntry) -> bool:
    return event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS
