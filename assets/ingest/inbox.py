"""Where files sit in the inbox and which partition each belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assets.ingest.contract import DAILY_SOURCES

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_in_name(name: str) -> date | None:
    """The export date a daily file's name carries, or None when it has none."""
    match = _DATE_IN_NAME.search(Path(name).stem)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-02-30 in a file name is no date either
        return None


def is_hidden(path: Path) -> bool:
    # Office software leaves lock files (~$x.xlsx) and editors dot-files.
    return path.name.startswith((".", "~$"))


@dataclass(frozen=True)
class InboxFile:
    source: str
    path: Path
    partition: date | None
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.path.name}|{self.size}|{self.mtime_ns}"


def daily_files(inbox: Path, source: str) -> list[InboxFile]:
    folder = inbox / source
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not is_hidden(path):
            stat = path.stat()
            out.append(InboxFile(source, path, date_in_name(path.name), stat.st_size, stat.st_mtime_ns))
    return out


def all_daily_files(inbox: Path) -> list[InboxFile]:
    return [f for source in DAILY_SOURCES for f in daily_files(inbox, source)]


def files_by_partition(inbox: Path, source: str) -> dict[date, list[InboxFile]]:
    out: dict[date, list[InboxFile]] = {}
    for f in daily_files(inbox, source):
        if f.partition is not None:
            out.setdefault(f.partition, []).append(f)
    return out


def newest_first(files: list[InboxFile]) -> list[InboxFile]:
    """The delivery that counts first: the newest file, ties by name."""
    return sorted(files, key=lambda f: (-f.mtime_ns, f.path.name))
