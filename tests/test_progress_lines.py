"""The CLI's progress lines, from a real Dagster run with its logger: a line
per finished step, and each warning a step logs (run from the command line,
the run's warnings would otherwise be seen only in the web UI)."""

import dagster as dg

from pipelines.progress import step_progress_logger


@dg.op
def scores(context: dg.OpExecutionContext) -> None:
    context.log.info("scores: full")
    context.log.warning("2027 年的法定节假日安排未知，按周一至周五为工作日计算")


@dg.job(logger_defs={"step_progress": step_progress_logger})
def nightly():
    scores()


def test_a_step_warning_is_printed_between_the_step_lines(capsys):
    assert nightly.execute_in_process(run_config={"loggers": {"step_progress": {}}}).success
    lines = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert lines == ["提醒 scores: 2027 年的法定节假日安排未知，按周一至周五为工作日计算", "完成 scores"]
