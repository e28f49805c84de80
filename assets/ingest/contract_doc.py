"""The column tables of docs/INPUTS.md, written from the contract itself
(contract.py), so that what the office is told to export is what the
readers accept. ``python -m assets.ingest.contract_doc`` rewrites the part
of docs/INPUTS.md between its two markers; a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import contract as c

BEGIN = "<!-- columns: written by `python -m assets.ingest.contract_doc`; do not edit by hand -->"
END = "<!-- end of columns -->"
INPUTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "INPUTS.md"

_KIND_WORDS = {
    c.TEXT: "文字 text",
    c.TIMESTAMP: "时间 timestamp",
    c.DATE: "日期 date",
    c.BOOL: "是/否 boolean",
    c.COUNT: "非负整数 count",
    c.NUMBER: "非负数 number",
    c.SCORE: "1–5 或 非常满意/满意/基本满意/不满意/非常不满意",
    c.CODE: "代码 code",
}


def _values(column: c.Column) -> str:
    if column.codes:
        return " / ".join(f"`{code}` {zh}" for code, zh in column.codes.items())
    return ""


def _table(source: c.Source) -> list[str]:
    lines = [
        "| 中文表头 | English | 类型 kind | 必填 required | 可填的代码 codes |",
        "|---|---|---|---|---|",
    ]
    for column in source.columns:
        name = f"**{column.zh}**" if column.name == source.key else column.zh
        required = "是 yes" if column.required else "否 no"
        lines.append(f"| {name} | `{column.name}` | {_KIND_WORDS[column.kind]} | {required} | {_values(column)} |")
    return lines


def _section(source: c.Source, where: str) -> list[str]:
    key = f"每行的编号 row id: {source.column(source.key).zh} `{source.key}`（加粗）" if source.key else "无行编号 no row id"
    return [f"### {source.zh} `{source.name}`", "", f"{where}；{key}。", "", *_table(source), ""]


def columns_markdown() -> str:
    """The generated part of docs/INPUTS.md."""
    lines = ["## 基础数据 Reference (`reference/`)", ""]
    for source in c.REFERENCE_SOURCES.values():
        needed = "必须有 required" if source.name in c.REQUIRED_REFERENCE else "可以没有 optional"
        lines += _section(source, f"`reference/{source.name}.csv|xlsx|parquet`，{needed}，每次整份替换")
    lines += ["## 每天的数据 Daily exports", ""]
    for source in c.DAILY_SOURCES.values():
        lines += _section(source, f"`{source.name}/YYYY-MM-DD.csv|xlsx|parquet`，文件名是导出日期")
    lines += ["## 部门反馈 Department replies", ""]
    lines += _section(
        c.UPDATES_SOURCE,
        f"`{c.UPDATES_SOURCE.name}/` 下任意文件名（通常就是督查室发出的《整改清单》原样填好）",
    )
    return "\n".join([BEGIN, "", *lines, END])


def current_doc(text: str) -> str:
    """``text`` (docs/INPUTS.md) with its generated part written anew."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + columns_markdown() + tail


def main() -> int:
    INPUTS_DOC.write_text(current_doc(INPUTS_DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(INPUTS_DOC, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
