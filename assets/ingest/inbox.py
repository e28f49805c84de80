"""Where files sit in the inbox and which partition each belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assets.ingest.contract import DAILY_SOURCES

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# inputs.md: a daily file is YYYY-MM-DD.<csv|xlsx|parquet>. The extension may
# come in any letter case (Windows shows 2026-03-05.CSV as the same file).
_DELIVERY_NAME = re.compile(r"\d{4}-\d{2}-\d{2}\.(?:csv|xlsx|parquet)", re.IGNORECASE)
DELIVERY_NAME_FORM = "YYYY-MM-DD.csv / YYYY-MM-DD.xlsx / YYYY-MM-DD.parquet"


def date_in_name(name: str) -> date | None:
    """The export date a daily file's name carries, or None when it has none."""
    match = _DATE_IN_NAME.search(Path(name).stem)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-02-30 in a file name is no date either
        return None


def is_delivery_name(name: str) -> bool:
    """Exactly a day's delivery name; '2026-03-05.csv.bak', '2026-03-05 (1).csv'
    or 'cases_2026-03-05.csv' carry the date but are not one."""
    return _DELIVERY_NAME.fullmatch(name) is not None


# a date written another way: 20260305, 2026.03.05, 2026-3-5, 2026_3_5, 2026年3月5日
_OTHER_DATE_FORMS = re.compile(r"(?<!\d)(\d{4})(?:[-._/年 ]?)(\d{1,2})(?:[-._/月 ]?)(\d{1,2})日?(?!\d)")
_DELIVERY_SUFFIXES = (".csv", ".xlsx", ".parquet")


def delivery_name_for(name: str) -> str | None:
    """The delivery name a rejected file was most likely meant to have
    ('20260305.CSV' -> '2026-03-05.csv'), or None when its name carries no
    unambiguous date or its type is not one the inbox reads."""
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix not in _DELIVERY_SUFFIXES:
        return None
    found = {_valid_date(m) for m in _OTHER_DATE_FORMS.finditer(path.stem)} - {None}
    if len(found) != 1:
        return None
    return f"{found.pop().isoformat()}{suffix}"


def _valid_date(match: re.Match) -> date | None:
    year, month, day = (int(g) for g in match.groups())
    # 8 digits without separators read only as YYYYMMDD
    if len(match[0]) == 8 and match[0].isdigit() and (len(match[2]) != 2 or len(match[3]) != 2):
        return None
    try:
        return date(year, month, day)
    except ValueError:
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
    def is_delivery(self) -> bool:
        return self.partition is not None and is_delivery_name(self.path.name)

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
    """The files of each day: its deliveries and any other file whose name
    carries the date (staging reports those, never reads them)."""
    out: dict[date, list[InboxFile]] = {}
    for f in daily_files(inbox, source):
        if f.partition is not None:
            out.setdefault(f.partition, []).append(f)
    return out


def newest_first(files: list[InboxFile]) -> list[InboxFile]:
    """The delivery that counts first: the newest file, ties by name."""
    return sorted(files, key=lambda f: (-f.mtime_ns, f.path.name))
