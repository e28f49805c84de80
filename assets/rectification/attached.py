"""Attaching one DuckDB file to a connection on another, for the ledger step.

The ledger step reads the warehouse's found items from the ledger connection
and writes the published tables from the warehouse connection with the ledger
attached, so that no table has to travel through Python. A file attached
read-only needs the same lock as a read-only connection: while another
process writes it, ATTACH fails with DuckDB's lock error, and we wait as
``pipelines.resources.Warehouse`` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assets.db import sql_literal
from pipelines.resources import LOCK_MARKERS


@contextmanager
def attached(
    con: duckdb.DuckDBPyConnection, path: str | Path, alias: str, *, lock_timeout_s: float = 900.0
) -> Iterator[str]:
    """``path`` attached READ_ONLY as ``alias`` for the block (detached after,
    also on error); yields the alias."""
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.1
    while True:
        try:
            con.execute(f"ATTACH {sql_literal(str(path))} AS {alias} (READ_ONLY)").fetchall()
            break
        except duckdb.IOException as exc:
            if not any(m in str(exc) for m in LOCK_MARKERS) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield alias
    finally:
        con.execute(f"DETACH {alias}").fetchall()
