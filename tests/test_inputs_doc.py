"""docs/INPUTS.md, what the office is told to export, says what the readers
accept: its column tables are the contract's, and a few rows are checked
against inputs.md by hand."""

from assets.ingest.contract_doc import INPUTS_DOC, current_doc


def test_the_column_tables_are_current():
    text = INPUTS_DOC.read_text(encoding="utf-8")
    assert text == current_doc(text), "run: python -m assets.ingest.contract_doc"


def test_rows_as_the_spec_gives_them():
    text = INPUTS_DOC.read_text(encoding="utf-8")
    # from inputs.md by hand: the case id is the row's id; a score is 1-5 or the five
    # words; 补正次数 a count; 问题是否属实 a boolean; 办结时间 empty while open; the reply codes
    assert "| **办件编号** | `case_id` | 文字 text | 是 yes |  |" in text
    assert "| 评价等级 | `score` | 1–5 或 非常满意/满意/基本满意/不满意/非常不满意 | 是 yes |  |" in text
    assert "| 补正次数 | `supplement_count` | 非负整数 count | 是 yes |  |" in text
    assert "| 问题是否属实 | `problem_verified` | 是/否 boolean | 是 yes |  |" in text
    assert "| 办结时间 | `completed_at` | 时间 timestamp | 否 no |  |" in text
    assert "| 整改状态 | `status` | 代码 code | 是 yes | `in_progress` 整改中 / `resolved` 已整改 / `disputed` 申诉 |" in text
