"""What the outputs of a loaded home cost to write, whatever else a run does:
the lower bound behind benchmarks/README.md's "Why the full-rebuild target
cannot be met on this machine".

Reads a home a benchmark run left (``var/bench/cy/work/home-2``) and its
JSON record (for the floor), and measures in this process, in CPU seconds
(``time.process_time``: every thread of the process, DuckDB's and polars'
included), into a temporary folder:

- the departments' sheets: the rows of the daily lists written as a night
  writes them, one workbook after another; per item, times every item on
  the ledger (an archive's row is the same sheet row);
- the ledger CSV, whole (``windowwatch export rectification`` writes the same);
- the dashboard site;
- one read of the inputs: the record's serial floor (one process, so its
  seconds are CPU seconds).

Prints each, the sum, the sum spread over the machine's cores, and that
against 2.5 × the record's floor.

    .venv/bin/python benchmarks/output_costs.py --home var/bench/cy/work/home-2 \\
        --record var/bench/results/city-year-nineteenth.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from assets.rectification.department_lists import Workbook, dept_order, export_department_workbooks  # noqa: E402
from assets.rectification.ledger_csv import write_ledger_csv  # noqa: E402
from assets.db import query_frame  # noqa: E402
from assets.rectification.list_publish import DAILY_LIST_ROWS, LIST_DEPARTMENTS, archive_cutoff  # noqa: E402
from dashboards.site import build_site  # noqa: E402


def cpu_seconds(work) -> tuple[float, object]:
    started = time.process_time()
    result = work()
    return time.process_time() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True, help="the benchmark's JSON record (its floor)")
    args = parser.parse_args()
    record = json.loads(args.record.read_text(encoding="utf-8"))
    as_of = date.fromisoformat(record["last_export_day"])
    con = duckdb.connect(str(args.home / "warehouse.duckdb"), read_only=True)
    items = con.execute("SELECT count(*) FROM rectification_items").fetchall()[0][0]

    with tempfile.TemporaryDirectory(dir=args.home.parent) as tmp:
        out = Path(tmp)
        departments = query_frame(con, LIST_DEPARTMENTS)
        rows = query_frame(con, DAILY_LIST_ROWS, {"cutoff": archive_cutoff(as_of)})
        books = [
            Workbook(dept, lambda part=part: part)
            for (dept,), part in sorted(rows.partition_by("dept_id", as_dict=True).items(), key=lambda kv: dept_order(kv[0][0]))
        ]
        sheets_s, _ = cpu_seconds(
            lambda: export_department_workbooks(books, out / "lists", as_of=as_of, departments=departments)
        )
        per_item = sheets_s / rows.height
        csv_s, _ = cpu_seconds(lambda: write_ledger_csv(con, out / "ledger.csv"))
        con.close()
        site_s, _ = cpu_seconds(lambda: build_site(args.home / "warehouse.duckdb", out / "site", as_of))

    read_s = record["floor"]["serial_s"]
    floor_s = record["floor"]["floor_s"]
    cores = os.cpu_count() or 1
    parts = {
        f"sheets: {rows.height:,} daily-list rows in {sheets_s:.1f} s, x {items:,} ledger items": per_item * items,
        "ledger CSV, whole": csv_s,
        "dashboard site": site_s,
        "one read of the inputs (serial floor)": read_s,
    }
    for name, seconds in parts.items():
        print(f"{seconds:7.1f} CPU s  {name}")
    total = sum(parts.values())
    print(f"{total:7.1f} CPU s  in all; {total / cores:.1f} s on {cores} cores with perfect overlap")
    print(f"target 2.5 x floor = {2.5 * floor_s:.1f} s (floor {floor_s:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
