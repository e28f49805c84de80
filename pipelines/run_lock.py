"""One run per home at a time.

An advisory lock (flock) on HOME/.run.lock: the kernel drops it when the
holder dies, kill -9 included, so a crashed run never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class HomeBusy(Exception):
    pass


class HomeUnusable(Exception):
    """The home cannot hold a lock: a file, or a place no folder can be made."""


def home_unusable(home: Path, exc: OSError) -> HomeUnusable:
    """The one line for a home where a folder or file cannot be made."""
    # mkdir's "File exists" would not tell the user their home is a file
    reason = "不是文件夹 not a folder" if home.exists() and not home.is_dir() else exc.strerror or str(exc)
    return HomeUnusable(f"无法使用 home cannot use home {home}: {reason}")


def lock_path(home: Path) -> Path:
    return home / ".run.lock"


@contextlib.contextmanager
def hold_home(home: Path, wait: bool = False) -> Iterator[None]:
    """``wait``: wait for another run to let go of the home instead of
    raising HomeBusy (the runs the daemon and the web UI launch)."""
    path = lock_path(home)
    try:
        home.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as exc:
        raise home_unusable(home, exc) from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        fh.close()
        raise HomeBusy(f"{home} 正被另一个运行占用 (home is held by another run, pid {holder})") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def home_is_busy(home: Path) -> bool:
    path = lock_path(home)
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False
