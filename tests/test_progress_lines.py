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


@dg.op
def reference_data() -> int:
    raise dg.Failure("基础数据无法使用")


@dg.op
def staged(reference: int) -> int:
    return reference


@dg.op
def published(rows: int) -> None:
    pass


@dg.job(logger_defs={"step_progress": step_progress_logger})
def stopped():
    published(staged(reference_data()))


def test_steps_left_out_after_a_failure_add_no_line(capsys):
    """Dagster notes each step it leaves out as a warning; the failed step's
    line says it all (the run summary gives the reason)."""
    result = stopped.execute_in_process(run_config={"loggers": {"step_progress": {}}}, raise_on_error=False)
    assert not result.success
    lines = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert lines == ["失败 reference_data"]
