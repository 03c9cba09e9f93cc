"""The perceptual fingerprint: the same page captured again stays close, different pages do not;
two documents of one template look the same (their text tells them apart, see the duplicate rule)."""

from __future__ import annotations

import pytest

from detectors.duplicates import DuplicateConfig
from pipeline import fingerprint
from samples import variants as V
from samples import generate as S

P, Q = V.PEOPLE[0], V.PEOPLE[2]
CFG = DuplicateConfig()


@pytest.fixture(scope="module")
def pages():
    return {
        "diploma": V.render(S.diploma_html(P), font="ming"),
        "ce": V.render(V.ce_variant_html(P, 2024), font="noto-sans"),
        "appraisal23": V.render(S.appraisal_html(P, 2023)),
        "appraisal24": V.render(S.appraisal_html(P, 2024)),
        "photo": S.face_photo(),
    }


@pytest.mark.parametrize("kind", V.RECAPTURES)
@pytest.mark.parametrize("name", ["diploma", "ce", "photo"])
def test_the_same_page_captured_again_stays_within_the_threshold(pages, name, kind):
    d = fingerprint.distance(fingerprint.of(pages[name]), fingerprint.of(V.recapture(pages[name], kind, seed=3)))
    assert d is not None and d <= CFG.image_max_distance


def test_different_pages_are_far_apart(pages):
    fps = {k: fingerprint.of(v) for k, v in pages.items()}
    for a, b in (("diploma", "ce"), ("diploma", "photo"), ("ce", "appraisal23"), ("photo", "appraisal24")):
        assert fingerprint.distance(fps[a], fps[b]) > CFG.image_max_distance, (a, b)


def test_one_template_two_years_look_alike(pages):
    d = fingerprint.distance(fingerprint.of(pages["appraisal23"]), fingerprint.of(pages["appraisal24"]))
    assert d <= CFG.image_max_distance  # why the text has to decide


def test_a_blank_page_has_no_fingerprint_and_a_fingerprint_is_compact(pages):
    assert fingerprint.of(pages["diploma"] * 0 + 255) == ""
    assert fingerprint.distance("", fingerprint.of(pages["ce"])) is None
    fp = fingerprint.of(pages["ce"])
    assert len(fp) == 64 and int(fp, 16) >= 0
