"""Each clarity finding on a degraded page, and its absence on good pages of other sizes and densities."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import REGISTRY
from pipeline.documents import Document, ReadLimits, SourcePage
from pipeline.manifest import Slot
from pipeline.models import FindingCode
from pipeline.screen import screen_page
from samples import generate as S

P = S.Person()
DOCS = {
    "diploma": S.diploma_html(P),
    "summary": S.work_summary_html(P, 1200),
    "publicity": S.publicity_html(P),
    "appraisal": S.appraisal_html(P),
}


def _codes(engines, context, options, image, slot=Slot.diploma, dpi=None, scale=1.0):
    src = SourcePage(number=1, image=image, scale=scale, dpi=dpi)
    return [f.code for f in screen_page(src, context(slot), engines, REGISTRY, options, "f.jpg").findings]


@pytest.mark.parametrize(
    ("doc", "dpi", "sigma_pt"),
    [("diploma", 100, 0), ("summary", 300, 0), ("publicity", 150, 0), ("appraisal", 200, 0.6), ("summary", 150, 1.0)],
)
def test_good_and_mildly_soft_pages_pass(engines, context, options, doc, dpi, sigma_pt):
    img = S.jpeg(S.blur(S.render_html(DOCS[doc], dpi=dpi), sigma_pt * dpi / 72), 85)
    assert _codes(engines, context, options, img) == []


@pytest.mark.parametrize(("doc", "dpi", "sigma_pt"), [("diploma", 150, 3.0), ("summary", 300, 2.6), ("appraisal", 100, 4.0)])
def test_blurred_pages_are_blurry(engines, context, options, doc, dpi, sigma_pt):
    img = S.blur(S.render_html(DOCS[doc], dpi=dpi), sigma_pt * dpi / 72)
    assert _codes(engines, context, options, img) == [FindingCode.BLURRY]


def test_a_certificate_in_the_soft_band_at_150_dpi_is_blurry(engines, context, options):
    """1.6 pt of blur at 150 DPI: the OCR still reads the title and half of each line with confidence;
    a third of the letters are left unread on a page softer than any clean one."""
    ce = S.ce_certificate_html(S.Person(name="████", employer="██████"))
    img = S.jpeg(S.blur(S.render_html(ce, dpi=150), 1.6 * 150 / 72), 85)
    assert _codes(engines, context, options, img, slot=Slot.ce_certificate) == [FindingCode.BLURRY]


def test_downscaled_page_is_low_resolution(engines, context, options):
    img = S.scale(S.render_html(DOCS["summary"], dpi=150), 0.33)  # ~50 DPI
    assert _codes(engines, context, options, img) == [FindingCode.LOW_RESOLUTION]


def test_scan_below_min_dpi_is_low_resolution(engines, context, options):
    pdf = S.images_pdf([S.render_html(DOCS["diploma"], dpi=70)], dpi=70)
    page = Document(pdf, "scan.pdf", ReadLimits()).page(1)
    src_codes = [f.code for f in screen_page(page, context(Slot.diploma), engines, REGISTRY, options, "scan.pdf").findings]
    assert FindingCode.LOW_RESOLUTION in src_codes


@pytest.mark.parametrize(
    ("name", "degrade"),
    [
        ("dark", lambda im: S.exposure(im, 0.35)),
        ("washed out", lambda im: S.exposure(im, 0.25, 190)),
        ("glare", lambda im: S.glare(S.exposure(im, 0.78), center=(0.45, 0.2), radius=0.25)),
    ],
)
def test_poor_exposure(engines, context, options, name, degrade):
    img = degrade(S.render_html(DOCS["publicity"], dpi=150))
    assert FindingCode.POOR_EXPOSURE in _codes(engines, context, options, img)


def test_evenly_grey_phone_photo_is_not_poor_exposure(engines, context, options):
    img = S.noise(S.exposure(S.render_html(DOCS["publicity"], dpi=150), 0.8), 4)
    assert _codes(engines, context, options, img) == []


@pytest.mark.parametrize("shade", [255, 235])
def test_blank_page_is_wrong_document(engines, context, options, shade):
    img = S.noise(np.full((1600, 1130, 3), shade, np.uint8), 2)
    assert _codes(engines, context, options, img) == [FindingCode.WRONG_DOCUMENT]


def test_photo_is_not_judged_as_text(engines, context, options):
    assert _codes(engines, context, options, S.face_photo(), slot=Slot.photo) == []
    # a white space suit beside a barred face is not glare over text
    assert FindingCode.POOR_EXPOSURE not in _codes(engines, context, options, S.cover_eyes(S.face_photo(), "bar"), slot=Slot.photo)


def test_tiny_photo_is_low_resolution(engines, context, options):
    assert _codes(engines, context, options, S.face_photo(70, 98), slot=Slot.photo) == [FindingCode.LOW_RESOLUTION]


def test_sharpness_is_reported_and_orders_blur(engines, context, options):
    def sharpness(sigma):
        img = S.blur(S.render_html(DOCS["diploma"], dpi=150), sigma)
        src = SourcePage(number=1, image=img, scale=1.0, dpi=None)
        return screen_page(src, context(Slot.diploma), engines, REGISTRY, options, "f").info.sharpness

    values = [sharpness(s) for s in (0, 1.5, 4)]
    assert values[0] > values[1] > values[2] > 0


@pytest.mark.parametrize("font", S.available_fonts())
def test_a4_sheet_at_72_dpi_is_low_resolution_and_100_dpi_is_not(engines, context, options, font):
    html = DOCS["summary"]
    assert FindingCode.LOW_RESOLUTION in _codes(engines, context, options, S.render_html(html, dpi=72, font=font))
    assert FindingCode.LOW_RESOLUTION not in _codes(engines, context, options, S.render_html(html, dpi=100, font=font))


@pytest.mark.parametrize("bands", ["top and bottom", "left and right"])
def test_white_bands_around_a_phone_photo_are_not_glare(engines, context, options, bands):
    """A phone photo placed on a white A4 page (letterboxed): the saturated bands beside it hide no
    text. Glare is counted over the page's text only."""
    photo = S.noise(S.exposure(S.render_html(DOCS["publicity"], dpi=150), 0.8), 4)
    h, w = photo.shape[:2]
    if bands == "top and bottom":
        canvas = np.full((int(h * 1.3), w, 3), 255, np.uint8)
        top = (canvas.shape[0] - h) // 2
        canvas[top : top + h] = photo
    else:
        canvas = np.full((h, int(w * 1.4), 3), 255, np.uint8)
        left = (canvas.shape[1] - w) // 2
        canvas[:, left : left + w] = photo
    assert FindingCode.POOR_EXPOSURE not in _codes(engines, context, options, canvas)


def test_a_hot_spot_that_washed_out_the_lower_lines_is_glare_though_no_line_is_found_under_it():
    """Glare hides the lines under it, so the text found stops above it: a hot spot inside the
    picture counts whole; only one reaching the picture's edge (a white band) is cut to the text."""
    from pipeline.quality import exposure

    h, w = 1600, 1200
    gray = np.full((h, w), 190, np.uint8)
    boxes = []
    for k in range(10):  # lines from 0.10 to 0.55 of the page's height
        y = 0.10 + 0.05 * k
        gray[int(y * h) : int(y * h) + 20, 120:1080] = 40
        boxes.append((0.1, y, 0.9, y + 0.0125))
    spot = gray.copy()
    spot[int(0.60 * h) : int(0.90 * h), int(0.1 * w) : int(0.9 * w)] = 255
    assert exposure(spot, boxes)["glare_fraction"] > 0.2
    band = gray.copy()
    band[int(0.65 * h) :] = 255  # the page's lower edge: a white band, beside the text
    assert exposure(band, boxes)["glare_fraction"] == 0.0
    assert exposure(gray, boxes)["glare_fraction"] == 0.0
