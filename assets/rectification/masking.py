"""Masking of applicants' personal data (rectification.md, "Personal data").

Applicants' phone numbers, ID numbers and names never reach a dashboard or an
export unmasked, including inside free text (rating comments, callback notes,
reasons). Two entry points:

* ``mask_text(s)``       plain Python, ``None`` in -> ``None`` out;
* ``mask_text_expr(c)``  the same as a polars expression over a whole column
  (each distinct value is masked once, so repeated comments cost nothing);
* ``mask_name(name)``    for a name *field*: ``张三 -> 张*``, ``欧阳娜娜 -> 欧***``.

What is caught in free text
---------------------------
* Mainland mobiles: 11 digits ``1[3-9]…``, contiguous or grouped 3-4-4 / 3-8 /
  7-4 with one space or dash between groups (``138 1234 5678``,
  ``138-1234-5678``), optionally preceded by ``+86``, ``86``, ``0086`` or
  ``(+86)``. Result: ``138****1234`` (the prefix, if any, is kept as written).
* Landlines with an area code: ``010``/``02x`` + 8 digits, ``0xxx`` + 7 or 8
  digits, with or without ``-``/space/parentheses
  (``0571-88886666 -> 0571-****6666``; ``(010)12345678`` is not a landline,
  subscriber numbers start with 2-9). The area code stays, the subscriber
  number keeps its last 4 digits.
* ID numbers, 18 characters: 6-digit region (first digit 1-8), a birth date
  (year 18xx/19xx/20xx, a real month and day 01-31), 3 digits, and a check
  character. Masked ``110101********123X`` (region and the last 4 kept) when
  the check character is X/x, or the ISO 7064 MOD 11-2 check digit is right, or
  the birth year is before 2000. An all-digit 18-digit number dated 2000 or
  later whose check digit is wrong is left alone: that is what government case
  numbers (``330100202603050001``: region + date + serial) look like. About one
  case number in eleven passes the check digit by chance and *is* masked —
  which is why generated descriptions mask only their free-text parts, never
  the case id they quote.
* Old 15-digit IDs: region (1-8…) + YYMMDD + 3 digits -> ``110101******123``.
* Names in free text, by cue (heuristic, no dictionary of given names):
  - after 申请人/办事人/办事群众/群众/联系人/当事人/来电人/来访人/投诉人/
    反映人/评价人/受访人/被访人/市民/代理人/家属/姓名, optionally followed by
    ``：``/``:``/space or 为/是: a common Chinese surname (about 300 single and
    the usual compound ones) plus 1-2 characters, ending where the text
    plausibly ends a name (punctuation, a non-Chinese character, or a
    function/verb character such as 反 说 称 来 在 的 对 办 电…). After an
    explicit ``：`` the surname list is not required (2-4 characters ending at
    such a boundary).
  - a full name right before 先生/女士/小姐 (``王小明先生 -> 王**先生``); a bare
    surname (``张先生``) is not personal data and stays.
  - common words that begin with a surname character after a cue (群众高度评价,
    群众马上, 群众周末, 申请人申请…) are left alone via a boundary rule and a
    short block list.

What is NOT caught (documented limits)
--------------------------------------
* Names without a cue (``张三反映窗口态度差`` stays), names in Latin letters,
  and minority names with ``·`` in free text (the name *field* function handles
  them).
* Landlines without an area code (``88886666``): indistinguishable from
  amounts and dates. Service numbers (400/800/95xxx/12345) are not personal.
* Phones written with other groupings (``1381-234-5678``) or glued to Latin
  letters (``abc13812345678``), except after ``tel``/``Tel``/``TEL``: letters
  directly before a digit run mark an identifier (``SP13812345678`` stays).
  ID numbers likewise, except after ``ID``/``Id``/``id``/``SFZ``/``sfz``.
* Digits typed full-width (``１３８１２３４５６７８``) are caught: a text that
  holds any is matched with them read half-width, and when something in it
  is masked it is written half-width (``138****5678``); a text with nothing
  to mask comes back exactly as given (``数值无法识别：'１５'`` stays).
* Numbers glued into a longer digit run (two phones written together, a phone
  inside an order number): a run of more than 11 or 18 digits is not split.
* An 11-digit amount that looks like a mobile (``15800000000元``) is masked.
* Over-masking by one character can happen (``感谢张三女士`` -> ``感谢**女士``):
  the name is still hidden, the sentence loses a character.
"""

from __future__ import annotations

import re
from typing import Callable

import polars as pl

__all__ = [
    "mask_name",
    "mask_text",
    "mask_text_expr",
    "mask_phone",
    "mask_id_number",
    "SURNAMES",
    "COMPOUND_SURNAMES",
]

# ---------------------------------------------------------------------------
# phones and IDs
# ---------------------------------------------------------------------------
# letters right before a digit run mark an identifier (SP13812345678), except
# the ones people write before their own number
_ID_CUE = r"(?:(?<=ID)|(?<=Id)|(?<=id)|(?<=SFZ)|(?<=sfz)|(?<![0-9A-Za-z]))"
_ID18 = re.compile(
    _ID_CUE +
    r"([1-8]\d{5})((?:18|19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(\d{3})([0-9Xx])"
    r"(?![0-9A-Za-z])"
)
_ID15 = re.compile(
    _ID_CUE + r"([1-8]\d{5})(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3})(?![0-9A-Za-z])"
)
_MOBILE = re.compile(
    r"(?:(?<=tel)|(?<=Tel)|(?<=TEL)|(?<![0-9A-Za-z+]))"
    r"(?P<prefix>(?:\+86|0086|86|\(\+?86\))[ \-]?)?"
    r"(?P<num>1[3-9]\d(?:\d{8}|[ \-]\d{4}[ \-]?\d{4}|\d{4}[ \-]\d{4}|[ \-]\d{8}))"
    r"(?![0-9])"
)
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?P<area>\(?0(?:10|2\d|[3-9]\d{2})\)?[ \-]?)"
    r"(?P<sub>[2-9]\d{2,3}[ \-]?\d{4})"
    r"(?![0-9])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_check_ok(id17: str, check: str) -> bool:
    total = sum(int(c) * w for c, w in zip(id17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == check.upper()


def _sub_id18(m: re.Match) -> str:
    s = m.group(0)
    year = int(m.group(2))
    if m.group(6) in "Xx" or year < 2000 or _id_check_ok(s[:17], s[17]):
        return s[:6] + "*" * 8 + s[14:]
    return s


def _sub_id15(m: re.Match) -> str:
    return m.group(1) + "*" * 6 + m.group(3)


def _sub_mobile(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group("num"))
    return (m.group("prefix") or "") + digits[:3] + "****" + digits[-4:]


def _sub_landline(m: re.Match) -> str:
    sub = m.group("sub")
    n_digits = sum(c.isdigit() for c in sub)
    keep_from = n_digits - 4
    out, seen = [], 0
    for c in sub:
        if c.isdigit():
            out.append("*" if seen < keep_from else c)
            seen += 1
        else:
            out.append(c)
    return m.group("area") + "".join(out)


def mask_phone(text: str) -> str:
    """Mask mobiles and area-code landlines in ``text``."""
    text = _MOBILE.sub(_sub_mobile, text)
    return _LANDLINE.sub(_sub_landline, text)


def mask_id_number(text: str) -> str:
    """Mask 18- and 15-character ID numbers in ``text``."""
    text = _ID18.sub(_sub_id18, text)
    return _ID15.sub(_sub_id15, text)


# ---------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔汤易温康施文牛樊葛邢安齐伍庞颜倪乔聂章鲁岳翟殷詹欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦"
    "褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池"
    "查麻苑迟邝官封谈匡鞠惠荆冀郁胥班储栗燕楚鄢谌奚皮粟冼蔺楼闻厉伊仝郜阚帅屠朴廉禹祖漆卿狄晋芮扈晁"
    "浦鹿邸雍辜裘亓邰赫杭况逯隆茹诸慕嵇湛宾戎茅揭尉檀昝衡尧洪"
)
# Deliberately absent although they are surnames: 于 向 时 常 成 全 应 和 来 都 那 明
# 申 由 平 国 原 计 相 …: after a cue they are far more often a word than a name.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 南宫 端木 独孤 西门 "
    "轩辕 呼延 百里 东郭 闻人 钟离 澹台 公冶 太史 申屠 万俟 拓跋".split()
)
# Words that start with a surname character and commonly follow a cue.
_BLOCK_BIGRAMS = frozenset(
    "高度 高兴 高效 方便 方面 方式 方法 方可 安排 安全 文件 金额 关于 关注 关心 路线 万元 连续 车辆 "
    "任何 陆续 余额 付款 付费 毛病 宁愿 钱款 曾经 许多 许可 夏季 季度 易于 温度 房屋 房产 程序 卫生 "
    "单位 白天 黄金 包括 司法 党员 商户 商量 管理 解决 解释 查询 查看 简单 费用 师傅 边上 官方 惠民 "
    "楼层 项目 齐全 施工 严重 严格 尚未 符合 纪律 舒服 荣誉 麻烦 迟到 迟迟 诸多 辜负 谢谢 谢意 何时 "
    "何况 马上 周末 周边 周到 周一 周二 周三 周四 周五 周六 周日 周期 顾客 顾及 申诉 焦急 凌晨 辛苦 "
    "尤其 单独 单据 涂改 路过 范围 任务 陈述 郑重 黄牛 张贴 莫名 章程 关键 常见 文明 康复 舒心 多次 "
    "蒙受 华人 苏醒 毕业 贺电 殷切 吉祥 祝贺 祝福 冷漠 冷淡 甘心 左右 石头 田地 景区 谈话 龙头 包裹".split()
)
_STOP = frozenset(
    "反表称说讲来到去在于的对向和与及跟等了已也都就又还再要想需因是被把给让将从先女问咨办申提投多曾未没"
    "不很打致电手联拨本现今昨前当此所一两二家称夫妻儿父母之共"
)
_CUES = sorted(
    "申请人 办事人 办事群众 群众 联系人 当事人 来电人 来访人 投诉人 反映人 评价人 受访人 被访人 市民 "
    "代理人 家属 姓名".split(),
    key=len,
    reverse=True,
)
_CUE_RE = re.compile(
    "(?:" + "|".join(_CUES) + r")(?P<sep>[ \t]*[：:][ \t]*|[ \t]+|为|是)?"
)
_HONORIFIC_RE = re.compile("先生|女士|小姐")


def _is_cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def _surname_len(text: str, pos: int) -> int:
    if text[pos : pos + 2] in COMPOUND_SURNAMES:
        return 2
    if pos < len(text) and text[pos] in SURNAMES:
        return 1
    return 0


def _boundary(text: str, pos: int) -> bool:
    """Can a name end right before ``pos``?"""
    if pos >= len(text):
        return True
    c = text[pos]
    return (not _is_cjk(c)) or c in _STOP or text.startswith(("先生", "女士", "小姐"), pos)


def _all_cjk(s: str) -> bool:
    return bool(s) and all(_is_cjk(c) for c in s)


def _name_after_cue(text: str, pos: int, explicit: bool) -> int:
    """Length of the name starting at ``pos`` (0 when none)."""
    sl = _surname_len(text, pos)
    if sl:
        if text[pos : pos + 2] in _BLOCK_BIGRAMS:
            return 0
        for g in (2, 1):
            cand = text[pos : pos + sl + g]
            if len(cand) == sl + g and _all_cjk(cand) and _boundary(text, pos + sl + g):
                return sl + g
    if explicit:  # 联系人：xxx — the colon says a name follows
        for n in (4, 3, 2):
            cand = text[pos : pos + n]
            if len(cand) == n and _all_cjk(cand) and _boundary(text, pos + n):
                return n
    return 0


def _mask_names_in_text(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for m in _CUE_RE.finditer(text):
        sep = m.group("sep") or ""
        explicit = ":" in sep or "：" in sep
        start = m.end()
        n = _name_after_cue(text, start, explicit)
        if n:
            spans.append((start, start + n))
    for m in _HONORIFIC_RE.finditer(text):
        end = m.start()
        for n in (4, 3, 2):  # compound+2, surname+2 / compound+1, surname+1
            start = end - n
            if start < 0:
                continue
            cand = text[start:end]
            if not _all_cjk(cand):
                continue
            sl = _surname_len(text, start)
            if sl and n - sl in (1, 2) and cand[:2] not in _BLOCK_BIGRAMS:
                spans.append((start, end))
                break
    if not spans:
        return text
    out = list(text)
    for start, end in spans:
        for i in range(start + 1, end):
            out[i] = "*"
    return "".join(out)


def mask_name(name: str | None) -> str | None:
    """Mask a name field: first character kept, every other letter -> ``*``.

    ``张三 -> 张*``, ``王小明 -> 王**``, ``欧阳娜娜 -> 欧***``, a one-character
    name -> ``*``; separators (``·``, spaces) are kept, so
    ``买买提·艾力 -> 买**·**``. ``None`` stays ``None``; surrounding spaces go.
    """
    if name is None:
        return None
    s = str(name).strip()
    if len(s) <= 1:
        return "*" if s else s
    return s[0] + "".join(c if c in "·• " else "*" for c in s[1:])


# quick filter: text with none of these cannot contain anything to mask
_MAYBE_PERSONAL = re.compile(r"\d{7}|\d[ \-]\d{4}|先生|女士|小姐|" + "|".join(_CUES))
# full-width digits (a Chinese input method's ０１２…) and the signs around numbers
_FULL_WIDTH = re.compile("[０-９＋－Ｘｘ]")
_TO_HALF_WIDTH = str.maketrans("０１２３４５６７８９＋－Ｘｘ", "0123456789+-Xx")


def mask_text(text: str | None) -> str | None:
    """Mask ID numbers, phones and cue-detected names inside free text."""
    if text is None:
        return None
    text = str(text)
    if _FULL_WIDTH.search(text):
        # matched half-width, so that a number typed full-width is caught too;
        # a text with nothing to mask is shown as typed (a quarantine reason
        # quoting '２０２６-12-02' must not claim the file said '2026-12-02')
        half = text.translate(_TO_HALF_WIDTH)
        masked = _mask_half_width(half)
        return text if masked == half else masked
    return _mask_half_width(text)


def _mask_half_width(text: str) -> str:
    if not _MAYBE_PERSONAL.search(text):
        return text
    text = mask_id_number(text)
    text = mask_phone(text)
    return _mask_names_in_text(text)


def _map_unique(func: Callable[[str | None], str | None]) -> Callable[[pl.Series], pl.Series]:
    def run(s: pl.Series) -> pl.Series:
        s = s.cast(pl.String)
        uniq = s.drop_nulls().unique()
        if uniq.len() == 0:
            return s
        old = uniq.to_list()
        new = [func(v) for v in old]
        return s.replace_strict(old, new, default=None, return_dtype=pl.String)

    return run


def mask_text_expr(col: str | pl.Expr) -> pl.Expr:
    """Polars expression: ``mask_text`` over a whole String column.

    ``df.with_columns(mask_text_expr("comment"))`` keeps the column name.
    """
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.map_batches(_map_unique(mask_text), return_dtype=pl.String, is_elementwise=True)


def mask_name_expr(col: str | pl.Expr) -> pl.Expr:
    """Polars expression: ``mask_name`` over a whole name column."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.map_batches(_map_unique(mask_name), return_dtype=pl.String, is_elementwise=True)
