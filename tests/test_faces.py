"""Faces and eyes, both directions: every kind of eye mask, one eye open, printed photos, no faces."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from detectors import faces
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Page, iou
from samples import generate as S

CFG = faces.FaceConfig()


def page(img, slot=Slot.photo) -> Page:
    return Page(slot=slot, file="p.jpg", number=1, image=img, lines=())


def eyes(img, context, slot=Slot.photo):
    return [f.code for f in faces.detect_eyes(page(img, slot), context(slot, Track.review))]


def photo_check(img, context):
    return [f.code for f in faces.detect_photo(page(img), context(Slot.photo, Track.grant_intermediate))]


SIZES = [(295, 413), (150, 210), (413, 579), (240, 336), (180, 252)]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("degrade", [None, 70, 50])
def test_open_eyes_are_unmasked(context, size, degrade):
    img = S.face_photo(*size)
    img = S.jpeg(img, degrade) if degrade else img
    assert eyes(img, context) == [FindingCode.UNMASKED_EYES]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("how", ["bar", "white", "mosaic", "blur"])
@pytest.mark.parametrize("degrade", [None, 70, 50])
def test_covered_eyes_pass(context, size, how, degrade):
    img = S.cover_eyes(S.face_photo(*size), how)
    img = S.jpeg(img, degrade) if degrade else img
    assert eyes(img, context) == []


@pytest.mark.parametrize("how", ["bar", "mosaic"])
def test_one_eye_open_is_unmasked(context, how):
    assert eyes(S.cover_eyes(S.face_photo(), how, which="left"), context) == [FindingCode.UNMASKED_EYES]


def test_grey_scan_of_a_photo(context):
    grey = np.dstack([S.face_photo()[:, :, 1]] * 3)
    assert eyes(grey, context) == [FindingCode.UNMASKED_EYES]
    assert eyes(S.cover_eyes(grey, "bar"), context) == []


def test_photo_printed_on_a_certificate(context):
    cert = S.render_html(S.diploma_html(), dpi=150)
    open_ = S.paste(cert, S.face_photo(130, 182), (0.7, 0.55))
    masked = S.paste(cert, S.cover_eyes(S.face_photo(130, 182), "bar"), (0.7, 0.55))
    found = faces.detect_eyes(page(open_, Slot.diploma), context(Slot.diploma, Track.review))
    assert [f.code for f in found] == [FindingCode.UNMASKED_EYES]
    x0, y0, x1, y1 = found[0].bbox
    assert 0.68 < x0 < x1 < 0.86 and 0.54 < y0 < y1 < 0.72  # on the printed photo
    assert eyes(masked, context, Slot.diploma) == []


@pytest.mark.parametrize(
    "img",
    [
        S.render_html(S.appraisal_html(), dpi=150),
        S.draw_seal(S.render_html(S.publicity_html(), dpi=150), "乌鲁木齐市第十中学", center=(0.5, 0.5)),
        np.ascontiguousarray(data.coffee()[:, :, ::-1]),
        np.ascontiguousarray(data.chelsea()[:, :, ::-1]),
    ],
)
def test_no_face_no_finding(context, img):
    assert eyes(img, context, Slot.diploma) == []


def test_nothing_about_eyes_in_2025_tracks(context):
    assert faces.detect_eyes(page(S.face_photo()), context(Slot.photo, Track.fhj_three_year)) == []


def test_certificate_photo_2025(context):
    assert photo_check(S.face_photo(), context) == []
    assert photo_check(S.jpeg(S.face_photo(413, 579), 60), context) == []
    assert photo_check(S.cover_eyes(S.face_photo(), "bar"), context) == [FindingCode.PHOTO_FACE_MISSING]
    assert photo_check(S.cover_eyes(S.face_photo(), "mosaic"), context) == [FindingCode.PHOTO_FACE_MISSING]
    assert photo_check(np.ascontiguousarray(data.coffee()[:, :, ::-1]), context) == [FindingCode.PHOTO_FACE_MISSING]
    assert photo_check(S.render_html(S.diploma_html(), dpi=100), context) == [FindingCode.PHOTO_FACE_MISSING]
    two = np.hstack([S.face_photo(), S.face_photo()])
    assert photo_check(two, context) == [FindingCode.PHOTO_FACE_MISSING]


# ---------------------------------------------------------------- where faces are searched


def test_a_page_of_print_is_searched_for_faces_in_a_small_part_at_most():
    """Dense print has no picture; a few glyphs that stay dark when closed over are searched, not the page."""
    from pipeline import facefind

    assert facefind.picture_regions(S.render_html(S.work_summary_html(chars=2400), dpi=150)) == []
    for html in (S.appraisal_html(), S.publicity_html(), S.diploma_html()):
        img = S.render_html(html, dpi=150)
        regions = facefind.picture_regions(img)
        assert regions is not None
        assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in regions) < 0.15 * img.shape[0] * img.shape[1]


def test_a_pasted_photo_is_a_picture_and_a_full_page_photo_is_searched_whole():
    from pipeline import facefind

    cert = S.render_html(S.diploma_html(), dpi=150)
    pasted = S.paste(cert, S.face_photo(130, 182), (0.7, 0.55))
    h, w = pasted.shape[:2]
    regions = facefind.picture_regions(pasted)
    assert regions and any(x0 <= 0.7 * w and y0 <= 0.55 * h and x1 >= 0.7 * w + 130 and y1 >= 0.55 * h + 182 for x0, y0, x1, y1 in regions)
    assert facefind.picture_regions(S.face_photo(295, 413)) is None


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
@pytest.mark.parametrize("pale", [False, True])
def test_searching_the_pictures_finds_what_searching_the_whole_page_finds(turned, pale):
    """The face on a photo pasted any way round (a pale one too) is found where the whole page,
    turned each way, finds it: same turn, same place."""
    import cv2

    from pipeline import facefind

    photo = S.face_photo(200, 280)
    if pale:
        photo = np.clip(photo.astype(np.float32) * 0.5 + 187, 0, 255).astype(np.uint8)
    page = S.paste(S.render_html(S.appraisal_html(), dpi=150), S.rotate_cw(photo, turned), (0.55, 0.5))
    whole = []
    for turn in (0, 90, 180, 270):
        img = page if turn == 0 else cv2.rotate(page, facefind._TURN[turn])  # noqa: SLF001
        whole += [(turn, facefind.box_on_original(f, turn, page.shape)) for f in facefind.find_faces(img)]
    found = [(t, facefind.box_on_original(f, t, page.shape)) for t, f in facefind.faces_any_way_up(page)]
    assert whole and len(found) == 1
    turn, box = found[0]
    assert any(t == turn and iou(box, other) > 0.6 for t, other in whole)


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_small_photo_s_eyes_are_placed_at_the_page_s_own_resolution(turned):
    """A page larger than the search size is searched scaled down, where the detector's whole pixels
    put a small face's eyes 2 px or more off; the face found again at full size has them where they are."""
    from pipeline import facefind

    w, h = 118, 165
    page = S.paste(S.render_html("<h1>身份证复印件</h1>", dpi=150), S.rotate_cw(S.face_photo(w, h), turned), (0.3, 0.3))
    (found_turn, face), = facefind.faces_any_way_up(page)
    assert found_turn == (360 - turned) % 360
    upright = S.rotate_cw(page, found_turn)
    ph, pw = upright.shape[:2]
    # where the photo's eyes are on the page turned upright: the photo's own corner there
    x0 = {0: 0.3 * 1240, 90: 0.3 * 1755, 180: 1240 - 0.3 * 1240 - w, 270: 1755 - 0.3 * 1755 - w}[turned]
    y0 = {0: 0.3 * 1755, 90: 1240 - 0.3 * 1240 - h, 180: 1755 - 0.3 * 1755 - h, 270: 0.3 * 1240}[turned]
    truth = [(x0 + fx * w, y0 + fy * h) for fx, fy in S.FACE_EYES]
    for (ex, ey), (tx, ty) in zip(face.eyes, truth, strict=True):
        assert abs(ex - tx) < 2.5 and abs(ey - ty) < 2.5, (face.eyes, truth, (pw, ph))
