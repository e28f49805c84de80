"""The command line run as a person runs it: a real subprocess, with no
WINDOWWATCH_HOME from the environment that runs the tests."""

import os
import subprocess
import sys
from pathlib import Path

WINDOWWATCH = [sys.executable, "-m", "pipelines.cli"]
ROOT = Path(__file__).resolve().parent.parent


def cli(*args, home=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if k != "WINDOWWATCH_HOME"}
    return subprocess.run(
        [*WINDOWWATCH, *args, *(["--home", str(home)] if home else [])],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def one_clear_line(proc):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]
