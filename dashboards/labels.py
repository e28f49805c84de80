"""Words and number/date formats of the dashboards, in 中文 (default) and English.

Every text a page shows is a ``Bi`` (a Chinese and an English form). Pages
render both and a switch shows one (see ``dashboards.html``). Numbers and
dates follow Chinese conventions in both languages where they are the same
(thousands separator ``,``, decimal point ``.``, ``92.5%``); dates are
``2026年3月5日`` in Chinese and ``5 Mar 2026`` in English.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Bi:
    """A text in both languages."""

    zh: str
    en: str

    def pick(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __add__(self, other: "Bi | str") -> "Bi":
        if isinstance(other, Bi):
            return Bi(self.zh + other.zh, self.en + other.en)
        return Bi(self.zh + other, self.en + other)

    def format(self, **kw) -> "Bi":
        def val(v, lang):
            return v.pick(lang) if isinstance(v, Bi) else v

        return Bi(
            self.zh.format(**{k: val(v, "zh") for k, v in kw.items()}),
            self.en.format(**{k: val(v, "en") for k, v in kw.items()}),
        )


def same(text: str) -> Bi:
    """A text that reads the same in both languages (an id, a name, a number)."""
    return Bi(text, text)


# ---------------------------------------------------------------------------
# code words
# ---------------------------------------------------------------------------
CODES: dict[str, dict[str, Bi]] = {
    "rect_status": {
        "open": Bi("待整改", "Open"),
        "in_progress": Bi("整改中", "In progress"),
        "disputed": Bi("申诉中", "Disputed"),
        "overdue": Bi("已超期", "Overdue"),
        "escalated": Bi("超期通报", "Escalated"),
        "resolved": Bi("已整改", "Resolved"),
        "withdrawn": Bi("已撤销", "Withdrawn"),
    },
    "rule": {
        "bad_rating": Bi("差评", "Bad rating"),
        "overdue_case": Bi("办件超期", "Overdue case"),
        "one_notice": Bi("未一次性告知", "No one-time notice"),
        "behaviour": Bi("行为规范问题", "Conduct"),
        "callback_problem": Bi("回访反映问题", "Callback problem"),
        "absence": Bi("旷工", "Absence"),
        "repeated_lateness": Bi("多次迟到早退", "Repeated lateness"),
        "low_score": Bi("月度考评低分", "Low monthly score"),
    },
    "warning_level": {
        "overdue": Bi("超期", "Overdue"),
        "due_soon": Bi("预警", "Due soon"),
    },
    "window_type": {
        "comprehensive": Bi("综合", "Comprehensive"),
        "specialist": Bi("专业", "Specialist"),
        "consult": Bi("咨询", "Enquiries"),
    },
    "role": {
        "chief_rep": Bi("首席代表", "Chief representative"),
        "staff": Bi("工作人员", "Staff"),
    },
    "refusal_follow_up": {
        "waiting": Bi("待部门改正（已列入其每日清单）", "Waiting for the department (on its daily list)"),
        "no_item": Bi("编号不在台账，请联系部门", "No such item: ask the department"),
        "gone": Bi("编号不在台账，文件已改正或移走", "No such item; no longer in the inbox"),
        "answered": Bi("部门已重新填报", "Answered again"),
        "settled": Bi("事项已整改或撤销", "Item resolved or withdrawn"),
    },
    "list": {
        "red": Bi("红榜", "Red list"),
        "black": Bi("黑榜", "Black list"),
    },
    "source": {
        "reference": Bi("基础数据", "Reference"),
        "attendance": Bi("考勤打卡", "Attendance"),
        "leave": Bi("请假", "Leave"),
        "cases": Bi("办件", "Cases"),
        "queue": Bi("排队叫号", "Queue"),
        "monitoring": Bi("监察事件", "Monitoring"),
        "ratings": Bi("好差评", "Ratings"),
        "callbacks": Bi("电话回访", "Callbacks"),
        "rectification_updates": Bi("整改回复", "Rectification replies"),
    },
    "file_status": {
        "loaded": Bi("已入库", "Loaded"),
        "rejected": Bi("拒收", "Rejected"),
    },
    "quarantine_reason": {
        "missing_value": Bi("必填项为空", "Missing value"),
        "bad_timestamp": Bi("时间无法识别", "Bad timestamp"),
        "bad_date": Bi("日期无法识别", "Bad date"),
        "bad_boolean": Bi("是/否值无法识别", "Bad yes/no"),
        "bad_number": Bi("数值无法识别", "Bad number"),
        "negative_count": Bi("次数为负数", "Negative count"),
        "out_of_range": Bi("数值超出范围", "Out of range"),
        "unknown_code": Bi("代码不存在", "Unknown code"),
        "finish_before_start": Bi("结束早于开始", "Finish before start"),
        "after_export_day": Bi("晚于文件的导出日期", "After the file's export day"),
        "unknown_case": Bi("找不到办件", "Unknown case"),
        "case_in_other_hall": Bi("与办件所属大厅不一致", "Case in another hall"),
        "duplicate_key": Bi("编号重复", "Duplicate id"),
        # a department's reply refused (status.validate_updates)
        "unknown_item": Bi("整改编号不在台账", "Unknown item"),
        "unknown_status": Bi("整改状态无法识别", "Unknown status"),
        "resolved_without_note": Bi("已整改未写整改情况", "Resolved without a note"),
        "bad_updated_at": Bi("填报时间无法识别", "Bad reply time"),
        "missing_updated_by": Bi("未填写填报人", "No name given"),
        "before_detected": Bi("填报时间早于问题发现", "Dated before the item was found"),
        "after_today": Bi("填报时间晚于今天", "Dated after today"),
    },
    "deduction": {
        "absent": Bi("旷工", "Absent"),
        "missing_punch": Bi("缺卡", "Missing punch"),
        "late": Bi("迟到", "Late"),
        "early": Bi("早退", "Early leave"),
        "off_post": Bi("离岗", "Off post"),
        "phone": Bi("玩手机", "On the phone"),
        "sleeping": Bi("睡岗", "Sleeping"),
        "chatting": Bi("串岗聊天", "Chatting"),
        "dress": Bi("着装不规范", "Dress code"),
        "empty_window": Bi("空岗", "Empty window"),
        "extra_trip": Bi("多跑路（回访）", "Extra trip (callback)"),
        "no_one_time_notice": Bi("未一次性告知（回访）", "No one-time notice (callback)"),
        "bad_attitude": Bi("态度差（回访）", "Bad attitude (callback)"),
        "misconduct": Bi("吃拿卡要（回访）", "Misconduct (callback)"),
        "other": Bi("其他问题（回访）", "Other (callback)"),
    },
    "staffing_status": {
        "under_staffed": Bi("窗口不足", "Under-staffed"),
        "over_staffed": Bi("窗口富余", "Over-staffed"),
        "ok": Bi("适当", "About right"),
        "unknown": Bi("无法判断", "Unknown"),
    },
    "handling_from": {
        "slot": Bi("本时段", "this slot"),
        "category": Bi("本类别", "this category"),
        "hall": Bi("全厅", "whole hall"),
    },
}


def code(kind: str, value: object) -> Bi:
    """The words for a code; an unknown code is shown as it is."""
    if value is None:
        return same("—")
    return CODES.get(kind, {}).get(str(value), same(str(value)))


# A refused reply's reason is one text in both languages, for the run summary
# ("未知整改状态 unknown status: 完成"); a page shows its code's words in the
# page's language, with what the department wrote, or the date it was judged by.
_DATED_REASONS = ("after_today", "before_detected")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WRITTEN = re.compile(r": (.*)$")


def reply_reason(reason_code: str | None, reason: str | None) -> Bi:
    """A refused reply's reason (``reason`` already masked) as words."""
    label = CODES["quarantine_reason"].get(str(reason_code))
    if label is None or reason is None:
        return same(reason or "—")
    found = (_DATE if reason_code in _DATED_REASONS else _WRITTEN).search(reason)
    if found is None:
        return label
    value = found.group(0) if reason_code in _DATED_REASONS else found.group(1)
    return Bi(f"{label.zh}：{value}", f"{label.en}: {value}")


WEEKDAYS = [
    Bi("周一", "Mon"),
    Bi("周二", "Tue"),
    Bi("周三", "Wed"),
    Bi("周四", "Thu"),
    Bi("周五", "Fri"),
    Bi("周六", "Sat"),
    Bi("周日", "Sun"),
]


def weekday(n: int) -> Bi:
    """1 = Monday … 7 = Sunday."""
    return WEEKDAYS[int(n) - 1]


# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------
DASH = "—"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_int(n) -> str:
    """1234567 -> '1,234,567'."""
    return DASH if _missing(n) else f"{int(round(n)):,}"


def half_away(x: float, digits: int) -> float:
    """``x`` rounded half away from zero, as polars' round(mode="half_away_from_zero")
    does for the scores export: Python's format rounds a tie to even, so the
    site would show 98.12 where the export says 98.13."""
    if not math.isfinite(x):
        return x
    scale = 10.0**digits
    scaled = abs(x) * scale
    whole = math.floor(scaled)
    if scaled - whole >= 0.5:
        whole += 1
    return math.copysign(whole / scale, x)


def fmt_num(x, digits: int = 1) -> str:
    return DASH if _missing(x) else f"{half_away(x, digits):,.{digits}f}"


def fmt_setting(x) -> str:
    """A method setting as an office writes it: 20 (not 20.0), 12.5."""
    return fmt_num(x, 0 if float(x).is_integer() else 1)


def fmt_score(x) -> str:
    """Scores are shown to 2 decimals (scoring.md)."""
    return fmt_num(x, 2)


def fmt_pct(share, digits: int = 1) -> str:
    """A share 0..1 -> '92.5%'."""
    return DASH if _missing(share) else f"{half_away(share * 100, digits):.{digits}f}%"


def fmt_minutes(minutes, digits: int = 1) -> Bi:
    if _missing(minutes):
        return same(DASH)
    v = f"{minutes:,.{digits}f}"
    return Bi(f"{v}分钟", f"{v} min")


def fmt_delta_points(d, digits: int = 1) -> Bi:
    """A change of a share in percentage points: '+1.2个百分点' / '+1.2 pts'."""
    if _missing(d):
        return same(DASH)
    v = signed(d * 100, digits)
    return Bi(f"{v}个百分点", f"{v} pts")


def fmt_delta(d, digits: int = 2, unit: Bi | None = None) -> Bi:
    if _missing(d):
        return same(DASH)
    v = signed(d, digits, thousands=True)
    return Bi(v + (unit.zh if unit else ""), v + (" " + unit.en if unit else ""))


def signed(x: float, digits: int, *, thousands: bool = False) -> str:
    """'+1.2' / '-1.2', and '0.0' for a change that rounds to nothing: a card
    saying '-0.0' reads as a fall that did not happen."""
    shown = half_away(x, digits)
    if shown == 0:
        return f"{0:.{digits}f}"
    return f"{shown:+,.{digits}f}" if thousands else f"{shown:+.{digits}f}"


def fmt_count(n, unit: Bi) -> Bi:
    """'12件' / '12 cases'."""
    v = fmt_int(n)
    return Bi(f"{v}{unit.zh}", f"{v} {unit.en}")


# ---------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS_EN_LONG = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def fmt_date(d: date | datetime | None) -> Bi:
    """2026年3月5日 / 5 Mar 2026."""
    if d is None:
        return same(DASH)
    return Bi(f"{d.year}年{d.month}月{d.day}日", f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}")


def fmt_date_range(first: date, last: date) -> Bi:
    """2026年10月12日至12月6日 / 12 Oct to 6 Dec 2026: the year once when both
    days are in it; one day is written as a date."""
    if first == last:
        return fmt_date(first)
    a, b = fmt_date(first), fmt_date(last)
    if first.year == last.year:
        return Bi(f"{a.zh}至{fmt_date_short(last).zh}", f"{fmt_date_short(first).en} to {b.en}")
    return Bi(f"{a.zh}至{b.zh}", f"{a.en} to {b.en}")


def fmt_date_short(d: date | datetime | None) -> Bi:
    """3月5日 / 5 Mar."""
    if d is None:
        return same(DASH)
    return Bi(f"{d.month}月{d.day}日", f"{d.day} {_MONTHS_EN[d.month - 1]}")


def fmt_datetime(t: datetime | None) -> Bi:
    if t is None:
        return same(DASH)
    hm = f"{t.hour:02d}:{t.minute:02d}"
    d = fmt_date(t)
    return Bi(f"{d.zh} {hm}", f"{d.en} {hm}")


def fmt_month(period: str) -> Bi:
    """'2026-03' -> 2026年3月 / March 2026."""
    y, m = (int(p) for p in period.split("-")[:2])
    return Bi(f"{y}年{m}月", f"{_MONTHS_EN_LONG[m - 1]} {y}")


def fmt_hour(h: int) -> str:
    return f"{int(h)}:00"


def fmt_hour_range(h: int) -> str:
    return f"{int(h)}:00–{int(h) + 1}:00"


# plotly (d3) date formats per language
PLOTLY_DATE_TICK = {"zh": "%-m月%-d日", "en": "%-d %b"}
PLOTLY_DATE_HOVER = {"zh": "%Y年%-m月%-d日", "en": "%-d %b %Y"}
