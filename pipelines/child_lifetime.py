"""A child process that must not outlive the run that started it.

The site's child (dashboards/site_process.py) lives from the command's
start to its end. When the command is killed (kill -9, the machine's
out-of-memory killer), nothing may tell a child: the process-pool worker
the site once ran in went on waiting for ever, holding the run's stdout and
stderr open, so whatever waited for the command's output (a scheduler, a
test) waited too. The child now also sees its pipe close, but not while it
imports or builds. On Linux the kernel can send the child a signal when its
parent dies; elsewhere the child is left as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def exit_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
