"""Where a run's GX validation happens: in the step's own process, or in a
child process started with the command.

Importing GX takes ~3 s of one core, and a night's GX step spent most of its
time there. The command line (and the benchmark's stand-in for it) starts
``GxChildProcess`` before it imports Dagster: the child imports GX on the
other core while the parent starts up, plans and stages, and then validates
the run's staged files for the GX step (``gx_suites.validate_sources``, the
same function the step calls in-process). The child serves one request and
exits, so its memory is gone before the warehouse steps. Tests, the web UI
and the multiprocess executor validate in-process (``InProcessGx``, the
default resource).

This module imports neither Dagster nor GX: the command line imports it first.
"""

from __future__ import annotations

import multiprocessing
import traceback
from dataclasses import replace
from pathlib import Path

Requests = list[tuple[str, list[Path]]]


class GxChildFailed(RuntimeError):
    """The child process failed or vanished; the message carries its traceback."""


class InProcessGx:
    """Validate in the calling process (imports GX there on first use)."""

    def validate_sources(self, requests: Requests, docs_dir: Path):
        from checks.gx_suites import validate_sources

        return validate_sources(requests, docs_dir)

    def close(self) -> None:
        pass


class GxChildProcess(InProcessGx):
    """A child process that imports GX at once and validates one run's sources."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied threads or DuckDB handles
        self._conn, child_end = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child_end,), name="windowwatch-gx", daemon=True)
        self._process.start()
        child_end.close()

    def validate_sources(self, requests: Requests, docs_dir: Path):
        try:
            self._conn.send((requests, Path(docs_dir)))
            status, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise GxChildFailed(f"GX child process ended without an answer (exit code {self._process.exitcode})") from exc
        if status != "ok":
            raise GxChildFailed(payload)
        return payload

    def close(self) -> None:
        """Tell a child that was never asked to stop; wait for it to exit."""
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass  # it already answered and closed its end
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()


def _serve(conn) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    import great_expectations  # noqa: F401  - the point of this process: import while the run starts

    from checks.gx_suites import validate_sources

    try:
        request = conn.recv()
    except EOFError:  # the parent went away
        return
    if request is None:
        return
    try:
        outcomes, docs_index = validate_sources(*request)
        # GX's page ids stay here: the site is already built
        conn.send(("ok", ({s: replace(o, docs_keys=[]) for s, o in outcomes.items()}, docs_index)))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
