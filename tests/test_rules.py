"""Packet rules, each in both directions, on files of known text; and rules-file validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from detectors import PACKET_CHECKS, appraisal, continuing_education, eligibility, materials, submission, unit_documents
from detectors.unit_documents import working_days
from pipeline.checks import check_packet
from pipeline.context import RuleSpec
from pipeline.errors import RulesError
from pipeline.models import FindingCode
from pipeline.rules import load_notice, load_rules
from tests.factories import manifest, text_file

RULES = load_rules()
FHJ_APPRAISALS = {"annual_appraisal": ["a.pdf"]}


def codes(result):
    return sorted(f.code.value for f in result.findings)


def run(check, m, files):
    return check(m, RULES[m.track], files)


# ---------------------------------------------------------------- materials


REVIEW_FULL = {s: [f"{s}.pdf"] for s in ("photo", "diploma", "ce_certificate", "annual_appraisal", "unit_publicity", "publicity_result", "supervisor_opinion")}


def test_review_packet_with_every_required_slot_misses_nothing():
    assert codes(run(materials.check, manifest("review", REVIEW_FULL), [])) == []


@pytest.mark.parametrize("slot", sorted(REVIEW_FULL))
def test_each_missing_required_slot_is_reported(slot):
    mats = {k: v for k, v in REVIEW_FULL.items() if k != slot}
    result = run(materials.check, manifest("review", mats), [])
    assert [(f.code.value, f.slot.value) for f in result.findings] == [("MISSING_MATERIAL", slot)]
    assert "2024年职称评审通知" in result.findings[0].message


def test_exemption_form_replaces_ce_certificates():
    mats = {k: v for k, v in REVIEW_FULL.items() if k != "ce_certificate"} | {"ce_exemption": ["ex.pdf"]}
    assert codes(run(materials.check, manifest("review", mats), [])) == []


@pytest.mark.parametrize(
    ("track", "changes", "required", "not_required"),
    [
        ("review", {"applicant__education.level": "master"}, "degree_certificate", None),
        ("review", {}, None, "degree_certificate"),
        ("review", {"applicant__education.foreign": True}, "foreign_degree_certification", None),
        ("grant_senior", {"applicant__education.level": "postdoc"}, "postdoc_certificate", None),
        ("grant_intermediate", {"applicant__education.level": "master"}, None, "postdoc_certificate"),
        ("fhj_three_year", {}, "title_certificate", None),
        ("initial_junior", {}, None, "title_certificate"),
        ("initial_junior", {"applicant__employer_type": "private"}, None, "ce_certificate"),
        ("initial_junior", {"applicant__employer_type": "state_owned"}, "ce_certificate", None),
        ("initial_junior", {"applicant__teacher": True}, "teacher_qualification", "vacancy_statement"),
        ("initial_intermediate", {"applicant__teacher": True}, "vacancy_statement", None),
        ("initial_intermediate", {"applicant__teacher": False}, None, "mandarin_certificate"),
        ("grant_intermediate", {}, "id_card_emblem", "supervisor_opinion"),
        ("review", {}, "supervisor_opinion", "id_card_portrait"),
    ],
)
def test_required_slots_follow_the_conditions(track, changes, required, not_required):
    missing = {f.slot.value for f in run(materials.check, manifest(track, {}, **changes), []).findings}
    if required:
        assert required in missing
    if not_required:
        assert not_required not in missing


def test_wrong_document_when_content_is_another_material():
    m = manifest("review", {"diploma": ["d.pdf"]})
    wrong = text_file("diploma", "d.pdf", ["学士学位证书", "授予文学学士学位", "学位评定委员会"])
    right = text_file("diploma", "d.pdf", ["毕业证书", "准予毕业"])
    assert codes(run(materials.check, m, [wrong])) .count("WRONG_DOCUMENT") == 1
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [right]))


def test_wrong_document_when_no_text_at_all():
    m = manifest("review", {"diploma": ["d.jpg"]})
    assert "WRONG_DOCUMENT" in codes(run(materials.check, m, [text_file("diploma", "d.jpg", [])]))


def test_a_document_that_is_no_material_at_all_is_the_wrong_document():
    """A train ticket uploaded as the diploma: plenty of text read surely, not one word of any material."""
    m = manifest("review", {"diploma": ["d.jpg"]})
    ticket = ["K051971", "南丰站 D6502 南昌站", "Nanfeng Nanchang", "2018年04月19日10:51开 07车12B号", "¥53.0元 网折 二等座",
              "限乘当日当次车 始发改签", "买票请到12306 发货请到95306", "中国铁路祝您旅途愉快", "33406311030420K051971 南丰售"]
    found = run(materials.check, m, [text_file("diploma", "d.jpg", ticket)]).findings
    assert [f.code.value for f in found if f.file == "d.jpg"] == ["WRONG_DOCUMENT"]
    # a summary in another wording (述职报告) in its own slot is not; nor a short note with no material's words
    m = manifest("review", {"work_summary": ["s.jpg"]})
    summary = ["述职报告", "一年来，在单位领导的带领下，认真完成各项教学任务，积极参加教研活动，所带班级成绩稳步提升，", "得到学生家长和同事的认可。今后将继续努力。"]
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("work_summary", "s.jpg", summary)]))
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, manifest("review", {"diploma": ["d.jpg"]}), [text_file("diploma", "d.jpg", ticket[:2])]))


def test_an_invoice_holding_one_word_of_a_material_is_still_the_wrong_document():
    """A vehicle invoice's 合格证号 holds an appraisal's 合格; one such word among plenty of text is no
    material. A diploma whose title was not read still says two of its words (修完, 准予毕业)."""
    m = manifest("review", {"diploma": ["d.jpg"]})
    invoice = ["机动车销售统一发票", "机打代码 机打号码 机器编号 税控码", "购买方名称及身份证号码/组织机构代码", "车辆类型 轿车 厂牌型号 大众牌FV7140FAMBG",
               "产地 成都市 合格证号 进口证明书号 商检单号", "发动机号码 车辆识别代号/车架号码 价税合计", "销货单位名称 纳税人识别号 开户银行 账号"]
    found = run(materials.check, m, [text_file("diploma", "d.jpg", invoice)]).findings
    assert [f.code.value for f in found if f.file == "d.jpg"] == ["WRONG_DOCUMENT"]
    untitled = ["学生张三，性别男，一九九二年五月生，于二〇一二年九月至二〇一六年七月在本校计算机科学与技术专业四年制本科学习，",
                "修完教学计划规定的全部课程，成绩合格，准予毕业。", "新疆大学 校长 二〇一六年七月一日 证书编号 107551201605000123"]
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("diploma", "d.jpg", untitled)]))


def test_a_recommendation_report_quoting_the_current_title_is_not_a_title_certificate():
    """"关于推荐XXX同志申报…职称的报告" names the report apart ("推荐…的报告"); its body quotes the
    applicant's current title (取得现专业技术职务任职资格), a title certificate's title words."""
    m = manifest("review", {"recommendation_report": ["r.jpg"]})
    report = ["关于推荐张三同志申报副高级专业技术职务任职资格的报告", "乌鲁木齐市人力资源和社会保障局：",
              "张三同志，男，1980年5月生，2012年12月取得现专业技术职务任职资格，现任我校高中数学教师。",
              "该同志任现职以来，师德高尚，教学成绩突出，经单位考核推荐，同意推荐其申报副高级职称。", "乌鲁木齐市第十中学 2025年5月20日"]
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("recommendation_report", "r.jpg", report)]))
    certificate = ["专业技术职务任职资格证书", "张三同志经新疆维吾尔自治区中小学教师系列中级评审委员会评审，", "具备中学一级教师专业技术职务任职资格。"]
    assert "WRONG_DOCUMENT" in codes(run(materials.check, m, [text_file("recommendation_report", "r.jpg", certificate)]))



def test_words_of_a_titles_pattern_apart_in_a_body_name_no_material():
    """"推荐…的报告" is a title's: "被学校推荐为骨干教师" on one line and "作了…的报告" on the next do not
    make a work summary a recommendation report; nor does the supervising body's "同意推荐…的报告" make
    its opinion one."""
    summary = ["任现职以来，本人认真履行岗位职责，完成教学任务", "2021年被学校推荐为骨干教师", "在全区教研会上作了题为课堂教学改革的报告",
               "所带班级成绩优异，多次获得表彰"]
    m = manifest("review", {"work_summary": ["s.jpg"]})
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("work_summary", "s.jpg", summary)]))
    opinion = ["关于同意推荐张三同志申报高级讲师职称的报告", "经审核，张三同志申报材料真实有效，符合申报条件，同意推荐。", "乌鲁木齐市教育局"]
    m = manifest("review", {"supervisor_opinion": ["o.jpg"]})
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("supervisor_opinion", "o.jpg", opinion)]))


def test_a_document_in_the_photo_slot_is_wrong_but_a_photo_is_not():
    m = manifest("review", {"photo": ["p.jpg"]})
    doc = text_file("photo", "p.jpg", ["毕业证书", "学生张三于2012年9月至2016年7月在本校学习，修完全部课程，准予毕业。"])
    assert "WRONG_DOCUMENT" in codes(run(materials.check, m, [doc]))
    assert "WRONG_DOCUMENT" not in codes(run(materials.check, m, [text_file("photo", "p.jpg", [])]))


# ---------------------------------------------------------------- appraisals


def fhj(*files):
    return run(appraisal.check, manifest("fhj_three_year", FHJ_APPRAISALS), list(files))


def form(year, rating, file="a.pdf"):
    boxes = " ".join(("☑" if r == rating else "□") + r for r in ("优秀", "合格", "基本合格", "不合格"))
    return ["自治区驻村工作干部年度考核登记表", f"（{year}年度）", "考核等次", boxes, f"{year + 1}年1月10日"]


def test_fhj_three_excellent_years_pass():
    assert codes(fhj(text_file("annual_appraisal", "a.pdf", form(2022, "优秀"), form(2023, "优秀"), form(2024, "优秀")))) == []


def test_fhj_a_year_not_excellent_is_named():
    result = fhj(text_file("annual_appraisal", "a.pdf", form(2022, "优秀"), form(2023, "合格"), form(2024, "优秀")))
    assert codes(result) == ["APPRAISAL_NOT_EXCELLENT"]
    f = result.findings[0]
    assert "2023" in f.message and f.page == 2 and f.bbox is not None


def test_fhj_missing_and_unreadable_years():
    result = fhj(text_file("annual_appraisal", "a.pdf", form(2024, "优秀"), ["（2023年度）", "口优秀 口合格 口基本合格 口不合格"]))
    assert codes(result) == ["APPRAISAL_YEAR_MISSING", "APPRAISAL_YEAR_MISSING"]
    by_year = {f.evidence["year"]: f for f in result.findings}
    assert by_year[2022].file is None  # no record at all
    assert by_year[2023].file == "a.pdf" and by_year[2023].page == 2  # there, but no rating ticked


def test_fhj_years_counted_back_from_submission():
    m = manifest("fhj_three_year", FHJ_APPRAISALS, submission__submitted_at="2026-01-05T09:00:00+08:00")
    f = text_file("annual_appraisal", "a.pdf", form(2023, "优秀"), form(2024, "优秀"), form(2025, "优秀"))
    assert codes(run(appraisal.check, m, [f])) == []


def test_other_tracks_need_at_least_qualified():
    m = manifest("initial_junior", {"annual_appraisal": ["a.pdf"]})
    assert codes(run(appraisal.check, m, [text_file("annual_appraisal", "a.pdf", form(2024, "合格"))])) == []
    bad = run(appraisal.check, m, [text_file("annual_appraisal", "a.pdf", form(2024, "基本合格"))])
    assert codes(bad) == ["NOT_ELIGIBLE"]


def test_junior_college_needs_two_years():
    m = manifest("initial_junior", {"annual_appraisal": ["a.pdf"]}, applicant__education={"level": "junior_college", "full_time": True, "graduated_on": "2020-07-01"})
    result = run(appraisal.check, m, [text_file("annual_appraisal", "a.pdf", form(2024, "合格"))])
    assert codes(result) == ["APPRAISAL_YEAR_MISSING"] and "2023" in result.findings[0].message


# ---------------------------------------------------------------- continuing education


def ce(year, cat):
    return ["继续教育合格证书", f"于{year}年度参加继续教育{cat}学习，完成30学时"]


def test_ce_complete_and_incomplete():
    m = manifest("review", {"ce_certificate": ["c.pdf"]})
    full = text_file("ce_certificate", "c.pdf", ce(2024, "公需科目"), ce(2024, "专业科目"))
    assert codes(run(continuing_education.check, m, [full])) == []
    half = run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", ce(2024, "公需科目"))])
    assert codes(half) == ["CE_INCOMPLETE"] and "专业科目" in half.findings[0].message
    wrong_year = run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", ce(2023, "公需科目"), ce(2023, "专业科目"))])
    assert codes(wrong_year) == ["CE_INCOMPLETE"] and "2024年度" in wrong_year.findings[0].message


def test_ce_for_every_fhj_year_and_exemption():
    m = manifest("fhj_three_year", {"ce_certificate": ["c.pdf"]})
    pages = [ce(y, c) for y in (2022, 2023, 2024) for c in ("公需科目", "专业科目")]
    assert codes(run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", *pages)])) == []
    result = run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", *pages[:4])])
    assert codes(result) == ["CE_INCOMPLETE"] and "2024" in result.findings[0].message and "2022" not in result.findings[0].message
    exempt = manifest("fhj_three_year", {"ce_certificate": ["c.pdf"], "ce_exemption": ["e.pdf"]})
    assert codes(run(continuing_education.check, exempt, [])) == []


def test_ce_not_required_for_private_employers_in_2025():
    m = manifest("initial_junior", {"ce_certificate": ["c.pdf"]}, applicant__employer_type="private")
    assert codes(run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", ["继续教育"])])) == []


# ---------------------------------------------------------------- eligibility


@pytest.mark.parametrize(
    ("track", "changes", "eligible"),
    [
        ("initial_junior", {}, True),
        ("initial_junior", {"applicant__education": {"level": "bachelor", "full_time": False, "graduated_on": "2016-07-01"}}, False),
        ("initial_junior", {"applicant__education": {"level": "junior_college", "graduated_on": "2024-07-01"}, "applicant__work_started_on": "2024-08-01"}, False),
        ("initial_junior", {"applicant__education": {"level": "junior_college", "graduated_on": "2023-05-01"}, "applicant__work_started_on": "2023-05-20"}, True),
        ("initial_junior", {"applicant__education": {"level": "bachelor", "graduated_on": "2024-07-01"}, "applicant__work_started_on": "2024-08-01"}, False),
        ("initial_intermediate", {"applicant__township_unit": True}, True),
        ("initial_intermediate", {"applicant__township_unit": False}, False),
        ("initial_intermediate", {"applicant__township_unit": True, "applicant__education": {"level": "junior_college", "graduated_on": "2010-07-01"}}, False),
        ("grant_intermediate", {"applicant__education": {"level": "master", "graduated_on": "2022-07-01"}, "applicant__work_started_on": "2022-08-01"}, True),
        ("grant_intermediate", {"applicant__education": {"level": "bachelor", "graduated_on": "2016-07-01"}}, False),
        ("grant_associate_senior", {"applicant__education": {"level": "master", "graduated_on": "2016-07-01"}}, False),
        ("grant_senior", {"applicant__education": {"level": "postdoc", "graduated_on": "2024-09-01"}, "applicant__work_started_on": "2024-09-01"}, False),
        ("fhj_three_year", {}, True),
        ("fhj_three_year", {"applicant__current_title": None}, False),
    ],
)
def test_eligibility(track, changes, eligible):
    result = run(eligibility.check, manifest(track, {}, **changes), [])
    assert ("NOT_ELIGIBLE" not in codes(result)) == eligible


def test_graduation_date_on_diploma_is_cross_checked():
    m = manifest("review", {"diploma": ["d.pdf"]})  # declared 2016-07-01
    same = text_file("diploma", "d.pdf", ["毕业证书", "于二〇一二年九月至二〇一六年七月在本校学习", "准予毕业"])
    other = text_file("diploma", "d.pdf", ["毕业证书", "于2013年9月至2017年7月在本校学习", "准予毕业"])
    assert codes(run(eligibility.check, m, [same])) == []
    result = run(eligibility.check, m, [other])
    assert codes(result) == ["NOT_ELIGIBLE"] and result.findings[0].file == "d.pdf" and "2017年7月" in result.findings[0].message


# ---------------------------------------------------------------- unit documents


def test_working_days_use_the_statutory_calendar():
    assert working_days(date(2025, 5, 12), date(2025, 5, 16)) == 5  # an ordinary week
    assert working_days(date(2025, 4, 28), date(2025, 5, 6)) == 4  # Labour Day 5-1..5-5 off
    assert working_days(date(2025, 9, 28), date(2025, 10, 11)) == 6  # 9-28 (Sun) and 10-11 (Sat) are make-up workdays


@pytest.mark.parametrize(
    ("period", "short"),
    [("2025年5月12日至2025年5月16日", False), ("2025年5月12日至2025年5月15日", True), ("2025年4月29日至2025年5月6日", True), ("2025年9月29日至2025年10月10日", True), ("2025年9月26日至2025年10月10日", False)],
)
def test_publicity_period(period, short):
    m = manifest("review", {"unit_publicity": ["p.pdf"]})
    f = text_file("unit_publicity", "p.pdf", ["推荐单位公示", f"公示时间：{period}。", "乌鲁木齐市第十中学"])
    result = run(unit_documents.check, m, [f])
    assert ("PUBLICITY_TOO_SHORT" in codes(result)) == short
    if short:
        assert result.findings[0].bbox is not None


def test_unreadable_publicity_period_is_left_to_the_auditor():
    m = manifest("review", {"unit_publicity": ["p.pdf"]})
    result = run(unit_documents.check, m, [text_file("unit_publicity", "p.pdf", ["推荐单位公示", "公示期间如有异议"])])
    assert codes(result) == [] and result.checklist[0].state == "unknown"


@pytest.mark.parametrize(
    ("sign", "when", "unsigned"),
    [("阿依古丽·买买提", "2025年5月20日", False), ("", "2025年5月20日", True), ("阿依古丽·买买提", "年 月 日", True), ("", "年 月 日", True)],
)
def test_promise_letter(sign, when, unsigned):
    m = manifest("initial_junior", {"promise_letter": ["l.pdf"]})
    f = text_file("promise_letter", "l.pdf", ["个人承诺书", "本人承诺所提供材料真实有效。", f"承诺人（签名）：{sign}", f"承诺时间：{when}"])
    assert ("UNSIGNED" in codes(run(unit_documents.check, m, [f]))) == unsigned


def test_signature_on_its_own_line_below_the_label():
    m = manifest("initial_junior", {"promise_letter": ["l.pdf"]})
    f = text_file("promise_letter", "l.pdf", ["个人承诺书", "承诺人（签名）：", "张三", "2025年5月20日"])
    assert codes(run(unit_documents.check, m, [f])) == []


@pytest.mark.parametrize(("chars", "flag"), [(1500, True), (2000, False), (2600, False), (3000, False), (3400, True)])
def test_work_summary_length(chars, flag):
    m = manifest("initial_junior", {"work_summary": ["w.pdf"]})
    body = "汉" * (chars - 6)  # plus the title and the signature
    f = text_file("work_summary", "w.pdf", ["工作小结", body[: chars // 2]], [body[chars // 2 :], "张三 2025"])
    result = run(unit_documents.check, m, [f])
    assert ("WORK_SUMMARY_LENGTH" in codes(result)) == flag
    if flag:
        assert result.findings[0].severity == "warning"


def test_work_summary_length_is_not_a_2024_rule():
    m = manifest("review", {"work_summary": ["w.pdf"]})
    assert codes(run(unit_documents.check, m, [text_file("work_summary", "w.pdf", ["工作小结", "短"])])) == []


# ---------------------------------------------------------------- submission


@pytest.mark.parametrize(
    ("track", "sub", "expected"),
    [
        ("initial_junior", {"submitted_at": "2025-11-15T17:59:00+08:00"}, []),
        ("initial_junior", {"submitted_at": "2025-11-15T18:01:00+08:00"}, ["LATE_SUBMISSION"]),
        ("initial_junior", {"submitted_at": "2025-11-15T10:30:00Z"}, ["LATE_SUBMISSION"]),  # 18:30 in Urumqi's official time
        ("review", {"submitted_at": "2025-06-03T10:00:00+08:00", "returned_at": "2025-06-01T10:00:00+08:00", "attempt": 2}, []),
        ("review", {"submitted_at": "2025-06-03T10:01:00+08:00", "returned_at": "2025-06-01T10:00:00+08:00", "attempt": 2}, ["LATE_SUBMISSION"]),
        ("review", {"submitted_at": "2025-06-02T10:30:00"}, []),  # no zone: Beijing time
        # 2024 四、2 counts returns: "被退回超过3次的，将无法再提交申请" leaves the 4th submission allowed
        ("review", {"attempt": 3}, []),
        ("review", {"attempt": 4}, []),
        ("review", {"attempt": 5}, ["TOO_MANY_ATTEMPTS"]),
        # 2025 六、（一） counts submissions: "提交次数不得超过3次（含初次上报）"
        ("initial_junior", {"attempt": 3}, []),
        ("initial_junior", {"attempt": 4}, ["TOO_MANY_ATTEMPTS"]),
        ("fhj_three_year", {"attempt": 4}, ["TOO_MANY_ATTEMPTS"]),
        # 2025 一: the window opens 2025-05-06 11:00
        ("initial_junior", {"submitted_at": "2025-05-06T10:59:00+08:00"}, ["LATE_SUBMISSION"]),
        ("initial_junior", {"submitted_at": "2025-05-06T11:00:00+08:00"}, []),
        ("grant_senior", {"submitted_at": "2025-05-06T03:30:00Z"}, []),  # 11:30 in Beijing
        ("grant_senior", {"submitted_at": "2025-05-06T02:30:00Z"}, ["LATE_SUBMISSION"]),  # 10:30 in Beijing
        ("review", {"submitted_at": "2024-09-01T09:00:00+08:00"}, []),  # the 2024 notice sets no window
    ],
)
def test_submission(track, sub, expected):
    m = manifest(track, {}, submission={"submitted_at": "2025-06-02T10:30:00+08:00", "attempt": 1, "returned_at": None} | sub)
    assert codes(run(submission.check, m, [])) == expected


@pytest.mark.parametrize(
    ("track", "attempt", "quoted", "clause", "not_quoted"),
    [
        ("review", 5, "“被退回超过3次的，将无法再提交申请”", "四、2", "含初次上报"),
        ("initial_junior", 4, "“提交次数不得超过3次（含初次上报）”", "六、（一）", "被退回"),
    ],
)
def test_too_many_attempts_quotes_its_own_notice(track, attempt, quoted, clause, not_quoted):
    m = manifest(track, {}, submission={"submitted_at": "2025-06-02T10:30:00+08:00", "attempt": attempt, "returned_at": None})
    result = run(submission.check, m, [])
    (f,) = result.findings
    assert quoted in f.message and clause in f.message and not_quoted not in f.message.replace(quoted, "")
    assert f"第{attempt}次提交" in f.message
    assert [c.state for c in result.checklist] == ["ok", "problem"]


@pytest.mark.parametrize(
    ("submitted_at", "says", "clause", "window"),
    [
        ("2025-05-06T09:00:00+08:00", "早于申报系统开放受理的2025年5月6日11:00", "一、申报时间", "before_open"),
        ("2025-11-16T09:00:00+08:00", "已过2025年11月15日18:00的申报截止时间", "六、（一）", "after_deadline"),
    ],
)
def test_late_submission_says_before_open_or_after_deadline(submitted_at, says, clause, window):
    m = manifest("initial_junior", {}, submission={"submitted_at": submitted_at, "attempt": 1, "returned_at": None})
    (f,) = run(submission.check, m, []).findings
    assert f.code == FindingCode.LATE_SUBMISSION and says in f.message and clause in f.message
    assert f.evidence["window"] == window


# ---------------------------------------------------------------- the packet as a whole


def test_packet_checks_build_a_checklist_and_survive_a_failing_rule():
    m = manifest("fhj_three_year", FHJ_APPRAISALS)

    def broken(m, notice, files):
        raise RuntimeError("bug")

    result = check_packet(m, RULES[m.track], [], (*PACKET_CHECKS, RuleSpec("broken", broken, frozenset())))
    assert any(f.code == FindingCode.SCREENING_ERROR for f in result.findings)
    assert {c.state for c in result.checklist} >= {"ok", "problem"}
    assert all(f.message.endswith("）") for f in result.findings if f.code != FindingCode.SCREENING_ERROR)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\n", "track_rules"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [nope]\ntrack_rules: {}\n", "tracks"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\ntrack_rules: {review: {}}\nrequired: {passport: {}}\n", "required"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\ntrack_rules: {review: {}}\nsubmission: {deadline: 2025-01-01T00:00:00}\n", "time zone"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\ntrack_rules: {review: {min_rating: 很好}}\n", "min_rating"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\ntrack_rules: {review: {}}\nchecks: {clarity: [nowhere]}\n", "unknown slot"),
        ("id: x\ntitle: t\npublished: 2024-01-01\ntracks: [review]\ntrack_rules: {review: {}}\nsurprise: 1\n", "surprise"),
        ("[not, a, mapping]", "mapping"),
        ("id: [unclosed", "cannot be read"),
    ],
)
def test_rules_file_validation_errors(tmp_path: Path, content, error):
    path = tmp_path / "2026.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError) as exc:
        load_notice(path)
    assert error in str(exc.value) and "2026.yaml" in str(exc.value)


def test_a_track_without_rules_or_with_two_notices_is_an_error(tmp_path: Path):
    import shutil

    from pipeline.rules import RULES_DIR

    shutil.copy(RULES_DIR / "2024-review.yaml", tmp_path / "a.yaml")
    with pytest.raises(RulesError, match="no rules for track"):
        load_rules(tmp_path)
    shutil.copy(RULES_DIR / "2025-confirmation.yaml", tmp_path / "b.yaml")
    shutil.copy(RULES_DIR / "2024-review.yaml", tmp_path / "c.yaml")
    with pytest.raises(RulesError, match="governed by both"):
        load_rules(tmp_path)


# ---------------------------------------------------------------- "访惠聚": three years after the title


@pytest.mark.parametrize(
    ("obtained_on", "eligible", "counted"),
    [
        ("2019-12-31", True, [2022, 2023, 2024]),
        ("2022-12-31", True, [2022, 2023, 2024]),  # obtained before 2022 ended: 2022 counts
        ("2023-01-01", False, [2023, 2024]),
        ("2024-06-30", False, [2024]),
        ("2025-03-01", False, []),
    ],
)
def test_fhj_years_count_only_after_the_title(obtained_on, eligible, counted):
    m = manifest("fhj_three_year", {}, applicant__current_title={"level": "intermediate", "obtained_on": obtained_on})
    result = run(eligibility.check, m, [])
    title = [f for f in result.findings if "取得现任职资格" in f.message]
    item = next(c for c in result.checklist if "取得现任职资格之后" in c.item)
    if eligible:
        assert title == [] and item.state == "ok"
        return
    (f,) = title
    assert f.code == FindingCode.NOT_ELIGIBLE and f.evidence["years_counted"] == counted
    assert "三、（六）" in f.message and "2022年" in f.message and item.state == "problem"


def test_fhj_title_date_not_given_is_left_to_the_auditor():
    m = manifest("fhj_three_year", {}, applicant__current_title={"level": "intermediate"})
    result = run(eligibility.check, m, [])
    assert codes(result) == [] and next(c for c in result.checklist if "任职资格之后" in c.item).state == "unknown"


def test_fhj_rating_below_excellent_stays_appraisal_not_excellent():
    m = manifest("fhj_three_year", FHJ_APPRAISALS, applicant__current_title={"level": "intermediate", "obtained_on": "2019-12-31"})
    files = [text_file("annual_appraisal", "a.pdf", form(2022, "优秀"), form(2023, "合格"), form(2024, "优秀"))]
    assert codes(run(appraisal.check, m, files)) == ["APPRAISAL_NOT_EXCELLENT"]
    assert codes(run(eligibility.check, m, files)) == []


# ---------------------------------------------------------------- messages an auditor would write


def test_messages_read_as_sentences_and_cite_the_right_clause():
    fhj_m = manifest("fhj_three_year", FHJ_APPRAISALS)
    (missing,) = [f for f in run(appraisal.check, fhj_m, [text_file("annual_appraisal", "a.pdf", form(2023, "优秀"), form(2024, "优秀"))]).findings]
    assert missing.message.startswith("上传的自治区驻村工作干部年度考核登记表中未找到2022年度考核记录")
    review_m = manifest("review", {"annual_appraisal": ["a.pdf"]})
    (missing,) = run(appraisal.check, review_m, [text_file("annual_appraisal", "a.pdf", form(2023, "优秀"))]).findings
    assert missing.message.startswith("上传的考核材料中未找到2024年度考核记录") and "附件1《网上申报材料填写要求》" in missing.message
    # a graduation-date mismatch is about the truth of the materials (2024 四、2), not who may apply (一)
    m = manifest("review", {"diploma": ["d.pdf"]})
    (f,) = run(eligibility.check, m, [text_file("diploma", "d.pdf", ["毕业证书", "于2013年9月至2017年7月在本校学习", "准予毕业"])]).findings
    assert "四、2" in f.message and "一、" not in f.message and "真实性" in f.message


@pytest.mark.parametrize(
    ("track", "form_name"),
    [("review", "继续教育免试表（附件5）"), ("initial_junior", "《自治区“访惠聚”驻村等专业技术人员职称评审免除继续教育学习申请表》")],
)
def test_ce_messages_use_the_notices_form_names(track, form_name):
    m = manifest(track, {"ce_certificate": ["c.pdf"]})
    result = run(continuing_education.check, m, [text_file("ce_certificate", "c.pdf", ce(2024, "公需科目"))])
    assert codes(result) == ["CE_INCOMPLETE"] and form_name in result.findings[0].message
    mats = run(materials.check, manifest(track, {}), []).findings
    ce_missing = next(f for f in mats if f.slot.value == "ce_certificate")
    assert form_name in ce_missing.message


def test_the_2024_notice_is_not_cited_for_a_promise_letter():
    letter = text_file("promise_letter", "l.pdf", ["个人承诺书", "本人承诺所提供材料真实有效。", "承诺人（签名）：", "承诺时间：年 月 日"])
    review = run(unit_documents.check, manifest("review", {"promise_letter": ["l.pdf"]}), [letter])
    assert codes(review) == [] and not any("承诺书" in c.item for c in review.checklist)
    confirm = run(unit_documents.check, manifest("initial_junior", {"promise_letter": ["l.pdf"]}), [letter])
    assert codes(confirm) == ["UNSIGNED"] and "四、（六）" in confirm.findings[0].message


def test_every_rules_file_cites_a_clause_for_each_rule_it_runs():
    for notice in {n.id: n for n in RULES.values()}.values():
        for key in ("materials", "appraisal", "continuing_education", "eligibility", "consistency", "publicity", "resubmission", "attempts", "timeliness", "duplicates"):
            assert notice.clauses.get(key), (notice.id, key)
        if notice.submission.opens:
            assert notice.clauses.get("opens")
        if notice.submission.deadline:
            assert notice.clauses.get("deadline")
