"""Orientation in all four rotations, on text pages and on a photo; the finding and the upright page."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import REGISTRY
from pipeline.documents import SourcePage
from pipeline.manifest import Slot
from pipeline.models import FindingCode
from pipeline.orientation import turn, turn_box
from pipeline.screen import screen_page
from samples import generate as S

P = S.Person()
PAGES = {
    "diploma": lambda: S.draw_seal(S.render_html(S.diploma_html(P), dpi=120), P.school, center=(0.7, 0.85)),
    "appraisal": lambda: S.render_html(S.appraisal_html(P), dpi=120),
    "summary": lambda: S.render_html(S.work_summary_html(P, 900), dpi=120),
    "photo": S.face_photo,
}


@pytest.mark.parametrize("kind", PAGES)
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_model_finds_the_correction(engines, kind, turned):
    page = S.jpeg(S.rotate_cw(PAGES[kind](), turned), 80)
    correction, score = engines.orientation.correction(page)
    assert correction == (360 - turned) % 360
    assert 0 < score <= 1


def test_small_skew_is_not_a_rotation(engines):
    page = S.skew(S.render_html(S.publicity_html(P), dpi=120), 3)
    assert engines.orientation.correction(page)[0] == 0


@pytest.mark.parametrize(("box", "turns"), [((0.1, 0.2, 0.3, 0.25), 90), ((0.1, 0.2, 0.3, 0.25), 270), ((0.0, 0.0, 0.5, 0.1), 180)])
def test_boxes_turn_with_the_page(box, turns):
    img = np.zeros((100, 200), np.uint8)
    x0, y0, x1, y1 = box
    img[int(y0 * 100) : int(y1 * 100), int(x0 * 200) : int(x1 * 200)] = 255
    turned = turn(img, turns)
    ys, xs = np.nonzero(turned)
    h, w = turned.shape
    got = (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
    assert np.allclose(got, turn_box(box, turns), atol=0.02)


@pytest.mark.parametrize("turned", [90, 180])
def test_sideways_page_is_turned_upright_read_and_reported(engines, context, options, turned):
    upright = S.render_html(S.ce_certificate_html(P), dpi=120)
    src = SourcePage(number=1, image=S.rotate_cw(upright, turned), scale=1.0, dpi=None)
    result = screen_page(src, context(Slot.ce_certificate), engines, REGISTRY, options, "ce.jpg")
    assert result.info.rotation == (360 - turned) % 360
    codes = [f.code for f in result.findings]
    assert codes == [FindingCode.ROTATED]
    assert result.findings[0].severity == "warning"
    text = "".join(ln.text for ln in result.lines)
    assert "继续教育合格证书" in text  # read in the right order once upright


def test_upright_page_has_no_rotation_finding(engines, context, options):
    src = SourcePage(number=1, image=S.render_html(S.ce_certificate_html(P), dpi=120), scale=1.0, dpi=None)
    result = screen_page(src, context(Slot.ce_certificate), engines, REGISTRY, options, "ce.jpg")
    assert result.info.rotation == 0
    assert result.findings == ()
