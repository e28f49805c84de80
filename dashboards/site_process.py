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

import multiprocessing
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboards.site import SiteReport


class SiteChildFailed(RuntimeError):
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
    """A spawned child (a fresh interpreter: no copied threads or DuckDB
    handles) that imports the site's modules at once and builds one site."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_end = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child_end,), name="windowwatch-site", daemon=True)
        self._process.start()
        child_end.close()
        self._asked = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @contextmanager
    def building(
        self, warehouse_path: Path, out_dir: Path, as_of: date, gx_docs_index: Path | None
    ) -> Iterator[Callable[[], SiteReport]]:
        if self._asked:
            raise SiteChildFailed("this site child has already built its site")
        self._asked = True
        try:
            self._conn.send((Path(warehouse_path), Path(out_dir), as_of, gx_docs_index))
        except (OSError, ValueError) as exc:
            raise SiteChildFailed(f"site child process is gone (exit code {self._process.exitcode})") from exc
        answer: list = []

        def report() -> SiteReport:
            if not answer:
                try:
                    answer.append(self._conn.recv())
                except (EOFError, OSError) as exc:
                    answer.append(("error", f"site child process ended without an answer "
                                            f"(exit code {self._process.exitcode}): {exc!r}"))
            status, payload = answer[0]
            if status != "ok":
                raise SiteChildFailed(payload)
            return payload

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
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass  # it answered and closed its end
        self._process.join(timeout=60)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()


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
    from pipelines.process_gc import collect_less_often, skip_collection_at_exit

    # a short-lived process like the command's own: with its collector
    # thresholds a city's site collects 7 times instead of 279 (pipelines/process_gc.py);
    # and one that dies with the command (pipelines/child_lifetime.py)
    collect_less_often()
    exit_with_parent()
    from dashboards.site import build_site  # the point of starting early: import while the run goes on

    try:
        try:
            request = conn.recv()
        except EOFError:  # the parent went away
            return
        if request is None:
            return
        try:
            answer = ("ok", build_site(*request))
        except Exception:
            answer = ("error", traceback.format_exc())
        conn.send(answer)
    finally:
        conn.close()
        skip_collection_at_exit()
