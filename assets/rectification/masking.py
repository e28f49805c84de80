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
  7-4 / 4-3-4 with one space, dash or ideographic space (U+3000) between
  groups (``138 1234 5678``, ``138-1234-5678``, ``1381-234-5678``), or 3-4-4
  with dots (``138.1234.5678``), optionally preceded by ``+86``, ``86``,
  ``0086`` or ``(+86)``. Result: ``138****1234`` (the prefix, if any, is kept
  as written). Two mobiles typed together (exactly 22 digits, both halves
  ``1[3-9]…``) are masked each: ``138****0304138****0305``.
* Landlines with an area code: ``010``/``02x`` + 8 digits, ``0xxx`` + 7 or 8
  digits, with or without ``-``/space/ideographic space/parentheses
  (``0571-88886666 -> 0571-****6666``; ``(010)12345678`` is not a landline,
  subscriber numbers start with 2-9), or written from abroad with ``+86``/
  ``0086``/``(+86)`` and the area code without its 0 (``+86-571-88880310 ->
  +86-571-****0310``, ``+86 10 62345678``). The area code stays, the
  subscriber number keeps its last 4 digits.
* Letters glued before a phone mark an identifier (``SP13812345678`` stays),
  except ``tel``/``mobile``/``phone`` in any case (``Mobile13812345678``).
* ID numbers, 18 characters: 6-digit region (first digit 1-8), a birth date
  (year 18xx/19xx/20xx, a real month and day 01-31), 3 digits, and a check
  character; contiguous, or grouped 6-4-4-4 / 6-8-4 with the same space, dash
  or ideographic space between every group (``110101 1990 0307 123X``). Masked
  ``110101********123X`` (region and the last 4 kept; separators dropped, so
  the masked form is the same however it was typed) when the check character
  is X/x, or the ISO 7064 MOD 11-2 check digit is right, or the birth year is
  before 2000. An all-digit 18-digit number dated 2000 or later whose check
  digit is wrong is left alone: that is what government case numbers
  (``330100202603050001``: region + date + serial) look like. About one case
  number in eleven passes the check digit by chance and *is* masked, unless
  it directly follows 办件/办件号/办件编号/件号/受理号/流水号/业务号 (optionally
  then ``：``/``:``/space): a number there is left alone whatever it looks like
  (``证件号`` is an ID's label and still masks). Generated descriptions still
  mask only their free-text parts, never the case id they quote.
* Old 15-digit IDs: region (1-8…) + YYMMDD + 3 digits -> ``110101******123``
  (also left alone after a case-number label).
* Names in free text, by cue (heuristic, no dictionary of given names):
  - after 申请人/办事人/办事群众/群众/联系人/当事人/来电人/来访人/投诉人/
    反映人/评价人/受访人/被访人/市民/代理人/家属/姓名/我叫/本人, optionally
    followed by ``：``/``:``/space or 为/是: a common Chinese surname (about 300
    single and the usual compound ones) plus 1-2 characters, ending where the
    text plausibly ends a name (punctuation, a non-Chinese character, or a
    function/verb character such as 反 说 称 来 在 的 对 办 电…). Surname + two
    where the second is a verb/function character (说 来 在 也 都 的…) is read
    as a two-character name and the verb stays (``群众李明说 -> 群众李*说``).
    After an explicit ``：`` the surname list is not required (2-4 characters
    ending at such a boundary).
  - a second (third…) name joined by 和/与/及/、 right after such a name
    (``申请人张三和李四 -> 申请人张*和李*``); it needs a listed surname.
  - a name with a middle dot (``·``/``•``/``・``) after a cue: every character
    but the first masked, dots kept (``市民阿依古丽·买买提反映 ->
    市民阿***·***反映``). The last part ends at the first character that can
    end a name, counting from its second character (transliterations use 提
    不 都 来, so those do not end it).
  - with no cue: a surname + 1-2 characters at the start of the text or after
    punctuation/space, followed (spaces allowed) by 反映/投诉/来电/表示/补充/
    称/说/要求 (``张伟反映… -> 张*反映…``, ``另 张伟 补充 -> 另 张* 补充``).
    Stricter than after a cue: the given name may not contain a function
    character (曾多次反映, 张家港来电 stay), a surname + title stays (王总,
    田主任, 李某), and the block list also holds words such as 司机 农民 车主
    房东 方案 卫健.
  - a full name right before 先生/女士/小姐 (``王小明先生 -> 王**先生``); a bare
    surname (``张先生``) is not personal data and stays.
  - common words that begin with a surname character (群众高度评价, 群众马上,
    群众周末, 司机反映, 申请人申请…) are left alone via a boundary rule and a
    block list.

What is NOT caught (documented limits)
--------------------------------------
* Names without a cue and without a reporting verb right after them
  (``张三来窗口办事`` stays), names after a cue or before a verb that start
  with a surname deliberately left out of the list (于 向 时 常…), names in
  Latin letters, and names with ``·`` that have no cue before them.
* After a cue, a three-character name ending in one of the verb/function
  characters above shows that character (``申请人李家和说 -> 申请人李*和说``).
  With no cue, a given name holding a function character (李家豪 说) is not
  caught at all.
* Landlines without an area code (``88886666``): indistinguishable from
  amounts and dates. Service numbers (400/800/95xxx/12345) are not personal.
  Landlines grouped with dots.
* Phones written with other groupings (``13812 345678``, ``138.12345678``)
  or glued to Latin letters (``abc13812345678``), except after the labels
  above. ID numbers likewise, except after ``ID``/``Id``/``id``/``SFZ``/``sfz``.
  Grouped IDs with mixed separators (``110101 1990-0307 123X``) and grouped
  15-digit IDs.
* Digits typed full-width (``１３８１２３４５６７８``) are caught: a text that
  holds any is matched with them read half-width, and when something in it
  is masked it is written half-width (``138****5678``); a text with nothing
  to mask comes back exactly as given (``数值无法识别：'１５'`` stays).
* Numbers glued into a longer digit run (a phone inside an order number): a
  run of more than 11 or 18 digits is not split, except the 22 digits of two
  mobiles.
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
# ... and the labels people glue to their phone number, in any case
_PHONE_LABEL = r"(?<=(?i:tel))|(?<=(?i:mobile))|(?<=(?i:phone))"
_PHONE_START = r"(?:" + _PHONE_LABEL + r"|(?<![0-9A-Za-z+]))"
# what people type between digit groups; U+3000 is the space a Chinese input
# method types
_SEP = r"[ \-\u3000]"
_SEPS = re.compile(_SEP)


def _grouped(pattern: str) -> re.Pattern:
    # "~" reads better than the separator class repeated in every group
    return re.compile(pattern.replace("~", _SEP))


_ID18 = _grouped(
    _ID_CUE +
    r"[1-8]\d{5}"
    # 6-4-4-4 and 6-8-4 take the same separator between every group
    r"(?:(?P<s>~)(?:18|19|20)\d{2}(?P=s)?|(?:18|19|20)\d{2})"
    r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?(s)(?P=s))\d{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)
_ID15 = re.compile(
    _ID_CUE + r"([1-8]\d{5})(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(\d{3})(?![0-9A-Za-z])"
)
# a number right after one of these labels is the office's own case number,
# however much it looks like an ID (证件号 is the ID's label, not a case's)
_CASE_LABEL = re.compile(
    # a quarantine detail quotes the number: 找不到办件：'330100202603050005'
    r"(?:办件编号|办件号|办件|受理号|流水号|业务号|(?<!证)件号)[ \t\u3000]*[：:]?[ \t\u3000]*['\"‘“「]?$"
)
_MOBILE = _grouped(
    _PHONE_START +
    r"(?P<prefix>(?:\+86|0086|86|\(\+?86\))~?)?"
    r"(?P<num>1[3-9]\d(?:\d{8}|~\d{4}~?\d{4}|\d{4}~\d{4}|~\d{8}|\d~\d{3}~\d{4}"
    # dots only between all three groups: 138.12345678 reads as a decimal
    r"|\.\d{4}\.\d{4}))"
    r"(?![0-9])"
)
# two mobiles typed without anything between them: exactly 22 digits
_TWO_MOBILES = re.compile(_PHONE_START + r"(1[3-9]\d{9})(1[3-9]\d{9})(?![0-9])")
_LANDLINE = _grouped(
    r"(?:" + _PHONE_LABEL + r"|(?<![0-9A-Za-z]))"
    r"(?P<area>\(?0(?:10|2\d|[3-9]\d{2})\)?~?"
    # from abroad the area code loses its 0: +86-571-88886666, +86 10 62345678
    r"|(?:\+86|0086|\(\+86\))~?\(?(?:10|2\d|[3-9]\d{2})\)?~?)"
    r"(?P<sub>[2-9]\d{2,3}~?\d{4})"
    r"(?![0-9])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_check_ok(id17: str, check: str) -> bool:
    total = sum(int(c) * w for c, w in zip(id17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == check.upper()


def _after_case_label(m: re.Match) -> bool:
    return bool(_CASE_LABEL.search(m.string, max(0, m.start() - 16), m.start()))


def _sub_id18(m: re.Match) -> str:
    raw = m.group(0)
    s = _SEPS.sub("", raw)
    if s.isdigit() and _after_case_label(m):
        return raw
    if s[17] in "Xx" or int(s[6:10]) < 2000 or _id_check_ok(s[:17], s[17]):
        # separators go, as for phones: the masked form is always the same
        return s[:6] + "*" * 8 + s[14:]
    return raw


def _sub_id15(m: re.Match) -> str:
    if _after_case_label(m):
        return m.group(0)
    return m.group(1) + "*" * 6 + m.group(3)


def _sub_mobile(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group("num"))
    return (m.group("prefix") or "") + digits[:3] + "****" + digits[-4:]


def _sub_two_mobiles(m: re.Match) -> str:
    return "".join(d[:3] + "****" + d[-4:] for d in m.groups())


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
    text = _TWO_MOBILES.sub(_sub_two_mobiles, text)
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
    "蒙受 华人 苏醒 毕业 贺电 殷切 吉祥 祝贺 祝福 冷漠 冷淡 甘心 左右 石头 田地 景区 谈话 龙头 包裹 "
    # ... and at the start of a sentence, before 反映/投诉/来电/表示/补充/称/说/要求
    "司机 农民 农户 农业 游客 车主 车站 房东 房客 房子 商家 商场 路人 路段 路口 楼上 楼下 连日 连夜 "
    "高峰 高层 单方 方案 安装 安保 党委 党组 党中 管控 严肃 严禁 师生 宾馆 孙子 林业 毕竟 "
    "卫健 安监 商务 房管 文广 文旅 纪委 文章 查实 楼梯 楼道 车位 车库 马路 路边 路面 房价 房租 舒适 "
    "简便 周全 任意 何必 况且 尤为 宁可 杭州 温州 宁波 金华 苏州 武汉 郑州 江苏 江西 安徽 甘肃 吉林 "
    "宁夏 余杭 钱塘 韩国 欧洲 华为 万达".split()
)
# a surname plus one of these is a way of addressing someone (王总, 田主任,
# 李某), not their name
_TITLE_CHARS = frozenset("总工姐哥叔姨伯婶爷奶某")
_TITLES = frozenset(
    "主任 经理 科长 局长 处长 所长 站长 院长 校长 老师 师傅 医生 律师 同志 阿姨 大爷 大妈 大姐 大哥 "
    "书记 警官 总监 部长 组长 队长 村长 镇长 区长 市长 主管 专员 先生 女士 小姐".split()
)
_STOP = frozenset(
    "反表称说讲来到去在于的对向和与及跟等了已也都就又还再要想需因是被把给让将从先女问咨办申提投多曾未没"
    "不很打致电手联拨本现今昨前当此所一两二家称夫妻儿父母之共"
)
# a third character like these after surname + one is the sentence going on
# (李明说, 王强也来了), not the end of a three-character name
_VERB_AFTER_NAME = frozenset("说称讲反表来到去在对向和与跟问已也都就又还再要想需因是被把给让将从了的")
# a second applicant named after the first: 张三和李四, 张三、李四
_JOINERS = frozenset("和与及、")
_DOTS = frozenset("·•・")
# transliterated names (买买提, 阿不都, 来提) use some of _STOP's characters
_DOT_STOP = _STOP - frozenset("提不都来多再也")
# what an applicant does right after their name when no cue came before it
_REPORT_VERBS = ("反映", "投诉", "来电", "表示", "补充", "称", "说", "要求")
_SENTENCE_START = re.compile(r"(?<!\w)(?=[\u4e00-\u9fff])")
_SPACE = " \t\u3000"
_CUES = sorted(
    "申请人 办事人 办事群众 群众 联系人 当事人 来电人 来访人 投诉人 反映人 评价人 受访人 被访人 市民 "
    "代理人 家属 姓名 我叫 本人".split(),
    key=len,
    reverse=True,
)
_CUE_RE = re.compile(
    "(?:" + "|".join(_CUES) + r")(?P<sep>[ \t\u3000]*[：:][ \t\u3000]*|[ \t\u3000]+|为|是)?"
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
            if g == 2 and cand[-1:] in _VERB_AFTER_NAME:
                continue
            if len(cand) == sl + g and _all_cjk(cand) and _boundary(text, pos + sl + g):
                return sl + g
    if explicit:  # 联系人：xxx — the colon says a name follows
        for n in (4, 3, 2):
            cand = text[pos : pos + n]
            if n > 2 and cand[-1:] in _VERB_AFTER_NAME:
                continue
            if len(cand) == n and _all_cjk(cand) and _boundary(text, pos + n):
                return n
    return 0


def _cjk_run(text: str, pos: int, limit: int) -> int:
    end = pos
    while end < len(text) and end - pos < limit and _is_cjk(text[end]):
        end += 1
    return end


def _dotted_name(text: str, pos: int) -> int:
    """Length of a ``阿依古丽·买买提`` name starting at ``pos`` (0 when none)."""
    if pos >= len(text) or text[pos] in _STOP:  # 群众反映阿依古丽·…: the name is later
        return 0
    start, last_dot = pos, 0
    while True:
        end = _cjk_run(text, start, 6)
        if end == start:
            return last_dot
        if end < len(text) and text[end] in _DOTS:
            last_dot, start = end - pos, end + 1
            continue
        if not last_dot:
            return 0
        # the last part has no dot to end it: take the shortest that ends
        # where a name can (买买提|反映), the whole run when none does
        for k in range(min(start + 2, end), end + 1):
            if k >= len(text) or not _is_cjk(text[k]) or text[k] in _DOT_STOP:
                return k - pos
        return end - pos


def _name_before_verb(text: str, pos: int) -> int:
    """Length of an uncued name at a sentence start, right before a reporting verb."""
    sl = _surname_len(text, pos)
    if not sl or text[pos : pos + 2] in _BLOCK_BIGRAMS:
        return 0
    for g in (1, 2):  # 李明说要求… is 李明, not 李明说
        given = text[pos + sl : pos + sl + g]
        if len(given) < g or not _all_cjk(given) or any(c in _STOP for c in given):
            return 0
        if given[0] in _TITLE_CHARS or given in _TITLES:
            return 0
        j = pos + sl + g
        while j < len(text) and text[j] in _SPACE:
            j += 1
        if text.startswith(_REPORT_VERBS, j):
            return sl + g
    return 0


def _mask_names_in_text(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for m in _CUE_RE.finditer(text):
        sep = m.group("sep") or ""
        explicit = ":" in sep or "：" in sep
        start = m.end()
        n = _dotted_name(text, start) or _name_after_cue(text, start, explicit)
        while n:
            spans.append((start, start + n))
            end = start + n
            if end >= len(text) or text[end] not in _JOINERS:
                break
            start = end + 1
            n = _dotted_name(text, start) or _name_after_cue(text, start, False)
    for m in _SENTENCE_START.finditer(text):
        n = _name_before_verb(text, m.start())
        if n:
            spans.append((m.start(), m.start() + n))
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
            if out[i] not in _DOTS:
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
_MAYBE_PERSONAL = re.compile(
    r"\d{7}|\d[ \-.\u3000]\d{3}|先生|女士|小姐|" + "|".join(_CUES + list(_REPORT_VERBS))
)
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
