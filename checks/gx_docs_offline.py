"""Make GX's Data Docs readable on a machine without internet.

GX 1.x writes every Data Docs page with jQuery, Bootstrap, bootstrap-table,
Vega and Font Awesome loaded from public CDNs. On a government intranet those
requests hang or fail: the validation pages lose their styling, and the index
page, whose list of validations is drawn by bootstrap-table, shows nothing at
all. So after each build the pages it wrote lose their remote tags and get a
small style of their own, and the index is written again as a plain table
read from the stored results (newest first), which needs no script.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from assets.atomic_files import write_text_atomic
from assets.ingest.contract import DAILY_SOURCES

OFFLINE_MARK = "<!-- windowwatch: offline -->"
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)
_REMOTE_TAG = re.compile(r"<(?:link|img)\b[^>]*\b(?:href|src)=[\"']https?://[^>]*>", re.IGNORECASE)
_SHANGHAI = timezone(timedelta(hours=8))
_STYLE = """<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ww-bad { color: #b00020; font-weight: bold; }
.ww-good { color: #1b7a1b; }
</style>"""


def offline_page(page: str) -> str:
    """One Data Docs page without the tags that would fetch from the internet,
    with a local style instead (a page already done is returned as it is)."""
    if OFFLINE_MARK in page:
        return page
    page = _REMOTE_SCRIPT.sub("", page)
    page = _REMOTE_TAG.sub("", page)
    return page.replace("</head>", f"{OFFLINE_MARK}\n{_STYLE}\n</head>", 1)


def make_pages_offline(docs_dir: Path, since: float) -> int:
    """Rewrite the pages of ``docs_dir`` written at or after ``since`` (a
    build writes its own pages and leaves the older ones, already done);
    the number rewritten."""
    done = 0
    for sub in ("validations", "expectations"):
        for path in (docs_dir / sub).rglob("*.html"):
            if path.stat().st_mtime < since:
                continue
            text = path.read_text(encoding="utf-8")
            new = offline_page(text)
            if new != text:
                write_text_atomic(path, new)
                done += 1
    return done


def write_offline_index(docs_dir: Path, results_dir: Path, limit: int) -> Path:
    """The index page: per source, its ``limit`` newest validations with the
    data days, the time, the result and a link to the page; then the suites."""
    rows_by_source: dict[str, list[str]] = {}
    for source_dir in sorted(p for p in results_dir.iterdir() if p.is_dir()) if results_dir.is_dir() else []:
        stored = sorted(source_dir.glob("*/*/*.json"), key=lambda f: f.parent.name, reverse=True)[:limit]
        rows_by_source[source_dir.name] = [_result_row(docs_dir, results_dir, f) for f in stored]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>数据校验报告 Data Docs · WindowWatch</title>",
        OFFLINE_MARK,
        _STYLE,
        "</head><body>",
        "<h1>数据校验报告 Great Expectations Data Docs</h1>",
        "<p>每个来源最近的校验，最新的在前；点“查看”打开该次校验的详细结果。"
        " Each source's latest validations, newest first; “查看 view” opens one.</p>",
    ]
    for source, rows in rows_by_source.items():
        known = DAILY_SOURCES.get(source)
        parts.append(f"<h2>{html.escape(f'{known.zh} {source}' if known else source)}</h2>")
        parts.append(
            "<table><tr><th>数据日期 Data days</th><th>校验时间 Validated at</th>"
            "<th>结果 Result</th><th>通过的期望 Expectations met</th><th></th></tr>"
        )
        parts.extend(rows)
        parts.append("</table>")
    suites = sorted((docs_dir / "expectations").glob("*.html")) if (docs_dir / "expectations").is_dir() else []
    if suites:
        parts.append("<h2>校验规则 Expectation suites</h2><ul>")
        parts.extend(f'<li><a href="{_href(docs_dir, p)}">{html.escape(p.stem)}</a></li>' for p in suites)
        parts.append("</ul>")
    parts.append("</body></html>")
    index = docs_dir / "index.html"
    write_text_atomic(index, "\n".join(parts) + "\n")
    return index


def _result_row(docs_dir: Path, results_dir: Path, stored: Path) -> str:
    run_name, run_time = stored.parent.parent.name, stored.parent.name
    # a run named after its source alone validated an empty table (no new file that night)
    days = run_name.split("-", 1)[1] if "-" in run_name else "当晚没有新文件 no new file"
    try:
        doc = json.loads(stored.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    stats = doc.get("statistics") or {}
    if "success" not in doc:
        result = "—"
    elif doc["success"]:
        result = '<span class="ww-good">通过 passed</span>'
    else:
        result = '<span class="ww-bad">未通过 failed</span>'
    met = f"{stats.get('successful_expectations', '—')} / {stats.get('evaluated_expectations', '—')}"
    page = docs_dir / "validations" / stored.relative_to(results_dir).with_suffix(".html")
    view = f'<a href="{_href(docs_dir, page)}">查看 view</a>' if page.is_file() else ""
    return (
        f"<tr><td>{html.escape(days)}</td><td>{html.escape(_shown_time(run_time))}</td>"
        f"<td>{result}</td><td>{html.escape(met)}</td><td>{view}</td></tr>"
    )


def _shown_time(run_time: str) -> str:
    """GX's run time folder (20261207T025406.053999Z, UTC) in Beijing time."""
    try:
        when = datetime.strptime(run_time, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return run_time
    return when.astimezone(_SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _href(docs_dir: Path, page: Path) -> str:
    return html.escape(page.relative_to(docs_dir).as_posix(), quote=True)

