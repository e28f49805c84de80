"""The input contract of ../shared/spec/inputs.md as data.

Every source is a list of ``Column``s: canonical name, Chinese header, kind
(how the raw text is parsed), whether it is required, and for code columns the
accepted English codes with their Chinese words. Readers, validation, GX suites
and the demo generator all read this one table, so a header alias or a code
word is added in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

DEFAULT_HALL = "main"

# Kinds of column: how the raw string is parsed and what the staged dtype is.
TEXT = "text"
TIMESTAMP = "timestamp"
DATE = "date"
BOOL = "bool"
COUNT = "count"  # non-negative integer
NUMBER = "number"  # non-negative float
SCORE = "score"  # 1..5, or the five Chinese words
CODE = "code"  # one of Column.codes (English or Chinese, any case)

STAGED_DTYPE: dict[str, pl.DataType] = {
    TEXT: pl.String(),
    TIMESTAMP: pl.Datetime("us"),
    DATE: pl.Date(),
    BOOL: pl.Boolean(),
    COUNT: pl.Int64(),
    NUMBER: pl.Float64(),
    SCORE: pl.Int8(),
    CODE: pl.String(),
}

SCORE_WORDS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str = TEXT
    required: bool = True
    codes: dict[str, str] = field(default_factory=dict)  # english code -> 中文

    @property
    def dtype(self) -> pl.DataType:
        return STAGED_DTYPE[self.kind]


def _c(name, zh, kind=TEXT, required=True, codes=None) -> Column:
    return Column(name, zh, kind, required, dict(codes or {}))


HALL = _c("hall_id", "大厅编号", required=False)

CASE_STATUS = {
    "in_progress": "在办",
    "completed": "办结",
    "rejected": "不予受理",
    "returned": "退件",
    "withdrawn": "撤件",
}
CASE_CHANNEL = {"window": "窗口", "online": "网上"}
TICKET_STATUS = {"served": "已办理", "no_show": "过号", "cancelled": "取消"}
EVENT_TYPE = {
    "off_post": "离岗",
    "phone": "玩手机",
    "sleeping": "睡岗",
    "chatting": "串岗聊天",
    "dress": "着装不规范",
    "empty_window": "空岗",
}
EVENT_SOURCE = {"ai_camera": "智能视频", "patrol": "巡查", "mystery_shopper": "暗访"}
RATING_CHANNEL = {
    "device": "评价器",
    "qr": "扫码",
    "sms": "短信",
    "web": "网上",
    "app": "移动端",
    "hotline": "12345",
}
CALLBACK_OUTCOME = {"reached": "接通", "unreachable": "未接通", "refused": "拒访"}
PROBLEM_TYPE = {
    "none": "无",
    "extra_trip": "多跑路",
    "no_one_time_notice": "未一次性告知",
    "bad_attitude": "态度差",
    "misconduct": "吃拿卡要",
    "other": "其他",
}
UPDATE_STATUS = {"in_progress": "整改中", "resolved": "已整改", "disputed": "申诉"}
WINDOW_TYPE = {"comprehensive": "综合", "specialist": "专业", "consult": "咨询"}
STAFF_ROLE = {"chief_rep": "首席代表", "staff": "工作人员"}
MATTER_KIND = {"instant": "即办件", "promised": "承诺件"}


@dataclass(frozen=True)
class Source:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: str | None = None  # the row's own id, if it has one
    daily: bool = True

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def staged_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}


# ---- reference data (replaced whole on each delivery) ----------------------
REFERENCE_SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source("halls", "大厅", (_c("hall_id", "大厅编号"), _c("hall_name", "大厅名称")), "hall_id", False),
        Source(
            "departments", "部门", (_c("dept_id", "部门编码"), _c("dept_name", "部门名称")), "dept_id", False
        ),
        Source(
            "windows",
            "窗口",
            (
                HALL,
                _c("window_id", "窗口编号"),
                _c("window_name", "窗口名称"),
                _c("dept_id", "部门编码"),
                _c("window_type", "窗口类型", CODE, codes=WINDOW_TYPE),
            ),
            "window_id",
            False,
        ),
        Source(
            "staff",
            "人员",
            (
                _c("staff_id", "工号"),
                _c("staff_name", "姓名"),
                _c("dept_id", "部门编码"),
                HALL,
                _c("window_id", "窗口编号"),
                _c("role", "岗位", CODE, codes=STAFF_ROLE),
            ),
            "staff_id",
            False,
        ),
        Source(
            "matters",
            "事项",
            (
                _c("matter_code", "事项编码"),
                _c("matter_name", "事项名称"),
                _c("dept_id", "部门编码"),
                _c("matter_kind", "事项类型", CODE, codes=MATTER_KIND),
                _c("promised_days", "承诺时限", COUNT),
                _c("one_trip", "最多跑一次", BOOL),
            ),
            "matter_code",
            False,
        ),
    ]
}
REQUIRED_REFERENCE = ("departments", "windows", "staff", "matters")

# ---- daily sources (one file per export date) -------------------------------
DAILY_SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "attendance",
            "考勤打卡",
            (HALL, _c("staff_id", "工号"), _c("punch_at", "打卡时间", TIMESTAMP)),
        ),
        Source(
            "leave",
            "请假",
            (
                HALL,
                _c("staff_id", "工号"),
                _c("leave_start", "开始时间", TIMESTAMP),
                _c("leave_end", "结束时间", TIMESTAMP),
                _c("leave_type", "请假类型", required=False),
                _c("approved", "是否批准", BOOL),
            ),
        ),
        Source(
            "cases",
            "办件",
            (
                HALL,
                _c("case_id", "办件编号"),
                _c("window_id", "窗口编号"),
                _c("staff_id", "工号"),
                _c("matter_code", "事项编码"),
                _c("received_at", "受理时间", TIMESTAMP),
                _c("completed_at", "办结时间", TIMESTAMP, required=False),
                _c("status", "办件状态", CODE, codes=CASE_STATUS),
                _c("promised_days", "承诺时限", COUNT, required=False),
                _c("supplement_count", "补正次数", COUNT),
                _c("visit_count", "跑动次数", COUNT),
                _c("channel", "受理渠道", CODE, codes=CASE_CHANNEL),
                _c("updated_at", "更新时间", TIMESTAMP),
            ),
            "case_id",
        ),
        Source(
            "queue",
            "排队叫号",
            (
                HALL,
                _c("ticket_id", "票号"),
                _c("issued_at", "取号时间", TIMESTAMP),
                _c("called_at", "叫号时间", TIMESTAMP, required=False),
                _c("finished_at", "结束时间", TIMESTAMP, required=False),
                _c("window_id", "窗口编号"),
                _c("service_category", "业务类别", required=False),
                _c("status", "状态", CODE, codes=TICKET_STATUS),
            ),
            "ticket_id",
        ),
        Source(
            "monitoring",
            "监察事件",
            (
                HALL,
                _c("event_id", "事件编号"),
                _c("occurred_at", "发生时间", TIMESTAMP),
                _c("window_id", "窗口编号"),
                _c("staff_id", "工号", required=False),
                _c("event_type", "事件类型", CODE, codes=EVENT_TYPE),
                _c("duration_minutes", "持续分钟", NUMBER, required=False),
                _c("source", "来源", CODE, codes=EVENT_SOURCE),
                _c("confirmed", "是否核实", BOOL),
                _c("evidence_ref", "证据编号", required=False),
            ),
            "event_id",
        ),
        Source(
            "ratings",
            "好差评",
            (
                HALL,
                _c("rating_id", "评价编号"),
                _c("rated_at", "评价时间", TIMESTAMP),
                _c("window_id", "窗口编号"),
                _c("staff_id", "工号", required=False),
                _c("case_id", "办件编号", required=False),
                _c("score", "评价等级", SCORE),
                _c("channel", "评价渠道", CODE, required=False, codes=RATING_CHANNEL),
                _c("reasons", "差评原因", required=False),
                _c("comment", "评价内容", required=False),
                _c("rater_phone", "联系电话", required=False),
            ),
            "rating_id",
        ),
        Source(
            "callbacks",
            "电话回访",
            (
                HALL,
                _c("callback_id", "回访编号"),
                _c("case_id", "办件编号"),
                _c("called_at", "回访时间", TIMESTAMP),
                _c("outcome", "回访结果", CODE, codes=CALLBACK_OUTCOME),
                _c("satisfaction", "满意度", SCORE, required=False),
                _c("problem_type", "反映问题", CODE, codes=PROBLEM_TYPE),
                _c("problem_verified", "问题是否属实", BOOL),
                _c("comment", "回访记录", required=False),
                _c("phone", "联系电话", required=False),
            ),
            "callback_id",
        ),
    ]
}

UPDATES_SOURCE = Source(
    "rectification_updates",
    "整改反馈",
    (
        _c("item_id", "整改编号"),
        _c("status", "整改状态", CODE, codes=UPDATE_STATUS),
        _c("note", "整改情况"),  # the cell may be empty but for 已整改 (inputs.md, "Bad input")
        _c("updated_by", "填报人"),
        _c("updated_at", "填报时间", TIMESTAMP),
    ),
    "item_id",
    daily=False,
)

# Booleans where an empty cell means false rather than "missing".
EMPTY_MEANS_FALSE = {("monitoring", "confirmed"), ("callbacks", "problem_verified")}

# Columns every staged daily frame carries beside the contract's, for lineage.
LINEAGE_SCHEMA: dict[str, pl.DataType] = {
    "partition_date": pl.Date(),
    "source_file": pl.String(),
    "source_row": pl.Int64(),  # 1-based, header not counted
}


def staged_schema(source: str) -> dict[str, pl.DataType]:
    """Column -> dtype of a staged (validated) daily source, lineage last."""
    src = DAILY_SOURCES[source]
    return {**src.staged_schema, **LINEAGE_SCHEMA}


def header_aliases(source: Source) -> dict[str, str]:
    """Normalised header text -> canonical column name (English and Chinese)."""
    out: dict[str, str] = {}
    for col in source.columns:
        out[normalise_header(col.name)] = col.name
        out[normalise_header(col.zh)] = col.name
    return out


def normalise_header(text: str) -> str:
    return str(text).replace("\ufeff", "").strip().lower()
