"""Unmasked names and employers: found in every readable form, not in other people's names or under masks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from detectors import REGISTRY, names
from pipeline.documents import Document, ReadLimits, SourcePage
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Page, TextLine
from pipeline.screen import screen_page
from samples import generate as S

NAME, EMPLOYER = "阿依古丽·买买提", "乌鲁木齐市第十中学"


def page_of(*texts: str, image=None, source="ocr") -> Page:
    lines = tuple(TextLine(text=t, bbox=(0.1, 0.1 + 0.05 * i, 0.9, 0.14 + 0.05 * i), confidence=0.98, source=source) for i, t in enumerate(texts))
    img = image if image is not None else np.full((400, 300, 3), 255, np.uint8)
    return Page(slot=Slot.diploma, file="d.pdf", number=1, image=img, lines=lines)


def found(detector, *texts, review=True, context=None):
    ctx = context(Slot.diploma, Track.review if review else Track.initial_junior)
    return [f.evidence["text"] for f in detector(page_of(*texts), ctx)]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["申报人：阿依古丽·买买提同志"], ["阿依古丽买买提"]),
        (["学生 阿依古丽 • 买买提，女"], ["阿依古丽买买提"]),
        (["阿依古丽.买买提"], ["阿依古丽买买提"]),
        (["姓名 阿依古丽 ████"], ["阿依古丽"]),  # half masked: the other part is readable
        (["姓名 ████·买买提"], ["买买提"]),
        (["学生阿依古", "丽·买买提，女，汉族"], ["阿依古丽买买提"]),  # broken across a line end
        (["学生阿依古丽·买头提"], ["阿依古丽·买头提"]),  # an OCR slip in a long name
        (["学生阿依古丽 • 买头提"], ["阿依古丽•买头提"]),  # a slip and a different separator
        (["学生阿依努丽·吐尔逊"], []),  # another person's name sharing characters
        (["学生古丽娜尔·艾买提"], []),
        (["校长：王建国"], []),
        (["學生阿依古麗·買買提，女"], ["阿依古丽买买提"]),  # a typeface read as traditional characters
    ],
)
def test_name_forms(context, texts, expected):
    def strip(t):
        return re.sub(r"[·•.\s]", "", t)

    assert [strip(t) for t in found(names.detect_name, *texts, context=context)] == [strip(e) for e in expected]


def test_short_han_name_exact_only(context, manifest, notices):
    from pipeline.context import PageContext

    m = manifest.model_copy(update={"track": Track.review, "applicant": manifest.applicant.model_copy(update={"name": "张三"})})
    ctx = PageContext(m, notices[Track.review], Slot.diploma)
    assert [f.evidence["text"] for f in names.detect_name(page_of("申报人：张三同志"), ctx)] == ["张三"]
    assert names.detect_name(page_of("申报人：张王同志", "李三"), ctx) == []


@pytest.mark.parametrize(
    ("texts", "hit"),
    [
        (["工作单位：乌鲁木齐市第十中学"], True),
        (["乌鲁木齐市第十中字（盖章）"], True),  # one OCR slip
        (["现任职于第十中学"], True),  # without the city prefix
        (["工作单位：乌鲁木齐市第七中学"], False),  # another school: numbers are never forgiven
        (["乌鲁木齐市教育局"], False),
        (["工作單位：烏魯木齊市第十中學"], True),  # read as traditional characters
    ],
)
def test_employer_forms(context, texts, hit):
    assert bool(found(names.detect_employer, *texts, context=context)) == hit


@pytest.mark.parametrize(
    ("employer", "text", "hit"),
    [
        ("测试购方企业", "名称：测试销方企业", False),  # another company: the slip would be in its 4-character core
        ("测试购方企业", "名称：测试购方企亚", True),  # a slip in the word for its kind
        ("乌鲁木齐市天山区人民医院", "乌鲁木齐市天山区入民医院", False),  # 人民 is the whole core
        ("乌鲁木齐市天山区人民医院", "乌鲁木齐市天山区人民医阮", True),
        ("北京中导开源科技有限公司", "北京中导开源科枝有限公司", True),  # a long core allows its one slip
    ],
)
def test_a_slip_may_not_fall_in_a_short_core(manifest, notices, employer, text, hit):
    from pipeline.context import PageContext

    m = manifest.model_copy(update={"track": Track.review, "applicant": manifest.applicant.model_copy(update={"employer": employer})})
    ctx = PageContext(m, notices[Track.review], Slot.diploma)
    assert bool(names.detect_employer(page_of(text), ctx)) == hit


def test_nothing_to_mask_in_2025_tracks(context):
    assert found(names.detect_name, "申报人：阿依古丽·买买提", review=False, context=context) == []


def test_text_layer_under_a_mask_box_is_not_readable(context):
    img = np.full((400, 300, 3), 255, np.uint8)
    img[40:56, 30:270] = 0  # the first line's box (0.1..0.14 of 400 px) blacked out
    masked = page_of("申报人：阿依古丽·买买提", image=img, source="pdf")
    assert names.detect_name(masked, context(Slot.diploma, Track.review)) == []
    open_ = page_of("申报人：阿依古丽·买买提", source="pdf")
    assert len(names.detect_name(open_, context(Slot.diploma, Track.review))) == 1


# ---------------------------------------------------------------- on scans, through OCR


@pytest.fixture(scope="module")
def diploma():
    return S.render_html(S.diploma_html(S.Person()), dpi=150)


def _find_box(img, text):
    """Where ``text`` is on a rendered diploma, from the same page as a text-layer PDF."""
    doc = Document(S.html_pdf([S.diploma_html(S.Person())]), "d.pdf", ReadLimits())
    words = doc.page(1).words
    line = next(w for w in words if text in w.text)
    t = line.text
    i = t.index(text)
    x0, y0, x1, y1 = line.bbox
    w = x1 - x0
    return (x0 + w * i / len(t) - 0.005, y0 - 0.004, x0 + w * (i + len(text)) / len(t) + 0.005, y1 + 0.004)


def _codes(engines, context, options, img):
    src = SourcePage(number=1, image=img, scale=1.0, dpi=None)
    res = screen_page(src, context(Slot.diploma, Track.review), engines, REGISTRY, options, "d.jpg")
    return [f for f in res.findings if f.code in (FindingCode.UNMASKED_NAME, FindingCode.UNMASKED_EMPLOYER)]


@pytest.mark.parametrize("degrade", [lambda im: im, lambda im: S.jpeg(S.noise(im, 5), 60)])
def test_scan_unmasked_masked_and_half_masked(engines, context, options, diploma, degrade):
    open_ = _codes(engines, context, options, degrade(diploma))
    assert [f.code for f in open_] == [FindingCode.UNMASKED_NAME]
    x0, y0, x1, y1 = open_[0].bbox
    nx0, ny0, nx1, ny1 = _find_box(diploma, "阿依古丽·买买提")
    assert abs((x0 + x1) / 2 - (nx0 + nx1) / 2) < 0.05 and abs((y0 + y1) / 2 - (ny0 + ny1) / 2) < 0.02
    masked = S.mask_box(diploma, _find_box(diploma, "阿依古丽·买买提"))
    assert _codes(engines, context, options, degrade(masked)) == []
    half = S.mask_box(diploma, _find_box(diploma, "买买提"))
    assert [f.code for f in _codes(engines, context, options, degrade(half))] == [FindingCode.UNMASKED_NAME]


def test_scan_employer(engines, context, options):
    page = S.render_html(S.ce_certificate_html(S.Person()), dpi=150)
    codes = {f.code for f in _codes(engines, context, options, page)}
    assert codes == {FindingCode.UNMASKED_NAME, FindingCode.UNMASKED_EMPLOYER}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["艾力·买买提"], ["艾力买买提"]),  # the whole name
        (["参会人员：艾力、王明、李华"], []),  # 艾力 alone is thousands of people
        (["公示名单：吐尔逊·买买提 高级教师"], []),  # a colleague sharing the common patronymic
        (["姓名：艾力 ██████"], ["艾力"]),  # the part left after masking, next to its label
        (["████·买买提同志"], ["买买提"]),  # ... or before 同志
        (["申报人艾力"], ["艾力"]),
        (["学生吐尔逊·买买提，性别女，一九九四年三月十二日生"], []),  # a label after, but another name's part before
        (["姓名：艾力·吐尔逊"], []),  # a label before, another name's part after
        (["拟推荐艾力·吐尔逊、王明同志"], []),
        (["艾力·吐尔逊同志、买买提·依明同志"], []),  # both parts on the line, each in somebody else's name
    ],
)
def test_a_common_part_of_a_name_counts_only_where_it_stands_as_the_name(context, manifest, notices, texts, expected):
    ctx = _alim(manifest, notices, Slot.diploma)
    got = [re.sub(r"[·•.\s]", "", f.evidence["text"]) for f in names.detect_name(page_of(*texts), ctx)]
    assert got == expected


def _alim(manifest, notices, slot):
    """The review track's context for the applicant 艾力·买买提, whose two parts are both common."""
    from pipeline.context import PageContext

    m = manifest.model_copy(update={"track": Track.review, "applicant": manifest.applicant.model_copy(update={"name": "艾力·买买提"})})
    return PageContext(m, notices[Track.review], slot)


def _row(*cells):
    lines = tuple(TextLine(text=t, bbox=b, confidence=0.99) for t, b in cells)
    return Page(slot=Slot.annual_appraisal, file="a.pdf", number=1, image=np.full((400, 300, 3), 255, np.uint8), lines=lines)


def test_a_name_split_across_table_cells_is_found(context, manifest, notices):
    """姓名 | 艾力 / 买买提 (the cell wraps): each part is next to the rest of the name."""
    ctx = _alim(manifest, notices, Slot.annual_appraisal)
    page = _row(("姓名", (0.10, 0.20, 0.18, 0.23)), ("艾力·", (0.20, 0.20, 0.30, 0.23)), ("买买提", (0.20, 0.235, 0.30, 0.265)), ("工作单位", (0.40, 0.20, 0.55, 0.23)))
    assert sorted(f.evidence["text"].strip("·") for f in names.detect_name(page, ctx)) == ["买买提", "艾力"]


def test_a_part_left_after_masking_beside_its_label_cell_across_the_mask(context, manifest, notices):
    """姓名 | ████·买买提: the label is the nearest text to the left, the mask between widens the gap."""
    ctx = _alim(manifest, notices, Slot.annual_appraisal)
    row = (("姓名", (0.10, 0.172, 0.158, 0.198)), ("买买提", (0.301, 0.174, 0.379, 0.198)), ("工作单位", (0.438, 0.174, 0.54, 0.196)))
    assert [f.evidence["text"] for f in names.detect_name(_row(*row), ctx)] == ["买买提"]
    # another cell between the label and the part: a list of people, not the holder's cell
    assert names.detect_name(_row(*row, ("王明", (0.20, 0.174, 0.26, 0.198))), ctx) == []


def test_a_character_read_off_the_mask_does_not_hide_the_part_left(engines, context, options, diploma):
    """学生阿依古丽·████: the OCR reads a stray character off the mask's edge (seen: "学生阿依古丽·菜");
    that character sits on the mask, it is no other person's name."""
    half = S.mask_box(diploma, _find_box(diploma, "买买提"))
    assert [f.evidence["text"].strip("·") for f in _codes(engines, context, options, half)] == ["阿依古丽"]
