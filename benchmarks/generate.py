"""Write a benchmark inbox, one file per source per export day.

    python benchmarks/generate.py --profile hall-quarter --out var/bench/hq
    python benchmarks/generate.py --profile city-year   --out var/bench/cy

writes OUT/inbox (the layout of ../shared/spec/inputs.md, through
``pipelines.demo_inbox.write_inbox``: the generator produces one working day
at a time and writes that day's files before it draws the next), OUT/demo_manifest.json
(the generator's own summary: files and rows per source, planted rows and
patterns) and OUT/benchmark_profile.json (profile name, arguments, rows per
source, seconds taken), which benchmarks/run.py copies into its JSON record.

Profiles
--------
hall-quarter  1 hall x 40 windows x 90 days, the demo's mix of formats
              (GB18030 CSV, XLSX, Parquet) and rates.
city-year     20 halls x 40 windows x 365 days (about 248 working days), rates set
              for the issue's volumes: about 15 M cases, 15 M queue tickets,
              8 M ratings, 1 M callbacks. ratings, callbacks and leave are
              written as Parquet instead of XLSX (a year of city-scale XLSX
              would take hours to write with xlsxwriter); attendance stays
              GB18030 CSV, cases UTF-8 CSV, monitoring UTF-8-BOM CSV, queue Parquet.

How the city-year rates were chosen (per working day, 800 windows, ~248 days,
so ~198 k window-days; the calendar's weekday factors average ~1.04):

* cases received: 75 / window-day                 -> ~15.4 M cases (~26 M case rows:
  the export re-delivers a case when it changes, 1.7 rows per case)
* queue tickets: 75 / window-day                  -> ~15.4 M tickets
* ratings: rating_rate 0.66 of completed window cases (a third of that
  online), 15 % of rejected/returned cases, plus counter ratings of
  consultations                                   -> ~8 M ratings
* callbacks: 7.6 % of completed cases             -> ~1 M callbacks

(calibrated on an 82-working-day city sample: 62.6 k cases received and
62.6 k tickets per working day, ratings 0.505 and callbacks 0.061 per case
at rates 0.64 / 0.072.)

Measured numbers are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.demo_inbox import DAILY_ORDER, InboxProfile, write_inbox  # noqa: E402

# A fixed end date inside the years chinese_calendar knows (2004-2026), so the
# same command gives the same bytes on every machine and every day.
DEFAULT_END = date(2026, 10, 30)
DEFAULT_SEED = 20261126

PROFILES: dict[str, InboxProfile] = {
    "hall-quarter": InboxProfile(halls=1, windows_per_hall=40, staff_per_hall=120, days=90),
    "city-year": InboxProfile(
        halls=20,
        windows_per_hall=40,
        staff_per_hall=120,
        days=365,
        cases_per_window_day=75.0,
        tickets_per_window_day=75.0,
        rating_rate=0.66,
        callback_rate=0.076,
        formats={"ratings": "parquet", "callbacks": "parquet", "leave": "parquet"},
    ),
    # For trying the harness itself in a few seconds.
    "tiny": InboxProfile(departments=4, windows_per_hall=8, staff_per_hall=24, matters=20, days=20),
}


def profile_for(name: str, days: int | None = None) -> InboxProfile:
    profile = PROFILES[name]
    if days:
        profile = replace(profile, days=days)
    return profile


def generate(name: str, out: Path, end_date: date, seed: int, days: int | None = None) -> dict:
    profile = profile_for(name, days)
    out.mkdir(parents=True, exist_ok=True)
    inbox = out / "inbox"
    started = time.perf_counter()
    summary = write_inbox(inbox, end_date, profile, seed=seed)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in inbox.rglob("*") if p.is_file())
    record = {
        "profile": name,
        "end_date": end_date.isoformat(),
        "seed": seed,
        "arguments": asdict(profile),
        "working_days": summary["working_days"],
        "start_date": summary["start_date"],
        "formats": summary["formats"],
        "files": summary["files"],
        "rows": summary["rows"],
        "reference_rows": summary["reference_rows"],
        "cases_received": summary["patterns"].get("cases_received"),
        "planted_bad_rows": len(summary["planted"]),
        "inbox_bytes": size,
        "seconds": round(seconds, 2),
    }
    (out / "benchmark_profile.json").write_text(json.dumps(record, ensure_ascii=False, indent=2))
    return record


def print_record(record: dict) -> None:
    print(f"profile {record['profile']}: {record['start_date']} .. {record['end_date']}, "
          f"{record['working_days']} working days, seed {record['seed']}")
    print(f"{'source':<12}{'format':<9}{'files':>7}{'rows':>14}")
    for source in DAILY_ORDER:
        print(f"{source:<12}{record['formats'][source]:<9}{record['files'][source]:>7}{record['rows'][source]:>14,}")
    print(f"{'reference':<12}{record['formats']['reference']:<9}{'':>7}"
          f"{', '.join(f'{k} {v}' for k, v in record['reference_rows'].items())}")
    print(f"cases received (distinct case ids): {record['cases_received']:,}")
    print(f"inbox size: {record['inbox_bytes'] / 2**20:,.1f} MiB; written in {record['seconds']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, choices=sorted(PROFILES))
    parser.add_argument("--out", required=True, type=Path, help="folder; the inbox is written to OUT/inbox")
    parser.add_argument("--end-date", type=date.fromisoformat, default=DEFAULT_END,
                        help=f"last calendar day (default {DEFAULT_END.isoformat()})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--days", type=int, help="override the profile's calendar days (for calibration)")
    args = parser.parse_args(argv)
    record = generate(args.profile, args.out.resolve(), args.end_date, args.seed, args.days)
    print_record(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
