"""A sensor that sees new or changed inbox files and asks for those days."""

import dagster as dg

from pipelines.jobs import nightly_job
from pipelines.planning import IN_PROCESS_RUN_CONFIG, changed_days, inbox_digest, partition_range, range_tags
from pipelines.resources import WindowWatchHome
from pipelines.run_lock import home_is_busy


def inbox_sensor_for(home: WindowWatchHome) -> dg.SensorDefinition:
    @dg.sensor(
        name="inbox_files",
        job=nightly_job,
        minimum_interval_seconds=120,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="收件箱有新文件或文件被更正时，自动处理相应日期",
    )
    def _inbox(context: dg.SensorEvaluationContext):
        if home_is_busy(home.home_dir):
            return dg.SkipReason("另一个运行正在使用该目录 (home busy)")
        as_of = home.as_of_date
        days = changed_days(home.inbox_dir, home.staged_dir, home.reference_snapshot_dir, as_of)
        if not days:
            return dg.SkipReason("收件箱没有新文件 (nothing new)")
        start, end = partition_range(days, as_of)
        # The cursor is a digest of the inbox as seen now, so one change
        # asks for one run while a file changed again asks anew.
        key = inbox_digest(home.inbox_dir)
        if context.cursor == key:
            return dg.SkipReason("已请求处理这些日期 (already requested)")
        context.update_cursor(key)
        return dg.RunRequest(run_key=None, tags=range_tags(start, end), run_config=IN_PROCESS_RUN_CONFIG)

    return _inbox
