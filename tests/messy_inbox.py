"""A small hand-made inbox holding every form the input contract allows and
every kind of bad row, with what the pipeline must make of each row.

Expected counts and reasons here are written by hand from inputs.md, not
taken from the pipeline's output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl

REFERENCE = {
    "departments.csv": ("utf-8", "部门编码,部门名称\nD01,市场监管局\nD02,不动产登记中心\n"),
    "windows.csv": (
        "gb18030",
        "大厅编号,窗口编号,窗口名称,部门编码,窗口类型\n"
        "main,A01,综合窗口一,D01,综合\n"
        "main,A02,不动产窗口,D02,specialist\n"
        ",A03,咨询台,D01,CONSULT\n",
    ),
    "staff.csv": (
        "utf-8-sig",
        "staff_id,staff_name,dept_id,window_id,role\n"
        "S001,张三,D01,A01,staff\n"
        "S002,李四,D02,A02,首席代表\n"
        "S003,王五,D01,A03,staff\n",
    ),
    "matters.csv": (
        "utf-8",
        "事项编码,事项名称,部门编码,事项类型,承诺时限,最多跑一次\n"
        "M1,营业执照,D01,即办件,0,是\n"
        "M2,不动产登记,D02,promised,5,N\n",
    ),
}


def _write_text(path: Path, text: str, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def write_reference(inbox: Path) -> None:
    for name, (encoding, text) in REFERENCE.items():
        _write_text(inbox / "reference" / name, text, encoding)


# (source, file) -> rows read, loaded, quarantined, duplicates, and the
# 1-based rows that must be quarantined with their reason.
EXPECTED: dict[tuple[str, str], dict] = {}


def _expect(source, file, read, loaded, quarantined, dups, bad_rows=None):
    EXPECTED[(source, file)] = {
        "read": read,
        "loaded": loaded,
        "quarantined": quarantined,
        "duplicates": dups,
        "bad_rows": bad_rows or {},
    }


# Row numbers are 1-based data rows; the comments beside each file's rows
# below say why each bad row is bad.
_expect("cases",
        "2026-03-05.csv",
        15,
        3,
        11,
        1,
        {
            3: "bad_timestamp",
            4: "unknown_code",
            5: "unknown_code",
            6: "unknown_code",
            7: "unknown_code",
            8: "negative_count",
            9: "finish_before_start",
            10: "missing_value",
            12: "missing_value",
            13: "bad_timestamp",
            14: "bad_timestamp",
        },)

_expect("cases", "2026-03-06.xlsx", 2, 2, 0, 0)

_expect("attendance", "2026-03-05.csv", 5, 3, 2, 0, {4: "unknown_code", 5: "bad_timestamp"})

_expect("leave", "2026-03-05.xlsx", 4, 2, 2, 0, {2: "finish_before_start", 3: "bad_boolean"})

_expect("queue", "2026-03-05.parquet", 5, 3, 2, 0, {3: "finish_before_start", 4: "finish_before_start"})

_expect("monitoring", "2026-03-05.csv", 5, 3, 2, 0, {4: "unknown_code", 5: "out_of_range"})

_expect("ratings", "2026-03-05.xlsx", 5, 3, 2, 0, {3: "out_of_range", 5: "bad_timestamp"})

_expect("callbacks", "2026-03-06.csv", 4, 2, 1, 1, {2: "unknown_case"})


def write_cases(inbox: Path) -> None:
    # English headers, UTF-8, one-digit slash times, Chinese and English codes.
    _write_text(
        inbox / "cases" / "2026-03-05.csv",
        "case_id,window_id,staff_id,matter_code,received_at,completed_at,status,promised_days,"
        "supplement_count,visit_count,channel,updated_at,extra_column\n"
        "C1,A01,S001,M1,2026-03-05 09:10,2026-03-05 09:40,completed,,0,1,window,2026-03-05 09:40,x\n"  # 1 ok
        "C2,A02,S002,M2,2026/3/5 9:05,,在办,,0,1,网上,2026/3/5 9:05:30,x\n"  # 2 ok (open)
        "C3,A02,S002,M2,2026-02-30 10:00,,in_progress,,0,1,window,2026-03-05 10:00,x\n"  # 3 bad_timestamp
        "C4,A09,S002,M2,2026-03-05 10:00,,in_progress,,0,1,window,2026-03-05 10:00,x\n"  # 4 unknown window
        "C5,A02,S999,M2,2026-03-05 10:00,,in_progress,,0,1,window,2026-03-05 10:00,x\n"  # 5 unknown staff
        "C6,A02,S002,M9,2026-03-05 10:00,,in_progress,,0,1,window,2026-03-05 10:00,x\n"  # 6 unknown matter
        "C7,A02,S002,M2,2026-03-05 10:00,,paused,,0,1,window,2026-03-05 10:00,x\n"  # 7 unknown status
        "C8,A02,S002,M2,2026-03-05 10:00,,in_progress,,-2,1,window,2026-03-05 10:00,x\n"  # 8 negative count
        "C9,A02,S002,M2,2026-03-05 10:00,2026-03-05 09:00,completed,,0,1,window,2026-03-05 10:00,x\n"  # 9 finish<start
        ",A02,S002,M2,2026-03-05 10:00,,in_progress,,0,1,window,2026-03-05 10:00,x\n"  # 10 missing id
        "C1,A01,S001,M1,2026-03-05 09:10,2026-03-05 09:40,completed,,0,1,window,2026-03-05 09:40,x\n"  # 11 dup of 1
        "C11,A02,S002,M2,2026-03-05 10:00,,completed,,0,1,window,2026-03-05 10:00,x\n"  # 12 completed w/o time
        "C12,A02,S002,M2,2026-03-05 10:00,,in_progress,,0,1,window,09:00,x\n"  # 13 time alone
        "C13,A02,S002,M2,2026-03-05 10:00,,in_progress,,0,1,window,2026-03-05,x\n"  # 14 date alone
        "C14,A03,S003,M1,2026-03-05T10:00:00Z,2026-03-05T19:00:00+08:00,COMPLETED,,3.0,1,Window,2026-03-05T11:00:00.5Z,x\n",  # 15 ok: ISO, Z
        "utf-8",
    )
    # Day two re-exports C2, now completed, as XLSX with Chinese headers and
    # real Excel datetime cells.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["办件编号", "窗口编号", "工号", "事项编码", "受理时间", "办结时间", "办件状态", "补正次数", "跑动次数", "受理渠道", "更新时间"])
    ws.append(["C2", "A02", "S002", "M2", dt.datetime(2026, 3, 5, 9, 5), dt.datetime(2026, 3, 6, 15, 0), "办结", 2, 1, "网上", dt.datetime(2026, 3, 6, 15, 0)])
    ws.append(["C20", "A01", "S001", "M1", dt.datetime(2026, 3, 6, 9, 0), None, "在办", 0, 0, "窗口", dt.datetime(2026, 3, 6, 9, 0)])
    _save(wb, inbox / "cases" / "2026-03-06.xlsx")


def write_attendance(inbox: Path) -> None:
    # GB18030 with Chinese headers and one-digit times.
    _write_text(
        inbox / "attendance" / "2026-03-05.csv",
        "工号,打卡时间\n"
        "S001,2026/3/5 8:55\n"
        "S001,2026/3/5 17:05\n"
        "S002,2026/3/5 9:12\n"
        "S404,2026/3/5 9:00\n"  # 4 unknown staff
        "S003,2026/13/5 9:00\n",  # 5 impossible month
        "gb18030",
    )


def write_leave(inbox: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工号", "开始时间", "结束时间", "请假类型", "是否批准"])
    ws.append(["S003", "2026-03-05 09:00", "2026-03-05 12:00", "事假", "是"])
    ws.append(["S002", "2026-03-05 09:00", "2026-03-05 08:00", "病假", "是"])  # 2 end before start
    ws.append(["S001", "2026-03-05 09:00", "2026-03-05 17:00", None, "maybe"])  # 3 bad boolean
    ws.append(["S001", "2026-03-05 09:00", "2026-03-05 17:00", None, "N"])
    _save(wb, inbox / "leave" / "2026-03-05.xlsx")


def write_queue(inbox: Path) -> None:
    # Parquet with tz-aware and naive timestamps.
    frame = pl.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4", "T5"],
            "issued_at": [dt.datetime(2026, 3, 5, 1, 0)] * 5,  # UTC 01:00 -> 09:00 local
            "called_at": [dt.datetime(2026, 3, 5, 1, 10), None, dt.datetime(2026, 3, 5, 0, 50), dt.datetime(2026, 3, 5, 1, 30), dt.datetime(2026, 3, 5, 1, 5)],
            "finished_at": [dt.datetime(2026, 3, 5, 1, 20), None, dt.datetime(2026, 3, 5, 1, 0), dt.datetime(2026, 3, 5, 1, 25), None],
            "window_id": ["A01", "A01", "A02", "A02", "A03"],
            "service_category": ["商事登记", None, "不动产", "不动产", "咨询"],
            "status": ["served", "过号", "served", "served", "cancelled"],
        }
    ).with_columns(pl.col("issued_at", "called_at", "finished_at").dt.replace_time_zone("UTC"))
    path = inbox / "queue" / "2026-03-05.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    # T3 called before issued; T4 finished before called.


def write_monitoring(inbox: Path) -> None:
    # UTF-8 with BOM, Chinese headers and code words, empty 'confirmed'.
    _write_text(
        inbox / "monitoring" / "2026-03-05.csv",
        "事件编号,发生时间,窗口编号,工号,事件类型,持续分钟,来源,是否核实,证据编号\n"
        "E1,2026-03-05 10:00:00,A01,S001,离岗,12,智能视频,是,V001\n"
        "E2,2026-03-05 10:30:00,A02,,玩手机,,智能视频,,V002\n"
        "E3,2026-03-05 11:00:00,A02,S002,dress,,巡查,否,\n"
        "E4,2026-03-05 11:00:00,A02,S002,dancing,,巡查,否,\n"  # 4 unknown event type
        "E5,2026-03-05 11:00:00,A02,S002,phone,-5,暗访,Y,\n",  # 5 negative duration
        "utf-8-sig",
    )


def write_ratings(inbox: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["评价编号", "评价时间", "窗口编号", "工号", "办件编号", "评价等级", "评价渠道", "差评原因", "评价内容", "联系电话"])
    ws.append(["R1", dt.datetime(2026, 3, 5, 10, 0), "A01", "S001", "C1", 5, "评价器", None, "很好", "13812345678"])
    ws.append(["R2", dt.datetime(2026, 3, 5, 10, 5), "A02", None, None, "不满意", "qr", "态度差", "等了很久", None])
    ws.append(["R3", dt.datetime(2026, 3, 5, 10, 6), "A02", None, None, 7, "qr", None, "身份证110101199003071234", "13912345678"])  # 3 out of range
    ws.append(["R4", "2026-03-05 10:07", "A02", None, None, "非常满意", "12345", None, None, None])
    ws.append(["R5", "yesterday", "A02", None, None, 3, "sms", None, None, None])  # 5 bad timestamp
    _save(wb, inbox / "ratings" / "2026-03-05.xlsx")


def write_callbacks(inbox: Path) -> None:
    _write_text(
        inbox / "callbacks" / "2026-03-06.csv",
        "回访编号,办件编号,回访时间,回访结果,满意度,反映问题,问题是否属实,回访记录,联系电话\n"
        "K1,C1,2026-03-06 15:00,接通,满意,extra_trip,是,申请人说跑了两次,13912345678\n"
        "K2,C404,2026-03-06 15:10,reached,5,none,,,\n"  # 2 unknown case
        "K3,C2,2026-03-06 15:20,unreachable,,none,,,\n"
        "K3,C2,2026-03-06 15:20,unreachable,,none,,,\n",  # 4 exact duplicate
        "gb18030",
    )


def write_rejected_files(inbox: Path) -> None:
    # Missing required columns: rejected whole, naming them.
    _write_text(inbox / "ratings" / "2026-03-06.csv", "rating_id,window_id\nR9,A01\n", "utf-8")
    # No date in the name.
    _write_text(inbox / "attendance" / "punches-march.csv", "工号,打卡时间\nS001,2026/3/6 8:55\n", "utf-8")
    # Not a spreadsheet at all.
    _write_text(inbox / "monitoring" / "2026-03-06.xlsx", "this is not an xlsx file", "utf-8")


MISSING_COLUMN_NAMES = ["rated_at", "score"]


def _save(wb: openpyxl.Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_messy_inbox(inbox: Path) -> Path:
    write_reference(inbox)
    write_cases(inbox)
    write_attendance(inbox)
    write_leave(inbox)
    write_queue(inbox)
    write_monitoring(inbox)
    write_ratings(inbox)
    write_callbacks(inbox)
    write_rejected_files(inbox)
    return inbox
