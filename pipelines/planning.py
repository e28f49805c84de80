"""Which day partitions a run has to (re)stage: the days whose inbox files
differ from what was staged. Shared by the CLI, the schedule and the sensor,
so all three ask for the same work."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from assets.atomic_files import write_text_atomic
from assets.ingest.contract import DAILY_SOURCES
from assets.ingest.inbox import all_daily_files, files_by_partition
from assets.ingest.reference import reference_files
from assets.ingest.staging import ManifestMemo, StagedStore
from pipelines.clock import PARTITION_START

REFERENCE_INPUTS = "inputs.txt"
MANIFEST_MEMO = "manifests.json"


def reference_fingerprint(inbox: Path) -> str:
    files = reference_files(inbox / "reference")
    return "\n".join(sorted(f.fingerprint for group in files.values() for f in group))


def reference_changed(inbox: Path, snapshot_dir: Path) -> bool:
    recorded = snapshot_dir / REFERENCE_INPUTS
    return not recorded.exists() or recorded.read_text() != reference_fingerprint(inbox)


def record_reference_inputs(inbox: Path, snapshot_dir: Path) -> None:
    write_text_atomic(snapshot_dir / REFERENCE_INPUTS, reference_fingerprint(inbox))


def changed_days(inbox: Path, staged: Path, snapshot_dir: Path, as_of: date) -> list[date]:
    """Days on or before as_of whose staged partition does not match the
    inbox. A file dated before the partitions start is no partition's (the
    quality report rejects it): asking Dagster for its day fails the run."""
    first = date.fromisoformat(PARTITION_START)
    store = StagedStore(staged)
    version_file = snapshot_dir / "version.txt"
    version = version_file.read_text().strip() if version_file.exists() else ""
    everything = reference_changed(inbox, snapshot_dir) or not version
    memo = ManifestMemo(snapshot_dir / MANIFEST_MEMO)
    days: set[date] = set()
    for source in DAILY_SOURCES:
        by_day = files_by_partition(inbox, source)
        candidates = set(by_day) | set(store.staged_days(source))
        for day in candidates:
            if day > as_of or day < first:
                continue
            if everything and by_day.get(day):
                days.add(day)
            elif not store.is_current(source, day, by_day.get(day, []), version, memo):
                days.add(day)
    memo.save()
    return sorted(days)


def remember_staged_manifests(staged: Path, snapshot_dir: Path) -> None:
    """After a run, put the manifests it wrote into the memo, so the next
    planning reads none of them again: a night restages a few partitions, but
    after a full load the memo knew none of the ~1,700 (planning had run before
    they existed) and the next night read them all (~1 s at a city's year).
    Bookkeeping only: a manifest that cannot be read is left for planning."""
    store = StagedStore(staged)
    memo = ManifestMemo(snapshot_dir / MANIFEST_MEMO)
    for source in DAILY_SOURCES:
        for day in store.staged_days(source):
            try:
                store.recorded_inputs(source, day, memo)
            except Exception:  # planning reads it again and decides
                continue
    memo.save()


def partition_range(days: list[date], as_of: date) -> tuple[str, str]:
    """One contiguous range covering every changed day (unchanged days inside
    it are skipped by the assets); the as-of day when nothing changed."""
    if not days:
        return as_of.isoformat(), as_of.isoformat()
    return days[0].isoformat(), days[-1].isoformat()


def range_tags(start: str, end: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}


def inbox_digest(inbox: Path) -> str:
    """A short digest of every daily and reference file's name, size and mtime."""
    parts = sorted(f"{f.source}/{f.fingerprint}" for f in all_daily_files(inbox))
    parts.append(reference_fingerprint(inbox))
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


# Runs the daemon launches (schedule, sensor) execute their steps in one
# process, like the CLI: the warehouse has one writer at a time.
IN_PROCESS_RUN_CONFIG = {"execution": {"config": {"in_process": {}}}}
