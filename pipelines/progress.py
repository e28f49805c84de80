"""A Dagster logger that prints one short line per finished step, and each
warning a step logs (a year without a holiday schedule, a rejected reply
file), for the CLI: run from the command line, the run's warnings would
otherwise be seen only in the web UI."""

import logging
import sys
import time

import dagster as dg

_STEP_LABELS = {"STEP_SUCCESS": "完成", "STEP_FAILURE": "失败", "STEP_SKIPPED": "跳过"}
_NOT_RUN = "Dependencies for step "


class _StepLineHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            message = meta.get("orig_message") or record.getMessage()
            # Dagster's own note on each step left out after a failure: the
            # failed step's line and the summary already say what stopped
            if record.levelno >= logging.WARNING and meta.get("step_key") and not message.startswith(_NOT_RUN):
                self._line(f"提醒 {meta['step_key']}: {message}")
            return
        label = _STEP_LABELS.get(event.event_type_value)
        if label is not None:
            self._line(f"{label} {event.step_key}")

    def _line(self, text: str) -> None:
        print(f"  [{time.monotonic() - self.started:6.1f}s] {text}", file=sys.stderr, flush=True)


@dg.logger(description="CLI progress: one line per finished step")
def step_progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger("windowwatch.progress")
    log.setLevel(logging.DEBUG)
    log.handlers = [_StepLineHandler()]
    log.propagate = False
    return log
