"""`windowwatch`: the command line of ../shared/spec/cli.md.

Every command that computes runs the one Dagster job in-process (runner.py).
A user's mistake ends with one line on stderr and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

EXIT_USAGE = 2
EXIT_RUN_FAILED = 1


class UserError(Exception):
    """A mistake of the person at the keyboard: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line instead of usage + error
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _update_status(text: str) -> str:
    """The contract's status code for ``--status``: the code or the word the
    lists use for it (UPDATE_STATUS), any letter case."""
    # imported here: polars comes with the contract, and only rectify needs it
    from assets.ingest.contract import UPDATE_STATUS

    words = {**{c: c for c in UPDATE_STATUS}, **{zh: c for c, zh in UPDATE_STATUS.items()}}
    code = words.get(text.strip().lower())
    if code is None:
        raise argparse.ArgumentTypeError(
            f"整改状态只能是 resolved / in_progress / disputed（已整改 / 整改中 / 申诉）: {text!r}"
        )
    return code


def _home(args) -> Path:
    return Path(args.home or os.environ.get("WINDOWWATCH_HOME") or "./var").resolve()


def _as_of(args) -> date:
    from pipelines.clock import PARTITION_START, yesterday_in_shanghai  # not pipelines.resources: that imports Dagster

    yesterday = yesterday_in_shanghai()
    as_of = args.as_of or yesterday
    if as_of < date.fromisoformat(PARTITION_START):  # Dagster would refuse the partition range with a traceback
        raise UserError(
            f"--as-of {as_of.isoformat()} 早于最早可处理日期 {PARTITION_START} "
            f"(--as-of must be {PARTITION_START} or later)"
        )
    # A mistyped year would publish every item as escalated and leave
    # department lists dated in the future, which the 31-day clean-up keeps.
    today = yesterday + timedelta(days=1)
    if as_of > today:
        raise UserError(
            f"--as-of {as_of.isoformat()} 晚于今天 {today.isoformat()}（上海时间），请检查日期 "
            f"(--as-of is after today in Asia/Shanghai)"
        )
    return as_of


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="windowwatch", description="政务服务中心窗口督查考评 WindowWatch")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_home(p):
        p.add_argument("--home", help="home folder (default: $WINDOWWATCH_HOME or ./var)")
        return p

    demo = with_home(sub.add_parser("demo", help="write a sample inbox (one hall, 90 days) and run everything on it"))
    demo.add_argument("--as-of", type=_iso_date, help="last day of the sample (default: yesterday, Asia/Shanghai)")

    run = with_home(sub.add_parser("run", help="load new or changed inbox files, score, publish"))
    run.add_argument("--inbox", help="inbox folder (default: HOME/inbox)")
    run.add_argument(
        "--as-of", type=_iso_date,
        help="YYYY-MM-DD, from 2015-01-01 to today (default: yesterday, Asia/Shanghai)",
    )
    run.add_argument(
        "--config",
        help="method config YAML for this run only (default: HOME/config.yaml if it exists, which the nightly"
        " schedule uses too; else the shipped one)",
    )

    export = sub.add_parser("export", help="write a CSV/XLSX export").add_subparsers(
        dest="what", required=True, parser_class=_Parser
    )
    quality = with_home(export.add_parser("quality", help="one row per inbox file"))
    quality.add_argument("--out", required=True, help="FILE.csv")
    quarantine = with_home(export.add_parser("quarantine", help="one row per quarantined row"))
    quarantine.add_argument("--out", required=True, help="FILE.csv")
    rect = with_home(export.add_parser("rectification", help="the ledger (CSV) or a department's list (XLSX)"))
    rect.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
    rect.add_argument("--dept", help="only this department's items")
    staffing = with_home(export.add_parser("staffing", help="the weekly staffing plan (XLSX) of a hall"))
    staffing.add_argument("--out", required=True, help="FILE.xlsx")
    staffing.add_argument("--hall", help="hall_id (needed when there are several halls)")
    scores = with_home(export.add_parser("scores", help="the scores CSV: one row per (period, hall, window)"))
    scores.add_argument("--period", required=True, choices=["day", "month"], help="one row per window and day, or month")
    scores.add_argument("--out", required=True, help="FILE.csv")

    rectify = with_home(sub.add_parser("rectify", help="record a department's reply on an item"))
    rectify.add_argument("item_id", help="整改编号, RX-…")
    rectify.add_argument("--status", required=True, type=_update_status, metavar="resolved|in_progress|disputed",
                         help="or 已整改 / 整改中 / 申诉")
    rectify.add_argument("--note", required=True, help="整改情况: what was done")
    rectify.add_argument("--by", required=True, help="填报人: who records it")
    rectify.add_argument(
        "--on", type=_iso_date,
        help="date of the update, not before the item was found nor after today (default: today; counts"
        " from the run whose as-of date is that day)",
    )

    ui = with_home(sub.add_parser("ui", help="the Dagster web UI on 127.0.0.1 (nightly schedule included)"))
    ui.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default: 3000)")
    return parser


def cmd_run(args, home: Path) -> int:
    as_of = _as_of(args)
    inbox = Path(args.inbox).resolve() if args.inbox else home / "inbox"
    if not inbox.is_dir():
        raise UserError(f"收件箱不存在 inbox does not exist: {inbox}")
    config = args.config or ""
    check_config_of(home, config)
    return run_and_report(home, inbox, as_of, config)


def check_config_of(home: Path, config: str) -> Path | None:
    """The method config a run on ``home`` will use (``--config``, else the
    home's config.yaml, else none), refused here if it is bad."""
    from pipelines.resources import WindowWatchHome

    path = WindowWatchHome(home=str(home), config_path=config).method_config_file
    if path is not None:
        check_config(path)
    return path


def check_config(path: Path) -> None:
    """Refuse a bad config before anything runs, naming the key and reason."""
    from assets.method_config import ConfigError, load_config

    if not path.is_file():
        raise UserError(f"配置文件不存在 config file not found: {path}")
    try:
        load_config(path)
    except ConfigError as exc:
        # a key's error names the key; a file's error (unreadable, not YAML) names the file already
        where = f"{path}: " if exc.key else ""
        raise UserError(f"配置有误 bad config {where}{exc}") from None


def run_and_report(home: Path, inbox: Path, as_of: date, config: str) -> int:
    # The lock is taken before the heavy imports, so that a second run on a
    # busy home stops at once.
    with holding_home(home):
        return _run_holding_home(home, inbox, as_of, config)


@contextmanager
def holding_home(home: Path):
    """run_lock.hold_home, a busy or unusable home refused in one line.
    Nothing inside the block raises HomeBusy or HomeUnusable."""
    from pipelines.run_lock import HomeBusy, HomeUnusable, hold_home

    try:
        with hold_home(home):
            yield
    except (HomeBusy, HomeUnusable) as exc:
        raise UserError(str(exc)) from None


@contextmanager
def run_children():
    """The GX and site child processes of a run (checks/gx_process.py,
    dashboards/site_process.py), as ``(gx, site)`` resources; closed (waited
    for) on leaving. Enter before the heavy imports: the children import GX
    and the site's modules on the other core meanwhile, and wait for their step."""
    from checks.gx_process import GxChildProcess
    from dashboards.site_process import SiteChildProcess

    gx = GxChildProcess()
    try:
        site = SiteChildProcess()
        try:
            yield gx, site
        finally:
            site.close()
    finally:
        gx.close()


def _run_graph(home: Path, inbox: Path, as_of: date, config: str):
    with run_children() as (gx, site):
        from pipelines.resources import WindowWatchHome
        from pipelines.runner import run_graph_holding_home

        used = WindowWatchHome(home=str(home), config_path=config).method_config_file
        print(f"WindowWatch: 处理 {inbox} （截至 {as_of.isoformat()}，方法配置 config: {used or '默认 shipped defaults'}）", file=sys.stderr)
        return run_graph_holding_home(home, inbox, as_of, config, gx=gx, site=site)


def _run_holding_home(home: Path, inbox: Path, as_of: date, config: str) -> int:
    from pipelines.summary import print_summary

    outcome = _run_graph(home, inbox, as_of, config)
    print_summary(home, outcome)
    return 0 if outcome.success else EXIT_RUN_FAILED


def cmd_demo(args, home: Path) -> int:
    as_of = _as_of(args)
    inbox = home / "inbox"
    updates = inbox / "rectification_updates"
    # The lock before the inbox: writing it clears the dated files a run
    # holding the home may be reading.
    with holding_home(home):
        from assets.calendar import WorkCalendar
        from pipelines.demo_inbox import write_inbox
        from assets.rectification.list_publish import published_lists
        from pipelines.demo_replies import clear_demo_replies, fill_department_lists
        from pipelines.resources import WindowWatchHome
        from pipelines.summary import print_summary

        print(f"生成示例收件箱 writing the demo inbox: {inbox}", file=sys.stderr)
        write_inbox(inbox, as_of)
        clear_demo_replies(updates)
        first = _run_graph(home, inbox, as_of, "")
        if not first.success:
            print_summary(home, first)
            return EXIT_RUN_FAILED
        # The departments answer the lists the first run sent them, and the
        # second run reads the answers as a night would.
        lists = published_lists(WindowWatchHome(home=str(home)).rectification_dir, as_of)
        filled = fill_department_lists(lists, updates, as_of, WorkCalendar())
        print(
            f"各部门填报整改清单 departments answer their lists: {filled.files} 个文件 files，"
            f"{filled.rows:,} 条反馈 replies → {updates}",
            file=sys.stderr,
        )
        second = _run_graph(home, inbox, as_of, "")
        # the days the demo loaded are the first run's; the second read only the replies
        loaded = {"partition_start": first.partition_start, "partition_end": first.partition_end, "days_changed": first.days_changed}
        print_summary(home, replace(second, **loaded))
        return 0 if second.success else EXIT_RUN_FAILED


def _cannot_write(out: Path, reason: str) -> str:
    return f"无法写入 cannot write {out}: {reason}"


CSV_EXPORTS = ("quality", "quarantine", "scores")
EXCEL_SUFFIXES = (".xlsx", ".xls", ".xlsm")


def cmd_export(args, home: Path) -> int:
    import duckdb
    from xlsxwriter.exceptions import FileCreateError

    from pipelines import exports
    from pipelines.rectify import UpdateRefused, export_rectification
    from pipelines.resources import WindowWatchHome, warehouse_of

    warehouse = warehouse_of(WindowWatchHome(home=str(home)))
    writers = {
        "quality": lambda out: exports.export_quality(warehouse, out),
        "quarantine": lambda out: exports.export_quarantine(warehouse, out),
        "scores": lambda out: exports.export_scores(warehouse, args.period, out),
        "rectification": lambda out: export_rectification(warehouse, out, args.dept),
        "staffing": lambda out: exports.export_staffing(warehouse, out, args.hall),
    }
    out = Path(args.out)
    if args.what in CSV_EXPORTS and out.suffix.lower() in EXCEL_SUFFIXES:  # Excel would refuse CSV text under that name
        raise UserError(f"export {args.what} 导出的是 CSV，请用 .csv 结尾 (writes CSV: name the file .csv): {out}")
    if out.is_dir():  # refused before writing: the writers would leave their temporary file beside it
        raise UserError(_cannot_write(out, os.strerror(errno.EISDIR)))
    try:
        written = writers[args.what](out)
    except (exports.NothingToExport, UpdateRefused) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(_cannot_write(out, exc.strerror or str(exc))) from None
    except FileCreateError as exc:  # xlsxwriter's wrapper of the OSError
        cause = exc.args[0] if exc.args else exc
        raise UserError(_cannot_write(out, getattr(cause, "strerror", None) or str(cause))) from None
    except duckdb.IOException as exc:
        # DuckDB writes the ledger CSV (COPY); its message names the file it could not open
        raise UserError(f"导出失败 export to {out} failed: {str(exc).splitlines()[0]}") from None
    print(written)
    return 0


def cmd_rectify(args, home: Path) -> int:
    from pipelines.rectify import UpdateRefused, record_update
    from pipelines.clock import today_in_shanghai

    today = today_in_shanghai()
    on = args.on or today
    if on > today:  # a mistyped year would sit unseen until then, and then outrank later answers
        raise UserError(f"--on {on.isoformat()} 晚于今天 {today.isoformat()} (--on must not be after today)")
    try:
        with holding_home(home):
            record_update(home / "ledger" / "ledger.duckdb", args.item_id, args.status, args.note, args.by, on)
    except UpdateRefused as exc:
        raise UserError(str(exc)) from None
    print(f"已记录 recorded: {args.item_id} → {args.status}（{on.isoformat()}）；截至该日及以后的运行生效 (applies to runs as of {on.isoformat()} or later)")
    return 0


def cmd_ui(args, home: Path) -> int:
    import signal
    import subprocess

    from pipelines.runner import instance_dir, open_instance

    # the schedule's runs read the home's config: a bad one is refused now, not at 01:30
    check_config_of(home, "")
    try:
        open_instance(home)  # makes HOME/dagster and writes its dagster.yaml
    except OSError as exc:
        from pipelines.run_lock import home_unusable

        raise UserError(str(home_unusable(home, exc))) from None
    env = {**os.environ, "DAGSTER_HOME": str(instance_dir(home)), "WINDOWWATCH_HOME": str(home)}
    workspace = Path(__file__).resolve().parent.parent / "workspace.yaml"
    cmd = [sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(args.port)]
    cmd += ["-w", str(workspace)] if workspace.exists() else ["-m", "pipelines.definitions"]
    print(f"Dagster UI: http://127.0.0.1:{args.port}  (Ctrl-C 退出)", file=sys.stderr)
    dev = subprocess.Popen(cmd, env=env)
    # `kill` of this command (a service manager stopping it) stops dagster dev
    # too, which stops its web server and daemon; left alone they would keep
    # running the nightly schedule with no `windowwatch ui` to be seen.
    signal.signal(signal.SIGTERM, lambda *_: dev.terminate())
    try:
        return dev.wait()
    except KeyboardInterrupt:  # Ctrl-C reached dagster dev as well: let it shut down
        dev.wait()
        return 0


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "export": cmd_export, "rectify": cmd_rectify, "ui": cmd_ui}


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore")
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, _home(args))
    except UserError as exc:
        print(f"windowwatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("windowwatch: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The console script: ``main`` with the collector tuned for a process
    that ends with the command (pipelines.process_gc)."""
    from pipelines.process_gc import collect_less_often, skip_collection_at_exit

    collect_less_often()
    code = main()
    skip_collection_at_exit()
    sys.exit(code)


if __name__ == "__main__":
    entry()
