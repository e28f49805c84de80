"""A refused reply's reason is one text in both languages, made for the run
summary (status.validate_updates); a page shows it in the page's language
(dashboards.labels.reply_reason). Outputs written by hand."""

import pytest

from dashboards.labels import Bi, reply_reason


@pytest.mark.parametrize(
    "code, reason, words",
    [
        ("resolved_without_note", "已整改但未填写整改情况 resolved without a note",
         Bi("已整改未写整改情况", "Resolved without a note")),
        ("unknown_status", "未知整改状态 unknown status: 完成了: 见附件",
         Bi("整改状态无法识别：完成了: 见附件", "Unknown status: 完成了: 见附件")),
        ("unknown_item", "未知整改编号 unknown item: RX-E1", Bi("整改编号不在台账：RX-E1", "Unknown item: RX-E1")),
        ("bad_updated_at", "填报时间为空或无法识别 missing/unparseable updated_at: 下午3点",
         Bi("填报时间无法识别：下午3点", "Bad reply time: 下午3点")),
        ("missing_updated_by", "未填写填报人 updated_by is empty", Bi("未填写填报人", "No name given")),
        ("after_today", "填报时间晚于今天 2026-12-07 updated_at after today",
         Bi("填报时间晚于今天：2026-12-07", "Dated after today: 2026-12-07")),
        ("before_detected", "填报时间早于问题发现日期 2026-03-05 updated_at before the item was found",
         Bi("填报时间早于问题发现：2026-03-05", "Dated before the item was found: 2026-03-05")),
        # a code the pages do not know, or none: the text as it is
        ("file_rejected", "整份文件未受理", Bi("整份文件未受理", "整份文件未受理")),
        (None, None, Bi("—", "—")),
    ],
)
def test_a_refused_replys_reason_in_each_language(code, reason, words):
    assert reply_reason(code, reason) == words
