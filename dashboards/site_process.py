"""Where the publication step builds the dashboards site: in its own
process, or in a child process while it writes the rectification lists.

At a city's year the site (~6 s) and the departments' lists (~6 s) are the
night's last step, mostly Python holding the GIL (plotly's JSON, the
workbooks' XML) between DuckDB queries. Both only read the warehouse, and
DuckDB lets several processes hold a file read-only, so the site is built
in a child process meanwhile.

Three ways, one interface (``building``):

- ``SiteInProcess``: in the step's process when the report is asked for
  (tests, the default resource);
- ``SiteChildProcess``: a child the command line starts with the run, as it
  starts the GX child (checks/gx_process.py). Starting an interpreter and
  importing the site's modules took ~1.5 s of a night's publication step
  while the lists waited for the other core; started with the command, the
  child imports during the earlier steps and builds at once when asked. It
  builds one site and exits;
- ``SiteChildPerBuild``: such a child started by the step itself, for the
  web UI's long-lived definitions (one child per run).

This module imports neither Dagster nor the site's modules, so the child
does not import Dagster at all and the command line can start it first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.child_process import ChildFailed, OneRequestChild, serve_one

if TYPE_CHECKING:
    from dashboards.site import SiteReport


class SiteChildFailed(ChildFailed):
    """The child failed or vanished; the message carries its traceback."""


class SiteInProcess:
    """Build the site in the calling process, when its report is asked for."""

    @contextmanager
    def building(
        self, warehouse_path: Path, out_dir: Path, as_of: date, gx_docs_index: Path | None
    ) -> Iterator[Callable[[], SiteReport]]:
        """Start the build; the yielded function waits for its report."""
        from dashboards.site import build_site

        yield lambda: build_site(Path(warehouse_path), Path(out_dir), as_of, gx_docs_index)

    def close(self) -> None:
        pass


class SiteChildProcess(SiteInProcess):
    """A child process (pipelines/child_process.py) that imports the site's
    modules at once and builds one site."""

    def __init__(self) -> None:
        self._child = OneRequestChild(_serve, "site", SiteChildFailed)
        self._asked = False

    @property
    def pid(self) -> int | None:
        return self._child.pid

    @contextmanager
    def building(
        self, warehouse_path: Path, out_dir: Path, as_of: date, gx_docs_index: Path | None
    ) -> Iterator[Callable[[], SiteReport]]:
        if self._asked:
            raise SiteChildFailed("this site child has already built its site")
        self._asked = True
        self._child.ask((Path(warehouse_path), Path(out_dir), as_of, gx_docs_index))
        answer: list = []  # (report, None) or (None, the failure): the child answers once

        def report() -> SiteReport:
            if not answer:
                try:
                    answer.append((self._child.answer(), None))
                except SiteChildFailed as exc:
                    answer.append((None, exc))
            built, failure = answer[0]
            if failure is not None:
                raise failure
            return built

        try:
            yield report
        finally:
            # also when the caller failed meanwhile: the site is finished (or
            # failed) before the step ends, as when it is built in-process
            if not answer:
                try:
                    report()
                except SiteChildFailed:
                    pass

    def close(self) -> None:
        """Tell a child that was never asked to stop; wait for it to exit."""
        self._child.close()


class SiteChildPerBuild(SiteInProcess):
    """A ``SiteChildProcess`` started by each build (the web UI's runs)."""

    @contextmanager
    def building(
        self, warehouse_path: Path, out_dir: Path, as_of: date, gx_docs_index: Path | None
    ) -> Iterator[Callable[[], SiteReport]]:
        child = SiteChildProcess()
        try:
            with child.building(warehouse_path, out_dir, as_of, gx_docs_index) as report:
                yield report
        finally:
            child.close()


def _serve(conn) -> None:
    from pipelines.child_lifetime import exit_with_parent
    from pipelines.process_gc import collect_less_often

    # a short-lived process like the command's own: with its collector
    # thresholds a city's site collects 7 times instead of 279 (pipelines/process_gc.py);
    # and one that dies with the command (pipelines/child_lifetime.py)
    collect_less_often()
    exit_with_parent()
    from dashboards.site import build_site  # the point of starting early: import while the run goes on

    serve_one(conn, lambda request: (build_site(*request), None))
