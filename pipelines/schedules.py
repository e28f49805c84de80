"""The nightly schedule: 01:30 Asia/Shanghai, for the previous day."""

from datetime import timedelta

import dagster as dg

from pipelines.jobs import nightly_job
from pipelines.planning import IN_PROCESS_RUN_CONFIG, changed_days, partition_range, range_tags
from pipelines.resources import WindowWatchHome
from pipelines.run_lock import home_is_busy


def nightly_schedule_for(home: WindowWatchHome) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_0130",
        cron_schedule="30 1 * * *",
        execution_timezone="Asia/Shanghai",
        job=nightly_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="每天 01:30（北京时间）处理前一天的数据，以及任何新到或更正的日期",
    )
    def _nightly(context: dg.ScheduleEvaluationContext):
        if home_is_busy(home.home_dir):
            return dg.SkipReason("另一个运行正在使用该目录 (home busy)")
        previous_day = context.scheduled_execution_time.date() - timedelta(days=1)
        days = changed_days(home.inbox_dir, home.staged_dir, home.reference_snapshot_dir, previous_day)
        start, _ = partition_range(days, previous_day)
        return dg.RunRequest(
            run_key=f"nightly-{previous_day.isoformat()}",
            tags=range_tags(start, previous_day.isoformat()),
            run_config=IN_PROCESS_RUN_CONFIG,
        )

    return _nightly
