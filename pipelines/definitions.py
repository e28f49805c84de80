"""The one Definitions of WindowWatch, built in one place.

`build_definitions(home)` is what the CLI runs in-process and what
`dagster dev -w workspace.yaml` loads (through `defs`, from WINDOWWATCH_HOME),
so the CLI, the schedule and the web UI run the same assets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from checks.gx_process import InProcessGx
from dashboards.site_process import SiteChildPerBuild, SiteInProcess
from pipelines.asset_list import all_asset_checks, all_assets
from pipelines.event_log_storage import store_asset_events_in_batches
from pipelines.jobs import nightly_job
from pipelines.resources import WindowWatchHome, warehouse_of
from pipelines.run_logs import write_run_logs_without_fsync
from pipelines.schedules import nightly_schedule_for
from pipelines.sensors import inbox_sensor_for

DEFAULT_HOME = "./var"


def home_from_env() -> str:
    return os.environ.get("WINDOWWATCH_HOME") or DEFAULT_HOME


def build_definitions(
    home: str | Path,
    inbox: str = "",
    as_of: str = "",
    config_path: str = "",
    gx: InProcessGx | None = None,
    site: SiteInProcess | None = None,
    hold_lock: bool = False,
) -> dg.Definitions:
    """``gx``: where the GX step validates (checks.gx_process); in-process
    unless the command line started a child process for it. ``site``: where
    the publication step builds the dashboards while it writes the lists
    (dashboards/site_process.py); in-process unless given. ``hold_lock``: each
    run holds the home's lock itself (WindowWatchHome.hold_lock)."""
    # Every process that runs these assets (command line, web UI's run
    # workers, the benchmark) builds them here.
    write_run_logs_without_fsync()
    store_asset_events_in_batches()
    home_resource = WindowWatchHome(
        home=str(Path(home).resolve()), inbox=inbox, as_of=as_of, config_path=config_path, hold_lock=hold_lock
    )
    warehouse = warehouse_of(home_resource)
    return dg.Definitions(
        assets=all_assets(),
        asset_checks=all_asset_checks(),
        jobs=[nightly_job],
        schedules=[nightly_schedule_for(home_resource)],
        sensors=[inbox_sensor_for(home_resource)],
        resources={
            "home": home_resource,
            "warehouse": warehouse,
            "gx": gx or InProcessGx(),
            "site": site or SiteInProcess(),
        },
    )


# the web UI's runs (schedule, sensor, launched by hand): a child process per
# site build, beside the lists; each holds the home's lock, so that a
# `windowwatch run` meanwhile is refused and they run one after another
defs = build_definitions(
    home_from_env(), inbox=os.environ.get("WINDOWWATCH_INBOX", ""), site=SiteChildPerBuild(), hold_lock=True
)
