"""The rules on generated scans read by the real OCR: degraded, rotated, handwriting-like fonts."""

from __future__ import annotations

import json

import pytest

from detectors import REGISTRY, appraisal, materials, unit_documents
from pipeline.documents import SourcePage
from pipeline.manifest import Slot
from pipeline.models import DocumentInfo
from pipeline.context import FileResult
from pipeline.screen import screen_page
from samples import generate as S
from prescreen.cli import main
from tests.factories import manifest

P = S.Person()
HAND = "kai" if "kai" in S.available_fonts() else "china-s"


@pytest.fixture(scope="module")
def read(engines, context, options):
    def read_file(slot: str, images: list) -> FileResult:
        pages = tuple(
            screen_page(SourcePage(number=n, image=img, scale=1.0, dpi=None), context(Slot(slot)), engines, REGISTRY, options, f"{slot}.jpg")
            for n, img in enumerate(images, start=1)
        )
        info = DocumentInfo(slot=Slot(slot), file=f"{slot}.jpg", pages=tuple(p.info for p in pages))
        return FileResult(document=info, pages=pages)

    return read_file


def codes(result):
    return sorted(f.code.value for f in result.findings)


def test_fhj_appraisal_scans_in_three_layouts(read, notices):
    pages = [
        S.jpeg(S.noise(S.render_html(S.appraisal_html(P, 2022, "优秀"), dpi=150), 5), 60),
        S.rotate_cw(S.render_html(S.appraisal_letter_html(P, 2023, "合格", hand=True), dpi=150, font=HAND), 90),
        S.blur(S.render_html(S.appraisal_html(P, 2024, "优秀"), dpi=150, font="china-s"), 1.2),
    ]
    fr = read("annual_appraisal", pages)
    m = manifest("fhj_three_year", {"annual_appraisal": ["annual_appraisal.jpg"]})
    result = appraisal.check(m, notices[m.track], [fr])
    assert codes(result) == ["APPRAISAL_NOT_EXCELLENT"]
    f = result.findings[0]
    assert "2023" in f.message and "合格" in f.message and f.page == 2 and f.bbox is not None


def test_multi_year_table_scan_all_excellent(read, notices):
    fr = read("annual_appraisal", [S.jpeg(S.render_html(S.appraisal_table_html(P), dpi=150), 70)])
    m = manifest("fhj_three_year", {"annual_appraisal": ["annual_appraisal.jpg"]})
    assert codes(appraisal.check(m, notices[m.track], [fr])) == []


@pytest.mark.parametrize(("start", "end", "short"), [("2025年5月12日", "2025年5月16日", False), ("2025年4月28日", "2025年5月6日", True)])
def test_publicity_scan(read, notices, start, end, short):
    fr = read("unit_publicity", [S.jpeg(S.noise(S.render_html(S.publicity_html(P, start, end), dpi=150), 4), 65)])
    m = manifest("review", {"unit_publicity": ["unit_publicity.jpg"]})
    assert ("PUBLICITY_TOO_SHORT" in codes(unit_documents.check(m, notices[m.track], [fr]))) == short


@pytest.mark.parametrize(("signed", "dated"), [(True, True), (False, True), (True, False)])
def test_promise_letter_scan(read, notices, signed, dated):
    fr = read("promise_letter", [S.jpeg(S.render_html(S.promise_letter_html(P, signed, dated), dpi=150), 70)])
    m = manifest("initial_junior", {"promise_letter": ["promise_letter.jpg"]})
    assert ("UNSIGNED" in codes(unit_documents.check(m, notices[m.track], [fr]))) == (not (signed and dated))


def test_degree_scanned_into_the_diploma_slot(read, notices):
    fr = read("diploma", [S.jpeg(S.render_html(S.degree_html(P), dpi=120), 70)])
    m = manifest("review", {"diploma": ["diploma.jpg"]})
    result = materials.check(m, notices[m.track], [fr])
    assert [f.code.value for f in result.findings if f.file] == ["WRONG_DOCUMENT"]
    assert "学位证书" in result.findings[-1].message


def test_fhj_packet_end_to_end_with_checklist(tmp_path):
    b = S.PacketBuilder(tmp_path / "packet", application_id="2025-000500", track="fhj_three_year")
    b.submission = {"submitted_at": "2025-11-16T09:00:00+08:00", "attempt": 4}
    for y, r in ((2022, "优秀"), (2023, "基本合格")):
        b.add("annual_appraisal", f"a{y}.jpg", S.encode_image(S.render_html(S.appraisal_html(P, y, r), dpi=130), "jpeg"))
    b.add("diploma", "diploma.pdf", S.html_pdf([S.diploma_html(P)]))
    b.write()
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["check", str(b.root), "--out", str(out), "--html", str(html)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    found = {f["code"] for f in report["findings"]}
    assert {"APPRAISAL_NOT_EXCELLENT", "APPRAISAL_YEAR_MISSING", "LATE_SUBMISSION", "TOO_MANY_ATTEMPTS", "MISSING_MATERIAL"} <= found
    missing = {f["slot"] for f in report["findings"] if f["code"] == "MISSING_MATERIAL"}
    assert {"title_certificate", "photo", "promise_letter"} <= missing and "diploma" not in missing
    assert any(c["state"] == "problem" for c in report["checklist"]) and any(c["state"] == "ok" for c in report["checklist"])
    assert report["documents"][0]["pages"][0]["type"] == "annual_appraisal"
    page = html.read_text(encoding="utf-8")
    assert "核对清单" in page and "2023年度考核" in page
