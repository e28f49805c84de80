"""Time WindowWatch on a benchmark inbox: the floor, a full rebuild per stage,
one nightly day on top, peak memory, dashboard page sizes.

    python benchmarks/run.py --inbox var/bench/hq/inbox --work var/bench/hq/work \\
        --repeat 3 --incremental --json var/bench/hq/result.json

1. Floor: every inbox file (reference and daily) read once with the plainest
   fast reader and nothing else: Parquet ``pl.read_parquet``, XLSX
   ``pl.read_excel`` (calamine), CSV ``pl.read_csv`` with every column as text
   (GB18030 files decoded first: ``bytes.decode("gb18030")``). Measured
   serially and with one process per core; the floor is the faster of the two.
   The files are read once, untimed, beforehand, so the page cache is as warm
   for the floor as it is for the pipeline.
2. Full rebuild: a fresh home per repetition (HOME/inbox is a hard-link copy
   of the inbox), ``pipelines.runner.run_graph`` in a child process (so its
   peak RSS is its own). Each step's start and end come from the run's step
   stats in HOME/dagster; steps are grouped into stages.
3. With --incremental the full rebuild leaves out the last export day
   (as-of = the day before it); then that day's files are linked into
   HOME/inbox and ``windowwatch run --home HOME --as-of LAST`` is timed end to
   end as a child process (interpreter start, imports, Dagster start-up and
   the summary included), with its stages.
4. A table per stage (median seconds and share of the median wall time), the
   slowest steps, the ratio full / floor, peak RSS, the targets of issue 6,
   and a JSON record (--json).

Timings on a shared machine are noisy: the record keeps the load average
before and after every run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAILY_SOURCES = ("attendance", "leave", "cases", "queue", "monitoring", "ratings", "callbacks")
DATA_SUFFIXES = (".csv", ".xlsx", ".parquet")
GIB = 2**30
MIB = 2**20

# Issue 6's targets (on this 2-core machine, at city-year).
TARGET_FULL_RATIO = 2.5
TARGET_INCREMENTAL_S = 20.0
TARGET_PEAK_BYTES = 4 * GIB
TARGET_DASHBOARDS_S = 30.0
TARGET_PAGE_BYTES = 5 * 10**6

STAGES = ("stage", "gx", "warehouse", "score", "rules", "staffing", "publish", "other")
STAGE_LABELS = {
    "stage": "read+stage: *_staged, reference_data",
    "gx": "read+stage: GX checks",
    "warehouse": "warehouse: cases_current, source_tables, callbacks, ingest_quality",
    "score": "score: scores",
    "rules": "rules: found_items, rectification_ledger",
    "staffing": "staffing: staffing_*",
    "publish": "publish: dashboards beside rectification_lists (one step)",
    "other": "other steps",
}


def stage_of(step: str) -> str:
    if "_gx_suite" in step:  # staged_sources_gx_suites, or one step per suite in older records
        return "gx"
    if step.endswith("_staged") or step == "reference_data":
        return "stage"
    if step in ("cases_current", "source_tables", "callbacks") or step.startswith("ingest_quality"):
        return "warehouse"
    if step == "scores":
        return "score"
    # the lists and the site: one step, publications (two, in older records)
    if step in ("publications", "dashboards", "rectification_lists"):
        return "publish"
    if step.startswith("found_items") or step.startswith("rectification_"):  # found_items: the one step of the eight finders
        return "rules"
    if step.startswith("staffing_"):
        return "staffing"
    return "other"


# ---------------------------------------------------------------------------
# Inbox files


def inbox_files(inbox: Path) -> list[Path]:
    """Every data file the pipeline could read: reference/ and the daily folders."""
    files = []
    for folder in ("reference", *DAILY_SOURCES):
        d = inbox / folder
        if d.is_dir():
            files += sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
                            and not p.name.startswith((".", "~$")))
    return files


def file_day(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem[:10])
    except ValueError:
        return None


def last_export_day(inbox: Path) -> date:
    days = [file_day(p) for p in inbox_files(inbox) if p.parent.name in DAILY_SOURCES]
    days = [d for d in days if d is not None]
    if not days:
        raise SystemExit(f"no daily files in {inbox}")
    return max(days)


def link_tree(src: Path, dst: Path, keep=lambda p: True) -> int:
    """Hard-link (copy across file systems) every file of src under dst."""
    n = 0
    for path in src.rglob("*"):
        if not path.is_file() or not keep(path):
            continue
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            continue
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        n += 1
    return n


# ---------------------------------------------------------------------------
# The floor


def _is_utf8(raw: bytes) -> bool:
    if raw.startswith(b"\xef\xbb\xbf"):
        return True
    head = raw[:1 << 16]
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # cut inside the last character


def read_plain(path: Path) -> int:
    """Read one file with no validation; return its row count."""
    import polars as pl

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path).height
    if suffix == ".xlsx":
        return pl.read_excel(path, engine="calamine", infer_schema_length=0).height
    raw = path.read_bytes()
    if not _is_utf8(raw):
        raw = raw.decode("gb18030").encode("utf-8")
    return pl.read_csv(raw, infer_schema=False).height


def _read_chunk(paths: list[str]) -> int:
    return sum(read_plain(Path(p)) for p in paths)


def warm_cache(files: list[Path]) -> None:
    for p in files:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def measure_floor(files: list[Path], workers: int) -> dict:
    started = time.perf_counter()
    rows = _read_chunk([str(p) for p in files])
    serial = time.perf_counter() - started
    parallel = None
    if workers > 1:
        # Largest files first, dealt round-robin, so the workers finish together.
        ordered = sorted(files, key=lambda p: p.stat().st_size, reverse=True)
        chunks = [[str(p) for p in ordered[i::workers]] for i in range(workers)]
        # spawn: forking a process whose polars thread pool is running can deadlock
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(int, 0).result()  # workers started before the clock
            list(pool.map(_read_chunk, [[] for _ in range(workers)]))  # polars imported too
            started = time.perf_counter()
            got = sum(pool.map(_read_chunk, chunks))
            parallel = time.perf_counter() - started
        assert got == rows, (got, rows)
    return {"serial_s": round(serial, 3), "parallel_s": round(parallel, 3) if parallel else None, "rows": rows,
            "load_after": os.getloadavg()[0]}


# ---------------------------------------------------------------------------
# Child processes: peak memory and timing


def _proc_tree_rss(root: int) -> int:
    """RSS (bytes) of root and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(entry)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_child(cmd: list[str], env: dict, timeout: float | None, log: Path, max_rss: int | None = None) -> dict:
    """Run cmd; wall time, exit code, peak RSS of the child (wait4's ru_maxrss,
    the largest single process) and peak total RSS of its process tree
    (sampled every 0.2 s; the samples are kept, one a second, to give each
    step its peak). The child is killed after `timeout` seconds, or as soon as
    its tree holds more than `max_rss` bytes (so that a runaway step cannot
    push a shared machine into the kernel's OOM killer)."""
    load_before = os.getloadavg()[0]
    samples: list[tuple[float, int]] = []
    killed_for: list[str] = []

    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        peak_tree = 0
        stop = threading.Event()

        def kill(reason: str) -> None:
            if not killed_for:
                killed_for.append(reason)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def sample():
            nonlocal peak_tree
            last_kept = 0.0
            while not stop.is_set():
                rss = _proc_tree_rss(proc.pid)
                now = time.time()
                peak_tree = max(peak_tree, rss)
                if now - last_kept >= 1.0 or (samples and rss > samples[-1][1] * 1.2):
                    samples.append((round(now, 2), rss))
                    last_kept = now
                if max_rss and rss > max_rss:
                    kill(f"memory: process tree over {max_rss / GIB:.1f} GiB")
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = None
        if timeout:
            timer = threading.Timer(timeout, kill, args=(f"timeout: {timeout:.0f} s",))
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        ended_at = time.time()
        if timer:
            timer.cancel()
        stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": round(wall, 3),
        "ended_at": ended_at,
        "exit_code": proc.returncode,
        "killed": killed_for[0] if killed_for else (f"signal {-proc.returncode}" if proc.returncode < 0 else None),
        "timed_out": bool(killed_for and killed_for[0].startswith("timeout")),
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "peak_tree_rss_bytes": peak_tree,
        # CPU and minor page faults of the command and of the children it
        # waited for (GX's, the site's): on a shared machine the work done
        # varies less than the wall time it took
        "cpu_user_s": round(usage.ru_utime, 2),
        "cpu_sys_s": round(usage.ru_stime, 2),
        "minor_faults": usage.ru_minflt,
        "rss_samples": samples,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "log": str(log),
    }


def step_peaks(steps: dict, samples: list[tuple[float, int]]) -> None:
    """Each step's peak sampled RSS (of the whole run process), in place."""
    for info in steps.values():
        start, end = info["start"], info["start"] + info["seconds"]
        inside = [rss for t, rss in samples if start - 0.25 <= t <= end + 0.25]
        info["peak_rss_bytes"] = max(inside) if inside else None


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("WINDOWWATCH_HOME", "DAGSTER_HOME")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


# The job the multiprocess child reconstructs in each step process.
def bench_job():
    from pipelines.definitions import build_definitions

    defs = build_definitions(os.environ["WW_BENCH_HOME"], inbox=os.environ["WW_BENCH_INBOX"],
                             as_of=os.environ["WW_BENCH_AS_OF"])
    return defs.resolve_job_def("windowwatch_nightly")


def child_full(home: Path, inbox: Path, as_of: date, result: Path, executor: str, workers: int) -> int:
    """In the child process: one full run of the graph, with the collector
    tuned as the console script tunes it (pipelines.cli.entry)."""
    import warnings

    from pipelines.process_gc import collect_less_often, skip_collection_at_exit

    warnings.filterwarnings("ignore")
    collect_less_often()
    t0 = time.perf_counter()
    if executor == "in_process":
        from pipelines.cli import run_children

        with run_children() as (gx, site):  # as the command line starts them, before the heavy imports
            from pipelines.runner import run_graph

            t1 = time.perf_counter()
            outcome = run_graph(home, inbox, as_of, progress=False, gx=gx, site=site)
        success, run_id, failures = outcome.success, outcome.run_id, outcome.failures
    else:
        import dagster as dg

        from pipelines.planning import changed_days, partition_range, range_tags
        from pipelines.run_lock import hold_home
        from pipelines.runner import open_instance

        t1 = time.perf_counter()
        os.environ.update(WW_BENCH_HOME=str(home), WW_BENCH_INBOX=str(inbox), WW_BENCH_AS_OF=as_of.isoformat())
        with hold_home(home):
            instance = open_instance(home)
            days = changed_days(inbox, home / "staged", home / "staged" / "_reference", as_of)
            start, end = partition_range(days, as_of)
            with dg.execute_job(
                dg.reconstructable(bench_job),
                instance=instance,
                tags={**range_tags(start, end), "windowwatch/as_of": as_of.isoformat()},
                run_config={"execution": {"config": {"multiprocess": {"max_concurrent": workers}}}},
                raise_on_error=False,
            ) as res:
                success, run_id = res.success, res.run_id
                failures = [e.step_key for e in res.all_events if e.event_type_value == "STEP_FAILURE"]
    t2 = time.perf_counter()
    result.write_text(json.dumps({"success": success, "run_id": run_id, "failures": failures,
                                  "import_s": round(t1 - t0, 3), "run_call_s": round(t2 - t1, 3)}))
    skip_collection_at_exit()
    return 0


# ---------------------------------------------------------------------------
# Reading a run's steps back from its instance


def run_steps(home: Path, run_id: str | None, ended_at: float | None = None) -> dict:
    import dagster as dg

    folder = home / "dagster"
    if not (folder / "dagster.yaml").exists():
        return {"run_id": run_id, "steps": {}, "run_s": None}
    with dg.DagsterInstance.from_config(str(folder)) as instance:
        if run_id is None:  # killed: the newest run
            runs = instance.get_runs(limit=1)
            if not runs:
                return {"run_id": None, "steps": {}, "run_s": None}
            run_id = runs[0].run_id
        now = ended_at or time.time()  # a killed run's steps end when its process did
        steps, running = {}, []
        for s in instance.get_run_step_stats(run_id):
            if s.start_time is None:
                continue
            end = s.end_time
            if end is None:
                running.append(s.step_key)
                end = now
            steps[s.step_key] = {"start": s.start_time, "seconds": round(end - s.start_time, 3),
                                 "status": s.status.value if s.status else None}
        stats = instance.get_run_stats(run_id)
        run_s = None
        if stats.start_time and stats.end_time and not running:
            run_s = round(stats.end_time - stats.start_time, 3)
        elif stats.start_time:
            run_s = round(now - stats.start_time, 3)
        published = published_seconds(instance, run_id)
    return {"run_id": run_id, "steps": steps, "run_s": run_s, "unfinished_steps": running, "published_s": published}


# The publication step writes the lists while a child process builds the
# site; each says in its materialization how long it took.
PUBLISHED = ("dashboards", "rectification_lists")


def published_seconds(instance, run_id: str) -> dict:
    import dagster as dg

    out = {}
    for name in PUBLISHED:
        records = instance.fetch_materializations(dg.AssetKey(name), limit=1).records
        if records and records[0].run_id == run_id:
            seconds = records[0].asset_materialization.metadata.get("seconds")
            out[name] = getattr(seconds, "value", None)
    return out


def stage_totals(steps: dict) -> dict:
    totals = {s: 0.0 for s in STAGES}
    for key, info in steps.items():
        totals[stage_of(key)] += info["seconds"]
    return {k: round(v, 3) for k, v in totals.items()}


def dashboard_pages(home: Path) -> dict:
    folder = home / "dashboards"
    pages = sorted(folder.rglob("*.html")) if folder.is_dir() else []
    scripts = sorted(folder.rglob("*.js")) if folder.is_dir() else []
    return {
        "pages": {str(p.relative_to(folder)): p.stat().st_size for p in pages},
        "largest_page_bytes": max((p.stat().st_size for p in pages), default=0),
        "scripts": {str(p.relative_to(folder)): p.stat().st_size for p in scripts},
    }


# ---------------------------------------------------------------------------
# One repetition


def full_rebuild(args, i: int, inbox: Path, as_of: date, held_back: date | None) -> tuple[dict, Path]:
    home = args.work / f"home-{i}"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    keep = (lambda p: file_day(p) != held_back or p.parent.name not in DAILY_SOURCES) if held_back else (lambda p: True)
    link_tree(inbox, home / "inbox", keep)
    result = home.parent / f"home-{i}.child.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, "-W", "ignore", str(Path(__file__).resolve()), "--child-full", str(home), str(home / "inbox"),
           as_of.isoformat(), str(result), "--executor", args.executor, "--workers", str(args.workers)]
    measured = run_child(cmd, child_env(), args.timeout, args.work / f"home-{i}.full.log", max_rss(args))
    child = json.loads(result.read_text()) if result.exists() else {"success": False, "run_id": None}
    measured.update(child)
    measured.update(run_steps(home, child.get("run_id"), measured["ended_at"]))
    step_peaks(measured["steps"], measured["rss_samples"])
    measured["stages"] = stage_totals(measured["steps"])
    measured["dashboards"] = dashboard_pages(home)
    measured["home_bytes"] = sum(p.stat().st_size for p in home.rglob("*") if p.is_file() and "inbox" not in p.parts)
    return measured, home


def max_rss(args) -> int | None:
    return int(args.max_rss * GIB) if args.max_rss else None


def incremental(args, i: int, home: Path, inbox: Path, day: date) -> dict:
    link_tree(inbox, home / "inbox", lambda p: p.parent.name in DAILY_SOURCES and file_day(p) == day)
    cmd = [str(Path(sys.executable).with_name("windowwatch")), "run", "--home", str(home), "--as-of", day.isoformat()]
    if not Path(cmd[0]).exists():
        cmd = [sys.executable, "-m", "pipelines.cli", *cmd[1:]]
    measured = run_child(cmd, child_env(), args.timeout, args.work / f"home-{i}.incremental.log", max_rss(args))
    measured["success"] = measured["exit_code"] == 0 and not measured["killed"]
    measured.update(run_steps(home, None, measured["ended_at"]))
    step_peaks(measured["steps"], measured["rss_samples"])
    measured["stages"] = stage_totals(measured["steps"])
    measured["dashboards"] = dashboard_pages(home)
    return measured


# ---------------------------------------------------------------------------
# Report


def machine_info() -> dict:
    from importlib import metadata

    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    packages = {}
    for name in ("dagster", "duckdb", "polars", "pyarrow", "pandas", "numpy", "fastexcel", "great-expectations", "plotly"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_bytes": mem, "python": platform.python_version(),
            "platform": platform.platform(), "packages": packages, "load_average_at_start": os.getloadavg()}


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("success")] or runs
    steps = sorted({k for r in ok for k in r["steps"]})
    return {
        "runs": len(runs),
        "successful": sum(1 for r in runs if r.get("success")),
        "wall_s": median([r["wall_s"] for r in ok]),
        "run_s": median([r.get("run_s") for r in ok]),
        # per run, then the median: the stage medians below come from
        # different runs, so median run time minus their sum is no gap of its own
        "between_steps_s": median([r["run_s"] - sum(v or 0.0 for v in r["stages"].values()) for r in ok if r.get("run_s")]),
        "outside_run_s": median([r["wall_s"] - r["run_s"] for r in ok if r.get("run_s")]),
        "cpu_user_s": median([r.get("cpu_user_s") for r in ok]),
        "cpu_sys_s": median([r.get("cpu_sys_s") for r in ok]),
        "minor_faults": median([r.get("minor_faults") for r in ok]),
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "peak_tree_rss_bytes": max(r["peak_tree_rss_bytes"] for r in runs),
        "stages": {s: median([r["stages"][s] for r in ok]) for s in STAGES},
        "published_s": {k: median([r.get("published_s", {}).get(k) for r in ok]) for k in PUBLISHED},
        "steps": {k: median([r["steps"].get(k, {}).get("seconds") for r in ok]) for k in steps},
        "step_peak_rss_bytes": {k: max((r["steps"].get(k, {}).get("peak_rss_bytes") or 0) for r in ok) for k in steps},
        "largest_page_bytes": max(r["dashboards"]["largest_page_bytes"] for r in ok),
        "unfinished_steps": sorted({k for r in ok for k in r.get("unfinished_steps", [])}),
        "killed": [r.get("killed") for r in runs if r.get("killed")],
    }


def print_summary(title: str, summary: dict, floor_s: float | None) -> None:
    wall = summary["wall_s"] or 0.0
    print(f"\n== {title}: {summary['successful']}/{summary['runs']} runs succeeded; medians ==")
    if not summary["successful"]:
        print(f"PARTIAL: the run did not finish ({'; '.join(map(str, summary['killed'])) or 'failed'}); "
              f"unfinished step(s) {summary['unfinished_steps']} timed until the process ended")
    print(f"{'stage':<70}{'seconds':>9}{'share':>8}")
    for s in STAGES:
        v = summary["stages"][s] or 0.0
        if v or s != "other":
            print(f"{STAGE_LABELS[s]:<70}{v:>9.2f}{(v / wall if wall else 0):>8.1%}")
    in_steps = sum(summary["stages"][s] or 0.0 for s in STAGES)
    run_s = summary.get("run_s")
    if run_s:
        between = summary.get("between_steps_s")
        if between is None:  # a record written before these were kept
            between = run_s - in_steps
        outside = summary.get("outside_run_s")
        if outside is None:
            outside = wall - run_s
        if between >= 0:
            print(f"{'Dagster between steps (run time - steps)':<70}{between:>9.2f}{(between / wall if wall else 0):>8.1%}")
        else:  # multiprocess: steps ran side by side
            print(f"{'(steps overlapped: their sum exceeds the run time by)':<70}{-between:>9.2f}")
        print(f"{'outside the run: start-up, imports, run creation, summary (wall - run)':<70}"
              f"{outside:>9.2f}{(outside / wall if wall else 0):>8.1%}")
    else:
        rest = wall - in_steps
        print(f"{'start-up, Dagster between steps, summary (wall - steps)':<70}{rest:>9.2f}{(rest / wall if wall else 0):>8.1%}")
    print(f"{'wall, end to end':<70}{wall:>9.2f}{1:>8.1%}")
    user, kernel = summary.get("cpu_user_s"), summary.get("cpu_sys_s")
    if user is not None and kernel is not None and wall:
        print(f"CPU, the command and the children it waited for: user {user:.1f} s + kernel {kernel:.1f} s"
              f" = {user + kernel:.1f} s, {(user + kernel) / wall:.2f} cores busy on average;"
              f" {summary['minor_faults'] / 1e6:.2f} M minor page faults")
    inside = summary.get("published_s") or {}
    if any(v is not None for v in inside.values()):
        print("inside publish, side by side: " + ", ".join(f"{k} {v:.2f}s" for k, v in inside.items() if v is not None))
    if summary["successful"] > 1:
        print("(each line is the median over the runs on its own, so the lines need not add up to the wall)")
    top = sorted(summary["steps"].items(), key=lambda kv: -(kv[1] or 0))[:8]
    print("slowest steps: " + ", ".join(f"{k} {v:.2f}s" for k, v in top if v))
    mem = sorted(summary["step_peak_rss_bytes"].items(), key=lambda kv: -(kv[1] or 0))[:5]
    print("largest peak RSS during steps: " + ", ".join(f"{k} {v / GIB:.2f} GiB" for k, v in mem if v))
    print(f"peak RSS: largest process {summary['peak_rss_bytes'] / GIB:.2f} GiB, "
          f"process tree {summary['peak_tree_rss_bytes'] / GIB:.2f} GiB; largest dashboard page "
          f"{summary['largest_page_bytes'] / 1e6:.2f} MB")
    if floor_s:
        print(f"ratio wall / floor: {wall / floor_s:.2f} (floor {floor_s:.2f} s)")


def targets(record: dict) -> dict:
    """Issue 6's targets, judged on finished runs only; a run that did not
    finish says so instead of a number (its peak memory still counts)."""
    out = {}
    floor_s = record.get("floor", {}).get("floor_s")
    full = record.get("full")
    inc = record.get("incremental")
    done = lambda x: bool(x and x["successful"])  # noqa: E731
    not_measured = {"measured": "run did not finish", "met": False}
    if full and floor_s:
        out["full_rebuild_vs_floor"] = {"target": f"<= {TARGET_FULL_RATIO} x floor", **not_measured}
        if done(full):
            ratio = full["wall_s"] / floor_s
            out["full_rebuild_vs_floor"].update(measured=round(ratio, 2), met=ratio <= TARGET_FULL_RATIO)
    if full and not done(full) or inc:
        out["incremental_day"] = {"target": f"<= {TARGET_INCREMENTAL_S} s", **not_measured}
        if done(inc):
            out["incremental_day"].update(measured=inc["wall_s"], met=inc["wall_s"] <= TARGET_INCREMENTAL_S)
    peaks = [x["peak_tree_rss_bytes"] for x in (full, inc) if x]
    if peaks:
        peak = max(peaks)
        finished = all(done(x) for x in (full, inc) if x)
        out["peak_memory"] = {"target": "<= 4 GiB", "measured_gib": round(peak / GIB, 2),
                              "met": peak <= TARGET_PEAK_BYTES and finished}
    if full:
        out["dashboards_seconds"] = {"target": f"<= {TARGET_DASHBOARDS_S} s", **not_measured}
        out["dashboard_page_bytes"] = {"target": "<= 5 MB each", **not_measured}
        site_s = (full.get("published_s") or {}).get("dashboards")
        if done(full) and site_s is not None:
            d = site_s
            page = full["largest_page_bytes"]
            out["dashboards_seconds"].update(measured=d, met=d <= TARGET_DASHBOARDS_S)
            out["dashboard_page_bytes"].update(measured=round(page / 1e6, 2), met=page <= TARGET_PAGE_BYTES)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", type=Path)
    parser.add_argument("--work", type=Path, help="homes and logs go here (emptied per repetition)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--incremental", action="store_true", help="hold back the last day, then time it on top")
    parser.add_argument("--json", type=Path, help="write the record here")
    parser.add_argument("--timeout", type=float, help="kill a run after this many seconds and report its partial steps")
    parser.add_argument("--max-rss", type=float, default=12.0,
                        help="kill a run whose processes hold more than this many GiB (default 12; 0: no limit)")
    parser.add_argument("--floor-repeat", type=int, help="floor repetitions (default: --repeat)")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--floor-only", action="store_true")
    parser.add_argument("--executor", choices=["in_process", "multiprocess"], default="in_process",
                        help="in_process: runner.run_graph as the CLI does; multiprocess: Dagster's multiprocess executor")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="floor processes and multiprocess max_concurrent (default: cores)")
    parser.add_argument("--keep", action="store_true", help="keep every repetition's home (default: only the last)")
    parser.add_argument("--child-full", nargs=4, metavar=("HOME", "INBOX", "AS_OF", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_full:
        home, inbox, as_of, result = args.child_full
        return child_full(Path(home), Path(inbox), date.fromisoformat(as_of), Path(result), args.executor, args.workers)
    if not args.inbox or not args.work:
        parser.error("--inbox and --work are required")

    inbox = args.inbox.resolve()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    files = inbox_files(inbox)
    last = last_export_day(inbox)
    profile_file = inbox.parent / "benchmark_profile.json"
    record: dict = {
        "created": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": machine_info(),
        "inbox": str(inbox),
        "inbox_files": len(files),
        "inbox_bytes": sum(p.stat().st_size for p in files),
        "last_export_day": last.isoformat(),
        "profile": json.loads(profile_file.read_text()) if profile_file.exists() else None,
        "executor": args.executor,
    }
    print(f"inbox {inbox}: {len(files)} files, {record['inbox_bytes'] / MIB:,.1f} MiB, last export day {last}; "
          f"{record['machine']['cores']} cores, load {record['machine']['load_average_at_start'][0]:.2f}")

    def save():
        record["targets"] = targets(record)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str))

    floor_s = None
    if not args.skip_floor:
        warm_cache(files)
        runs = [measure_floor(files, args.workers) for _ in range(args.floor_repeat or args.repeat)]
        serial, parallel = median([r["serial_s"] for r in runs]), median([r["parallel_s"] for r in runs])
        floor_s = min(x for x in (serial, parallel) if x)
        record["floor"] = {"runs": runs, "serial_s": serial, "parallel_s": parallel, "floor_s": floor_s,
                           "rows": runs[0]["rows"], "workers": args.workers}
        print(f"floor: {runs[0]['rows']:,} rows in {len(files)} files; serial {serial:.2f} s, "
              f"{args.workers} processes {parallel or float('nan'):.2f} s -> floor {floor_s:.2f} s (median of {len(runs)})")
        save()
        if args.floor_only:
            return 0

    held_back = last if args.incremental else None
    as_of = last - timedelta(days=1) if held_back else last
    full_runs, inc_runs = [], []
    previous = None
    for i in range(args.repeat):
        if previous is not None and not args.keep:
            shutil.rmtree(previous, ignore_errors=True)
        m, home = full_rebuild(args, i, inbox, as_of, held_back)
        previous = home
        full_runs.append(m)
        status = "ok" if m.get("success") else (f"KILLED ({m['killed']})" if m["killed"]
                                                else f"FAILED {m.get('failures')}, see {m['log']}")
        print(f"full rebuild {i + 1}/{args.repeat}: {m['wall_s']:.1f} s wall, run {m.get('run_s')} s, "
              f"peak {m['peak_tree_rss_bytes'] / GIB:.2f} GiB, load {m['load_before']:.1f}->{m['load_after']:.1f}: {status}")
        record["full"] = {**summarize(full_runs), "per_run": full_runs}
        save()
        if held_back and m.get("success"):
            n = incremental(args, i, home, inbox, held_back)
            inc_runs.append(n)
            status = "ok" if n["success"] else (f"KILLED ({n['killed']})" if n["killed"]
                                                else f"FAILED (exit {n['exit_code']}), see {n['log']}")
            print(f"  + one day ({held_back}): {n['wall_s']:.1f} s wall, run {n.get('run_s')} s, "
                  f"peak {n['peak_tree_rss_bytes'] / GIB:.2f} GiB: {status}")
            record["incremental"] = {**summarize(inc_runs), "day": held_back.isoformat(), "per_run": inc_runs}
            save()
        if not m.get("success"):
            break

    if full_runs:
        print_summary(f"full rebuild (as of {as_of})", record["full"], floor_s)
    if inc_runs:
        print_summary(f"one more day on top ({held_back})", record["incremental"], None)
    if full_runs:
        pages = full_runs[-1]["dashboards"]
        print(f"dashboards: {len(pages['pages'])} pages, largest {pages['largest_page_bytes'] / 1e6:.2f} MB; scripts "
              + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in pages["scripts"].items()))
    save()
    print("\n== targets of issue 6 (they are set for city-year) ==")
    for name, t in record["targets"].items():
        measured = {k: v for k, v in t.items() if k.startswith("measured")}
        print(f"{name:<24}{t['target']:<20}{json.dumps(measured, ensure_ascii=False):<36}{'met' if t['met'] else 'NOT MET'}")
    if args.json:
        print(f"record: {args.json}")
    return 0 if all(r.get("success") for r in full_runs + inc_runs) else 1


if __name__ == "__main__":
    sys.exit(main())
