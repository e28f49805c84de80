"""Small files replaced whole: written under a temporary name beside the
final one, then renamed over it.

Whoever reads one (the next step, the web UI's processes, a run after a
``kill -9``) finds the old text or the new, never part of either. The
temporary name starts with a dot, so listings of the folder pass it by, and
carries the process id, so two processes writing the same file (the command
line and the web UI's daemon) never share one.
"""

from __future__ import annotations

import os
from pathlib import Path


def temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """``data`` at ``path``; the folder is made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """``text`` as UTF-8 at ``path``; the folder is made if missing."""
    write_bytes_atomic(path, text.encode("utf-8"))
