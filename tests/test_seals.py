"""Seals: found in red, faint, oval and grey-scale; masked ones pass; the employer's seal, or an
unreadable seal on an employer-issued material, is flagged; a school's seal on a diploma is not."""

from __future__ import annotations

import cv2
import pytest

from detectors import seals
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Page
from samples import generate as S

EMPLOYER = "乌鲁木齐市第十中学"
CFG = seals.SealConfig()


def grey(img):
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def base():
    return S.render_html(S.publicity_html(), dpi=150)


def detect(img, slot, context, engines):
    from dataclasses import replace

    ctx = replace(context(slot, Track.review), ocr=engines.ocr)
    return seals.detect(Page(slot=slot, file="f.jpg", number=1, image=img, lines=()), ctx)


CASES = {
    "red": lambda b: S.draw_seal(b, EMPLOYER, center=(0.7, 0.4)),
    "faint over text": lambda b: S.draw_seal(b, EMPLOYER, center=(0.3, 0.22), opacity=0.5),
    "oval": lambda b: S.draw_seal(b, EMPLOYER, center=(0.7, 0.45), oval=0.72),
    "grey scan": lambda b: grey(S.draw_seal(b, EMPLOYER, center=(0.7, 0.4))),
    "grey jpeg": lambda b: S.jpeg(grey(S.draw_seal(b, EMPLOYER, center=(0.35, 0.7))), 60),
    "noisy jpeg": lambda b: S.jpeg(S.noise(S.draw_seal(b, EMPLOYER, center=(0.4, 0.6)), 5), 60),
}


@pytest.mark.parametrize("case", CASES)
def test_employer_seal_is_found_and_read(base, context, engines, case):
    img = CASES[case](base)
    found = detect(img, Slot.diploma, context, engines)  # the employer's seal counts on any material
    assert [f.code for f in found] == [FindingCode.UNMASKED_SEAL]
    x0, y0, x1, y1 = found[0].bbox
    assert x1 - x0 > 0.1 and y1 - y0 > 0.05


@pytest.mark.parametrize("case", ["red", "grey scan", "oval"])
def test_masked_seal_passes(base, context, engines, case):
    img = CASES[case](base)
    box = {"red": (0.58, 0.33, 0.82, 0.48), "grey scan": (0.58, 0.33, 0.82, 0.48), "oval": (0.58, 0.38, 0.82, 0.53)}[case]
    assert detect(S.mask_box(img, box), Slot.unit_publicity, context, engines) == []


def test_half_masked_seal_is_still_visible(base, context, engines):
    img = S.mask_box(CASES["red"](base), (0.58, 0.33, 0.70, 0.48))
    assert [f.code for f in detect(img, Slot.unit_publicity, context, engines)] == [FindingCode.UNMASKED_SEAL]


def test_school_seal_on_a_diploma_is_not_the_employers(context, engines):
    img = S.draw_seal(S.render_html(S.diploma_html(), dpi=150), "新疆师范大学学位专用章", center=(0.7, 0.85))
    assert detect(img, Slot.diploma, context, engines) == []


def test_unreadable_seal_counts_on_employer_issued_material_only(base, context, engines):
    img = S.blur(S.draw_seal(base, EMPLOYER, center=(0.7, 0.4)), 4.0)  # the ring is there, its text is not readable
    text, _ = seals.read_seal(img, seals.find_seals(img, CFG)[0], engines.ocr)
    assert not seals.names_employer(text, EMPLOYER, CFG)
    assert [f.code for f in detect(img, Slot.unit_publicity, context, engines)] == [FindingCode.UNMASKED_SEAL]
    assert detect(img, Slot.diploma, context, engines) == []


@pytest.mark.parametrize("doc", [S.appraisal_html(), S.diploma_html(), S.work_summary_html(chars=900)])
def test_no_seal_no_finding(context, engines, doc):
    page = S.render_html(doc, dpi=150)
    assert detect(page, Slot.unit_publicity, context, engines) == []
    assert detect(grey(page), Slot.unit_publicity, context, engines) == []


def test_nothing_to_mask_in_2025(base, context, engines):
    from dataclasses import replace

    ctx = replace(context(Slot.unit_publicity, Track.initial_junior), ocr=engines.ocr)
    page = Page(slot=Slot.unit_publicity, file="f", number=1, image=CASES["red"](base), lines=())
    assert seals.detect(page, ctx) == []


def test_line_reader_refuses_what_is_not_a_line(engines):
    import numpy as np

    assert engines.ocr.read_line(np.full((2, 8000, 3), 255, np.uint8)) == ("", 0.0)
    assert engines.ocr.read_line(np.full((48, 9000, 3), 255, np.uint8))[0] == ""


def test_employer_name_read_off_an_unmasked_seal_is_the_seals_finding(context):
    from pipeline.models import Finding
    from pipeline.checks import without_subsumed

    seal = Finding.of(FindingCode.UNMASKED_SEAL, "s", page=1, bbox=(0.6, 0.3, 0.8, 0.5))
    on_seal = Finding.of(FindingCode.UNMASKED_EMPLOYER, "e", page=1, bbox=(0.62, 0.32, 0.78, 0.36))
    elsewhere = Finding.of(FindingCode.UNMASKED_EMPLOYER, "e", page=1, bbox=(0.1, 0.1, 0.4, 0.12))
    rules = context(Slot.unit_publicity, Track.review).notice.subsumes
    assert without_subsumed([seal, on_seal, elsewhere], rules) == [seal, elsewhere]
    assert without_subsumed([on_seal], rules) == [on_seal]
