"""Masking of applicants' personal data (rectification.md, "Personal data")."""

import polars as pl
import pytest

from assets.rectification.masking import (
    _id_check_ok,
    mask_name,
    mask_name_expr,
    mask_text,
    mask_text_expr,
)

MASKED = [
    # mobiles, many forms
    ("13812345678", "138****5678"),
    ("电话13812345678", "电话138****5678"),
    ("手机：138-1234-5678。", "手机：138****5678。"),
    ("手机 138 1234 5678 请回电", "手机 138****5678 请回电"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("8613912345678", "86139****5678"),
    ("0086-15912345678", "0086-159****5678"),
    ("(+86)13912345678", "(+86)139****5678"),
    ("联系方式1991234567", "联系方式1991234567"),  # 10 digits: not a mobile (see below)
    ("tel:17712345678", "tel:177****5678"),
    # typed full-width by a Chinese input method: caught, written half-width
    ("电话１３８１２３４５６７８", "电话138****5678"),
    ("号码：１３８ １２３４ ５６７８", "号码：138****5678"),
    ("身份证号１１０１０１１９９００３０７１２３Ｘ", "身份证号110101********123X"),
    # an ID glued to the label people write before it
    ("ID110101199003071234", "ID110101********1234"),
    ("sfz11010119900307123x", "sfz110101********123x"),
    ("SFZ110101900307123", "SFZ110101******123"),
    ("Tel13612345678", "Tel136****5678"),
    ("号码是13812345678，另一个是15087654321", "号码是138****5678，另一个是150****4321"),
    ("1381234 5678", "138****5678"),
    # landlines
    ("座机0571-88886666", "座机0571-****6666"),
    ("(0571)88886666", "(0571)****6666"),
    ("办公电话010-62345678转", "办公电话010-****5678转"),
    ("0755 2345678", "0755 ***5678"),
    # ID numbers
    ("身份证110101199003071234", "身份证110101********1234"),
    ("身份证号：11010119900307123X，", "身份证号：110101********123X，"),
    ("id 11010119900307123x", "id 110101********123x"),
    ("11010520000101002X", "110105********002X"),
    ("110101201501010011", "110101********0011"),  # born 2015, check digit right
    ("老身份证110101900307123", "老身份证110101******123"),
    # names with cues
    ("申请人张三反映窗口态度差", "申请人张*反映窗口态度差"),
    ("群众王小明来窗口办事", "群众王**来窗口办事"),
    ("联系人：刘洋，电话13912345678", "联系人：刘*，电话139****5678"),
    ("姓名：买买提", "姓名：买**"),
    ("市民李四在大厅等候", "市民李*在大厅等候"),
    ("申请人欧阳娜娜称材料齐全", "申请人欧***称材料齐全"),
    ("办事群众陈静说排队太久", "办事群众陈*说排队太久"),
    ("联系了王小明先生", "联系了王**先生"),
    ("张三女士对服务不满意", "张*女士对服务不满意"),
    ("欧阳娜娜女士来电", "欧***女士来电"),
    ("回访对象赵敏女士，手机138 0013 8000", "回访对象赵*女士，手机138****8000"),
    ("投诉人：黄丽（13700001111）", "投诉人：黄*（137****1111）"),
    # phone labels glued to the number, in any case
    ("Mobile13812340008", "Mobile138****0008"),
    ("mobile:13812340008", "mobile:138****0008"),
    ("Phone13812340008", "Phone138****0008"),
    ("PHONE13812340008", "PHONE138****0008"),
    ("phone 13812340008", "phone 138****0008"),
    ("TEL0571-88886666", "TEL0571-****6666"),
    # other group separators and groupings
    ("138.1234.0009", "138****0009"),
    ("手机138\u30001234\u30000010", "手机138****0010"),  # ideographic spaces
    ("1381-234-0011", "138****0011"),
    ("电话 1381 234 0012 ", "电话 138****0012 "),
    ("座机0571\u300088886666", "座机0571\u3000****6666"),
    # ID numbers written in groups: the masked form drops the separators
    ("身份证110101 1990 0307 0306", "身份证110101********0306"),
    ("110101-19900307-0307", "110101********0307"),
    ("身份证号 110101 19900307 0307。", "身份证号 110101********0307。"),
    ("110101\u300019900307\u30000308", "110101********0308"),
    ("330100-20261204-0036", "330100********0036"),  # born 2026, check digit right
    # two mobiles typed together (exactly 22 digits)
    ("1381234030413812340305", "138****0304138****0305"),
    ("电话1381234030415912340306。", "电话138****0304159****0306。"),
    # landlines from abroad: +86 and the area code without its 0
    ("+86-571-88880310", "+86-571-****0310"),
    ("+86 10 62345678", "+86 10 ****5678"),
    ("(+86)571-88880310", "(+86)571-****0310"),
    # an ID's own labels still mask a number shaped like a case number
    ("证件号330100202612040036", "证件号330100********0036"),
    ("身份证号：330100202612040036", "身份证号：330100********0036"),
    # a second name joined to the first
    ("申请人张三和李四一起来", "申请人张*和李*一起来"),
    ("联系人：王小明、李四", "联系人：王**、李*"),
    ("群众陈静与刘洋反映", "群众陈*与刘*反映"),
    ("申请人张三和单位同事一起来", "申请人张*和单位同事一起来"),
    ("市民李四及时补正了材料", "市民李*及时补正了材料"),
    # more cues
    ("我叫张小明", "我叫张**"),
    ("本人张小明", "本人张**"),
    ("本人王芳，身份证110101199003071234", "本人王*，身份证110101********1234"),
    # names with a middle dot after a cue
    ("市民阿依古丽·买买提反映", "市民阿***·***反映"),
    ("联系人：阿不都·热合曼，电话13812345678", "联系人：阿**·***，电话138****5678"),
    ("申请人买买提·艾力说", "申请人买**·**说"),
    ("姓名：阿依古丽·买买提", "姓名：阿***·***"),
    # no cue, but a reporting verb right after, at a sentence start
    ("张伟反映窗口态度差", "张*反映窗口态度差"),
    ("已回访。另 张伟 补充说明", "已回访。另 张* 补充说明"),
    ("王小明说排队太久", "王**说排队太久"),
    ("回访时，李明表示满意", "回访时，李*表示满意"),
    ("欧阳娜娜称材料已交", "欧***称材料已交"),
    ("赵敏来电询问进度", "赵*来电询问进度"),
    ("刘洋投诉窗口推诿", "刘*投诉窗口推诿"),
    ("陈静要求尽快办结", "陈*要求尽快办结"),
    ("李明说要求太多", "李*说要求太多"),
    # surname + one, then a verb: the verb is not the name's third character
    ("办事群众李明说已办好", "办事群众李*说已办好"),
    ("市民张伟都说好", "市民张*都说好"),
    ("申请人王强也来了", "申请人王*也来了"),
]

UNCHANGED = [
    "找不到办件：'330100202603050005'",  # a quarantine detail quoting an unknown case number
    "",
    "窗口工作人员态度差，让我多跑了一趟",
    "2026-03-05",
    "2026-03-05 09:05:00",
    "2026/3/5 9:05",
    "2026-03-05T09:05:00+08:00",
    "办件C2026030500012已办结",
    "办件编号330100202603050001",  # case number shaped like an ID, check digit wrong
    "票号A001，叫号时间09:05",
    "请拨打12345政务服务热线",
    "400-800-1234",
    "收费1380.50元",
    "共计 2,580 元",
    "SP13812345678",  # letters glued before: an identifier
    "事件编号EV-20260305-0007",
    "办件号 20260305000123 逾期",
    "张先生很满意",  # a bare surname is not personal data
    "群众高度评价窗口服务",
    "群众马上离开了",
    "群众周末来办事",
    "申请人于3月5日来办理",
    "群众向窗口反映排队时间长",
    "办事群众反映材料要求不清楚",
    "申请人申请不动产登记",
    "5星好评，办事效率高",
    "第3次补正",
    "评价编号R000123",
    # letters before the digits still mark an identifier
    "SN13812345678",
    # groupings that are not phones or IDs
    "收费138.12345678元",  # 3-8 with a dot reads as a decimal
    "1381234.5678",
    "13812340304138123403051",  # 23 digits
    "1381234030412812340305",  # the second half is not a mobile
    "330100-20260305-0001",  # case number in groups, check digit wrong
    "110101 1990-0307 0306",  # mixed separators
    # a case number after its label, even when its check digit is right
    "办件330100202612040036拖了很久",
    "办件号：330100202612040036",
    "受理号 330100202612040036 已办结",
    "流水号330100202612040036",
    "办件编号:330100202612040036",
    "业务号 330100260305001",  # 15 digits shaped like an old ID
    # the new cues followed by ordinary words
    "本人身份证已过期",
    "需本人到场办理",
    "我叫了好几次号",
    "群众反映阿依古丽·买买提态度好",  # a staff name after a verb, not after the cue
    # a word starting with a surname character, then a reporting verb
    "高效反映群众诉求是窗口的本分",
    "方便说一下需要哪些材料吗",
    "工作人员说材料不全，需要补正",
    "文件称需提供两份证明",
    "程序要求先网上预约",
    "安全要求：进入大厅需测温",
    "多次投诉仍未解决",
    "周末来电无人接听",
    "司机反映停车场收费不合理",
    "农民反映补贴迟迟未到账",
    "游客投诉景区门票价格",
    "车主要求尽快办理过户",
    "房东称合同已到期",
    "曾多次反映此问题未果",
    "连日来电催办",
    "商家称系统故障无法开票",
    "路人反映路灯不亮",
    "严格要求按时办结",
    "高峰期来电较多，请错峰",
    "张家港来电咨询社保转移",
    "楼上投诉噪音扰民",
    "田主任说会尽快处理",  # surname + title
    "王总表示同意",
    "李某反映情况属实",
    "钱塘区来电咨询",
    "方案说明已上传",
    "单方面表示不予受理",
    "管理员说系统在升级",
    "师傅说明天再来",
    "何时来电都可以",
    "简单说，就是材料不全",
    "已办结。司机反映停车难",
    "卫健委要求戴口罩",
    "文旅局称门票已调整",
    "车位要求提前预约",
]


@pytest.mark.parametrize("text,expected", MASKED)
def test_masks_personal_data(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_other_text_alone(text):
    assert mask_text(text) == text


def test_corpus_size():
    assert len(MASKED) + len(UNCHANGED) >= 30


def test_case_number_examples_pass_the_check_digit():
    # otherwise the case-label rule would not be what keeps them unmasked
    assert _id_check_ok("33010020261204003", "6")
    assert mask_text("330100202612040036") == "330100********0036"
    assert mask_text("330100260305001") == "330100******001"


def test_masking_is_idempotent():
    for text, expected in MASKED:
        assert mask_text(expected) == expected


def test_none_passes_through():
    assert mask_text(None) is None
    assert mask_name(None) is None


@pytest.mark.parametrize(
    "name,expected",
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),
        (" 李四 ", "李*"),
        ("张", "*"),
        ("买买提·艾力", "买**·**"),
        ("", ""),
    ],
)
def test_mask_name(name, expected):
    assert mask_name(name) == expected


def test_polars_expression_matches_python():
    texts = [t for t, _ in MASKED] + UNCHANGED + [None, MASKED[0][0]]
    df = pl.DataFrame({"comment": texts, "n": range(len(texts))})
    out = df.with_columns(mask_text_expr("comment"))
    assert out.columns == ["comment", "n"]
    assert out["comment"].to_list() == [mask_text(t) for t in texts]
    names = pl.DataFrame({"staff_name": ["张三", None, "欧阳娜娜"]})
    assert names.select(mask_name_expr("staff_name"))["staff_name"].to_list() == ["张*", None, "欧***"]
    # works on an expression and in lazy mode
    lazy = df.lazy().select(mask_text_expr(pl.col("comment")).alias("m")).collect()
    assert lazy["m"].to_list() == out["comment"].to_list()


# Full-width characters (a Chinese input method's ０１２…) -----------------------
# Numbers typed full-width are still caught; a text in which something is
# masked is written half-width, and one with nothing personal comes back
# exactly as given.
FULL_WIDTH_UNCHANGED = [
    "２０２６-12-02 10:00",
    "occurred_at（发生时间）时间无法识别：'２０２６-12-02 10:00'",
    "数值无法识别：'１５'",
    "duration_min（时长）数值无法识别：'－１５'",
    "２０２６－１２－０２　１０：００",
    "办件编号３３０１００２０２６０３０５０００１",  # case number, check digit wrong
    "票号Ａ００１，评分５星，ｘ２",
    "办件号 ２０２６０３０５０００１２３ 逾期",
    "张先生于２０２６年３月５日来电",
]

FULL_WIDTH_MASKED = [
    ("１３８１２３４５６７８", "138****5678"),
    ("１２月２日回电１３８１２３４５６７８，谢谢", "12月2日回电138****5678，谢谢"),
    ("手机＋８６ １３８－１２３４－５６７８，２日回访", "手机+86 138****5678，2日回访"),
    ("２０２６-１２-０２ 回访，手机13812345678", "2026-12-02 回访，手机138****5678"),
    ("第１次，身份证１１０１０１１９９００３０７１２３４", "第1次，身份证110101********1234"),
    ("座机０５７１-８８８８６６６６，第２次", "座机0571-****6666，第2次"),
    ("申请人张三反映，预约时间２０２６-１２-０２", "申请人张*反映，预约时间2026-12-02"),
    ("办件３３０１００２０２６０３０５０００１，电话１３９１２３４５６７８",
     "办件330100202603050001，电话139****5678"),
]

_HALF = str.maketrans("０１２３４５６７８９＋－Ｘｘ", "0123456789+-Xx")


@pytest.mark.parametrize("text", FULL_WIDTH_UNCHANGED)
def test_full_width_text_without_personal_data_is_returned_as_given(text):
    assert mask_text(text) == text


@pytest.mark.parametrize("text,expected", FULL_WIDTH_MASKED)
def test_full_width_personal_data_is_masked(text, expected):
    assert mask_text(text) == expected
    assert mask_text(expected) == expected  # idempotent


def test_full_width_masks_exactly_what_half_width_masks():
    # the same characters are hidden as when the text was typed half-width
    texts = FULL_WIDTH_UNCHANGED + [t for t, _ in FULL_WIDTH_MASKED] + [t for t, _ in MASKED]
    for text in texts:
        assert mask_text(text).translate(_HALF) == mask_text(text.translate(_HALF)), text


def test_polars_expression_matches_python_on_full_width():
    texts = FULL_WIDTH_UNCHANGED + [t for t, _ in FULL_WIDTH_MASKED] + [None, FULL_WIDTH_UNCHANGED[1]]
    out = pl.DataFrame({"detail": texts}).select(mask_text_expr("detail"))["detail"].to_list()
    assert out == [mask_text(t) for t in texts]
    assert out[: len(FULL_WIDTH_UNCHANGED)] == FULL_WIDTH_UNCHANGED
    assert out[len(FULL_WIDTH_UNCHANGED): -2] == [e for _, e in FULL_WIDTH_MASKED]
    assert out[-2:] == [None, FULL_WIDTH_UNCHANGED[1]]
