"""Time the small parts that have their own time limits, outside the tests.

The tests check what these parts produce; how long they take is measured
here, so that a loaded CI machine cannot fail a correct change. Each part runs
``--repeat`` times and the median is compared with its limit:

- the default demo inbox (``pipelines.demo_inbox.write_inbox``): 30 s;
- the M/M/c simulation that checks the staffing advice (200,000 customers):
  2 s;
- the dashboard site of the demo home (``dashboards.site.build_site``, after
  one real run of the graph): 30 s.

Usage::

    .venv/bin/python benchmarks/parts.py [--repeat 3] [--json var/bench/results/parts.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from assets.staffing.simulation import simulate_mmc
from dashboards.site import build_site
from pipelines.demo_inbox import write_inbox
from pipelines.runner import run_graph

DEMO_END = date(2026, 10, 20)
LIMITS = {"demo inbox": 30.0, "staffing simulation": 2.0, "demo site": 30.0}


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(repeat: int, scratch: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in LIMITS}
    for i in range(repeat):
        times["demo inbox"].append(_seconds(lambda: write_inbox(scratch / f"inbox-{i}", DEMO_END)))
        times["staffing simulation"].append(
            _seconds(lambda: simulate_mmc(200, 180, 14, 20, customers=200_000, seed=7))
        )
    home = scratch / "home"
    outcome = run_graph(home, scratch / "inbox-0", DEMO_END, progress=False)
    if not outcome.success:
        raise SystemExit(f"the demo run failed: {outcome.failures}")
    for i in range(repeat):
        report = build_site(home / "warehouse.duckdb", scratch / f"site-{i}", DEMO_END, None)
        if report.errors:
            raise SystemExit(f"the demo site had errors: {report.errors}")
        times["demo site"].append(report.seconds)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ww-parts-") as tmp:
        times = measure(args.repeat, Path(tmp))
    rows = []
    print(f"{'part':<22}{'runs (s)':<28}{'median':>8}{'limit':>8}  met")
    for name, limit in LIMITS.items():
        median = statistics.median(times[name])
        met = median <= limit
        rows.append({"part": name, "seconds": times[name], "median": median, "limit": limit, "met": met})
        runs = " / ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:<22}{runs:<28}{median:>8.2f}{limit:>8.0f}  {'yes' if met else 'NO'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"parts": rows}, indent=2), encoding="utf-8")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
