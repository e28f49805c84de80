"""Staged Parquet: one data file, one quarantine file and one manifest per
source and day, each written atomically (temp file, fsync, rename).

The manifest is written last and records the inbox files it was made from.
A partition counts as staged only when its manifest matches the inbox, so a
process killed between the three writes leaves a partition that the next run
simply stages again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from assets.atomic_files import temporary_beside, write_text_atomic
from assets.ingest import contract as c, header_hints
from assets.ingest.inbox import DELIVERY_NAME_FORM, InboxFile, delivery_name_for, newest_first
from assets.ingest.readers import FileRejected, read_text_frame
from assets.ingest.validate import QUARANTINE_SCHEMA, ReferenceKeys, validate_file

FILE_QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "file": pl.String(),
    "partition_date": pl.Date(),
    "status": pl.String(),  # loaded / rejected
    "rows_read": pl.Int64(),
    "rows_loaded": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "duplicates_removed": pl.Int64(),
    "message": pl.String(),
    "fingerprint": pl.String(),
    "reference_version": pl.String(),
}


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    frame.write_parquet(tmp, statistics=True)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def remove_if_exists(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


@dataclass(frozen=True)
class StagedStore:
    """The staged area under HOME/staged."""

    root: Path

    def data_path(self, source: str, day: date) -> Path:
        return self.root / source / f"{day.isoformat()}.parquet"

    def quarantine_path(self, source: str, day: date) -> Path:
        return self.root / source / "_quarantine" / f"{day.isoformat()}.parquet"

    def manifest_path(self, source: str, day: date) -> Path:
        return self.root / source / "_files" / f"{day.isoformat()}.parquet"

    def staged_days(self, source: str) -> list[date]:
        folder = self.root / source / "_files"
        if not folder.is_dir():
            return []
        return sorted(date.fromisoformat(p.stem) for p in folder.glob("*.parquet"))

    def data_files_by_day(self, source: str, up_to: date) -> dict[date, Path]:
        """Data file of each partition dated on or before ``up_to``, oldest first."""
        return {
            day: p
            for day in self.staged_days(source)
            if day <= up_to and (p := self.data_path(source, day)).exists()
        }

    def data_files(self, source: str, up_to: date) -> list[Path]:
        return list(self.data_files_by_day(source, up_to).values())

    def manifest_files(self, source: str, up_to: date) -> list[Path]:
        return [self.manifest_path(source, d) for d in self.staged_days(source) if d <= up_to]

    def quarantine_files(self, source: str, up_to: date) -> list[Path]:
        return [
            p for d in self.staged_days(source) if d <= up_to and (p := self.quarantine_path(source, d)).exists()
        ]

    def recorded_inputs(self, source: str, day: date, memo: ManifestMemo | None = None) -> tuple[str, ...] | None:
        manifest = self.manifest_path(source, day)
        if not manifest.exists() or not self.data_path(source, day).exists():
            return None
        if memo is not None:
            return memo.recorded(manifest)
        return _read_recorded(manifest)

    def is_current(
        self, source: str, day: date, files: list[InboxFile], reference_version: str, memo: ManifestMemo | None = None
    ) -> bool:
        expected = tuple(sorted(f.fingerprint for f in files)) + ((reference_version,) if files else ())
        recorded = self.recorded_inputs(source, day, memo)
        if not files:
            return recorded is None and not self.manifest_path(source, day).exists()
        return recorded == expected

    def drop(self, source: str, day: date) -> None:
        # Manifest first: without it the leftovers are stale and get redone.
        for path in (self.manifest_path(source, day), self.quarantine_path(source, day), self.data_path(source, day)):
            remove_if_exists(path)


def _read_recorded(manifest: Path) -> tuple[str, ...]:
    """The inbox fingerprints and reference versions a manifest records."""
    frame = pl.read_parquet(manifest, columns=["fingerprint", "reference_version"])
    return tuple(sorted(frame["fingerprint"].to_list())) + tuple(sorted(set(frame["reference_version"])))


class ManifestMemo:
    """What each manifest records, remembered in a JSON file by the manifest's
    path, size and modification time. Planning a night compares every staged
    partition (~1,700 at a city's year) with the inbox, and reading each
    manifest took ~0.7 ms; a rewritten manifest has a new time and is read
    again. A lost or unreadable memo file only costs the reads. Manifests are
    named relative to the memo's folder, so a home moved or copied elsewhere
    (``cp -a`` keeps the times) keeps its memo."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._entries: dict[str, list] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._entries = {}
        self._seen: dict[str, list] = {}

    def recorded(self, manifest: Path) -> tuple[str, ...]:
        st = manifest.stat()
        key, stamp = os.path.relpath(manifest, self.path.parent), [st.st_mtime_ns, st.st_size]
        entry = self._entries.get(key)
        if entry is None or entry[0] != stamp:
            entry = [stamp, list(_read_recorded(manifest))]
        self._seen[key] = entry
        return tuple(entry[1])

    def save(self) -> None:
        """Keep the manifests looked at this time (the others are gone or unused)."""
        write_text_atomic(self.path, json.dumps(self._seen))


def empty_staged(source: str) -> pl.DataFrame:
    return pl.DataFrame(schema=c.staged_schema(source))


def stage_partition(
    store: StagedStore,
    source_name: str,
    day: date,
    files: list[InboxFile],
    reference: ReferenceKeys,
    reference_version: str,
) -> pl.DataFrame:
    """Stage one (source, day) from its inbox files; returns its manifest rows.

    Only a file named as a delivery (YYYY-MM-DD.csv|xlsx|parquet) is read; any
    other file carrying the day's date (2026-03-05.csv.bak, '2026-03-05 (1).csv')
    is listed as rejected with the name form expected, and never supersedes a
    delivery. When a day was delivered more than once under delivery names
    (2026-03-05.csv and 2026-03-05.xlsx), the newest file is the delivery;
    older ones are listed as rejected (superseded), so nothing is counted twice
    and nothing disappears without a line saying so.
    """
    source = c.DAILY_SOURCES[source_name]
    if not files:
        store.drop(source_name, day)
        return pl.DataFrame(schema=FILE_QUALITY_SCHEMA)

    # A stray file is listed, never read: it cannot supersede the delivery.
    quality_rows = [
        _quality_row(f, day, "rejected", 0, 0, 0, 0, not_a_delivery_message(f.path.name), reference_version)
        for f in files
        if not f.is_delivery
    ]
    loaded = empty_staged(source_name)
    quarantined = pl.DataFrame(schema=QUARANTINE_SCHEMA)
    ordered = newest_first([f for f in files if f.is_delivery])
    if ordered:
        delivery, superseded = ordered[0], ordered[1:]
        quality_rows += [
            _quality_row(
                f, day, "rejected", 0, 0, 0, 0, f"被同日更新的文件 {delivery.path.name} 取代 (superseded)", reference_version
            )
            for f in superseded
        ]
        try:
            text = read_text_frame(delivery.path, source)
            result = validate_file(source, text, reference, delivery.path.name, day)
            loaded, quarantined = result.loaded, result.quarantined
            quality_rows.append(
                _quality_row(
                    delivery,
                    day,
                    "loaded",
                    result.rows_read,
                    loaded.height,
                    quarantined.height,
                    result.duplicates_removed,
                    "",
                    reference_version,
                )
            )
        except FileRejected as exc:
            exc = header_hints.explained(exc, delivery.path, source)
            quality_rows.append(_quality_row(delivery, day, "rejected", 0, 0, 0, 0, str(exc), reference_version))

    manifest = pl.DataFrame(quality_rows, schema=FILE_QUALITY_SCHEMA, orient="row")
    write_parquet_atomic(loaded, store.data_path(source_name, day))
    write_parquet_atomic(quarantined, store.quarantine_path(source_name, day))
    write_parquet_atomic(manifest, store.manifest_path(source_name, day))
    return manifest


NOT_A_DELIVERY_NAME = (
    f"文件名不是日文件名 {DELIVERY_NAME_FORM}，未读取；如是当日数据请改名 "
    f"(not a delivery name: expected {DELIVERY_NAME_FORM}; not read)"
)


def not_a_delivery_message(name: str) -> str:
    """NOT_A_DELIVERY_NAME, naming the delivery name when the file's own
    name makes it plain (cases_2026-03-05.csv: 改名为 2026-03-05.csv)."""
    meant = delivery_name_for(name)
    if meant is None:
        return NOT_A_DELIVERY_NAME
    return (
        f"文件名不是日文件名 {DELIVERY_NAME_FORM}，未读取；如是当日数据请改名为 {meant} "
        f"(not a delivery name: expected {DELIVERY_NAME_FORM}, e.g. {meant}; not read)"
    )


def _quality_row(f: InboxFile, day, status, read, loaded, quarantined, dups, message, reference_version) -> tuple:
    return (f.source, f.path.name, day, status, read, loaded, quarantined, dups, message, f.fingerprint, reference_version)
