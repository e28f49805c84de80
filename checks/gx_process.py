"""Where a run's GX validation happens: in the step's own process, or in a
child process started with the command.

Importing GX takes ~3 s of one core, and a night's GX step spent most of its
time there. The command line (and the benchmark's stand-in for it) starts
``GxChildProcess`` before it imports Dagster: the child imports GX on the
other core while the parent starts up and plans, and then validates the
run's staged files for the GX step (what ``gx_suites.validate_sources``
does in-process). Each staging step tells it which files it wrote
(``files_staged``), so it validates a source while the next ones are
staged; the GX step's request then finds most of its outcomes made (a
file changed since is validated again). It answers as soon as the files
are validated and builds the Data Docs site after that (~1 s), while the
run goes on; ``close()`` waits for it. The child serves one request and
exits, so its memory is gone early in the warehouse steps. Tests, the web
UI and the multiprocess executor validate in-process (``InProcessGx``, the
default resource, which ignores the staging steps' word).

This module imports neither Dagster nor GX: the command line imports it first.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipelines.child_process import ChildFailed, OneRequestChild, serve_one
from pipelines.deferred_import import defer_import

# Imported by GX's own import for expectations no suite of ours has (the
# KL-divergence and Kolmogorov-Smirnov ones): ~1 s of the child's ~2.6 s
# import, on a core the command's start-up needs. Stand-ins until used
# (pipelines/deferred_import.py); a validation never uses them.
GX_UNUSED_IMPORTS = ("scipy.stats", "altair")

Requests = list[tuple[str, list[Path]]]


class GxChildFailed(ChildFailed):
    """The child process failed or vanished; the message carries its traceback."""


class InProcessGx:
    """Validate in the calling process (imports GX there on first use)."""

    def files_staged(self, source: str, files: list[Path], docs_dir: Path) -> None:
        """A staging step's word that ``files`` of ``source`` are written:
        what the GX step will validate, unless they change before it."""

    def validate_sources(self, requests: Requests, docs_dir: Path):
        from checks.gx_suites import validate_sources

        return validate_sources(requests, docs_dir)

    def close(self) -> None:
        pass


class GxChildProcess(InProcessGx):
    """A child process (pipelines/child_process.py) that imports GX at once
    and validates one run's sources."""

    def __init__(self) -> None:
        self._child = OneRequestChild(_serve, "GX", GxChildFailed)

    def files_staged(self, source: str, files: list[Path], docs_dir: Path) -> None:
        """The child validates them now, while the other sources are staged;
        the GX step takes that outcome if the files are still the same."""
        self._child.tell((source, list(files), Path(docs_dir)))

    def validate_sources(self, requests: Requests, docs_dir: Path):
        self._child.ask((requests, Path(docs_dir)))
        return self._child.answer()

    def close(self) -> None:
        """Tell a child that was never asked to stop; wait for it to exit
        (after building the Data Docs, when it was asked)."""
        self._child.close()


def file_stamps(files: list[Path]) -> list[tuple[int, int] | None]:
    """Each file's modification time and size (None: gone)."""
    out = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_mtime_ns, st.st_size))
    return out


def _serve(conn) -> None:
    import sys
    import traceback
    import warnings

    from pipelines.process_gc import collect_less_often

    # GX's import makes ~290 k objects: with the default thresholds the
    # collector ran ~700 times in it (0.6 s of its 5 s; 0.25 s with these)
    collect_less_often()
    warnings.filterwarnings("ignore")
    for name in GX_UNUSED_IMPORTS:
        defer_import(name)
    import great_expectations  # noqa: F401  - the point of this process: import while the run starts

    from checks.gx_suites import build_data_docs, docs_index_of, docs_keys_of, validate_files

    # source -> (files, their stamps, docs folder, outcome) validated as the
    # staging steps announced them: a night's seven validations (~1 s) run
    # beside the staging instead of after it
    early: dict[str, tuple] = {}

    def hear(staged) -> None:
        source, files, docs_dir = staged
        early.pop(source, None)
        stamps = file_stamps(files)
        early[source] = (files, stamps, docs_dir, validate_files(source, files, docs_dir, build_docs=False))

    def outcome(source: str, files: list[Path], docs_dir: Path):
        kept = early.get(source)
        if kept is not None and kept[0] == files and kept[2] == docs_dir and kept[1] == file_stamps(files):
            return replace(kept[3], validated_while_staging=True)
        return validate_files(source, files, docs_dir, build_docs=False)

    def validate(request):
        requests, docs_dir = request
        outcomes = {source: outcome(source, files, docs_dir) for source, files in requests}
        docs_keys = docs_keys_of(outcomes)
        # GX's page ids stay here: the site is built after the answer
        answer = {s: replace(o, docs_keys=[]) for s, o in outcomes.items()}

        def build_docs() -> None:
            # on the other core while the run's warehouse steps go on;
            # close() waits for this before the run's summary
            try:
                build_data_docs(docs_dir, docs_keys)
            except Exception:
                print(f"GX 数据文档生成失败 Data Docs not built:\n{traceback.format_exc()}", file=sys.stderr)

        return (answer, docs_index_of(docs_dir) if docs_keys else None), (build_docs if docs_keys else None)

    serve_one(conn, validate, hear)
