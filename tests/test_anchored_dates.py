"""Dates told apart by their anchors, not their place (issue 12, item 1): graduation, birth, issue,
publicity and study dates; the year and category of continuing-education certificates.

The rule-level tests at the top are regressions for two classes of false findings seen on
documents the project did not draw: a birth date taken for the graduation date (``NOT_ELIGIBLE``
on a clean diploma) and a certificate's year or category misread (``CE_INCOMPLETE`` though
every certificate is there). The lines are as PP-OCR returns them: a 〇 read as ○ or dropped,
sentences wrapped mid-date, 科目 read as 科日.
"""

from __future__ import annotations

from datetime import date

import pytest

from detectors import continuing_education, eligibility
from pipeline.extract import Located
from pipeline.manifest import Slot
from pipeline.models import DocumentInfo, PageInfo, TextLine
from pipeline.rules import load_rules
from pipeline.context import FileResult, PageResult
from tests.factories import manifest, text_file

RULES = load_rules()


def codes(result):
    return sorted(f.code.value for f in result.findings)


def graduation(lines: list[str], declared: str = "2010-06-01", track: str = "initial_junior"):
    m = manifest(track, {"diploma": ["d.pdf"]}, applicant__education={"level": "bachelor", "full_time": True, "graduated_on": declared})
    result = eligibility.check(m, RULES[m.track], [text_file("diploma", "d.pdf", lines)])
    item = next(c for c in result.checklist if "毕业时间" in c.item)
    return codes(result), item.state


# ---------------------------------------------------------------- birth date taken for graduation (regressions)

BIRTH_BEFORE_PERIOD_OCR = [  # 〇 read as ○ everywhere: only the birth date has no zero
    "毕业证书",
    "学生张三，性别男，一九八八年三月十二日生，于二○○六",
    "年九月至二○一○年六月在本校汉语言文学专业四年制本科学习，修完教",
    "学计划规定的全部课程，成绩合格，准予毕业。",
    "二○一○年六月三十日",
]
BIRTH_WITHOUT_PERIOD_DROPPED_ZERO = [  # the 落款's 〇 dropped by the OCR
    "毕业证书",
    "学生张三，性别男，一九八八年三月十二日生，在本校汉语言文学专业四",
    "年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。",
    "二一○年六月三十日",
]
BIRTH_AFTER_PERIOD_WORDS = [
    "毕业证书",
    "学生张三，于二〇〇六年九月至二〇一〇年六月在本校汉语言文学专业学习，",
    "修完教学计划规定的全部课程，成绩合格，准予毕业。该生一九八八年三月十二日生。",
]
BIRTH_ONLY_READABLE = [  # the graduation date lost (under a seal): nothing tells it apart
    "毕业证书",
    "学生张三，性别男，一九八八年三月十二日生，在本校汉语言文学专业学习，",
    "修完教学计划规定的全部课程，成绩合格，准予毕业。",
]


@pytest.mark.parametrize(
    ("lines", "state"),
    [
        (BIRTH_BEFORE_PERIOD_OCR, "ok"),
        (BIRTH_WITHOUT_PERIOD_DROPPED_ZERO, "ok"),
        (BIRTH_AFTER_PERIOD_WORDS, "ok"),
        (BIRTH_ONLY_READABLE, "unknown"),
    ],
    ids=["birth-before-period-ocr", "no-period-dropped-zero", "birth-after-period", "only-birth-readable"],
)
def test_a_birth_date_is_never_the_graduation_date(lines, state):
    found, item = graduation(lines)
    assert found == [] and item == state


@pytest.mark.parametrize(
    ("lines", "declared", "flagged"),
    [
        (["毕业证书", "学生张三，性别男，1988年3月12日出生，2006年9月入学，2010年6月毕业。"], "2010-06-01", False),
        (["毕业证书", "学生张三，性别男，1988年3月12日出生，2006年9月入学，2010年6月毕业。"], "2012-06-01", True),
        (["毕业证书", "学生张三，于2006年9月至2010年6月在本校学习，准予毕业。", "一九八八年三月十二日生"], "2010-06-01", False),
        (["毕业证书", "学生张三，于2006年9月至2010年6月在本校学习，准予毕业。", "一九八八年三月十二日生"], "2011-07-01", True),
        (["毕业证书", "毕业时间：2010年6月", "出生日期：1988年3月12日"], "2010-06-01", False),
        (["毕业证书", "毕业时间：2010年6月", "出生日期：1988年3月12日"], "1988-03-01", True),
        # only a 落款 date, far from the declared one: it might be a reissue; not sure, no finding
        (["毕业证书", "学生张三在本校学习期满，准予毕业。", "2014年3月5日"], "2010-06-01", False),
        # the study period's end restored from a dropped 〇 and contradicting: not sure, no finding
        (["毕业证书", "学生张三，于二一二年九月至二一六年七月在本校学习，准予毕业。"], "2010-06-01", False),
    ],
)
def test_graduation_date_in_words_or_digits_both_directions(lines, declared, flagged):
    found, item = graduation(lines, declared)
    assert (found == ["NOT_ELIGIBLE"]) == flagged
    assert (item == "problem") == flagged


def test_unsure_graduation_goes_to_the_auditor_with_what_was_read():
    _, state = graduation(["毕业证书", "学生张三在本校学习期满，准予毕业。", "2014年3月5日"])
    m = manifest("initial_junior", {"diploma": ["d.pdf"]})
    result = eligibility.check(m, RULES[m.track], [text_file("diploma", "d.pdf", ["毕业证书", "学生张三在本校学习期满，准予毕业。", "2014年3月5日"])])
    item = next(c for c in result.checklist if "毕业时间" in c.item)
    assert state == "unknown" and "落款" in item.detail and "2014年3月" in item.detail and "请人工核对" in item.detail


# ---------------------------------------------------------------- CE year or category misread (regressions)


def ce_page(*lines: str, confidence: float = 0.99) -> list[TextLine]:
    return [TextLine(text=t, bbox=(0.1, 0.05 + 0.05 * i, 0.9, 0.09 + 0.05 * i), confidence=confidence) for i, t in enumerate(lines)]


def ce_file(*pages: list[TextLine]) -> FileResult:
    results = tuple(PageResult(slot=Slot.ce_certificate, file="c.pdf", info=PageInfo(page=n), lines=tuple(p)) for n, p in enumerate(pages, 1))
    return FileResult(document=DocumentInfo(slot=Slot.ce_certificate, file="c.pdf", pages=tuple(r.info for r in results)), pages=results)


PUBLIC_2024 = ce_page("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育公需科目学习，完成30学时，考核合格。", "2024年12月20日")


def ce_check(*pages: list[TextLine]):
    m = manifest("review", {"ce_certificate": ["c.pdf"]})  # 2024 needs both categories
    result = continuing_education.check(m, RULES[m.track], [ce_file(*pages)])
    return codes(result), result.checklist[0].state


@pytest.mark.parametrize(
    "specialty",
    [
        ce_page("继续教育合格证书", "张三同志于二〇二四年度参加专业技术人员继续教育专业科目学习，完成60学时。", "二〇二四年十二月二十日"),
        ce_page("继续教育合格证书", "张三同志于二○二四年度参加专业技术人员继续教育专业科目学习，完成60学时。", "二○二四年十二月二十日"),
        ce_page("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育专业科日学习，完成60学时。", "2024年12月20日"),
        ce_page("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育专业课程学习，完成60学时。", "2024年12月20日"),
        ce_page("继续教育证书", "姓名", "张三", "年度", "2024", "类别", "专业科目", "学时", "60"),
    ],
    ids=["year-in-words", "zero-read-as-circle", "category-read-as-keri", "category-as-course", "table-year-field"],
)
def test_a_certificate_read_in_other_words_is_there(specialty):
    assert ce_check(PUBLIC_2024, specialty) == ([], "ok")


@pytest.mark.parametrize(
    "specialty",
    [
        # 2024 read as 2021, which the certificate's own date of issue contradicts
        ce_page("继续教育合格证书", "张三同志于2021年度参加专业技术人员继续教育专业科目学习，完成60学时。", "2024年12月20日"),
        # the year line read poorly
        ce_page("继续教育合格证书", "张三同志于2023年度参加专业技术人员继续教育专业科目学习，完成60学时。", confidence=0.62),
        # the category not readable at all
        ce_page("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育学习，完成60学时。", "2024年12月20日"),
        # the year restored from a dropped 〇
        ce_page("继续教育合格证书", "张三同志于二二一年度参加专业技术人员继续教育专业科目学习，完成60学时。"),
    ],
    ids=["year-contradicted-by-issue-date", "poorly-read-line", "category-unreadable", "dropped-zero"],
)
def test_a_misread_certificate_goes_to_the_auditor_not_to_ce_incomplete(specialty):
    assert ce_check(PUBLIC_2024, specialty) == ([], "unknown")


@pytest.mark.parametrize(
    "specialty",
    [
        # a well-read certificate of another year: the required one is missing
        ce_page("继续教育合格证书", "张三同志于2023年度参加专业技术人员继续教育专业科目学习，完成60学时。", "2024年1月8日"),
        # a second certificate of the same category
        ce_page("继续教育合格证书", "张三同志于2024年度参加专业技术人员继续教育公需科目学习，完成30学时。", "2024年12月20日"),
    ],
)
def test_ce_incomplete_still_raised_on_well_read_certificates(specialty):
    assert ce_check(PUBLIC_2024, specialty) == (["CE_INCOMPLETE"], "problem")


def test_one_unsure_certificate_stands_for_one_missing_pair_only():
    unreadable = ce_page("继续教育合格证书", "张三同志参加专业技术人员继续教育学习，完成学时。")
    assert ce_check(unreadable) == (["CE_INCOMPLETE"], "problem")  # two pairs missing, one may be this page


# ---------------------------------------------------------------- the readings themselves


def located(*texts: str) -> list[Located]:
    return [Located(1, TextLine(text=t, bbox=(0.1, 0.05 + 0.04 * i, 0.9, 0.08 + 0.04 * i), confidence=0.99)) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("lines", "kinds"),
    [
        (["学生张三，性别男，一九八八年三月十二日生，于二〇〇六年九月至二〇一〇年六月在本校学习"], {"birth": date(1988, 3, 12), "study_start": date(2006, 9, 1), "graduation": date(2010, 6, 1)}),
        (["张三，男，1988年3月12日出生，2006年9月入学，2010年6月毕业"], {"birth": date(1988, 3, 12), "study_start": date(2006, 9, 1), "graduation": date(2010, 6, 1)}),
        (["公示时间：2025年5月12日至2025年5月16日"], {"publicity_start": date(2025, 5, 12), "publicity_end": date(2025, 5, 16)}),
        (["发证日期：2024年12月20日"], {"issue": date(2024, 12, 20)}),
        (["承诺时间：2025年5月20日"], {"issue": date(2025, 5, 20)}),
        (["准予毕业。", "2016年7月1日"], {"signed": date(2016, 7, 1)}),
        (["出生日期：1994.03.12"], {"birth": date(1994, 3, 12)}),
    ],
)
def test_dates_are_told_apart_by_their_anchors(lines, kinds):
    from pipeline.facts import dates_of, page_texts

    (page,) = page_texts(located(*lines))
    assert {d.kind: d.value for d in dates_of(page) if d.kind != "other"} == kinds


def test_a_form_row_of_labels_and_values():
    from pipeline.facts import PageText, dates_of

    row = [("入学时间", 0.10), ("2012年9月", 0.25), ("毕业时间", 0.45), ("2016年7月", 0.60), ("出生日期", 0.75)]
    lines = [TextLine(text=t, bbox=(x, 0.2, x + 0.12, 0.23), confidence=0.99) for t, x in row]
    lines.append(TextLine(text="1994年3月12日", bbox=(0.1, 0.25, 0.3, 0.28), confidence=0.99))
    kinds = {d.value: d.kind for d in dates_of(PageText(1, lines))}
    assert kinds == {date(2012, 9, 1): "study_start", date(2016, 7, 1): "graduation", date(1994, 3, 12): "signed"}


def test_a_restored_year_is_sure_when_the_date_of_issue_agrees():
    restored = ce_page("继续教育合格证书", "张三同志于二二四年度参加专业技术人员继续教育专业科目学习，完成60学时。", "发证日期：2024年12月20日")
    assert ce_check(PUBLIC_2024, restored) == ([], "ok")
    contradicted = ce_page("继续教育合格证书", "张三同志于二二一年度参加专业技术人员继续教育专业科目学习，完成60学时。", "发证日期：2024年12月20日")
    assert ce_check(PUBLIC_2024, contradicted) == ([], "unknown")
