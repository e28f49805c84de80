"""Masking of applicants' personal data (rectification.md, "Personal data")."""

import polars as pl
import pytest

from assets.rectification.masking import mask_name, mask_name_expr, mask_text, mask_text_expr

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
]

UNCHANGED = [
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
]


@pytest.mark.parametrize("text,expected", MASKED)
def test_masks_personal_data(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_other_text_alone(text):
    assert mask_text(text) == text


def test_corpus_size():
    assert len(MASKED) + len(UNCHANGED) >= 30


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
