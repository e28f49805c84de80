"""Where the publication step builds the dashboards site: in its own
process, or in a child process while it writes the rectification lists.

At a city's year the site (~6 s) and the departments' lists (~4 s) were the
night's last two steps, one after the other, each mostly Python holding the
GIL (plotly's JSON, xlsxwriter) between DuckDB queries. Both only read the
warehouse, and DuckDB lets several processes hold a file read-only, so the
site can be built in a child process meanwhile. They still share two cores
(each alone keeps ~1.3 busy), so the step is shorter than the two steps
were by less than the shorter one.

The command line and the web UI's definitions build in a child; tests keep
one process (``SiteBuilder()``), and one test runs the child.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg

from dashboards.site import SiteReport, build_site
from pipelines.child_lifetime import exit_with_parent
from pipelines.process_gc import collect_less_often


def _start_child() -> None:
    collect_less_often()
    exit_with_parent()


class SiteBuilder(dg.ConfigurableResource):
    """``child_process``: build the site in a spawned process (a fresh
    interpreter: no copied threads or DuckDB handles)."""

    child_process: bool = False

    @contextmanager
    def building(
        self, warehouse_path: Path, out_dir: Path, as_of: date, gx_docs_index: Path | None
    ) -> Iterator[Callable[[], SiteReport]]:
        """Start the build; the yielded function waits for its report. In
        one process the build happens when the report is asked for."""
        args = (Path(warehouse_path), Path(out_dir), as_of, gx_docs_index)
        if not self.child_process:
            yield lambda: build_site(*args)
            return
        # a short-lived process like the command's own: with its collector thresholds
        # a city's site collects 7 times instead of 279 (pipelines/process_gc.py);
        # and one that dies with the command (pipelines/child_lifetime.py)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_child) as pool:
            # on leaving (also on an error in the caller) the pool waits for the build
            yield pool.submit(build_site, *args).result
