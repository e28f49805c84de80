"""A seeded, reproducible demo inbox for a government service centre (政务服务中心).

``write_inbox(inbox, end_date)`` writes, in the exact layout of
``shared/spec/inputs.md``, the reference tables and one file per export day for
every daily source, over ``profile.days`` calendar days ending ``end_date``.
The hall is open on Chinese working days only (State Council schedule through
``chinese_calendar``: public holidays closed, make-up weekends open); a closed
day has no file in any source.

The data is shaped like a real supervision office's exports:

* formats are mixed the way real systems mix them (GB18030 clock-machine CSV,
  UTF-8-with-BOM camera CSV, Excel exports with real date cells or text dates,
  Parquet queue data), with Chinese or English headers and code words;
* a few windows are clearly worse (late cases, supplements, extra trips, bad
  ratings, camera events), a few staff are clearly worse at attendance, and a
  few hours carry long queue waits: all listed in the manifest under
  ``patterns``;
* cases are re-exported on later days as they change (upsert by case_id);
* optionally a handful of bad rows is planted, each recorded in the manifest
  with its file, 1-based data row number and the expected quarantine reason.

Everything is generated a day at a time with numpy/polars in bulk (no Python
loop per row), so the same code serves the city benchmark (many halls, a year).
Every day and source draws from its own ``numpy`` generator seeded with
``(seed, source, day)``: the same arguments give byte-identical CSV, Parquet and
XLSX files (workbook creation dates are fixed to the export day).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.ingest import contract as C

try:  # pragma: no cover - the dependency is pinned, the fallback is for safety
    import chinese_calendar as _chinese_calendar
except Exception:  # pragma: no cover
    _chinese_calendar = None

__all__ = ["InboxProfile", "write_inbox", "is_working_day", "DAILY_ORDER", "DEFAULT_FORMATS"]

EPOCH = date(1970, 1, 1)
DAILY_ORDER = ("attendance", "leave", "cases", "queue", "monitoring", "ratings", "callbacks")
REFERENCE_ORDER = ("halls", "departments", "windows", "staff", "matters")

# How each source is exported by default: file format, header language, code
# words, booleans, timestamp form and (CSV) encoding.
DEFAULT_FORMATS = {
    "reference": "xlsx",
    "attendance": "csv",
    "leave": "xlsx",
    "cases": "csv",
    "queue": "parquet",
    "monitoring": "csv",
    "ratings": "xlsx",
    "callbacks": "xlsx",
}

TS_FORMATS = {
    "dash": "%Y-%m-%d %H:%M:%S",  # 2026-10-09 09:05:07
    "slash1": "%Y/%-m/%-d %-H:%M",  # 2026/10/9 9:05 (clock machine)
    "slash": "%Y/%m/%d %H:%M:%S",  # 2026/10/09 09:05:07
    "iso": "%Y-%m-%dT%H:%M:%S+08:00",  # 2026-10-09T09:05:07+08:00
}


@dataclass(frozen=True)
class _Style:
    headers: str = "en"  # en | zh
    codes: str = "en"  # en | zh
    bools: str = "tf"  # tf (true/false) | zh (是/否) | yn (Y/N) | 10
    scores: str = "num"  # num | zh (非常满意 ...)
    ts: str = "dash"  # dash | slash1 | slash | iso | excel (real Excel cells in XLSX)
    encoding: str = "utf-8"  # for CSV: utf-8 | utf-8-sig | gb18030
    sheet: str = "Sheet1"


STYLES = {
    "reference": _Style(headers="zh", codes="zh", bools="zh", ts="excel"),
    "attendance": _Style(headers="zh", codes="zh", ts="slash1", encoding="gb18030", sheet="打卡记录"),
    "leave": _Style(headers="zh", codes="zh", bools="zh", ts="excel", sheet="请假审批"),
    "cases": _Style(headers="en", codes="en", ts="dash"),
    "queue": _Style(headers="en", codes="zh", ts="dash", sheet="叫号明细"),
    "monitoring": _Style(headers="zh", codes="zh", bools="zh", ts="iso", encoding="utf-8-sig", sheet="事件"),
    "ratings": _Style(headers="zh", codes="zh", scores="zh", ts="excel", sheet="好差评明细"),
    "callbacks": _Style(headers="en", codes="en", bools="yn", ts="slash", sheet="回访记录"),
}

# Columns beyond the contract that real exports carry (ignored by the reader).
EXTRA_HEADERS = {
    "staff_name": ("staff_name", "姓名"),
    "dept_name": ("dept_name", "部门"),
    "device": ("device", "考勤机"),
    "ticket_no": ("ticket_no", "号码"),
    "approver": ("approver", "审批人"),
}


@dataclass
class InboxProfile:
    halls: int = 1
    departments: int = 12
    windows_per_hall: int = 40
    staff_per_hall: int = 120
    matters: int = 150
    days: int = 90
    tickets_per_window_day: float = 10.0
    cases_per_window_day: float = 8.0  # ~75 for the city benchmark's ~15 M cases a year
    online_share: float = 0.25
    rating_rate: float = 0.4  # share of completed window cases rated (online cases: a third of it)
    callback_rate: float = 0.05  # share of completed cases called back
    leave_rate: float = 0.004  # leave requests per staff working day
    bad_windows_per_hall: int = 3
    bad_staff_per_hall: int = 4
    formats: dict[str, str] = field(default_factory=dict)  # source (or "reference") -> csv|xlsx|parquet


# ---------------------------------------------------------------------------
# Working days


def is_working_day(d: date) -> bool:
    """State Council schedule via chinese_calendar; Mon-Fri for unknown years."""
    if _chinese_calendar is not None:
        try:
            return bool(_chinese_calendar.is_workday(d))
        except Exception:  # NotImplementedError: no data for that year
            pass
    return d.weekday() < 5


class _Calendar:
    def __init__(self, start: date, end: date, horizon_days: int = 500):
        days = [start + timedelta(i) for i in range((end - start).days + 1 + horizon_days)]
        flags = [is_working_day(d) for d in days]
        self.start, self.end = start, end
        self.closed_in_range = [d for d, f in zip(days, flags) if not f and d <= end]
        self.workdays = [d for d, f in zip(days, flags) if f]
        self.n = sum(1 for d in self.workdays if d <= end)  # working days in range: idx 0..n-1
        self.day_num = np.array([(d - EPOCH).days for d in self.workdays], np.int64)
        self.day_sec = self.day_num * 86400
        self.ymd = [d.strftime("%Y%m%d") for d in self.workdays]
        self.weekday = np.array([d.weekday() for d in self.workdays])
        prev = start - timedelta(1)
        while not is_working_day(prev):
            prev -= timedelta(1)
        gaps = []
        for d in self.workdays:
            gaps.append((d - prev).days)
            prev = d
        self.gap = np.array(gaps)  # calendar days since the previous working day

    def factor(self, idx: int) -> float:
        f = {0: 1.25, 1: 1.05, 2: 1.0, 3: 0.98, 4: 0.9, 5: 0.8, 6: 0.8}[int(self.weekday[idx])]
        if self.gap[idx] >= 4:  # first day after a holiday of three days or more
            f *= 1.3
        return f


# ---------------------------------------------------------------------------
# Text banks

# abbreviation, name, weight (volume), queue category, matter names
_DEPTS: list[tuple[str, str, float, str, list[str]]] = [
    ("ZWFW", "政务服务管理局", 0.3, "综合受理",
     ["企业开办一件事", "新生儿出生一件事", "退休一件事", "公民身后一件事", "个人事项证明开具", "帮办代办服务申请"]),
    ("SCJG", "市场监管局", 1.6, "企业开办",
     ["企业设立登记", "企业变更登记", "企业注销登记", "个体工商户设立登记", "个体工商户变更登记", "食品经营许可",
      "食品经营许可变更", "小餐饮登记", "药品零售企业许可", "第二类医疗器械经营备案", "特种设备使用登记",
      "营业执照补领", "农民专业合作社登记", "股权出质登记"]),
    ("RSJ", "人社局", 1.5, "社保业务",
     ["社会保障卡申领", "社会保障卡挂失补换", "灵活就业人员参保登记", "养老保险关系转移接续", "失业保险金申领",
      "就业创业证申领", "职业资格证书核发", "退休审批", "工伤认定申请", "劳动合同备案", "人力资源服务许可",
      "企业职工参保登记"]),
    ("GACRJ", "公安局出入境", 1.2, "出入境",
     ["普通护照签发", "普通护照换发", "普通护照补发", "往来港澳通行证签发", "港澳团队旅游签注", "港澳个人旅游签注",
      "往来台湾通行证签发", "赴台签注", "出入境记录查询", "外国人居留许可"]),
    ("BDC", "不动产登记中心", 2.0, "不动产登记",
     ["房屋所有权首次登记", "二手房转移登记", "新建商品房转移登记", "抵押权首次登记", "抵押权注销登记", "预告登记",
      "更正登记", "异议登记", "不动产权证书补证", "查封登记", "不动产登记资料查询", "继承转移登记"]),
    ("SWJ", "税务局", 1.8, "税务办理",
     ["增值税发票领用", "发票代开", "契税申报", "个人所得税汇算清缴", "税务登记信息变更", "清税证明开具",
      "纳税证明开具", "跨区域涉税事项报告", "存量房交易税费申报", "车辆购置税申报", "印花税申报", "出口退税备案"]),
    ("YBJ", "医保局", 1.1, "医保业务",
     ["医保参保登记", "医保关系转移接续", "异地就医备案", "门诊慢特病待遇认定", "医保个人账户家庭共济",
      "医疗费用手工报销", "生育津贴申领", "医保定点机构申请", "灵活就业人员医保参保", "医保电子凭证激活"]),
    ("GJJ", "公积金中心", 1.2, "公积金",
     ["住房公积金缴存登记", "公积金提取（租房）", "公积金提取（购房）", "公积金提取（退休）", "公积金贷款申请",
      "公积金贷款提前还款", "公积金异地转移接续", "缴存证明开具", "单位缴存比例调整", "贷款结清证明开具"]),
    ("ZJJ", "住建局", 0.8, "建设工程",
     ["建筑工程施工许可", "商品房预售许可", "建筑业企业资质核准", "房屋租赁登记备案", "竣工验收备案",
      "物业服务企业备案", "商品房买卖合同网签备案", "建设工程消防验收", "建筑垃圾处置核准", "二手房交易资金监管"]),
    ("MZJ", "民政局", 0.7, "婚姻民政",
     ["结婚登记", "离婚登记", "补领结婚证", "社会团体成立登记", "民办非企业单位登记", "最低生活保障申请",
      "残疾人两项补贴申领", "高龄津贴申领", "殡葬补助申领", "养老机构备案"]),
    ("JTJ", "交通运输局", 0.6, "交通运输",
     ["道路货物运输经营许可", "道路运输证配发", "网约车驾驶员证核发", "巡游出租汽车驾驶员证核发", "机动车维修经营备案",
      "驾驶员培训经营备案", "超限运输车辆行驶公路许可", "公路占用挖掘许可", "船员证书签发", "货运从业资格证核发"]),
    ("WJW", "卫健委", 0.6, "卫生健康",
     ["出生医学证明补发", "医师执业注册", "护士执业注册", "医疗机构执业登记", "公共场所卫生许可", "放射诊疗许可",
      "母婴保健技术服务许可", "生育登记", "独生子女父母光荣证", "集中式供水单位卫生许可"]),
    ("ZRZY", "自然资源局", 0.5, "规划用地",
     ["建设项目用地预审", "建设用地规划许可", "建设工程规划许可", "乡村建设规划许可", "临时用地审批",
      "采矿许可证延续", "测绘资质审批", "地名命名审批"]),
    ("STHJ", "生态环境局", 0.4, "环评排污",
     ["建设项目环评审批", "排污许可证核发", "排污许可证变更", "危险废物经营许可", "辐射安全许可"]),
    ("WGLT", "文广旅体局", 0.3, "文化旅游",
     ["娱乐场所经营许可", "旅行社设立许可", "网吧经营许可", "营业性演出许可", "高危险性体育项目许可"]),
    ("NYNC", "农业农村局", 0.3, "农业农村",
     ["农药经营许可", "兽药经营许可", "种子生产经营许可", "农机登记", "动物防疫条件合格证"]),
    ("SLJ", "水利局", 0.2, "水利水务",
     ["取水许可", "河道管理范围内建设项目审批", "水土保持方案审批", "生产建设项目占用水域审批"]),
    ("SFJ", "司法局", 0.3, "公证法援",
     ["法律援助申请", "公证事项办理", "人民调解申请", "基层法律服务工作者执业核准"]),
    ("XFJY", "消防救援支队", 0.3, "消防审批",
     ["公众聚集场所投入使用前消防安全检查", "消防设计审查", "消防验收备案抽查"]),
    ("CL", "残联", 0.2, "残疾人服务",
     ["残疾人证核发", "残疾人证换领", "残疾人就业保障金减免"]),
]
_INSTANT_WORDS = ("开具", "查询", "挂失", "激活", "备案", "代开", "领用", "申报", "补领", "证明", "配发")
_SUFFIXES = ("（延续）", "（变更）", "（补办）", "（注销）", "（换证）", "（迁移）")

_HALL_NAMES = [
    "市民中心政务服务大厅", "东城区政务服务中心", "西城区政务服务中心", "南湖区政务服务中心", "北湖区政务服务中心",
    "高新区政务服务中心", "经开区政务服务中心", "滨江区政务服务中心", "江北区政务服务中心", "临港新区政务服务中心",
    "城南区政务服务中心", "城北区政务服务中心", "清河县政务服务中心", "青山县政务服务中心", "石桥县政务服务中心",
    "白云县政务服务中心", "龙泉市政务服务中心", "长乐县政务服务中心", "新安县政务服务中心", "永宁县政务服务中心",
]

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_W = np.array([7.0] * 5 + [3.0] * 10 + [1.5] * 15 + [1.0] * (len(_SURNAMES) - 30))
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏晨宇浩婷雪琳欣怡佳子涵梓轩睿思雨博文嘉晓海斌"
    "建国志俊丹颖倩璐薇蕾凯辉慧燕飞健波宁琴云莉兰凤洁梅颖亮成瑞诗家晶新春雅楠欢鑫德丰彬蓉琪若彤"
)

_RATING_REASONS = np.array([
    "办事流程繁琐", "等候时间过长", "工作人员态度不好", "未一次性告知所需材料", "多次跑动", "办理超时",
    "窗口人员不在岗", "政策解释不清楚", "系统故障无法办理", "材料要求过多",
])
_COMMENTS_GOOD = np.array([
    "服务热情，办事效率高", "一次就办好了，点赞", "工作人员很耐心，讲解清楚", "流程简单，很方便", "比以前快多了",
    "窗口人员专业细致", "非常满意，谢谢", "帮办代办服务很贴心", "不用跑第二趟，好评",
])
_COMMENTS_MID = np.array(["还行，等的时间有点长", "总体可以，材料要求有点多", "一般", "希望能再快一点", "叫号有点乱"])
_COMMENTS_BAD = np.array([
    "排队等了一个多小时", "材料来回补了好几次，跑了三趟", "工作人员一直在看手机", "窗口没人，等了半天",
    "态度很差，问什么都不耐烦", "说好的几天办结，到现在还没好", "每次去说法都不一样", "让我找中介，不然办不了",
])
_CB_NONE = np.array([
    "群众表示满意，无其他意见", "回访接通，对办理结果满意", "群众表示窗口服务态度好，办理效率高",
    "群众表示一次办好，很方便", "对办理流程无意见",
])
_CB_UNREACHABLE = np.array(["电话无人接听", "电话关机", "号码为空号", "多次拨打无人接听，已发短信告知"])
_CB_REFUSED = np.array(["群众表示没时间，拒绝回访", "接通后群众挂断电话"])
_CB_PROBLEM = {
    "extra_trip": np.array(["群众反映因材料问题多跑了一趟", "群众反映第一次去窗口未办成，又跑了一次"]),
    "no_one_time_notice": np.array(["群众反映补正材料未一次性告知，前后补交两次", "群众反映窗口人员未一次性说明所需材料"]),
    "bad_attitude": np.array(["群众反映窗口人员态度生硬，不耐烦", "群众反映工作人员说话冲，解释不清"]),
    "misconduct": np.array(["群众反映工作人员暗示可找中介加快办理", "群众反映窗口人员推荐收费代办"]),
    "other": np.array(["群众反映大厅停车难", "群众反映叫号屏显示有误", "群众建议增加周末服务时间"]),
}
_LEAVE_FULL = np.array(["年休假", "事假", "病假", "调休", "婚假", "公出"])
_LEAVE_FULL_P = np.array([0.35, 0.22, 0.2, 0.15, 0.03, 0.05])
_LEAVE_HALF = np.array(["事假", "病假", "调休"])
_MOBILE_PREFIX = np.array(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 176 177 180 181 182 183 "
    "185 186 187 188 189 198 199".split()
)
_ID_REGIONS = ("110105", "310104", "330102", "320106", "440304", "510107", "420106", "370202", "350203", "610113")

# Queue hours at which waits are planted long: (weekday, hour, categories).
PEAK_HOURS = (
    (0, 9, ("不动产登记", "税务办理")),
    (0, 10, ("不动产登记",)),
    (1, 14, ("社保业务",)),
)

COMP, SPEC, CONS = 0, 1, 2
_WTYPE = np.array(["comprehensive", "specialist", "consult"])
ST_PROGRESS, ST_COMPLETED, ST_REJECTED, ST_RETURNED, ST_WITHDRAWN = range(5)
_CASE_STATUS = np.array(["in_progress", "completed", "rejected", "returned", "withdrawn"])

_SRC_CODE = {name: i + 1 for i, name in enumerate(DAILY_ORDER)}
_SRC_CODE.update(reference=50, leaveplan=51, plant=52, pii=53)


# ---------------------------------------------------------------------------
# Reference data


class _Ref:
    """Reference tables plus the numpy arrays the daily generators index."""

    def __init__(self, p: InboxProfile, rng: np.random.Generator):
        if p.halls < 1 or p.departments < 1 or p.windows_per_hall < 1 or p.matters < 1 or p.days < 1:
            raise ValueError("halls, departments, windows_per_hall, matters and days must be at least 1")
        if p.staff_per_hall < p.windows_per_hall:
            raise ValueError("staff_per_hall must be at least windows_per_hall (every window needs staff)")
        self.n_halls = p.halls
        if p.halls == 1:
            self.hall_ids = [C.DEFAULT_HALL]
            self.hall_names = ["政务服务中心大厅"]
        else:
            self.hall_ids = [f"H{i + 1:02d}" for i in range(p.halls)]
            self.hall_names = [
                _HALL_NAMES[i] if i < len(_HALL_NAMES) else f"第{i + 1}政务服务分中心" for i in range(p.halls)
            ]
        self._departments(p)
        self._matters(p, rng)
        self._windows(p, rng)
        self._staff(p, rng)

    # departments ------------------------------------------------------------
    def _departments(self, p: InboxProfile) -> None:
        ids, names, weights, cats = [], [], [], []
        for i in range(p.departments):
            if i < len(_DEPTS):
                abbr, name, w, cat, _ = _DEPTS[i]
            else:
                abbr, name, w, cat = f"BM{i + 1:02d}", f"第{i + 1}业务部门", 0.3, f"业务{i + 1}"
            ids.append(abbr)
            names.append(name)
            weights.append(w)
            cats.append(cat)
        self.dept_ids = np.array(ids)
        self.dept_names = np.array(names)
        self.dept_w = np.array(weights)
        self.dept_cat = np.array(cats)
        self.n_depts = len(ids)

    # matters ----------------------------------------------------------------
    def _matters(self, p: InboxProfile, rng: np.random.Generator) -> None:
        D, M = self.n_depts, p.matters
        w = self.dept_w.copy()
        counts = np.zeros(D, int)
        if M >= D:
            counts += 1
        rest = M - counts.sum()
        share = w / w.sum() * rest
        counts += np.floor(share).astype(int)
        for i in np.argsort(-(share - np.floor(share)), kind="stable")[: M - counts.sum()]:
            counts[i] += 1
        codes, names, depts, instant, days, one_trip = [], [], [], [], [], []
        for d in range(D):
            bank = _DEPTS[d][4] if d < len(_DEPTS) else [f"行政许可事项{j + 1}" for j in range(8)]
            for j in range(counts[d]):
                base = bank[j % len(bank)]
                k = j // len(bank)
                name = base if k == 0 else base + _SUFFIXES[(k - 1) % len(_SUFFIXES)] + ("" if k <= len(_SUFFIXES) else str(k))
                codes.append(f"{self.dept_ids[d]}{j + 1:03d}")
                names.append(name)
                depts.append(d)
                inst = any(x in name for x in _INSTANT_WORDS) or rng.random() < 0.15
                instant.append(inst)
                days.append(0 if inst else int(rng.choice([3, 5, 7, 10, 15, 20], p=[0.2, 0.25, 0.2, 0.2, 0.1, 0.05])))
                one_trip.append(bool(rng.random() < 0.65))
        self.m_codes = np.array(codes)
        self.m_names = names
        self.m_dept = np.array(depts, int)
        self.m_instant = np.array(instant, bool)
        self.m_days = np.array(days, int)
        self.m_one_trip = np.array(one_trip, bool)
        self.n_matters = len(codes)
        self.m_count = np.bincount(self.m_dept, minlength=D)
        self.m_start = np.concatenate([[0], np.cumsum(self.m_count)[:-1]])

    # windows ----------------------------------------------------------------
    def _windows(self, p: InboxProfile, rng: np.random.Generator) -> None:
        W, D = p.windows_per_hall, self.n_depts
        n_comp = int(round(0.2 * W)) if D > 1 else 0
        n_cons = max(1, int(round(0.1 * W))) if W >= 3 else 0
        n_spec = W - n_comp - n_cons
        spec_depts = np.arange(1, D) if D > 1 else np.arange(0, 1)
        sw = self.dept_w[spec_depts]
        alloc = np.zeros(len(spec_depts), int)
        if n_spec >= len(spec_depts):
            alloc += 1
        share = sw / sw.sum() * (n_spec - alloc.sum())
        alloc += np.floor(share).astype(int)
        for i in np.argsort(-(share - np.floor(share)), kind="stable")[: n_spec - alloc.sum()]:
            alloc[i] += 1
        cons_depts = spec_depts[np.argsort(-sw, kind="stable")][: max(n_cons, 0)]
        if len(cons_depts) < n_cons:
            cons_depts = np.resize(cons_depts if len(cons_depts) else np.array([0]), n_cons)

        # one hall's window plan: (type, dept, id, name)
        plan: list[tuple[int, int, str, str]] = []
        for j in range(n_comp):
            plan.append((COMP, 0, f"A{j + 1:02d}", f"综合受理{j + 1}号窗口"))
        n = 0
        for d, k in zip(spec_depts, alloc):
            for j in range(k):
                n += 1
                plan.append((SPEC, int(d), f"B{n:02d}", f"{self.dept_names[d]}{j + 1}号窗口"))
        for j, d in enumerate(cons_depts):
            plan.append((CONS, int(d), f"C{j + 1:02d}", f"{self.dept_names[d]}咨询台"))

        hall, wtype, wdept, wid, wname = [], [], [], [], []
        for h in range(self.n_halls):
            for t, d, i, nm in plan:
                hall.append(h)
                wtype.append(t)
                wdept.append(d)
                wid.append(i)
                wname.append(nm)
        self.w_hall = np.array(hall, int)
        self.w_type = np.array(wtype, int)
        self.w_dept = np.array(wdept, int)
        self.w_ids = np.array(wid)
        self.w_names = wname
        self.n_windows = len(wid)
        nW = self.n_windows
        self.w_cat = np.where(
            self.w_type == COMP, "综合受理", np.where(self.w_type == CONS, "政策咨询", self.dept_cat[self.w_dept])
        )
        noise = rng.lognormal(0.0, 0.25, nW)
        self.ticket_w = np.select([self.w_type == COMP, self.w_type == CONS], [1.2, 0.9], 1.0) * noise
        self.case_w = np.select([self.w_type == COMP, self.w_type == CONS], [1.3, 0.08], 1.0) * noise
        self.ticket_p = self.ticket_w / self.ticket_w.sum()
        self.case_p = self.case_w / self.case_w.sum()
        # a few clearly worse windows per hall (specialist ones, busy departments first)
        self.w_bad = np.zeros(nW, bool)
        for h in range(self.n_halls):
            cand = np.flatnonzero((self.w_hall == h) & (self.w_type == SPEC))
            k = min(p.bad_windows_per_hall, len(cand))
            if k:
                self.w_bad[rng.choice(cand, k, replace=False)] = True

    # staff ------------------------------------------------------------------
    def _staff(self, p: InboxProfile, rng: np.random.Generator) -> None:
        S_h, W = p.staff_per_hall, p.windows_per_hall
        s_window, s_role = [], []
        for h in range(self.n_halls):
            base = h * W
            seen: set[int] = set()
            for k in range(S_h):
                w = base + (k % W)
                s_window.append(w)
                d = int(self.w_dept[w])
                s_role.append("chief_rep" if d not in seen else "staff")
                seen.add(d)
        self.s_window = np.array(s_window, int)
        self.n_staff = len(s_window)
        S = self.n_staff
        self.s_role = np.array(s_role)
        self.s_hall = self.w_hall[self.s_window]
        self.s_dept = self.w_dept[self.s_window]
        self.s_ids = np.array([f"ZW{i + 1:05d}" for i in range(S)])
        sur = rng.choice(len(_SURNAMES), S, p=_SURNAME_W / _SURNAME_W.sum())
        g1 = rng.integers(0, len(_GIVEN), S)
        g2 = rng.integers(0, len(_GIVEN), S)
        two = rng.random(S) < 0.7
        self.s_names = np.array(
            [_SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if t else "") for a, b, c, t in zip(sur, g1, g2, two)]
        )
        # window -> its staff (CSR)
        order = np.argsort(self.s_window, kind="stable")
        self.win_staff = order
        self.w_staff_count = np.bincount(self.s_window, minlength=self.n_windows)
        self.w_staff_start = np.concatenate([[0], np.cumsum(self.w_staff_count)[:-1]])
        self.s_bad = np.zeros(S, bool)
        for h in range(self.n_halls):
            cand = np.flatnonzero(self.s_hall == h)
            k = min(p.bad_staff_per_hall, len(cand))
            if k:
                self.s_bad[rng.choice(cand, k, replace=False)] = True

    # frames -----------------------------------------------------------------
    def frames(self) -> dict[str, pl.DataFrame]:
        hid = np.array(self.hall_ids)
        return {
            "halls": pl.DataFrame({"hall_id": self.hall_ids, "hall_name": self.hall_names}),
            "departments": pl.DataFrame({"dept_id": self.dept_ids, "dept_name": self.dept_names}),
            "windows": pl.DataFrame(
                {
                    "hall_id": hid[self.w_hall],
                    "window_id": self.w_ids,
                    "window_name": self.w_names,
                    "dept_id": self.dept_ids[self.w_dept],
                    "window_type": _WTYPE[self.w_type],
                }
            ),
            "staff": pl.DataFrame(
                {
                    "staff_id": self.s_ids,
                    "staff_name": self.s_names,
                    "dept_id": self.dept_ids[self.s_dept],
                    "hall_id": hid[self.s_hall],
                    "window_id": self.w_ids[self.s_window],
                    "role": self.s_role,
                }
            ),
            "matters": pl.DataFrame(
                {
                    "matter_code": self.m_codes,
                    "matter_name": self.m_names,
                    "dept_id": self.dept_ids[self.m_dept],
                    "matter_kind": np.where(self.m_instant, "instant", "promised"),
                    "promised_days": self.m_days,
                    "one_trip": self.m_one_trip,
                }
            ),
        }


# ---------------------------------------------------------------------------
# Helpers


def _rng(seed: int, source: str, idx: int) -> np.random.Generator:
    return np.random.default_rng([seed, _SRC_CODE[source], idx + 1])


def _ts(name: str, secs: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(name, np.asarray(secs, np.int64) * 1_000_000).cast(pl.Datetime("us"))
    return _masked(s, valid)


def _masked(s: pl.Series, valid: np.ndarray | None) -> pl.Series:
    if valid is None or bool(np.all(valid)):
        return s
    return pl.select(pl.when(pl.Series(np.asarray(valid, bool))).then(s).otherwise(None).alias(s.name)).to_series()


def _ids(prefix: str, ymd: str, n: int, offset: int = 0) -> pl.Series:
    seq = pl.Series(np.arange(offset + 1, offset + n + 1)).cast(pl.String).str.zfill(6)
    return (prefix + ymd + seq).alias("id")


def _draw(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cum, rng.random(n), side="right").clip(0, len(cum) - 1)


def _draw2(rng: np.random.Generator, probs_a, probs_b, use_b: np.ndarray) -> np.ndarray:
    """Index draws from one of two distributions, row-wise."""
    ca, cb = np.cumsum(probs_a), np.cumsum(probs_b)
    ca[-1] = cb[-1] = 1.0
    u = rng.random(len(use_b))
    a = np.searchsorted(ca, u, side="right").clip(0, len(ca) - 1)
    b = np.searchsorted(cb, u, side="right").clip(0, len(cb) - 1)
    return np.where(use_b, b, a)


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    pre = pl.Series(_MOBILE_PREFIX[rng.integers(0, len(_MOBILE_PREFIX), n)])
    num = pl.Series(rng.integers(0, 100_000_000, n)).cast(pl.String).str.zfill(8)
    return pre + num


def _id_number(rng: np.random.Generator) -> str:
    region = _ID_REGIONS[int(rng.integers(0, len(_ID_REGIONS)))]
    birth = date(1955, 1, 1) + timedelta(int(rng.integers(0, 365 * 50)))
    body = f"{region}{birth:%Y%m%d}{int(rng.integers(0, 1000)):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(a) * b for a, b in zip(body, weights)) % 11]
    return body + check


def _minutes_weights(lo: int, hi: int, monday: bool) -> tuple[np.ndarray, np.ndarray]:
    m = np.arange(lo, hi)
    w = np.ones(len(m))
    w[m < 9 * 60] = 1.5
    w[(m >= 9 * 60) & (m < 11 * 60)] = 2.2 * (1.3 if monday else 1.0)
    w[(m >= 11 * 60) & (m < 12 * 60)] = 1.2
    w[(m >= 12 * 60) & (m < 13 * 60 + 30)] = 0.45
    w[(m >= 14 * 60) & (m < 16 * 60)] = 1.9
    w[m >= 16 * 60] = 0.8
    return m, w / w.sum()


_TOD = {
    ("ticket", False): _minutes_weights(8 * 60 + 50, 16 * 60 + 50, False),
    ("ticket", True): _minutes_weights(8 * 60 + 50, 16 * 60 + 50, True),
    ("case", False): _minutes_weights(9 * 60, 16 * 60 + 50, False),
    ("case", True): _minutes_weights(9 * 60, 16 * 60 + 50, True),
}


def _tod(rng: np.random.Generator, n: int, kind: str = "case", monday: bool = False) -> np.ndarray:
    """Seconds of the day, with morning (9-11) and afternoon (14-16) peaks."""
    m, p = _TOD[(kind, monday)]
    return rng.choice(m, n, p=p) * 60 + rng.integers(0, 60, n)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
    frames = [f for f in frames if f.height]
    if not frames:
        return None
    return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]


# ---------------------------------------------------------------------------
# Planted bad rows


@dataclass
class _Plant:
    no: int
    source: str
    reason: str
    what: str
    column: str | None
    target: int
    needs_text_ts: bool = False


# Leave files are few (only on days with leave requests): that plant goes first.
_PLANTS = [
    ("leave", "finish_before_start", "leave ends before it starts", "leave_end", False),
    ("cases", "bad_timestamp", "impossible date in received_at", "received_at", True),
    ("attendance", "unknown_code", "punch by a staff id that is not in the staff list", "staff_id", False),
    ("queue", "finish_before_start", "ticket finished before it was called", "finished_at", False),
    ("ratings", "out_of_range", "score 7 on the five-level scale", "score", False),
    ("cases", "negative_count", "negative supplement_count", "supplement_count", False),
    ("monitoring", "bad_timestamp", "occurred_at is a date alone, no time", "occurred_at", True),
    ("callbacks", "unknown_case", "callback for a case_id that matches no case", "case_id", False),
    ("cases", "unknown_code", "window id that is not in the windows list", "window_id", False),
    ("attendance", "duplicate", "the same punch exported twice (identical row)", None, False),
    ("cases", "missing_value", "required matter_code left empty", "matter_code", False),
    ("queue", "unknown_code", "ticket status that is not a contract code", "status", False),
    ("ratings", "missing_value", "required rated_at left empty", "rated_at", False),
    ("cases", "duplicate", "a case version exported twice (identical row)", None, False),
]

_ID_COLUMN = {"cases": "case_id", "queue": "ticket_id", "monitoring": "event_id", "ratings": "rating_id", "callbacks": "callback_id"}


# ---------------------------------------------------------------------------
# The generator


class _Inbox:
    def __init__(self, inbox: Path, end_date: date, profile: InboxProfile, seed: int, plant: bool):
        self.inbox, self.p, self.seed = Path(inbox), profile, int(seed)
        self.start = end_date - timedelta(days=profile.days - 1)
        self.end = end_date
        self.cal = _Calendar(self.start, end_date)
        self.ref = _Ref(profile, _rng(self.seed, "reference", 0))
        self.fmt = {**DEFAULT_FORMATS, **{k: v.lower() for k, v in (profile.formats or {}).items()}}
        for k, v in self.fmt.items():
            if v not in ("csv", "xlsx", "parquet"):
                raise ValueError(f"unknown format {v!r} for {k}: use csv, xlsx or parquet")
        self.hall_ids = np.array(self.ref.hall_ids)
        self.pending: dict[str, dict[int, list[pl.DataFrame]]] = {s: {} for s in ("cases", "ratings", "callbacks", "leave")}
        self.summary_files = {s: 0 for s in DAILY_ORDER}
        self.summary_rows = {s: 0 for s in DAILY_ORDER}
        self.planted: list[dict[str, Any]] = []
        self.stats = {"open_past_deadline_at_end": 0, "late_completed_cases": 0, "pii_comments": 0, "cases_received": 0}
        self._plan_leaves()
        self.plants: list[_Plant] = []
        if plant:
            P = len(_PLANTS)
            for j, (src, reason, what, col, text) in enumerate(_PLANTS):
                target = max(0, min(self.cal.n - 1, int(round((j + 1) * self.cal.n / (P + 1))) - 1))
                self.plants.append(_Plant(j + 1, src, reason, what, col, target, text))

    # ---- pending rows (delivered on a later export day) -------------------
    def _push(self, source: str, frame: pl.DataFrame, export_col: str = "_export") -> None:
        frame = frame.filter(pl.col(export_col) < self.cal.n)
        if not frame.height:
            return
        for (idx,), part in frame.partition_by(export_col, as_dict=True, maintain_order=True).items():
            self.pending[source].setdefault(int(idx), []).append(part)

    def _take(self, source: str, idx: int) -> pl.DataFrame | None:
        return _concat(self.pending[source].pop(idx, []))

    # ---- staff on a day ------------------------------------------------------
    def _pick_staff(self, rng: np.random.Generator, w: np.ndarray, present: np.ndarray | None) -> np.ndarray:
        ref = self.ref
        cnt = ref.w_staff_count[w]
        start = ref.w_staff_start[w]
        j = rng.integers(0, 1 << 30, len(w)) % cnt
        s = ref.win_staff[start + j]
        if present is not None:
            for t in (1, 2):
                away = ~present[s]
                if not away.any():
                    break
                s = np.where(away, ref.win_staff[start + (j + t) % cnt], s)
        return s

    # ---- leave (planned up front: it shapes attendance) --------------------
    def _plan_leaves(self) -> None:
        ref, cal, p = self.ref, self.cal, self.p
        rng = _rng(self.seed, "leaveplan", 0)
        S, n = ref.n_staff, cal.n
        counts = rng.poisson(p.leave_rate * n * np.where(ref.s_bad, 1.5, 1.0), S)
        staff = np.repeat(np.arange(S), counts)
        L = len(staff)
        start = rng.integers(0, max(n, 1), L)
        kind = rng.choice(4, L, p=[0.5, 0.15, 0.25, 0.1])  # full day, 2-3 days, morning, afternoon
        ndays = np.where(kind == 1, rng.integers(2, 4, L), 1)
        approved = rng.random(L) < 0.9
        export = np.maximum(start - rng.integers(0, 3, L), 0)
        early = rng.random(L) < 0.5
        s_sec = cal.day_sec[start] + np.select(
            [kind == 2, kind == 3], [9 * 3600, np.where(early, 13 * 3600, 13 * 3600 + 1800)],
            np.where(early, 8 * 3600 + 1800, 9 * 3600),
        )
        last = np.minimum(start + ndays - 1, len(cal.day_sec) - 1)
        e_sec = cal.day_sec[last] + np.select(
            [kind == 2, kind == 3], [12 * 3600, np.where(early, 17 * 3600, 17 * 3600 + 1800)],
            np.where(early, 17 * 3600 + 1800, 17 * 3600),
        )
        ltype = np.where(
            kind <= 1,
            _LEAVE_FULL[rng.choice(len(_LEAVE_FULL), L, p=_LEAVE_FULL_P)],
            _LEAVE_HALF[rng.integers(0, len(_LEAVE_HALF), L)],
        )
        # chief reps approve; the department's chief approves its staff
        chief = {(int(h), int(d)): i for i, (h, d, r) in enumerate(zip(ref.s_hall, ref.s_dept, ref.s_role)) if r == "chief_rep"}
        approver = np.array(
            [ref.s_names[chief.get((int(ref.s_hall[s]), int(ref.s_dept[s])), s)] for s in staff], dtype=object
        ) if L else np.array([], dtype=object)
        self.leave_day: dict[int, list[tuple[int, int]]] = {}
        for s, st, nd, k, ok in zip(staff, start, ndays, kind, approved):
            if not ok:
                continue
            for d in range(int(st), int(st) + int(nd)):
                self.leave_day.setdefault(d, []).append((int(s), int(k)))
        if L:
            frame = pl.DataFrame(
                {
                    "hall_id": self.hall_ids[ref.s_hall[staff]],
                    "staff_id": ref.s_ids[staff],
                    "staff_name": ref.s_names[staff],
                    "leave_start": _ts("leave_start", s_sec),
                    "leave_end": _ts("leave_end", e_sec),
                    "leave_type": ltype,
                    "approved": approved,
                    "approver": approver.astype(str),
                    "_export": export,
                }
            )
            self._push("leave", frame)

    # ---- attendance --------------------------------------------------------
    def _attendance(self, idx: int) -> tuple[pl.DataFrame, np.ndarray]:
        ref, cal = self.ref, self.cal
        rng = _rng(self.seed, "attendance", idx)
        S, bad = ref.n_staff, ref.s_bad
        full = np.zeros(S, bool)
        am = np.zeros(S, bool)
        pm = np.zeros(S, bool)
        for s, k in self.leave_day.get(idx, []):
            if k <= 1:
                full[s] = True
            elif k == 2:
                am[s] = True
            else:
                pm[s] = True
        pm &= ~full
        am &= ~full
        absent = (rng.random(S) < np.where(bad, 0.05, 0.002)) & ~full & ~am & ~pm
        off = full | absent
        late = rng.random(S) < np.where(bad, 0.35, 0.04)
        early = rng.random(S) < np.where(bad, 0.12, 0.015)
        single = (rng.random(S) < np.where(bad, 0.08, 0.01)) & ~am & ~pm
        only_last = single & (rng.random(S) < 0.3)
        normal_first = np.clip(np.round(rng.normal(8 * 60 + 50, 6, S)), 8 * 60 + 25, 9 * 60 + 4)
        first = np.where(late, rng.integers(9 * 60 + 6, 9 * 60 + 46, S), normal_first)
        first = np.where(am, rng.integers(11 * 60 + 48, 12 * 60 + 6, S), first)
        last = np.where(
            early, rng.integers(16 * 60 + 10, 17 * 60, S), 17 * 60 + (rng.exponential(12, S) % 50).astype(int)
        )
        last = np.where(pm, rng.integers(12 * 60 + 1, 12 * 60 + 16, S), last)
        nmid = rng.choice(3, S, p=[0.6, 0.25, 0.15])
        nmid[am | pm] = 0
        which = rng.random(S) < 0.5
        mid1 = rng.integers(11 * 60 + 40, 12 * 60 + 16, S)
        mid2 = rng.integers(13 * 60 + 15, 13 * 60 + 46, S)
        work = ~off & ~single
        valid = np.stack(
            [
                ~off & ~only_last,
                work & ((nmid == 2) | ((nmid == 1) & which)),
                work & ((nmid == 2) | ((nmid == 1) & ~which)),
                ~off & (~single | only_last),
            ],
            axis=1,
        )
        minutes = np.stack([first, mid1, mid2, last], axis=1).astype(np.int64)
        staff = np.repeat(np.arange(S), 4).reshape(S, 4)[valid]
        secs = cal.day_sec[idx] + minutes[valid] * 60
        device = np.array(["1号人脸考勤机", "2号人脸考勤机", "3号指纹考勤机"])
        frame = pl.DataFrame(
            {
                "hall_id": self.hall_ids[ref.s_hall[staff]],
                "staff_id": ref.s_ids[staff],
                "staff_name": ref.s_names[staff],
                "dept_name": ref.dept_names[ref.s_dept[staff]],
                "punch_at": _ts("punch_at", secs),
                "device": device[rng.integers(0, len(device), len(staff))],
            }
        ).sort(["punch_at", "staff_id"], maintain_order=True)
        return frame, ~off

    # ---- cases (and the ratings / callbacks that follow them) --------------
    def _cases(self, idx: int, present: np.ndarray) -> None:
        ref, cal, p = self.ref, self.cal, self.p
        rng = _rng(self.seed, "cases", idx)
        N = int(rng.poisson(p.cases_per_window_day * ref.n_windows * cal.factor(idx)))
        if N == 0:
            return
        self.stats["cases_received"] += N
        monday = cal.weekday[idx] == 0
        w = rng.choice(ref.n_windows, N, p=ref.case_p)
        s = self._pick_staff(rng, w, present)
        dept = ref.w_dept[w]
        anywhere = (ref.w_type[w] == COMP) | (ref.m_count[dept] == 0)
        mstart = np.where(anywhere, 0, ref.m_start[dept])
        mcount = np.where(anywhere, ref.n_matters, ref.m_count[dept])
        m = mstart + rng.integers(0, 1 << 30, N) % mcount
        instant, pdays = ref.m_instant[m], ref.m_days[m]
        bad = ref.w_bad[w]
        online = rng.random(N) < p.online_share
        recv_tod = _tod(rng, N, "case", monday)

        r = rng.random(N)
        final = np.select([r < 0.03, r < 0.07, r < 0.10], [ST_REJECTED, ST_RETURNED, ST_WITHDRAWN], ST_COMPLETED)
        completed = final == ST_COMPLETED
        late = completed & (rng.random(N) < np.where(bad, 0.22, 0.03))
        stalled = completed & ~instant & (rng.random(N) < 0.004)
        big = rng.integers(0, 1 << 30, N)
        k = np.where(instant, 0, 1 + big % np.maximum(pdays, 1))
        k = np.where(late, np.where(instant, rng.integers(1, 3, N), pdays + rng.integers(1, 6, N)), k)
        k = np.where(stalled, pdays + rng.integers(15, 61, N), k)
        k = np.where(final == ST_REJECTED, 0, k)
        k = np.where((final == ST_RETURNED) | (final == ST_WITHDRAWN), big % (pdays + 1), k)

        supp = np.where(
            instant,
            _draw2(rng, [0.95, 0.04, 0.01, 0.0], [0.85, 0.1, 0.05, 0.0], bad),
            _draw2(rng, [0.78, 0.15, 0.05, 0.02], [0.45, 0.25, 0.18, 0.12], bad),
        )
        supp[final == ST_REJECTED] = 0
        base_visit = np.where(online, 0, 1)
        extra = (supp >= 1) & (rng.random(N) < np.where(bad, 0.75, 0.3))
        extra2 = (supp >= 2) & (rng.random(N) < np.where(bad, 0.5, 0.15))
        visits = base_visit + extra + extra2

        same = k == 0
        delta = np.select(
            [instant, final == ST_REJECTED], [rng.integers(300, 2700, N), rng.integers(180, 1200, N)],
            rng.integers(600, 7200, N),
        )
        fin_tod = np.where(same, np.minimum(recv_tod + delta, 17 * 3600 + 50 * 60), _tod(rng, N, "case"))
        E = idx + k
        recv = cal.day_sec[idx] + recv_tod
        fin = cal.day_sec[E] + fin_tod
        upd_fin = fin + rng.integers(0, 181, N)
        upd0 = recv + rng.integers(60, 901, N)
        has_mid = (k >= 2) & (supp >= 1)
        M = idx + 1 + big % np.maximum(k - 1, 1)
        mid_upd = cal.day_sec[np.minimum(M, len(cal.day_sec) - 1)] + _tod(rng, N, "case")
        no_days = rng.random(N) < 0.1  # promised_days column left empty: the matter's applies

        deadline_num = cal.day_num[idx + pdays]
        open_at_end = (E >= cal.n) & (final == ST_COMPLETED)
        self.stats["open_past_deadline_at_end"] += int(np.sum(open_at_end & (deadline_num < (self.end - EPOCH).days)))
        self.stats["late_completed_cases"] += int(np.sum(late & (E < cal.n)))

        order = np.argsort(recv, kind="stable")
        seq = np.empty(N, np.int64)
        seq[order] = np.arange(N)
        case_id = pl.Series(f"BJ{cal.ymd[idx]}" + pl.Series(seq + 1).cast(pl.String).str.zfill(6))
        base = pl.DataFrame(
            {
                "hall_id": self.hall_ids[ref.w_hall[w]],
                "case_id": case_id,
                "window_id": ref.w_ids[w],
                "staff_id": ref.s_ids[s],
                "matter_code": ref.m_codes[m],
                "received_at": _ts("received_at", recv),
                "promised_days": _masked(pl.Series("promised_days", pdays), ~no_days),
                "channel": np.where(online, "online", "window"),
            }
        )

        def version(mask, status, completed_at, s_count, v_count, updated, export):
            sel = np.flatnonzero(mask)
            return base[sel].with_columns(
                _ts("completed_at", completed_at[sel]) if completed_at is not None
                else pl.lit(None, pl.Datetime("us")).alias("completed_at"),
                pl.Series("status", status[sel] if isinstance(status, np.ndarray) else np.full(len(sel), status)),
                pl.Series("supplement_count", np.asarray(s_count)[sel].astype(np.int64)),
                pl.Series("visit_count", np.asarray(v_count)[sel].astype(np.int64)),
                _ts("updated_at", updated[sel]),
                pl.Series("_export", np.asarray(export)[sel].astype(np.int64)),
            )

        zeros = np.zeros(N, np.int64)
        frames = [
            version(~same, "in_progress", None, zeros, base_visit, upd0, np.full(N, idx)),
            version(has_mid, "in_progress", None, supp, base_visit + extra, mid_upd, M),
            version(np.ones(N, bool), _CASE_STATUS[final], fin, supp, visits, upd_fin, E),
        ]
        self._push("cases", pl.concat(frames))

        # ratings after the case is closed (mostly completed ones)
        rated = (completed & (rng.random(N) < np.where(online, p.rating_rate / 3, p.rating_rate))) | (
            ~completed & (final != ST_WITHDRAWN) & (rng.random(N) < 0.15)
        )
        unhappy = bad | late | (supp >= 2) | (visits >= 2) | ~completed
        sel = np.flatnonzero(rated)
        if len(sel):
            ch = np.where(
                online[sel],
                np.array(["web", "app", "sms"])[_draw(rng, np.cumsum([0.5, 0.4, 0.1]), len(sel))],
                np.array(["device", "qr", "sms", "hotline"])[_draw(rng, np.cumsum([0.6, 0.25, 0.1, 0.05]), len(sel))],
            )
            self._push(
                "ratings",
                self._rating_rows(rng, w[sel], s[sel], case_id.gather(sel), fin[sel], E[sel], ch, unhappy[sel], bad[sel]),
            )

        # phone callbacks one to three working days after completion
        cb = completed & (rng.random(N) < p.callback_rate)
        sel = np.flatnonzero(cb)
        if len(sel):
            self._push("callbacks", self._callback_rows(rng, sel, w, case_id, E, bad, supp, visits))

    def _rating_rows(self, rng, w, s, case_id, base_sec, export, channel, unhappy, bad) -> pl.DataFrame:
        n = len(w)
        offset = np.select(
            [np.isin(channel, ["device", "qr"]), channel == "sms", channel == "hotline"],
            [rng.integers(30, 300, n), rng.integers(1800, 14400, n), rng.integers(3600, 18000, n)],
            rng.integers(300, 36000, n),
        )
        day_end = (base_sec // 86400) * 86400 + 86400 - 600
        rated = np.minimum(base_sec + offset, day_end)
        score = 1 + _draw2(rng, [0.01, 0.02, 0.04, 0.15, 0.78], [0.10, 0.12, 0.12, 0.20, 0.46], unhappy)
        score = np.where(bad & (rng.random(n) < 0.1), rng.integers(1, 3, n), score)
        r1 = _RATING_REASONS[rng.integers(0, len(_RATING_REASONS), n)]
        r2 = _RATING_REASONS[rng.integers(0, len(_RATING_REASONS), n)]
        two = (rng.random(n) < 0.4) & (r1 != r2)
        reasons = np.where(two, np.char.add(np.char.add(r1, "；"), r2), r1)
        has_reason = (score <= 2) | ((score == 3) & (rng.random(n) < 0.3))
        u = rng.random(n)
        comment = np.select(
            [score >= 4, score == 3],
            [_COMMENTS_GOOD[rng.integers(0, len(_COMMENTS_GOOD), n)], _COMMENTS_MID[rng.integers(0, len(_COMMENTS_MID), n)]],
            _COMMENTS_BAD[rng.integers(0, len(_COMMENTS_BAD), n)],
        )
        has_comment = np.select([score == 5, score == 4], [u < 0.35, u < 0.2], u < 0.8)
        phone_ok = rng.random(n) < 0.85
        frame = pl.DataFrame(
            {
                "hall_id": self.hall_ids[self.ref.w_hall[w]],
                "rated_at": _ts("rated_at", rated),
                "window_id": self.ref.w_ids[w],
                "staff_id": self.ref.s_ids[s],
                "case_id": case_id,
                "score": score.astype(np.int64),
                "channel": channel,
                "reasons": _masked(pl.Series("reasons", reasons), has_reason),
                "comment": _masked(pl.Series("comment", comment), has_comment),
                "rater_phone": _masked(_phones(rng, n).alias("rater_phone"), phone_ok),
                "_export": np.asarray(export, np.int64),
            }
        )
        return frame

    def _callback_rows(self, rng, sel, w, case_id, E, bad, supp, visits) -> pl.DataFrame:
        n = len(sel)
        w, bad, supp, visits = w[sel], bad[sel], supp[sel], visits[sel]
        day = E[sel] + rng.integers(1, 4, n)
        day_c = np.minimum(day, len(self.cal.day_sec) - 1)
        called = self.cal.day_sec[day_c] + rng.integers(9 * 3600 + 1800, 16 * 3600 + 1800, n)
        outcome = np.array(["reached", "unreachable", "refused"])[_draw(rng, np.cumsum([0.75, 0.2, 0.05]), n)]
        reached = outcome == "reached"
        p_problem = np.where(bad, 0.3, 0.04) + (visits >= 2) * 0.2 + (supp >= 2) * 0.15
        problem = reached & (rng.random(n) < p_problem)
        kinds = np.array(["bad_attitude", "extra_trip", "no_one_time_notice", "other", "misconduct"])
        ptype = np.where(
            bad,
            kinds[_draw(rng, np.cumsum([0.3, 0.25, 0.25, 0.1, 0.1]), n)],
            kinds[_draw(rng, np.cumsum([0.35, 0.25, 0.2, 0.2, 0.0]), n)],
        )
        ptype = np.where(visits >= 2, "extra_trip", np.where(supp >= 2, "no_one_time_notice", ptype))
        ptype = np.where(problem, ptype, "none")
        verified = problem & (rng.random(n) < 0.55)
        sat = 1 + _draw2(rng, [0.01, 0.01, 0.04, 0.14, 0.80], [0.2, 0.3, 0.3, 0.15, 0.05], problem | bad)
        comment = np.where(
            outcome == "unreachable", _CB_UNREACHABLE[rng.integers(0, len(_CB_UNREACHABLE), n)],
            np.where(outcome == "refused", _CB_REFUSED[rng.integers(0, len(_CB_REFUSED), n)],
                     _CB_NONE[rng.integers(0, len(_CB_NONE), n)]),
        ).astype(object)
        for t, bank in _CB_PROBLEM.items():
            mask = ptype == t
            if mask.any():
                comment[mask] = bank[rng.integers(0, len(bank), int(mask.sum()))]
        return pl.DataFrame(
            {
                "hall_id": self.hall_ids[self.ref.w_hall[w]],
                "case_id": case_id.gather(sel),
                "called_at": _ts("called_at", called),
                "outcome": outcome,
                "satisfaction": _masked(pl.Series("satisfaction", sat.astype(np.int64)), reached),
                "problem_type": ptype,
                "problem_verified": verified,
                "comment": comment.astype(str),
                "phone": _masked(_phones(rng, n).alias("phone"), rng.random(n) < 0.95),
                "_export": day.astype(np.int64),
            }
        )

    # ---- queue ---------------------------------------------------------------
    def _queue(self, idx: int, present: np.ndarray) -> pl.DataFrame | None:
        ref, cal, p = self.ref, self.cal, self.p
        rng = _rng(self.seed, "queue", idx)
        N = int(rng.poisson(p.tickets_per_window_day * ref.n_windows * cal.factor(idx)))
        if N == 0:
            return None
        wd = int(cal.weekday[idx])
        w = rng.choice(ref.n_windows, N, p=ref.ticket_p)
        issued_tod = _tod(rng, N, "ticket", wd == 0)
        hour = issued_tod // 3600
        cat = ref.w_cat[w]
        peak = ((hour >= 9) & (hour < 11)) | ((hour >= 14) & (hour < 16))
        mean = np.where(peak, 11.0, 7.0) * np.where(ref.w_bad[w], 1.5, 1.0)
        planted = np.zeros(N, bool)
        for pwd, ph, cats in PEAK_HOURS:
            if pwd == wd:
                planted |= (hour == ph) & np.isin(cat, cats)
        wait = rng.gamma(2.0, mean / 2.0) * 60
        wait = np.where(planted, rng.gamma(4.0, 45.0 / 4.0, N) * 60, wait).astype(np.int64)
        status = np.array(["served", "no_show", "cancelled"])[_draw(rng, np.cumsum([0.85, 0.10, 0.05]), N)]
        slow = np.where(np.isin(cat, ["不动产登记", "企业开办", "建设工程"]), 14.0, np.where(cat == "政策咨询", 4.0, 8.0))
        service = (rng.lognormal(0.0, 0.5, N) * slow * np.where(ref.w_bad[w], 1.4, 1.0) * 60).astype(np.int64) + 30
        issued = cal.day_sec[idx] + issued_tod
        # the first calls come when the hall opens at 09:00
        called = np.maximum(issued + wait, cal.day_sec[idx] + 9 * 3600 + rng.integers(0, 240, N))
        finished = np.where(status == "served", called + service, called + rng.integers(30, 120, N))
        has_call = status != "cancelled"
        frame = pl.DataFrame(
            {
                "hall_id": self.hall_ids[ref.w_hall[w]],
                "issued_at": _ts("issued_at", issued),
                "called_at": _ts("called_at", called, has_call),
                "finished_at": _ts("finished_at", finished, has_call),
                "window_id": ref.w_ids[w],
                "service_category": cat,
                "status": status,
                "_w": w,
            }
        ).sort(["issued_at"], maintain_order=True)
        letters = {c: chr(ord("A") + i % 26) for i, c in enumerate(sorted(set(ref.w_cat.tolist())))}
        frame = frame.with_columns(
            _ids("PH", cal.ymd[idx], frame.height).alias("ticket_id"),
            (
                pl.col("service_category").replace_strict(letters, return_dtype=pl.String)
                + (pl.int_range(pl.len()).over(["hall_id", "service_category"]) + 1).cast(pl.String).str.zfill(3)
            ).alias("ticket_no"),
        )
        # a few served tickets are rated at the counter without a case (consultations)
        served = frame.filter(pl.col("status") == "served")
        w_s = served["_w"].to_numpy()
        rate = rng.random(len(w_s)) < np.where(ref.w_type[w_s] == CONS, 0.15, 0.03)
        sel = np.flatnonzero(rate)
        if len(sel):
            ws = w_s[sel]
            fin = (served["finished_at"].dt.epoch("s").to_numpy())[sel]
            ch = np.array(["device", "qr"])[_draw(rng, np.cumsum([0.75, 0.25]), len(sel))]
            self._push(
                "ratings",
                self._rating_rows(
                    rng, ws, self._pick_staff(rng, ws, present), pl.Series([None] * len(sel), dtype=pl.String),
                    fin, np.full(len(sel), idx), ch, ref.w_bad[ws], ref.w_bad[ws],
                ),
            )
        return frame.drop("_w")

    # ---- monitoring ----------------------------------------------------------
    def _monitoring(self, idx: int, present: np.ndarray) -> pl.DataFrame | None:
        ref, cal = self.ref, self.cal
        rng = _rng(self.seed, "monitoring", idx)
        nW = ref.n_windows
        # AI camera: every window a little, the bad ones a lot
        cam_n = rng.poisson(np.where(ref.w_bad, 0.5, 0.06))
        cam_w = np.repeat(np.arange(nW), cam_n)
        # the bad staff, caught on their own window
        bs = np.flatnonzero(ref.s_bad & present)
        bs_n = rng.poisson(0.3, len(bs))
        bs_staff = np.repeat(bs, bs_n)
        bs_w = ref.s_window[bs_staff]
        # patrols and mystery shoppers per hall, drawn to the bad windows
        pw = np.where(ref.w_bad, 3.0, 1.0)
        pat_w, mys_w = [], []
        for h in range(ref.n_halls):
            cand = np.flatnonzero(ref.w_hall == h)
            pp = pw[cand] / pw[cand].sum()
            pat_w.append(rng.choice(cand, int(rng.poisson(1.2)), p=pp))
            mys_w.append(rng.choice(cand, int(rng.poisson(0.08)), p=pp))
        pat_w = np.concatenate(pat_w).astype(int)
        mys_w = np.concatenate(mys_w).astype(int)
        w = np.concatenate([cam_w, bs_w, pat_w, mys_w]).astype(int)
        n = len(w)
        if n == 0:
            return None
        src = np.concatenate(
            [np.full(len(cam_w), "ai_camera"), np.full(len(bs_w), "ai_camera"), np.full(len(pat_w), "patrol"),
             np.full(len(mys_w), "mystery_shopper")]
        )
        types = np.array(["off_post", "phone", "sleeping", "chatting", "dress", "empty_window"])
        etype = np.select(
            [src == "ai_camera", src == "patrol"],
            [types[_draw(rng, np.cumsum([0.3, 0.3, 0.05, 0.15, 0.0, 0.2]), n)],
             types[_draw(rng, np.cumsum([0.2, 0.15, 0.0, 0.25, 0.35, 0.05]), n)]],
            types[_draw(rng, np.cumsum([0.3, 0.35, 0.0, 0.2, 0.0, 0.15]), n)],
        )
        staff = self._pick_staff(rng, w, present)
        fixed = np.zeros(n, bool)
        fixed[len(cam_w): len(cam_w) + len(bs_w)] = True
        staff[fixed] = bs_staff
        etype = np.where(fixed & (etype == "empty_window"), "off_post", etype)
        has_staff = (etype != "empty_window") & (fixed | (src != "ai_camera") | (rng.random(n) < 0.85))
        lo = np.select([etype == "off_post", etype == "empty_window", etype == "sleeping", etype == "phone"], [5, 5, 3, 2], 3)
        hi = np.select([etype == "off_post", etype == "empty_window", etype == "sleeping", etype == "phone"], [41, 31, 21, 16], 21)
        duration = lo + rng.integers(0, 1 << 30, n) % (hi - lo)
        u = rng.random(n)
        confirmed = np.where(src == "ai_camera", np.where(u < 0.45, 1, np.where(u < 0.8, 0, -1)), np.where(u < 0.95, 1, -1))
        occurred = cal.day_sec[idx] + _tod(rng, n, "case")
        ev_prefix = np.select([src == "ai_camera", src == "patrol"], ["SP", "XC"], "AF")
        ev_num = pl.Series(rng.integers(0, 10000, n)).cast(pl.String).str.zfill(4)
        evidence = pl.Series(ev_prefix) + cal.ymd[idx] + "-" + ev_num
        frame = pl.DataFrame(
            {
                "hall_id": self.hall_ids[ref.w_hall[w]],
                "occurred_at": _ts("occurred_at", occurred),
                "window_id": ref.w_ids[w],
                "staff_id": _masked(pl.Series("staff_id", ref.s_ids[staff]), has_staff),
                "event_type": etype,
                "duration_minutes": _masked(pl.Series("duration_minutes", duration.astype(np.int64)), etype != "dress"),
                "source": src,
                "confirmed": _masked(pl.Series("confirmed", confirmed == 1), confirmed >= 0),
                "evidence_ref": _masked(evidence.alias("evidence_ref"), rng.random(n) < 0.9),
            }
        ).sort(["occurred_at"], maintain_order=True)
        return frame.with_columns(_ids("SJ", cal.ymd[idx], frame.height).alias("event_id"))

    # ---- PII in a few comments (personal data the pipeline later masks) -----
    def _pii(self, frame: pl.DataFrame, idx: int, column: str) -> pl.DataFrame:
        rng = _rng(self.seed, "pii", idx * 10 + (1 if column == "comment" else 0))
        has = frame[column].is_not_null().to_numpy()
        pick = np.flatnonzero(has & (rng.random(frame.height) < 0.004))
        if not len(pick):
            return frame
        values = frame[column].to_list()
        for i in pick:
            phone = str(_MOBILE_PREFIX[rng.integers(0, len(_MOBILE_PREFIX))]) + f"{int(rng.integers(0, 10**8)):08d}"
            idn = _id_number(rng)
            t = int(rng.integers(0, 4))
            values[i] = [
                f"有问题请联系我{phone}",
                f"办理人身份证号{idn}，材料已经交齐还让我再跑一趟",
                f"请工作人员回电{phone}，谢谢",
                f"身份证{idn}，电话{phone}，至今未办结",
            ][t]
        self.stats["pii_comments"] += len(pick)
        return frame.with_columns(pl.Series(column, values, dtype=pl.String))

    # ---- one export day ------------------------------------------------------
    def day(self, idx: int) -> None:
        cal = self.cal
        d = cal.workdays[idx]
        att, present = self._attendance(idx)
        self._cases(idx, present)
        queue = self._queue(idx, present)
        mon = self._monitoring(idx, present)
        ymd = cal.ymd[idx]

        frames: dict[str, pl.DataFrame | None] = {"attendance": att, "queue": queue, "monitoring": mon}
        leave = self._take("leave", idx)
        frames["leave"] = leave.sort(["leave_start", "staff_id"], maintain_order=True) if leave is not None else None
        cases = self._take("cases", idx)
        frames["cases"] = cases.sort(["updated_at", "case_id"], maintain_order=True) if cases is not None else None
        ratings = self._take("ratings", idx)
        if ratings is not None:
            ratings = ratings.sort(["rated_at"], maintain_order=True)
            ratings = ratings.with_columns(_ids("PJ", ymd, ratings.height).alias("rating_id"))
            ratings = self._pii(ratings, idx, "comment")
        frames["ratings"] = ratings
        cbs = self._take("callbacks", idx)
        if cbs is not None:
            cbs = cbs.sort(["called_at"], maintain_order=True)
            cbs = cbs.with_columns(_ids("HF", ymd, cbs.height).alias("callback_id"))
        frames["callbacks"] = cbs
        for source in DAILY_ORDER:
            frame = frames.get(source)
            if frame is None or frame.height == 0:
                continue
            self._write_daily(source, d, idx, frame)

    # ---- rendering and writing ----------------------------------------------
    def _columns(self, source: str, frame: pl.DataFrame) -> list[str]:
        cols = [c.name for c in C.DAILY_SOURCES[source].columns if c.name in frame.columns]
        if self.ref.n_halls == 1:
            cols = [c for c in cols if c != "hall_id"]
        extras = [c for c in frame.columns if c in EXTRA_HEADERS]
        if source == "attendance":  # a clock machine export: 工号 姓名 部门 打卡时间 考勤机
            cols = [c for c in cols if c != "punch_at"] + ["staff_name", "dept_name", "punch_at", "device"]
        elif source == "leave":
            cols = cols[: cols.index("staff_id") + 1] + ["staff_name"] + cols[cols.index("staff_id") + 1:] + ["approver"]
        elif source == "queue":
            cols = cols[: cols.index("ticket_id") + 1] + ["ticket_no"] + cols[cols.index("ticket_id") + 1:]
        else:
            cols += [c for c in extras if c not in cols]
        return cols

    def _render(self, spec: C.Source, frame: pl.DataFrame, cols: list[str], style: _Style, fmt: str) -> pl.DataFrame:
        exprs = []
        for name in cols:
            col = next((c for c in spec.columns if c.name == name), None)
            e = pl.col(name)
            kind = col.kind if col else C.TEXT
            if kind == C.CODE and style.codes == "zh":
                e = e.replace_strict(col.codes, return_dtype=pl.String)
            elif kind == C.SCORE and style.scores == "zh":
                words = {v: k for k, v in C.SCORE_WORDS.items()}
                e = e.replace_strict(words, return_dtype=pl.String)
            elif kind == C.BOOL and fmt != "parquet":
                t, f = {"zh": ("是", "否"), "yn": ("Y", "N"), "10": ("1", "0"), "tf": ("true", "false")}[style.bools]
                e = pl.when(e.is_null()).then(None).when(e).then(pl.lit(t)).otherwise(pl.lit(f))
            elif kind == C.TIMESTAMP:
                if fmt == "csv" or (fmt == "xlsx" and style.ts != "excel"):
                    e = e.dt.strftime(TS_FORMATS.get(style.ts, TS_FORMATS["dash"]))
            if fmt == "csv":
                e = e.cast(pl.String)
            exprs.append(e.alias(name))
        return frame.select(exprs)

    def _headers(self, spec: C.Source, cols: list[str], style: _Style) -> list[str]:
        out = []
        for name in cols:
            col = next((c for c in spec.columns if c.name == name), None)
            if col is not None:
                out.append(col.zh if style.headers == "zh" else col.name)
            else:
                en, zh = EXTRA_HEADERS[name]
                out.append(zh if style.headers == "zh" else en)
        return out

    def _ts_value(self, dt: datetime, style: _Style, fmt: str):
        """A timestamp as this file writes it: a datetime (typed cells) or text."""
        if fmt == "parquet" or (fmt == "xlsx" and style.ts == "excel"):
            return dt
        if style.ts == "slash1":
            return f"{dt.year}/{dt.month}/{dt.day} {dt.hour}:{dt.minute:02d}"
        return dt.strftime(TS_FORMATS.get(style.ts, TS_FORMATS["dash"]))

    def _write_daily(self, source: str, d: date, idx: int, frame: pl.DataFrame) -> None:
        spec = C.DAILY_SOURCES[source]
        fmt, style = self.fmt[source], STYLES[source]
        cols = self._columns(source, frame)
        out = self._render(spec, frame, cols, style, fmt)
        headers = self._headers(spec, cols, style)
        folder = self.inbox / source
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{d.isoformat()}.{fmt}"
        rows: list[tuple] | None = None
        if fmt == "xlsx":
            rows = out.rows()
        plant = self._due_plant(source, idx, fmt, style)
        if plant is not None and out.height >= 2:
            # at most one planted row per file, so the recorded row numbers stay true
            result = self._apply_plant(plant, rows if rows is not None else out, out, cols, d, idx, fmt, style)
            if result is not None:
                if rows is not None:
                    rows = result[0]
                else:
                    out = result[0]
                self.planted.append({"source": source, "file": name, **result[1]})
                self.plants.remove(plant)
        path = folder / name
        created = datetime.combine(d, time(17, 40))
        if fmt == "csv":
            text = out.rename(dict(zip(cols, headers))).write_csv(null_value="")
            path.write_bytes(text.encode(style.encoding))
            n = out.height
        elif fmt == "parquet":
            out.rename(dict(zip(cols, headers))).write_parquet(path, statistics=False)
            n = out.height
        else:
            _write_xlsx(path, headers, rows, created, style.sheet)
            n = len(rows)
        self.summary_files[source] += 1
        self.summary_rows[source] += n

    # ---- planting -------------------------------------------------------------
    def _due_plant(self, source: str, idx: int, fmt: str, style: _Style) -> _Plant | None:
        for pl_ in list(self.plants):
            if pl_.source != source or pl_.target > idx:
                continue
            if pl_.needs_text_ts and (fmt == "parquet" or (fmt == "xlsx" and style.ts == "excel")):
                self.plants.remove(pl_)  # cannot be written in this format
                continue
            return pl_
        return None

    def _apply_plant(self, plant: _Plant, data, out: pl.DataFrame, cols, d: date, idx: int, fmt: str, style: _Style):
        rng = _rng(self.seed, "plant", plant.no * 100000 + idx)
        n = out.height
        base = int(rng.integers(0, n - 1))
        row = dict(zip(cols, data[base])) if isinstance(data, list) else out.row(base, named=True)
        entry: dict[str, Any] = {"row": 0, "reason": plant.reason, "what": plant.what, "column": plant.column}
        ts = lambda h, m, s=0: self._ts_value(datetime.combine(d, time(h, m, s)), style, fmt)  # noqa: E731
        idcol = _ID_COLUMN.get(plant.source)
        if plant.reason == "duplicate":
            pos = int(rng.integers(base + 1, n + 1))
            entry["duplicate_of"] = base + 1
            entry["value"] = None
        else:
            pos = int(rng.integers(1, n))
            if idcol:
                row[idcol] = str(row[idcol])[:-6] + f"{900000 + plant.no}"
                entry["id"] = row[idcol]
            key = (plant.source, plant.reason)
            if key == ("cases", "bad_timestamp"):
                value = {"slash1": f"{d.year}/2/30 10:12", "iso": f"{d.year}-02-30T10:12:00+08:00",
                         "slash": f"{d.year}/02/30 10:12:00"}.get(style.ts, f"{d.year}-02-30 10:12:00")
                row["received_at"] = value
            elif key == ("attendance", "unknown_code"):
                value = "ZW99999" if self.ref.n_staff < 99999 else "ZX00000"
                row["staff_id"] = value
                row["staff_name"] = "周临"
            elif key == ("queue", "finish_before_start"):
                row["issued_at"], row["called_at"] = ts(10, 2, 15), ts(10, 9, 40)
                value = ts(10, 5, 10)
                row["finished_at"] = value
                row["status"] = "已办理" if style.codes == "zh" else "served"
            elif key == ("ratings", "out_of_range"):
                value = 7
                row["score"] = value
            elif key == ("cases", "negative_count"):
                value = -1
                row["supplement_count"] = value
            elif key == ("monitoring", "bad_timestamp"):
                value = d.isoformat()
                row["occurred_at"] = value
            elif key == ("callbacks", "unknown_case"):
                prev = self.cal.ymd[max(idx - 3, 0)]
                value = f"BJ{prev}950{plant.no:03d}"
                row["case_id"] = value
            elif key == ("cases", "unknown_code"):
                value = "Z99"
                row["window_id"] = value
            elif key == ("leave", "finish_before_start"):
                row["leave_start"] = ts(14, 0)
                value = ts(9, 0)
                row["leave_end"] = value
            elif key == ("cases", "missing_value"):
                value = None
                row["matter_code"] = None
            elif key == ("queue", "unknown_code"):
                value = "挂起"
                row["status"] = value
            elif key == ("ratings", "missing_value"):
                value = None
                row["rated_at"] = None
            else:  # pragma: no cover
                return None
            entry["value"] = value
        entry["row"] = pos + 1
        if isinstance(entry.get("value"), datetime):
            entry["value"] = entry["value"].isoformat(sep=" ")
        if isinstance(data, list):
            new = list(data)
            new.insert(pos, tuple(row[c] for c in cols))
            return new, entry
        if fmt == "csv":
            one = pl.DataFrame({c: [None if row[c] is None else str(row[c])] for c in cols}, schema=out.schema)
        else:
            vals = {}
            for c in cols:
                v = row[c]
                if out.schema[c] == pl.String and v is not None and not isinstance(v, str):
                    v = str(v)
                vals[c] = [v]
            try:
                one = pl.DataFrame(vals, schema=out.schema)
            except Exception:
                return None
        return pl.concat([out.slice(0, pos), one, out.slice(pos)]), entry

    # ---- reference -------------------------------------------------------------
    def write_reference(self) -> dict[str, int]:
        fmt, style = self.fmt["reference"], STYLES["reference"]
        folder = self.inbox / "reference"
        folder.mkdir(parents=True, exist_ok=True)
        counts = {}
        created = datetime.combine(self.start, time(9, 0))
        for name in REFERENCE_ORDER:
            frame = self.ref.frames()[name]
            spec = C.REFERENCE_SOURCES[name]
            cols = [c.name for c in spec.columns]
            out = self._render(spec, frame, cols, style, fmt)
            headers = self._headers(spec, cols, style)
            path = folder / f"{name}.{fmt}"
            if fmt == "csv":
                path.write_bytes(out.rename(dict(zip(cols, headers))).write_csv(null_value="").encode("utf-8-sig"))
            elif fmt == "parquet":
                out.rename(dict(zip(cols, headers))).write_parquet(path, statistics=False)
            else:
                _write_xlsx(path, headers, out.rows(), created, spec.zh)
            counts[name] = out.height
        return counts

    def patterns(self) -> dict[str, Any]:
        ref = self.ref
        return {
            "bad_windows": [
                {"hall_id": self.hall_ids[ref.w_hall[i]], "window_id": str(ref.w_ids[i]), "dept_id": str(ref.dept_ids[ref.w_dept[i]])}
                for i in np.flatnonzero(ref.w_bad)
            ],
            "bad_staff": [
                {"hall_id": self.hall_ids[ref.s_hall[i]], "staff_id": str(ref.s_ids[i]), "window_id": str(ref.w_ids[ref.s_window[i]])}
                for i in np.flatnonzero(ref.s_bad)
            ],
            "peak_hours": [
                {"weekday": wd, "hour": h, "service_categories": list(cats)}
                for wd, h, cats in PEAK_HOURS
                if any(c in set(ref.w_cat.tolist()) for c in cats)
            ],
            **self.stats,
        }


def _write_xlsx(path: Path, headers: list[str], rows: list[tuple], created: datetime, sheet: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": created, "author": "政务服务中心", "title": path.stem})
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, headers, bold)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    ws.freeze_panes(1, 0)
    ws.set_column(0, max(len(headers) - 1, 0), 16)
    wb.close()


_DAILY_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.(csv|xlsx|parquet)$")


def _clean(inbox: Path) -> None:
    """Remove files an earlier demo run left in the folders this one writes."""
    for source in DAILY_ORDER:
        folder = inbox / source
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and _DAILY_NAME.match(f.name):
                    f.unlink()
    folder = inbox / "reference"
    if folder.is_dir():
        for f in folder.iterdir():
            if f.is_file() and f.stem in REFERENCE_ORDER and f.suffix in (".csv", ".xlsx", ".parquet"):
                f.unlink()


def write_inbox(
    inbox: Path,
    end_date: date,
    profile: InboxProfile = InboxProfile(),
    seed: int = 20261126,
    plant_bad_rows: bool = True,
) -> dict:
    """Write a demo inbox ending ``end_date`` (inclusive); return and save its summary.

    The summary (also written to ``inbox.parent / "demo_manifest.json"``) holds
    the files and rows written per source, the planted bad rows (source, file,
    1-based data row, expected reason) and the planted patterns (bad windows,
    bad staff, long-wait hours).
    """
    inbox = Path(inbox)
    gen = _Inbox(inbox, end_date, profile, seed, plant_bad_rows)
    inbox.mkdir(parents=True, exist_ok=True)
    _clean(inbox)
    reference_rows = gen.write_reference()
    for idx in range(gen.cal.n):
        gen.day(idx)
    summary = {
        "seed": int(seed),
        "start_date": gen.start.isoformat(),
        "end_date": end_date.isoformat(),
        "profile": asdict(profile),
        "working_days": gen.cal.n,
        "closed_days": [d.isoformat() for d in gen.cal.closed_in_range],
        "formats": {s: gen.fmt[s] for s in ("reference", *DAILY_ORDER)},
        "reference_rows": reference_rows,
        "files": dict(gen.summary_files),
        "rows": dict(gen.summary_rows),
        "planted": gen.planted,
        "patterns": gen.patterns(),
    }
    manifest = inbox.parent / "demo_manifest.json"
    manifest.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return summary
