"""Faces and eyes, both directions: every kind of eye mask, one eye open, printed photos, no faces."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from detectors import faces
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Page
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
