"""Checks across documents on readings already made, each in both directions: NAME_MISMATCH,
ID_EXPIRED, DUPLICATE_UPLOAD, DATE_INCONSISTENT, and the checklist row each adds."""

from __future__ import annotations

import pytest

from detectors import PACKET_CHECKS, document_dates, duplicates, holder_names, id_card
from detectors.holder_names import same_person
from pipeline import facts
from pipeline.manifest import Slot
from pipeline.models import DocumentInfo, FindingCode, PageInfo, TextLine
from pipeline.rules import load_rules
from pipeline.screen import FileResult, PageResult, check_packet
from tests.factories import manifest

RULES = load_rules()
APPLICANT = "阿依古丽·买买提"  # the factory's applicant


def page(slot: str, file: str, lines: list[str], n: int = 1, fp: str = "", kind: str | None = None, confidence: float = 0.99) -> PageResult:
    """A page whose lines sit one under the other; a line given as a tuple is a row of cells."""
    out, y = [], 0.05
    for row in lines:
        cells = row if isinstance(row, tuple) else (row,)
        x = 0.1
        for cell in cells:
            w = 0.8 if len(cells) == 1 else 0.025 * max(2, len(cell))
            out.append(TextLine(text=cell, bbox=(x, y, min(0.95, x + w), y + 0.03), confidence=confidence))
            x += w + 0.05
        y += 0.045
    return PageResult(slot=Slot(slot), file=file, info=PageInfo(page=n, type=kind), lines=tuple(out), fingerprint=fp)


def doc(slot: str, file: str, *pages: PageResult) -> FileResult:
    info = DocumentInfo(slot=Slot(slot), file=file, format="pdf", page_count=len(pages), pages=tuple(p.info for p in pages))
    return FileResult(document=info, pages=pages)


def one(slot: str, file: str, lines: list, **kw) -> FileResult:
    return doc(slot, file, page(slot, file, lines, **kw))


def run(check, track: str, files: list[FileResult], **changes):
    mats: dict[str, list[str]] = {}
    for fr in files:
        mats.setdefault(fr.document.slot.value, []).append(fr.document.file)
    m = manifest(track, mats, **changes)
    return check(m, RULES[m.track], files)


def codes(result) -> list[str]:
    return sorted(f.code.value for f in result.findings)


# ---------------------------------------------------------------- NAME_MISMATCH


@pytest.mark.parametrize(
    ("read", "verdict"),
    [
        ("阿依古丽·买买提", "same"),
        ("阿依古丽买买提", "same"),
        ("阿依古丽 买买提", "same"),
        ("阿依古丽.买买提", "same"),
        ("阿依古丽•买买提", "same"),
        ("阿依古丽·买买堤", "same"),  # one OCR slip in seven characters
        ("阿依古丽", "unsure"),  # one part only
        ("阿依古力·麦麦提", "unsure"),  # the same syllables in other characters
        ("阿依古丽·吐尔逊", "other"),  # shares a common part with the applicant, another person
        ("买买提·阿依古丽", "other"),
        ("王建华", "other"),
    ],
)
def test_same_person_matches_as_the_masking_check_does(read, verdict):
    assert same_person(read, APPLICANT) == verdict


@pytest.mark.parametrize(("read", "applicant"), [("黃子涵", "黄子涵"), ("陳曉明", "陈晓明"), ("黄子涵", "黃子涵")])
def test_a_name_read_in_traditional_characters_is_the_same_name(read, applicant):
    """Kai and Ming typefaces are read as traditional characters (黃 for 黄): names compare alike."""
    assert same_person(read, applicant) == "same"
    assert same_person("黃子軒", applicant) == "other"


@pytest.mark.parametrize(("read", "confidence", "verdict"), [("张晓明", 0.99, "same"), ("张晓东", 0.99, "other"), ("张晓东", 0.6, "unsure"), ("王芳芳", 0.99, "other")])
def test_short_han_names_allow_no_slip_unless_read_poorly(read, confidence, verdict):
    assert same_person(read, "张晓明" if read != "王芳芳" else "王芳", confidence) == verdict


OTHER = "王建华"
HOLDER_CASES = [
    ("diploma", ["毕业证书", "学生{n}，性别男，一九八八年三月十二日生，于二〇〇六年九月至二〇一〇年六月在本校学习"]),
    ("degree_certificate", ["学士学位证书", "{n}，男，一九八八年三月十二日生。在新疆大学完成了本科学习计划，授予文学学士学位。"]),
    ("id_card_portrait", ["姓名 {n}", "性别 男 民族 汉", "公民身份号码 650102198803121234"]),
    ("annual_appraisal", ["自治区驻村工作干部年度考核登记表", "（2024年度）", ("姓名", "{n}", "工作单位", "乌鲁木齐市第十中学"), "考核等次 ☑优秀"]),
    ("ce_certificate", ["继续教育合格证书", "{n}同志于2024年度参加专业技术人员继续教育公需科目学习，完成30学时。"]),
    ("title_certificate", ["专业技术职务任职资格证书", "兹证明{n}同志经评审委员会评审，具备中级专业技术职务任职资格。"]),
    ("teacher_qualification", ["教师资格证书", "姓名：{n} 性别：男", "资格种类：高级中学教师资格"]),
    ("mandarin_certificate", ["普通话水平测试等级证书", "姓名", "{n}", "等级：二级甲等"]),
    ("postdoc_certificate", ["博士后研究人员出站证明", "兹证明{n}同志于2021年9月进入博士后科研流动站，2023年9月出站。"]),
    ("foreign_degree_certification", ["国外学历学位认证书", "{n}，男，1988年3月12日出生，于2014年获得英国某大学硕士学位。"]),
]


@pytest.mark.parametrize(("slot", "lines"), HOLDER_CASES, ids=[c[0] for c in HOLDER_CASES])
@pytest.mark.parametrize("holder", [APPLICANT, "阿依古丽买买提", "阿依古丽 · 买买提", OTHER])
def test_name_mismatch_on_each_holder_material(slot, lines, holder):
    texts = [tuple(c.format(n=holder) for c in ln) if isinstance(ln, tuple) else ln.format(n=holder) for ln in lines]
    result = run(holder_names.check, "initial_junior", [one(slot, "f.pdf", texts)])
    item = result.checklist[0]
    if holder == OTHER:
        (f,) = result.findings
        assert f.code == FindingCode.NAME_MISMATCH and f.severity == "error" and f.slot.value == slot
        assert f.evidence["text"] == OTHER and f.bbox is not None and f.page == 1
        assert OTHER in f.message and APPLICANT in f.message and "依据" in f.message
        assert item.state == "problem"
    else:
        assert result.findings == () and item.state == "ok"


@pytest.mark.parametrize(
    ("slot", "lines"),
    [
        # colleagues on a publicity notice are not its holder (and the publicity is no holder material)
        ("unit_publicity", ["推荐单位公示", "经本单位审核，拟推荐王建华、李明、阿依古丽·买买提同志申报中级职称。", "公示时间：2025年5月12日至2025年5月16日"]),
        # a recommendation report signed by a superior
        ("recommendation_report", ["推荐报告", "阿依古丽·买买提同志工作认真。", "推荐人：王建华", "单位负责人签字：李明"]),
    ],
)
def test_colleagues_and_signatories_are_not_holders(slot, lines):
    result = run(holder_names.check, "initial_junior", [one(slot, "f.pdf", lines)])
    assert result.findings == ()


def test_leader_signing_an_appraisal_is_not_its_holder():
    lines = ["年度考核证明", "兹证明阿依古丽·买买提同志系我单位在职专业技术人员，2024年度考核结果为优秀。", "单位负责人：王建华", "2025年1月15日"]
    result = run(holder_names.check, "fhj_three_year", [one("annual_appraisal", "a.pdf", lines)])
    assert result.findings == () and result.checklist[0].state == "ok"


def test_names_are_not_compared_where_they_are_masked():
    lines = ["毕业证书", "学生王建华，性别男，一九八八年三月十二日生，于2006年9月至2010年6月在本校学习"]
    assert run(holder_names.check, "review", [one("diploma", "d.pdf", lines)]).checklist == ()


def test_part_of_the_name_or_another_transliteration_goes_to_the_auditor():
    for name in ("阿依古丽", "阿依古力·麦麦提"):
        lines = ["继续教育合格证书", f"{name}同志于2024年度参加继续教育公需科目学习"]
        result = run(holder_names.check, "initial_junior", [one("ce_certificate", "c.pdf", lines)])
        assert result.findings == () and result.checklist[0].state == "unknown" and name in result.checklist[0].detail


def test_another_material_in_a_holder_slot_is_left_to_wrong_document():
    lines = ["推荐单位公示", "拟推荐王建华同志申报中级职称。"]
    result = run(holder_names.check, "initial_junior", [one("diploma", "d.pdf", lines, kind="unit_publicity")])
    assert result.findings == ()


def test_a_holder_material_without_a_readable_name_is_listed():
    result = run(holder_names.check, "initial_junior", [one("diploma", "d.pdf", ["毕业证书", "准予毕业"])])
    assert result.findings == () and result.checklist[0].state == "unknown" and "未读到持证人姓名" in result.checklist[0].detail


def test_a_title_just_above_the_name_row_is_not_its_value():
    """Boxes as the OCR gave them on a phone photo of a title certificate: the title's box ends a
    hair above the 姓名 label's row, less than 1.5 lines from it, and stands right of the label."""
    rows = [
        ("专业技术职务任职资格证书", (0.238, 0.114, 0.781, 0.174)),
        ("姓名", (0.15, 0.173, 0.211, 0.204)),
        ("阿依古丽买买提", (0.312, 0.181, 0.472, 0.212)),
        ("工作单位", (0.154, 0.207, 0.254, 0.236)),
        ("乌鲁木齐市第十中学", (0.312, 0.212, 0.52, 0.243)),
    ]
    lines = tuple(TextLine(text=t, bbox=b, confidence=0.99) for t, b in rows)
    assert [r.text for r in facts.holder_names([facts.PageText(1, lines)])] == ["阿依古丽买买提"]


def test_name_mismatch_on_a_later_page_of_a_multi_year_appraisal():
    pages = [
        page("annual_appraisal", "a.pdf", ["年度考核登记表", ("姓名", APPLICANT), "（2022年度）"], n=1),
        page("annual_appraisal", "a.pdf", ["年度考核登记表", ("姓名", APPLICANT), "（2023年度）"], n=2),
        page("annual_appraisal", "a.pdf", ["年度考核登记表", ("姓名", OTHER), "（2024年度）"], n=3),
    ]
    (f,) = run(holder_names.check, "fhj_three_year", [doc("annual_appraisal", "a.pdf", *pages)]).findings
    assert f.page == 3 and f.evidence["text"] == OTHER


# ---------------------------------------------------------------- ID_EXPIRED


@pytest.mark.parametrize(
    ("validity", "code", "state"),
    [
        ("有效期限 2015.03.12-2025.03.12", "ID_EXPIRED", "problem"),
        ("有效期限 2015年03月12日至2025年03月12日", "ID_EXPIRED", "problem"),
        ("有效期限2020.01.05-2025.01.05", "ID_EXPIRED", "problem"),
        ("有效期限 2015.03.12-2035.03.12", None, "ok"),
        ("有效期限 2005.06.02-2025.06.02", None, "ok"),  # the last valid day is the day of submission
        ("有效期限 2005.03.12-长期", None, "ok"),
        ("有效期限：2001.08.01—长期", None, "ok"),
        ("有效期限 2015.03.12-2025.06.01", None, "unknown"),  # no lawful term: a digit misread
        ("有效期限", None, "unknown"),
        ("有效期限 2O15.O3.12-2O25.O3.12", None, "unknown"),
    ],
)
def test_id_card_validity(validity, code, state):
    lines = ["中华人民共和国", "居民身份证", "签发机关 乌鲁木齐市公安局天山分局", validity]
    result = run(id_card.check, "initial_junior", [one("id_card_emblem", "id_back.jpg", lines)])
    assert codes(result) == ([code] if code else [])
    assert result.checklist[0].state == state
    if code:
        f = result.findings[0]
        assert f.severity == "error" and f.bbox is not None and "2025年3月12日" in f.message or "2025年1月5日" in f.message


def test_id_validity_read_from_both_sides_on_one_page_and_on_the_review_track():
    lines = ["姓名 阿依古丽·买买提", "公民身份号码 650102198803121234", "签发机关 乌鲁木齐市公安局", "有效期限 2014.05.01-2024.05.01"]
    assert codes(run(id_card.check, "review", [one("id_card_portrait", "id.jpg", lines)])) == ["ID_EXPIRED"]


def test_no_id_card_uploaded_no_row():
    assert run(id_card.check, "review", []).checklist == ()


def test_poorly_read_validity_is_not_a_finding():
    lines = ["有效期限 2015.03.12-2025.03.12"]
    result = run(id_card.check, "initial_junior", [one("id_card_emblem", "b.jpg", lines, confidence=0.6)])
    assert result.findings == () and result.checklist[0].state == "unknown"


# ---------------------------------------------------------------- DUPLICATE_UPLOAD


def fp(bits_set: int) -> str:
    """A fingerprint differing from fp(0) in ``bits_set`` bits."""
    v = (1 << bits_set) - 1
    return f"{v:064x}"


CE_2024 = ["继续教育合格证书", "阿依古丽·买买提同志于2024年度参加专业技术人员继续教育公需科目学习，完成30学时，考核合格，特发此证。", "乌鲁木齐市继续教育和职称评价管理中心", "2024年12月20日"]
DIPLOMA = ["毕业证书", "学生阿依古丽·买买提，性别女，一九九四年三月十二日生，于2012年9月至2016年7月在本校汉语言文学专业学习，准予毕业。", "证书编号：107621201605001234", "2016年7月1日"]


def subst(lines: list[str], old: str, new: str) -> list[str]:
    return [ln.replace(old, new) for ln in lines]


@pytest.mark.parametrize(
    ("first", "second", "fp2", "duplicate"),
    [
        # the same certificate offered for two years (two files of one slot)
        (("ce_certificate", "ce_2023.pdf", CE_2024), ("ce_certificate", "ce_2024.pdf", CE_2024), 12, True),
        # the diploma uploaded again as the degree
        (("diploma", "d.pdf", DIPLOMA), ("degree_certificate", "g.pdf", DIPLOMA), 30, True),
        # a rescan: two OCR slips and a lost line
        (("diploma", "d.pdf", DIPLOMA), ("degree_certificate", "g.pdf", subst(subst(DIPLOMA, "准予", "淮予"), "汉语", "汊语")[1:]), 60, True),
        # a phone photo of the same long page: the look differs a lot, the text does not
        (("ce_certificate", "a.pdf", CE_2024), ("ce_certificate", "b.jpg", CE_2024), 180, True),
        # one template, two years (identical look)
        (("ce_certificate", "a.pdf", CE_2024), ("ce_certificate", "b.pdf", subst(subst(CE_2024, "2024年度", "2023年度"), "2024年12", "2023年12")), 0, False),
        # one series, two categories of one year with the same hours and date
        (("ce_certificate", "a.pdf", CE_2024), ("ce_certificate", "b.pdf", subst(CE_2024, "公需", "专业")), 0, False),
        # one series, another holder
        (("ce_certificate", "a.pdf", CE_2024), ("ce_certificate", "b.pdf", subst(CE_2024, "阿依古丽·买买提", "王建华")), 2, False),
        (("ce_certificate", "a.pdf", CE_2024), ("ce_certificate", "b.pdf", subst(CE_2024, "阿依古丽·买买提", "阿依古丽·吐尔逊")), 2, False),
        # different certificate numbers
        (("diploma", "d.pdf", DIPLOMA), ("degree_certificate", "g.pdf", subst(DIPLOMA, "1234", "1235")), 0, False),
        # two different documents
        (("diploma", "d.pdf", DIPLOMA), ("ce_certificate", "c.pdf", CE_2024), 90, False),
    ],
)
def test_duplicate_pages_by_text_and_look(first, second, fp2, duplicate):
    a = one(first[0], first[1], first[2], fp=fp(0))
    b = one(second[0], second[1], second[2], fp=fp(fp2))
    result = run(duplicates.check, "initial_junior", [a, b])
    if duplicate:
        (f,) = result.findings
        assert f.code == FindingCode.DUPLICATE_UPLOAD and f.severity == "warning"
        assert f.file == second[1] and f.evidence["other"]["file"] == first[1] and first[1] in f.message
        assert result.checklist[0].state == "problem"
    else:
        assert result.findings == () and result.checklist[0].state == "ok"


@pytest.mark.parametrize(("distance", "duplicate"), [(0, True), (20, True), (80, True), (81, False), (140, False)])
def test_pages_without_text_are_compared_by_look(distance, duplicate):
    a, b = one("photo", "p1.jpg", [], fp=fp(0)), one("photo", "p2.jpg", [], fp=fp(distance))
    assert bool(run(duplicates.check, "initial_junior", [a, b]).findings) == duplicate


def test_short_text_needs_the_look_too():
    lines = ["主管单位推荐意见", "同意推荐。"]
    a, b = one("supervisor_opinion", "a.pdf", lines, fp=fp(0)), one("recommendation_report", "b.pdf", lines, fp=fp(200))
    assert run(duplicates.check, "review", [a, b]).findings == ()


def test_a_photo_not_read_and_its_copy_read_elsewhere_are_compared_by_look():
    """The photo slot is not OCR'd; its copy in the ID card's slot is, and a watermark is read off it."""
    a = one("photo", "p.jpg", [], fp=fp(0))
    b = one("id_card_portrait", "id.jpg", ["tsinacomcnzhgnlpxueyuan"], fp=fp(0))
    assert [f.file for f in run(duplicates.check, "review", [a, b]).findings] == ["id.jpg"]
    far = one("id_card_portrait", "id.jpg", ["tsinacomcnzhgnlpxueyuan"], fp=fp(120))
    assert run(duplicates.check, "review", [a, far]).findings == ()


JOURNAL = [f"第{k}节 继续教育与专业技术人员能力建设研究综述，兼论新疆地区职称评审制度的实践与发展方向" for k in range(1, 9)]


@pytest.mark.parametrize(
    ("second", "duplicate"),
    [
        (["第1", "3节 继续教育", *JOURNAL[1:]], True),  # the same digits, split over two lines
        (["7", *JOURNAL], True),  # a page number read on one copy only
        (["7", "12", *JOURNAL], True),
        (["7", "12", "30", *JOURNAL], False),  # more than two numbers lost
        (["2024", *JOURNAL], False),  # a year is not lost to noise
        (subst(JOURNAL, "第3节", "第4节"), False),  # a digit read as another
    ],
)
def test_a_long_page_may_lack_a_few_short_numbers(second, duplicate):
    first = ["第13节 继续教育", *JOURNAL[1:]] if second[0] == "第1" else JOURNAL
    a = one("work_summary", "a.pdf", first, fp=fp(0))
    b = one("recommendation_report", "b.pdf", second, fp=fp(4))
    assert bool(run(duplicates.check, "review", [a, b]).findings) == duplicate


def test_a_short_page_may_not_lack_a_number():
    a = one("ce_certificate", "a.pdf", CE_2024, fp=fp(0))
    b = one("ce_certificate", "b.pdf", ["7", *CE_2024], fp=fp(0))
    assert run(duplicates.check, "initial_junior", [a, b]).findings == ()


def test_pages_of_one_file_are_not_duplicates_of_each_other():
    fr = doc("work_summary", "w.pdf", page("work_summary", "w.pdf", CE_2024, n=1, fp=fp(0)), page("work_summary", "w.pdf", CE_2024, n=2, fp=fp(0)))
    assert run(duplicates.check, "initial_junior", [fr]).findings == ()


def test_duplicate_raised_once_on_each_later_copy():
    files = [one("ce_certificate", f"c{i}.pdf", CE_2024, fp=fp(i)) for i in range(3)]
    found = run(duplicates.check, "initial_junior", files).findings
    assert [(f.file, f.evidence["other"]["file"]) for f in found] == [("c1.pdf", "c0.pdf"), ("c2.pdf", "c0.pdf")]


# ---------------------------------------------------------------- DATE_INCONSISTENT

SUBMITTED = "2025-06-02T10:30:00+08:00"


def publicity(start: str, end: str) -> FileResult:
    return one("unit_publicity", "pub.pdf", ["推荐单位公示", "拟推荐阿依古丽·买买提同志申报中级职称。", f"公示时间：{start}至{end}。", "乌鲁木齐市第十中学", start])


def result_doc(dated: str) -> FileResult:
    return one("publicity_result", "res.pdf", ["推荐单位公示结果", "我单位于2025年5月12日至2025年5月16日对阿依古丽·买买提同志进行了公示，公示期满无异议。", "乌鲁木齐市第十中学", dated])


@pytest.mark.parametrize(
    ("files", "track", "expected"),
    [
        ([publicity("2025年5月12日", "2025年5月16日")], "initial_junior", []),
        ([publicity("2025年5月27日", "2025年6月4日")], "initial_junior", [("unit_publicity", "publicity_not_ended")]),
        ([publicity("2025年5月26日", "2025年6月2日")], "review", [("unit_publicity", "publicity_not_ended")]),  # its last day
        ([publicity("2025年5月12日", "2025年5月16日"), result_doc("2025年5月19日")], "initial_junior", []),
        ([publicity("2025年5月12日", "2025年5月16日"), result_doc("2025年5月16日")], "initial_junior", []),
        ([publicity("2025年5月12日", "2025年5月16日"), result_doc("2025年5月15日")], "initial_junior", [("publicity_result", "result_before_publicity_end")]),
        ([one("promise_letter", "l.pdf", ["个人承诺书", "承诺人（签名）：阿依古丽·买买提", "承诺时间：2025年6月5日"])], "initial_junior", [("promise_letter", "dated_after_submission")]),
        ([one("promise_letter", "l.pdf", ["个人承诺书", "承诺人（签名）：阿依古丽·买买提", "承诺时间：2025年5月20日"])], "initial_junior", []),
        ([one("promise_letter", "l.pdf", ["个人承诺书", "承诺时间：2025年6月5日"])], "review", []),  # the 2024 notice asks for none
        ([one("ce_certificate", "c.pdf", subst(CE_2024, "2024年12月20日", "2025年12月20日"))], "initial_junior", [("ce_certificate", "dated_after_submission")]),
        ([one("ce_certificate", "c.pdf", CE_2024)], "initial_junior", []),
        ([one("annual_appraisal", "a.pdf", ["年度考核证明", "2024年度考核结果为优秀。", "2025年7月1日"])], "review", [("annual_appraisal", "dated_after_submission")]),
        ([one("annual_appraisal", "a.pdf", ["年度考核证明", "2024年度考核结果为优秀。", "2025年1月10日"])], "review", []),
        # a study period ending after the submission is no date of issue; a birth date is none either
        ([one("diploma", "d.pdf", ["毕业证书", "学生阿依古丽·买买提，一九九四年三月十二日生，于2021年9月至2025年7月在本校学习"])], "initial_junior", []),
    ],
)
def test_dates_against_the_packet(files, track, expected):
    result = run(document_dates.check, track, files, submission={"submitted_at": SUBMITTED, "attempt": 1, "returned_at": None})
    assert [(f.slot.value, f.evidence["rule"]) for f in result.findings] == expected
    assert (result.checklist[0].state == "problem") == bool(expected)
    for f in result.findings:
        assert f.severity == "warning" and f.bbox is not None and f.evidence["read_at"] in f.message
        assert f.message.count("2025年") >= 2  # both dates named


def test_a_poorly_read_date_goes_to_the_auditor():
    fr = one("ce_certificate", "c.pdf", subst(CE_2024, "2024年12月20日", "2025年12月20日"), confidence=0.6)
    result = run(document_dates.check, "initial_junior", [fr])
    assert result.findings == () and result.checklist[0].state == "unknown"


# ---------------------------------------------------------------- the checklist shows what was compared


def test_every_cross_document_check_has_a_checklist_row():
    files = [
        one("id_card_emblem", "b.jpg", ["有效期限 2015.03.12-2035.03.12"], fp=fp(0)),
        one("diploma", "d.pdf", DIPLOMA, fp=fp(100)),
        publicity("2025年5月12日", "2025年5月16日"),
    ]
    mats = {fr.document.slot.value: [fr.document.file] for fr in files}
    m = manifest("initial_junior", mats)
    result = check_packet(m, RULES[m.track], files, PACKET_CHECKS)
    rows = {c.item: c.state for c in result.checklist}
    for item in (holder_names.ITEM, id_card.ITEM, duplicates.ITEM, document_dates.ITEM):
        assert rows[item] == "ok", (item, rows)


def test_a_value_cell_drifting_off_the_label_row_is_not_taken_for_the_holder():
    """A phone photo in perspective: the name sits half a row above 姓名, the next field's value level with it."""

    def line(text, x0, y0, x1, y1):
        return TextLine(text=text, bbox=(x0, y0, x1, y1), confidence=0.99)

    lines = (
        line("普通话水平测试等级证书", 0.23, 0.09, 0.74, 0.16),
        line("阿依古丽·买买提", 0.63, 0.161, 0.80, 0.189),
        line("姓名", 0.135, 0.188, 0.19, 0.216),
        line("二级甲等", 0.637, 0.19, 0.73, 0.22),
        line("等级", 0.138, 0.221, 0.191, 0.246),
    )
    pr = PageResult(slot=Slot.mandarin_certificate, file="m.jpg", info=PageInfo(page=1), lines=lines)
    result = run(holder_names.check, "initial_junior", [doc("mandarin_certificate", "m.jpg", pr)])
    assert result.findings == () and result.checklist[0].state == "ok"
    other = tuple(line.model_copy(update={"text": "王建华"}) if line.text.startswith("阿依") else line for line in lines)
    pr = pr.model_copy(update={"lines": other})
    result = run(holder_names.check, "initial_junior", [doc("mandarin_certificate", "m.jpg", pr)])
    assert result.findings == () and result.checklist[0].state == "unknown"  # ambiguous: the auditor looks


def test_two_adjacent_slips_on_a_long_page_but_not_a_word_on_a_short_one():
    long_page = [f"第{i}条 甲方委托乙方完成指定的工作，乙方同意接受委托，双方经平等协商达成如下协议，委托期限从2023年12月5日起。" for i in range(8)]
    slipped = [ln.replace("协商达成", "协商达戍", 1).replace("指定的工作", "指宝旳工作", 1) if i == 3 else ln for i, ln in enumerate(long_page)]
    a, b = one("recommendation_report", "a.pdf", long_page, fp=fp(0)), one("supervisor_opinion", "b.pdf", slipped, fp=fp(10))
    assert len(run(duplicates.check, "review", [a, b]).findings) == 1
    short = one("ce_certificate", "b.pdf", subst(CE_2024, "公需", "专业"), fp=fp(0))
    assert run(duplicates.check, "review", [one("ce_certificate", "a.pdf", CE_2024, fp=fp(0)), short]).findings == ()


HOSTILE = [
    "<script>alert(1)</script>姓名：<b>王建华</b>",
    "姓名" * 2000,
    "学生" + "阿" * 5000 + "，性别男，一九八八年三月十二日生",
    "有效期限 " + "2015.03.12-" * 500,
    "\x00\u202e姓名：张三\u200b同志于二〇二四年度" + "年月日" * 300,
    "二" * 3000 + "年度" + "一九八八年三月十二日生，于" * 200,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_gives_an_answer_not_a_crash(text):
    files = [one(slot, f"{slot}.pdf", [text, text[::-1]], fp=fp(3)) for slot in ("diploma", "id_card_emblem", "ce_certificate", "promise_letter", "unit_publicity")]
    m = manifest("initial_junior", {fr.document.slot.value: [fr.document.file] for fr in files}, applicant__name="<i>阿依古丽·买买提</i>")
    result = check_packet(m, RULES[m.track], files, PACKET_CHECKS)
    assert not any(f.code == FindingCode.SCREENING_ERROR for f in result.findings)
    assert {c.item for c in result.checklist} >= {holder_names.ITEM, id_card.ITEM, duplicates.ITEM, document_dates.ITEM}


def test_a_stray_digit_read_off_a_photo_does_not_hide_its_copy():
    a, b = one("photo", "p1.jpg", ["25"], fp=fp(0)), one("id_card_portrait", "p2.jpg", [], fp=fp(14))
    assert len(run(duplicates.check, "initial_junior", [a, b]).findings) == 1


@pytest.mark.parametrize(
    "lines",
    [
        ["研究生毕业证书", "学生李静怡，性别女，一九九〇年五月十二日生，于二〇一三年九月至二〇一六年七月在本校", "教育学专业学习，准予毕业。"],
        ["研究生毕业证书", "研究生李静怡，性别女，一九九〇年五月生，于二〇一三年九月至二〇一六年七月在本校", "教育学专业学习，准予毕业。"],
        ["硕士研究生毕业证书", "研究生 李静怡 性别女，一九九〇年五月生", "教育学专业学习，准予毕业。"],
        ["研究生毕业证书", "李静怡，女，一九九〇年五月生，于二〇一三年九月至二〇一六年七月在本校", "教育学专业学习，准予毕业。"],
        ["毕业证书", "学生李静怡，性别女，一九九〇年五月生，于二〇一三年九月至二〇一六年七月在本校", "教育学专业学习，准予毕业。"],
    ],
)
def test_a_graduate_diplomas_title_is_not_read_into_its_holders_name(lines):
    """"研究生毕业证书" holds the anchor "研究生": the name is read after the sentence's own anchor, never
    from the title on ("毕业证书学生李静怡")."""
    pages = [page("diploma", "d.pdf", lines)]
    assert [r.text for r in facts.holder_names([facts.PageText(1, pages[0].lines)])] == ["李静怡"]


@pytest.mark.parametrize("lines", [["毕业证书", "学生毕业伟，性别男，一九九〇年五月生"], ["学位证书", "毕业伟，男，一九九〇年五月生。在本校完成了硕士学位的学习"], [("姓名", "毕业伟")]])
def test_a_name_beginning_with_the_surname_bi_and_ye_is_still_a_name(lines):
    pages = [page("diploma", "d.pdf", lines)]
    assert [r.text for r in facts.holder_names([facts.PageText(1, pages[0].lines)])] == ["毕业伟"]
