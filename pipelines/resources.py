"""Resources: where a WindowWatch home lives and how to open its warehouse.

Configured, not imported globals: the CLI, the schedule and the web UI build
the same resources from a home folder (see ``definitions.build_definitions``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.clock import yesterday_in_shanghai


class WindowWatchHome(dg.ConfigurableResource):
    """The home folder: inbox, staged Parquet, warehouse, outputs, instance."""

    home: str
    inbox: str = ""  # default HOME/inbox
    as_of: str = ""  # YYYY-MM-DD; default yesterday in Asia/Shanghai
    config_path: str = ""  # the method config YAML; default HOME_CONFIG, else the shipped one
    # Hold HOME/.run.lock (run_lock.py) while the resource is in use, waiting
    # for it if another run has it: the runs the daemon and the web UI launch.
    # The schedule's and the sensor's runs execute in one process, so they
    # hold it for the whole run; a run started by hand in the UI with the
    # multiprocess executor holds it step by step. The CLI holds the lock
    # itself, before Dagster is imported, and leaves this off.
    hold_lock: bool = False

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WindowWatchHome"]:
        if not self.hold_lock:
            yield self
            return
        from pipelines.run_lock import hold_home

        with hold_home(self.home_dir, wait=True):
            yield self

    @property
    def home_dir(self) -> Path:
        return Path(self.home).resolve()

    @property
    def inbox_dir(self) -> Path:
        return Path(self.inbox).resolve() if self.inbox else self.home_dir / "inbox"

    @property
    def staged_dir(self) -> Path:
        return self.home_dir / "staged"

    @property
    def reference_snapshot_dir(self) -> Path:
        return self.staged_dir / "_reference"

    @property
    def warehouse_path(self) -> Path:
        return self.home_dir / "warehouse.duckdb"

    @property
    def gx_docs_dir(self) -> Path:
        return self.home_dir / "gx" / "data_docs"

    @property
    def dashboards_dir(self) -> Path:
        return self.home_dir / "dashboards"

    @property
    def exports_dir(self) -> Path:
        return self.home_dir / "exports"

    @property
    def rectification_dir(self) -> Path:
        """The ledger CSV and the department lists (list_publish.py)."""
        return self.exports_dir / "rectification"

    @property
    def staffing_dir(self) -> Path:
        return self.exports_dir / "staffing"

    @property
    def method_config_file(self) -> Path | None:
        """The method config a run uses: the one it was given, else the
        home's own (HOME/config.yaml), else none (the shipped defaults). The
        nightly schedule and the web UI are given none, so an office's
        settings must live in the home for every run to use them."""
        if self.config_path:
            return Path(self.config_path)
        own = self.home_dir / HOME_CONFIG
        return own if own.is_file() else None

    @property
    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else yesterday_in_shanghai()


HOME_CONFIG = "config.yaml"
LOCK_MARKERS = ("Could not set lock", "Conflicting lock")


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file. Only unpartitioned steps write to it, one at a time.

    DuckDB keeps within memory_limit and spills to temp_directory (default
    HOME/duckdb_tmp) beyond it; the limit leaves room under the 4 GiB a run may
    use for the polars side of the step. A step that finds the file locked by
    another process waits up to lock_timeout_s for it: at city scale one
    writer may hold it for minutes.
    """

    path: str
    memory_limit: str = "3GB"
    threads: int = 2
    temp_directory: str = ""  # default: duckdb_tmp beside the warehouse file
    lock_timeout_s: float = 900.0

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    @property
    def spill_dir(self) -> Path:
        return Path(self.temp_directory) if self.temp_directory else Path(self.path).parent / "duckdb_tmp"

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        config = {"memory_limit": self.memory_limit, "threads": self.threads, "temp_directory": str(self.spill_dir)}
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.1
        while True:
            try:
                return duckdb.connect(self.path, read_only=read_only, config=config)
            except duckdb.IOException as exc:
                # Another process holds the file; in a parallel run that is a
                # sibling step finishing its write, so wait for it.
                if not any(m in str(exc) for m in LOCK_MARKERS) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)


def warehouse_of(home: WindowWatchHome) -> Warehouse:
    """The home's warehouse with the default settings: the runs, the summary
    and the exports all open it so."""
    return Warehouse(path=str(home.warehouse_path))
