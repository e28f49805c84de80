"""A quarantined row's raw values are masked by what each header is
(assets/rectification/raw_values_masking.py); outputs worked out by hand."""

import polars as pl
import pytest

from assets.rectification.raw_values_masking import mask_raw_values, mask_raw_values_expr


@pytest.mark.parametrize(
    "source, raw, masked",
    [
        # a name under a person's header has no cue in its cell; an
        # ID-shaped case number under case_id is no ID; the phone column is text
        ("cases", '{"case_id":"330100202612040028","申请人":"冯十三","联系电话":"13812340101"}',
         '{"case_id":"330100202612040028","申请人":"冯**","联系电话":"138****0101"}'),
        # headers in Chinese and any letter case are the contract's columns too
        ("ratings", '{"办件编号":"330100202612040028","评价人":"孙八八","Applicant Name":"Li Si","comment":"13812345678"}',
         '{"办件编号":"330100202612040028","评价人":"孙**","Applicant Name":"L* **","comment":"138****5678"}'),
        # a reply's 整改编号 stays only in the ledger's form
        ("rectification_updates", '{"item_id":"RX-0123456789ab","status":"13812340101"}',
         '{"item_id":"RX-0123456789ab","status":"138****0101"}'),
        ("rectification_updates", '{"item_id":"13812340102","status":"整改中"}',
         '{"item_id":"138****0102","status":"整改中"}'),
        # reference rows: every reference file's columns (a hall's name is text, not a person)
        ("reference", '{"hall_id":"330100202612040028","大厅名称":"市民服务中心"}',
         '{"hall_id":"330100202612040028","大厅名称":"市民服务中心"}'),
        # a header that is no reference column and names a person is a name field
        ("reference", '{"hall_id":"H1","负责人姓名":"王小明"}', '{"hall_id":"H1","负责人姓名":"王**"}'),
    ],
)
def test_each_cell_is_masked_by_its_header(source, raw, masked):
    assert mask_raw_values(raw, source) == masked


def test_a_row_with_nothing_to_mask_keeps_its_bytes():
    raw = '{"case_id": "C1",  "score":5, "x": null}'
    assert mask_raw_values(raw, "ratings") is raw
    assert mask_raw_values(None, "ratings") is None
    # no JSON object: masked as free text
    assert mask_raw_values("电话13812345678", "cases") == "电话138****5678"


def test_the_expression_agrees_and_keeps_order():
    frame = pl.DataFrame({
        "source": ["cases", "ratings", None, "cases", "cases"],
        "raw_values": ['{"申请人":"冯十三"}', '{"评价人":"孙八八"}', None, '{"申请人":"冯十三"}', '{"x":"1"}'],
    })
    out = frame.with_columns(mask_raw_values_expr())
    assert out["raw_values"].to_list() == ['{"申请人":"冯**"}', '{"评价人":"孙**"}', None, '{"申请人":"冯**"}', '{"x":"1"}']
    assert out["source"].to_list() == frame["source"].to_list()


@pytest.mark.parametrize(
    "source, raw, masked",
    [
        # a local number without its area code, which no phone pattern knows
        ("ratings", '{"rating_id":"PJ1","联系电话":"82345678"}', '{"rating_id":"PJ1","联系电话":"****5678"}'),
        # a mobile one digit long, under the contract's English header
        ("callbacks", '{"callback_id":"HF1","phone":"138001380001"}', '{"callback_id":"HF1","phone":"********0001"}'),
        # a service number with separators, under an extra column headed like a phone
        ("cases", '{"case_id":"C1","申请人手机":"400-123-4567"}', '{"case_id":"C1","申请人手机":"***-***-4567"}'),
        # what the patterns mask stays as they mask it; the rest of the cell too
        ("ratings", '{"rating_id":"PJ1","rater_phone":"+86 13800138000/82345678"}',
         '{"rating_id":"PJ1","rater_phone":"+86 138****8000/****5678"}'),
    ],
)
def test_a_phone_column_never_shows_more_than_four_digits_of_a_number(source, raw, masked):
    """rectification.md: applicants' phone numbers never reach an export
    unmasked; a phone column's cell is a phone whatever its shape."""
    assert mask_raw_values(raw, source) == masked
