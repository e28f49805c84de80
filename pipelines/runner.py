"""Runs the one job in-process, recorded in the instance under HOME/dagster so
the web UI shows the CLI's runs. Holds the home lock for the whole run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from assets.atomic_files import write_text_atomic
from checks.gx_process import InProcessGx
from dashboards.site_process import SiteInProcess
from pipelines.definitions import build_definitions
from pipelines.progress import step_progress_logger
from pipelines.planning import changed_days, partition_range, range_tags, remember_staged_manifests
from pipelines.run_lock import hold_home

# What homes made before the event log storage below got as dagster.yaml.
EARLIER_INSTANCE_YAML = """\
telemetry:
  enabled: false
"""
WRITTEN_BY_US = "# Written by WindowWatch"


def instance_yaml(folder: Path) -> str:
    """The instance's configuration: Dagster's default storage layout, with
    the event log kept open between events (pipelines/event_log_storage.py).
    ``base_dir`` must be absolute, so the file names the folder it is in."""
    runs = json.dumps(str((folder / "history" / "runs").resolve()))
    return (
        f"{WRITTEN_BY_US} for this home (pipelines/runner.py); rewritten when the home moves.\n"
        f"{EARLIER_INSTANCE_YAML}"
        "event_log_storage:\n"
        "  module: pipelines.event_log_storage\n"
        "  class: KeptOpenSqliteEventLogStorage\n"
        "  config:\n"
        f"    base_dir: {runs}\n"
    )


def instance_dir(home: Path) -> Path:
    return home / "dagster"


def open_instance(home: Path) -> dg.DagsterInstance:
    folder = instance_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dagster.yaml"
    wanted = instance_yaml(folder)
    current = config.read_text(encoding="utf-8") if config.exists() else None
    # A dagster.yaml the IT person wrote (PostgreSQL, say) is theirs to keep.
    if current != wanted and (current in (None, EARLIER_INSTANCE_YAML) or current.startswith(WRITTEN_BY_US)):
        # whole or not at all: the web UI's processes may be reading it
        write_text_atomic(config, wanted)
    return dg.DagsterInstance.from_config(str(folder))


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    partition_start: str
    partition_end: str
    days_changed: int
    failures: list[str] = field(default_factory=list)


def step_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        text = ""
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        elif data.error is not None:
            error = data.error
            while error.cause is not None:  # the user code's own exception is innermost
                error = error.cause
            text = f"{error.cls_name}: {error.message.strip()}"[:500]
            if error.cls_name == "DagsterAssetCheckFailedError":
                text = _failed_checks(result, event.step_key) or text
        messages.append(f"{event.step_key}: {text}")
    return messages


def _failed_checks(result: dg.ExecuteInProcessResult, step_key: str) -> str:
    """The blocking checks a step failed, each with what failed (its
    description: for a GX suite, the expectations and the rows breaking
    them), in one line: Dagster's own error names only the checks."""
    failed = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION" or event.step_key != step_key:
            continue
        check = event.event_specific_data
        if not check.passed:
            failed.append(f"{check.check_name} 未通过 failed: {check.description or 'see the Dagster UI'}")
    return "; ".join(failed)[:1000]


def run_graph(home: Path, inbox: Path, as_of: date, **options) -> RunOutcome:
    """run_graph_holding_home (``options`` are its keyword arguments) with
    the home lock held meanwhile."""
    with hold_home(home):
        return run_graph_holding_home(home, inbox, as_of, **options)


def run_graph_holding_home(
    home: Path,
    inbox: Path,
    as_of: date,
    config_path: str = "",
    progress: bool = True,
    gx: InProcessGx | None = None,
    site: SiteInProcess | None = None,
) -> RunOutcome:
    """The run itself; the caller holds the home lock. ``gx``: where the GX
    step validates (default in this process; checks.gx_process);
    ``site``: where the dashboards are built beside the lists (default in
    this process; dashboards/site_process.py)."""
    instance = open_instance(home)
    defs = build_definitions(
        home, inbox=str(inbox), as_of=as_of.isoformat(), config_path=config_path, gx=gx, site=site
    )
    home_resource = defs.resources["home"]
    days = changed_days(inbox, home_resource.staged_dir, home_resource.reference_snapshot_dir, as_of)
    start, end = partition_range(days, as_of)
    job = defs.resolve_job_def("windowwatch_nightly")
    run_config = {}
    if progress:
        job = job.with_logger_defs({"step_progress": step_progress_logger})
        run_config = {"loggers": {"step_progress": {}}}
    result = job.execute_in_process(
        instance=instance,
        tags={**range_tags(start, end), "windowwatch/as_of": as_of.isoformat()},
        raise_on_error=False,
        run_config=run_config,
    )
    remember_staged_manifests(home_resource.staged_dir, home_resource.reference_snapshot_dir)
    return RunOutcome(result.success, result.run_id, start, end, len(days), step_failures(result))
