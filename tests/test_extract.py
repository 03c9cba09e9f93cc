"""Reading facts from text: dates, periods, appraisal ratings (tick boxes, tables, letters), CE certificates."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.doctypes import classify
from pipeline.extract import (
    Located,
    appraisal_records,
    ce_records,
    find_dates,
    find_period,
    han_count,
    rating_in,
    years_in,
)
from pipeline.manifest import Slot
from pipeline.models import TextLine


def lines(*texts: str, page: int = 1, rows: list[float] | None = None) -> list[Located]:
    out = []
    for i, t in enumerate(texts):
        y = rows[i] if rows else 0.05 + 0.04 * i
        out.append(Located(page, TextLine(text=t, bbox=(0.1, y, 0.9, y + 0.03), confidence=0.99)))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年5月12日", [date(2025, 5, 12)]),
        ("二〇一六年七月", [date(2016, 7, 1)]),
        ("于二〇一二年九月至二〇一六年七月在本校", [date(2012, 9, 1), date(2016, 7, 1)]),
        ("2025.5.12-2025.5.16", [date(2025, 5, 12), date(2025, 5, 16)]),
        ("２０２５年５月１２日", [date(2025, 5, 12)]),
        ("2025 年 5 月 1 2 日", [date(2025, 5, 12)]),
        ("二〇二五年十二月三十一日", [date(2025, 12, 31)]),
        ("2025年13月1日", []),
    ],
)
def test_find_dates(text, expected):
    assert [d.value for d in find_dates(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("公示时间：2025年5月12日至2025年5月16日。", (date(2025, 5, 12), date(2025, 5, 16))),
        ("公示期：5月12日-5月16日", (date(2025, 5, 12), date(2025, 5, 16))),
        ("公示期为2025年5月12日至16日", (date(2025, 5, 12), date(2025, 5, 16))),
        ("公示日期 2025-05-12 ~ 2025-05-20", (date(2025, 5, 12), date(2025, 5, 20))),
        ("落款 2025年1月1日 公示时间：2025年9月28日到2025年10月9日", (date(2025, 9, 28), date(2025, 10, 9))),
        ("公示时间：2025年5月16日至2025年5月12日", None),
        ("无日期", None),
    ],
)
def test_find_period(text, expected):
    assert find_period(text, default_year=2025) == expected


@pytest.mark.parametrize(
    ("text", "rating", "tickbox"),
    [
        ("☐ 优秀 ☑ 合格 □ 基本合格 □ 不合格", "合格", True),
        ("☑优秀□合格□基本合格□不合格", "优秀", True),
        ("√优秀 口合格 口基本合格 口不合格", "优秀", True),
        ("口优秀 口合格 团基本合格 口不合格", "基本合格", True),
        ("口优秀 V合格 口基本合格 口不合格", "合格", True),
        ("口优秀 口合格 ■基本合格 口不合格", "基本合格", True),
        ("口优秀 口合格 口基本合格 口不合格", None, True),
        ("口优秀 口合格 @基本合格 口不合格", "基本合格", True),  # the one box that does not read as empty
        ("考核等次：优秀", "优秀", False),
        ("考核结果为不合格", "不合格", False),
        ("考核结果：基本称职", "基本合格", False),
        ("考核结果：称职", "合格", False),
        ("无关文字", None, False),
    ],
)
def test_rating_in(text, rating, tickbox):
    assert rating_in(text) == (rating, tickbox)


def test_years_in_separates_appraisal_years_from_dates():
    assert years_in("（2023年度）2024年1月10日") == [(2023, True)]
    assert years_in("2023年考核") == [(2023, False)]


def _records(ls):
    return [(r.year, r.rating) for r in appraisal_records(ls)]


def test_one_form_one_year_tick_boxes():
    ls = lines("自治区驻村工作干部年度考核登记表", "（2023年度）", "考核等次", "☐ 优秀 ☑ 合格 □ 基本合格 □ 不合格", "2024年1月10日")
    assert _records(ls) == [(2023, "合格")]


def test_letter_with_rating_in_the_sentence():
    ls = lines("年度考核证明", "兹证明张三同志2024年度考核结果为", "优秀。", "2025年1月15日")
    assert _records(ls) == [(2024, "优秀")]


def test_table_rows_pair_year_and_rating_on_the_same_row():
    ls = lines("年度", "考核等次", "2022年度", "优秀", "2023年度", "合格", "2024年度", "优秀", rows=[0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4])
    assert _records(ls) == [(2022, "优秀"), (2023, "合格"), (2024, "优秀")]


def test_table_rows_read_as_whole_lines():
    ls = lines("2022年度 优秀 乌鲁木齐市第十中学", "2023年度 基本合格 乌鲁木齐市第十中学", "2024年度 优秀")
    assert _records(ls) == [(2022, "优秀"), (2023, "基本合格"), (2024, "优秀")]


def test_year_without_readable_rating_is_recorded_as_unread():
    ls = lines("（2022年度）", "考核等次", "口优秀 口合格 口基本合格 口不合格")
    assert _records(ls) == [(2022, None)]


def test_ratings_follow_the_year_above_them_across_pages():
    ls = lines("（2022年度）", "考核等次：优秀", page=1) + lines("（2023年度）", "考核等次：合格", page=2)
    assert _records(ls) == [(2022, "优秀"), (2023, "合格")]


def test_ce_records():
    ls = lines("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育公需科目学习，", "完成30学时，考核合格。", page=1)
    ls += lines("继续教育合格证书", "2023年度 专业科目 72 学时", page=2)
    assert [(r.year, r.category, r.hours) for r in ce_records(ls)] == [(2024, "公需科目", 30), (2023, "专业科目", 72)]


def test_han_count_counts_only_han():
    assert han_count("工作小结 2024, abc。") == 4


@pytest.mark.parametrize(
    ("texts", "slot"),
    [
        (["毕业证书", "学生张三于2012年9月至2016年7月在本校学习，准予毕业。"], Slot.diploma),
        (["学士学位证书", "授予文学学士学位"], Slot.degree_certificate),
        (["推荐单位公示结果", "公示期满无异议"], Slot.publicity_result),
        (["推荐单位公示", "公示时间：2025年5月12日至16日"], Slot.unit_publicity),
        (["继续教育合格证书", "公需科目 30学时"], Slot.ce_certificate),
        (["个人承诺书", "承诺人（签名）"], Slot.promise_letter),
        (["自治区驻村工作干部年度考核登记表"], Slot.annual_appraisal),
        (["中华人民共和国", "居民身份证", "签发机关 乌鲁木齐市公安局"], Slot.id_card_emblem),
        (["姓名 张三", "公民身份号码 650102199403121234"], Slot.id_card_portrait),
        (["普通话水平测试等级证书", "二级甲等"], Slot.mandarin_certificate),
    ],
)
def test_classify(texts, slot):
    tl = [TextLine(text=t, bbox=(0.1, 0.05 + 0.1 * i, 0.9, 0.1 + 0.1 * i), confidence=1) for i, t in enumerate(texts)]
    assert classify(tl).type == slot


def test_period_after_a_later_mention_of_the_word():
    text = "公示时间:2025年4月28日至2025年5月6日。\n公示期间如有异议，请反映。\n2025年4月28日"
    assert find_period(text, 2025) == (date(2025, 4, 28), date(2025, 5, 6))


def test_years_in_words_count_as_appraisal_years():
    assert years_in("（二〇二三年度）二〇二四年一月十日") == [(2023, True)]
    assert years_in("二○二二年度考核登记表") == [(2022, True)]  # 〇 read as ○
    assert years_in("二〇二四年一月") == []  # a date, not a 年度


def test_a_tick_box_row_split_into_pieces_by_a_text_layer():
    pieces = [("□ 优秀", 0.243, 0.334), ("☑", 0.334, 0.354), ("合格　□ 基本合格　□ 不合格", 0.354, 0.685)]
    row = [Located(1, TextLine(text=t, bbox=(x0, 0.298, x1, 0.315), confidence=1.0, source="pdf")) for t, x0, x1 in pieces]
    head = lines("自治区驻村工作干部年度考核登记表", "（2023年度）")
    assert [(r.year, r.rating) for r in appraisal_records(head + row)] == [(2023, "合格")]
