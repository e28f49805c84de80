"""A Dagster logger that prints one short line per finished step, for the CLI."""

import logging
import sys
import time

import dagster as dg

_STEP_LABELS = {"STEP_SUCCESS": "完成", "STEP_FAILURE": "失败", "STEP_SKIPPED": "跳过"}


class _StepLineHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        label = _STEP_LABELS.get(kind)
        if label is None:
            return
        elapsed = time.monotonic() - self.started
        print(f"  [{elapsed:6.1f}s] {label} {event.step_key}", file=sys.stderr, flush=True)


@dg.logger(description="CLI progress: one line per finished step")
def step_progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger("windowwatch.progress")
    log.setLevel(logging.DEBUG)
    log.handlers = [_StepLineHandler()]
    log.propagate = False
    return log
