"""A spawned child process that serves one request over a pipe.

The command line starts two such children before it imports Dagster: GX's
(checks/gx_process.py) and the dashboards site's (dashboards/site_process.py).
Each imports its heavy modules at once on the other core, then waits for
the one request its step sends, answers ``("ok", payload)`` or ``("error",
traceback)``, may finish work the answer did not need, and exits. A
request of None, or the parent's end of the pipe closing, ends it unasked.
Before the request the parent may ``tell`` it things it can start on (GX's
child hears which files were staged); a told message gets no answer.

This module imports neither Dagster nor what the children serve.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipelines.process_gc import skip_collection_at_exit


@dataclass(frozen=True)
class Told:
    """A message the child works on without answering (``OneRequestChild.tell``)."""

    message: Any


class ChildFailed(RuntimeError):
    """The child failed or vanished; the message carries its traceback."""


class OneRequestChild:
    """The parent's side. ``serve(conn)`` runs in the child (a fresh
    interpreter, spawned: no copied threads or DuckDB handles) and ends in
    ``serve_one``; ``label`` names the child in errors."""

    def __init__(self, serve: Callable[[Any], None], label: str, failure: type[ChildFailed] = ChildFailed) -> None:
        self.label, self.failure = label, failure
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_end = ctx.Pipe()
        self._process = ctx.Process(target=serve, args=(child_end,), name=f"windowwatch-{label}", daemon=True)
        self._process.start()
        child_end.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def ask(self, request: Any) -> None:
        try:
            self._conn.send(request)
        except (OSError, ValueError) as exc:
            raise self._gone() from exc

    def tell(self, message: Any) -> None:
        """Send ``message`` to the child's ``hear`` (see ``serve_one``)
        without waiting; a child that is gone is found out by ``ask``."""
        try:
            self._conn.send(Told(message))
        except (OSError, ValueError):
            pass

    def answer(self) -> Any:
        """The payload of the child's answer; its error as ``failure``."""
        try:
            status, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone() from exc
        if status != "ok":
            raise self.failure(payload)
        return payload

    def close(self) -> None:
        """Tell a child that was never asked to stop; wait for it to exit
        (after the work it does past its answer, when it was asked)."""
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass  # it answered and closed its end
        self._process.join(timeout=60)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()

    def _gone(self) -> ChildFailed:
        return self.failure(f"{self.label} child process ended without an answer (exit code {self._process.exitcode})")


def serve_one(
    conn, handle: Callable[[Any], tuple[Any, Callable[[], None] | None]], hear: Callable[[Any], None] | None = None
) -> None:
    """The child's side: pass what it is told to ``hear`` (none of it
    answered; an error there is left for the request to meet), wait for the
    request, answer it with the payload ``handle`` gives (or with the
    traceback of its error), then run the work ``handle`` left for after
    the answer, if any."""
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the parent went away
                return
            if not isinstance(request, Told):
                break
            if hear is not None:
                try:
                    hear(request.message)
                except Exception:
                    pass
        if request is None:
            return
        try:
            payload, after = handle(request)
        except Exception:
            conn.send(("error", traceback.format_exc()))
            return
        conn.send(("ok", payload))
        if after is not None:
            after()
    finally:
        conn.close()
        skip_collection_at_exit()
