"""Build the static dashboard site from the warehouse.

``build_site(warehouse_path, out_dir, as_of, gx_docs_index)`` reads the
warehouse read-only and writes, under ``out_dir``:

    index.html              overview (总览)
    windows.html            ranking with T/Q/S, links to every window
    windows/<hall>_<window>.html
    departments.html        departments, their rectification record, service stars
    departments/<dept>.html
    queues.html             waits by weekday x hour, busiest hours, no-shows
    rectification.html      open / overdue / escalated items, aging, due this week
                            (item tables: the 500 most urgent, the total, and a pointer
                            to the full ledger export; a window's or department's page
                            lists its 40 most urgent)
    staffing.html           recommended vs actual windows (科学设置窗口)
    quality.html            per source and day: loaded / quarantined / duplicates, GX
    plotly.min.js           plotly.js, once for all pages (no CDN, works offline)

The site is built in a temporary directory beside ``out_dir`` and swapped in
at the end, so a crash leaves the previous site as it was.

At city scale (20 halls, 800 windows, millions of items and tickets) the
build stays in seconds because: sums per window and day are made in the
warehouse (``SiteData.window_waits_daily``); the ledger's items are counted
and the rows the pages list picked by DuckDB (dashboards/rectification_data.py),
their descriptions read by rowid for those rows only; item tables format only
the rows they show; the window and department pages pick their rows and
figures out of frames split or summed once; the old site is removed by a
thread after the swap.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from dashboards import charts
from dashboards.context import SiteContext
from dashboards.data import SiteData
from dashboards.html import Page
from dashboards.labels import Bi
from dashboards.pages import departments, overview, quality, queues, rectification, staffing, windows

PAGE_BUILDERS = [
    ("overview", overview.build),
    ("windows", windows.build),
    ("departments", departments.build),
    ("queues", queues.build),
    ("rectification", rectification.build),
    ("staffing", staffing.build),
    ("quality", quality.build),
]

PLOTLY_JS = "plotly.min.js"
MAX_PAGE_BYTES = 5 * 1024 * 1024


@dataclass
class PageReport:
    path: str  # relative to the site root
    bytes: int
    charts: int


@dataclass
class SiteReport:
    out_dir: Path
    pages: list[PageReport]
    seconds: float
    plotlyjs_bytes: int
    errors: list[str] = field(default_factory=list)  # page builders that failed (their page says so)
    notes: list[str] = field(default_factory=list)  # optional tables that were absent

    @property
    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.pages) + self.plotlyjs_bytes

    @property
    def largest_page(self) -> PageReport | None:
        return max(self.pages, key=lambda p: p.bytes, default=None)

    def summary(self) -> str:
        big = self.largest_page
        return (
            f"{len(self.pages)} pages, {self.total_bytes / 1e6:.1f} MB with plotly.js, "
            f"largest {big.path if big else '-'} {big.bytes / 1e3 if big else 0:.0f} kB, {self.seconds:.1f} s"
            + (f"; {len(self.errors)} page(s) failed" if self.errors else "")
        )


def plotly_js_source() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / PLOTLY_JS))


def build_site(
    warehouse_path: Path,
    out_dir: Path,
    as_of: date,
    gx_docs_index: Path | None = None,
    *,
    strict: bool = False,
    validate_figures: bool = False,
) -> SiteReport:
    """Read the warehouse and (re)write the site at ``out_dir`` atomically.

    ``strict``: a page builder's exception propagates (tests); otherwise that
    page says it failed, the error is in ``SiteReport.errors`` and the rest of
    the site is still written. ``validate_figures``: run plotly's full
    validation over every figure (slow; tests).
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _restore_after_crash(out_dir)
    tmp = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    _remove(tmp)
    tmp.mkdir()
    try:
        reports, errors, notes = _write_pages(warehouse_path, out_dir, tmp, as_of, gx_docs_index, strict, validate_figures)
        js = tmp / PLOTLY_JS
        source = plotly_js_source()
        if source.is_file():
            shutil.copyfile(source, js)
        else:  # pragma: no cover - plotly's wheel ships the file; this is the API's way to it
            from plotly.offline import get_plotlyjs

            js.write_text(get_plotlyjs(), encoding="utf-8")
        plotlyjs_bytes = js.stat().st_size
        _fsync_tree(tmp)
        _swap(tmp, out_dir)
    except BaseException:
        _remove(tmp)
        raise
    return SiteReport(out_dir, reports, time.perf_counter() - started, plotlyjs_bytes, errors, notes)


def _write_pages(warehouse_path, out_dir, tmp, as_of, gx_docs_index, strict, validate_figures):
    reports: list[PageReport] = []
    errors: list[str] = []
    with SiteData(Path(warehouse_path), as_of) as data:
        gx_href, gx_results = None, None
        if gx_docs_index is not None:
            gx_docs_index = Path(gx_docs_index).absolute()
            if gx_docs_index.exists():  # a relative link, so the site can be copied with its home
                gx_href = Path(os.path.relpath(gx_docs_index, out_dir)).as_posix()
            gx_results = gx_docs_index.parent / ".validation_results"
        ctx = SiteContext(data=data, as_of=as_of, gx_docs_href=gx_href, gx_results_dir=gx_results)
        validate = charts.validate if validate_figures else None
        for key, builder in PAGE_BUILDERS:
            try:
                pages = builder(ctx)
            except Exception as exc:
                if strict:
                    raise
                errors.append(f"{key}: {type(exc).__name__}: {exc}")
                pages = [_failed_page(ctx, key, traceback.format_exc())]
            for page in pages:
                markup = page.render(footer=ctx.footer("../" * page.path.count("/")), validate=validate)
                path = tmp / page.path
                path.parent.mkdir(parents=True, exist_ok=True)
                raw = markup.encode("utf-8")
                path.write_bytes(raw)
                reports.append(PageReport(page.path, len(raw), len(page.charts)))
        notes = [f"table {t} absent" for t in ("rectification_items", "staffing_advice", "staffing_peaks") if not data.has(t)]
    return reports, errors, notes


_FAILED_PATHS = {
    "overview": "index.html",
    "windows": "windows.html",
    "departments": "departments.html",
    "queues": "queues.html",
    "rectification": "rectification.html",
    "staffing": "staffing.html",
    "quality": "quality.html",
}


def _failed_page(ctx: SiteContext, key: str, trace: str) -> Page:
    page = ctx.new_page(_FAILED_PATHS[key], key, Bi("此页生成失败", "This page failed to build"))
    last = trace.strip().splitlines()[-1] if trace.strip() else ""
    page.empty(
        Bi(
            f"生成本页时出错，其余页面不受影响。请把下面的错误告诉维护人员：{last}",
            f"Building this page failed; the other pages are fine. Tell the maintainers: {last}",
        )
    )
    return page


def _fsync_tree(root: Path) -> None:
    """Every file on disk before the swap. A city site has ~820 files: one
    fsync after another waits for ~820 journal commits, several in flight
    share them (fsync releases the GIL)."""
    paths = [os.path.join(dirpath, name) for dirpath, _dirs, files in os.walk(root) for name in files]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_file, paths))


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap(new: Path, out_dir: Path) -> None:
    """Put ``new`` at ``out_dir``; the old site is removed only after, by a
    thread (``_remove_old_site``): the pages are on disk (fsync), and on a
    file system mounted with ``discard`` unlinking ~820 such files takes
    seconds of waiting on the disk that the caller need not spend."""
    _wait_for_old_site_removal()
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    _remove(old)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(new, out_dir)
    global _old_site_removal
    _old_site_removal = threading.Thread(target=_remove_old_site, args=(old, out_dir), name="remove-old-site")
    _old_site_removal.start()  # not a daemon: the interpreter waits for it before exiting


_old_site_removal: threading.Thread | None = None


def _wait_for_old_site_removal() -> None:
    """The previous build's removal is over (a build reuses its directory names)."""
    if _old_site_removal is not None:
        _old_site_removal.join()


def _remove_old_site(old: Path, out_dir: Path) -> None:
    """The site just replaced, and leftovers of crashed builds. A process
    killed meanwhile leaves ``.<name>.old-<pid>``, which the next build
    removes as a leftover (its pid is dead)."""
    _remove(old)
    for stale in out_dir.parent.glob(f".{out_dir.name}.*-*"):
        if stale.name.rsplit("-", 1)[-1].isdigit() and not _alive(int(stale.name.rsplit("-", 1)[-1])):
            _remove(stale)


def _restore_after_crash(out_dir: Path) -> None:
    """A build killed between its two renames leaves the old site as
    ``.<name>.old-<pid>`` and no ``out_dir``: put it back."""
    if out_dir.exists():
        return
    for old in sorted(out_dir.parent.glob(f".{out_dir.name}.old-*")):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)) and (old / "index.html").exists():
            os.replace(old, out_dir)
            return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
