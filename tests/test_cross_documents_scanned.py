"""The checks across documents, and the anchored readings, on generated scans read by the real OCR:
several fonts, degraded, turned, rescanned; the negatives the issue names included."""

from __future__ import annotations

import json
from datetime import date

import pytest

from detectors import REGISTRY, continuing_education, document_dates, duplicates, eligibility, holder_names, id_card
from pipeline.documents import SourcePage
from pipeline.manifest import Slot
from pipeline.models import DocumentInfo
from pipeline.screen import FileResult, screen_page
from samples import variants as V
from samples import generate as S
from prescreen.cli import main
from tests.factories import manifest

P = V.PEOPLE[0]  # 阿依古丽·买买提, the factory's applicant
FONTS = V.all_fonts()


def font(name: str) -> str:
    return name if name in FONTS else "china-s"


@pytest.fixture(scope="module")
def read(engines, context, options):
    def read_file(slot: str, file: str, *images) -> FileResult:
        pages = tuple(
            screen_page(SourcePage(number=n, image=img, scale=1.0, dpi=None), context(Slot(slot)), engines, REGISTRY, options, file)
            for n, img in enumerate(images, start=1)
        )
        info = DocumentInfo(slot=Slot(slot), file=file, pages=tuple(p.info for p in pages))
        return FileResult(document=info, pages=pages)

    return read_file


def run(check, track: str, files: list[FileResult], notices, **changes):
    mats: dict[str, list[str]] = {}
    for fr in files:
        mats.setdefault(fr.document.slot.value, []).append(fr.document.file)
    m = manifest(track, mats, **changes)
    return check(m, notices[m.track], files)


def codes(result) -> list[str]:
    return sorted(f.code.value for f in result.findings)


# ---------------------------------------------------------------- NAME_MISMATCH

BORN, START, GRAD = date(1994, 3, 12), date(2012, 9, 1), date(2016, 7, 1)


@pytest.mark.parametrize(
    ("slot", "html", "fnt", "degrade", "other"),
    [
        ("diploma", V.diploma_variant_html(P, BORN, START, GRAD, name="阿依古丽·买买提"), "noto-serif", "jpeg", False),
        ("diploma", V.diploma_variant_html(P, BORN, START, GRAD, name="阿依古丽买买提", template=1), "zenhei", "none", False),
        ("degree_certificate", V.degree_variant_html(P, BORN, GRAD, name="阿依古丽 · 买买提"), "kai", "rescan", False),
        ("ce_certificate", V.ce_variant_html(P, 2024, name="阿依古丽·吐尔逊"), "microhei", "jpeg", True),
        ("annual_appraisal", V.appraisal_dated_html(P, 2024, date(2025, 1, 10), name="王建华"), "ming", "turned", True),
        ("unit_publicity", V.publicity_colleagues_html(["王建华", P.name, "李静"], "2025年5月12日", "2025年5月16日"), "noto-sans", "jpeg", False),
    ],
    ids=["dot", "no-dot", "spaces", "shares-a-part", "appraisal-form-cell", "colleagues-on-publicity"],
)
def test_name_mismatch_on_scans(read, notices, slot, html, fnt, degrade, other):
    img = V.render(html, font=font(fnt))
    img = {"jpeg": lambda i: S.jpeg(S.noise(i, 4), 65), "rescan": lambda i: V.recapture(i, "rescan", 3), "turned": lambda i: S.rotate_cw(i, 90), "none": lambda i: i}[degrade](img)
    result = run(holder_names.check, "initial_junior", [read(slot, f"{slot}.jpg", img)], notices)
    if other:
        (f,) = result.findings
        assert f.code.value == "NAME_MISMATCH" and f.bbox is not None and f.evidence["text"] in html
    else:
        assert result.findings == ()


# ---------------------------------------------------------------- ID_EXPIRED


@pytest.mark.parametrize(
    ("start", "end", "dots", "fnt", "expired"),
    [
        (date(2015, 3, 12), date(2025, 3, 12), True, "noto-sans", True),
        (date(2003, 8, 1), None, False, "kai", False),  # 长期
        (date(2016, 10, 9), date(2036, 10, 9), True, "ming", False),
    ],
    ids=["expired", "long-term", "valid"],
)
def test_id_expired_on_scans(read, notices, start, end, dots, fnt, expired):
    img = S.jpeg(S.noise(V.render(V.id_emblem_html(start, end, dots=dots), font=font(fnt)), 4), 70)
    result = run(id_card.check, "grant_intermediate", [read("id_card_emblem", "id_back.jpg", img)], notices)
    assert codes(result) == (["ID_EXPIRED"] if expired else [])
    assert result.checklist[0].state == ("problem" if expired else "ok")


# ---------------------------------------------------------------- DUPLICATE_UPLOAD


def test_a_rescanned_certificate_uploaded_for_two_years_is_a_duplicate(read, notices):
    page = V.render(V.ce_variant_html(P, 2024, "公需科目"), font=font("zenhei"))
    a = read("ce_certificate", "ce_2023.jpg", page)
    b = read("ce_certificate", "ce_2024.jpg", V.recapture(page, "rescan", seed=5))
    (f,) = run(duplicates.check, "fhj_three_year", [a, b], notices).findings
    assert f.code.value == "DUPLICATE_UPLOAD" and f.file == "ce_2024.jpg" and "ce_2023.jpg" in f.message


def test_the_diploma_turned_and_rescaled_as_the_degree_is_a_duplicate(read, notices):
    page = V.render(S.diploma_html(P), font=font("noto-serif"))
    a = read("diploma", "diploma.jpg", page)
    b = read("degree_certificate", "degree.jpg", S.scale(V.recapture(page, "turn", seed=2), 0.8))
    (f,) = run(duplicates.check, "review", [a, b], notices).findings
    assert f.slot.value == "degree_certificate" and f.evidence["other"]["slot"] == "diploma"


def test_two_years_from_one_template_are_not_duplicates(read, notices):
    a = read("annual_appraisal", "a2023.jpg", V.render(S.appraisal_html(P, 2023), font=font("microhei")))
    b = read("annual_appraisal", "a2024.jpg", V.render(S.appraisal_html(P, 2024), font=font("microhei")))
    assert run(duplicates.check, "fhj_three_year", [a, b], notices).findings == ()


# ---------------------------------------------------------------- DATE_INCONSISTENT


def test_dates_on_scans_against_the_submission(read, notices):
    pub = read("unit_publicity", "pub.jpg", S.jpeg(S.noise(V.render(S.publicity_html(P, "2025年5月28日", "2025年6月4日"), font=font("microhei")), 4), 65))
    res = read("publicity_result", "res.jpg", V.render(S.publicity_result_html(P, "2025年5月28日", "2025年6月4日", "2025年6月1日"), font=font("kai")))
    letter = read("promise_letter", "letter.jpg", V.render(V.promise_letter_dated_html(P, date(2025, 6, 9)), font=font("noto-sans")))
    ce = read("ce_certificate", "ce.jpg", V.render(V.ce_variant_html(P, 2024, template=1, words=True), font=font("noto-serif")))
    result = run(document_dates.check, "initial_junior", [pub, res, letter, ce], notices)
    assert sorted((f.slot.value, f.evidence["rule"]) for f in result.findings) == [
        ("promise_letter", "dated_after_submission"),
        ("publicity_result", "result_before_publicity_end"),
        ("unit_publicity", "publicity_not_ended"),
    ]
    assert all(f.bbox is not None for f in result.findings)


# ---------------------------------------------------------------- anchored readings (issue 12 item 1)


@pytest.mark.parametrize(
    ("template", "birth", "words", "fnt"),
    [(0, "before", True, "zenhei"), (1, "after", True, "noto-serif"), (3, "before", True, "kai"), (2, "before", False, "ming")],
    ids=["birth-before-period-words", "birth-after-words", "no-period", "form-digits"],
)
def test_a_birth_date_on_a_scanned_diploma_is_not_its_graduation(read, notices, template, birth, words, fnt):
    html = V.diploma_variant_html(P, date(1988, 3, 12), date(2006, 9, 1), date(2010, 6, 1), birth=birth, words=words, template=template)
    fr = read("diploma", "diploma.jpg", V.render(html, font=font(fnt)))
    m = manifest("initial_junior", {"diploma": ["diploma.jpg"]}, applicant__education={"level": "bachelor", "full_time": True, "graduated_on": "2010-06-01"})
    result = eligibility.check(m, notices[m.track], [fr])
    assert codes(result) == []
    assert next(c for c in result.checklist if "毕业时间" in c.item).state == "ok"


def test_ce_years_in_words_and_other_layouts_on_scans(read, notices):
    files = [
        read("ce_certificate", "c1.jpg", V.render(V.ce_variant_html(P, 2024, "公需科目", template=1, words=True), font=font("noto-serif"))),
        read("ce_certificate", "c2.jpg", S.jpeg(V.render(V.ce_variant_html(P, 2024, "专业科目", 60, template=2), font=font("zenhei")), 60)),
    ]
    result = run(continuing_education.check, "review", files, notices)
    assert codes(result) == [] and result.checklist[0].state == "ok"


# ---------------------------------------------------------------- a packet through the command line


def test_cross_document_findings_and_checklist_rows_in_the_report(tmp_path):
    b = S.PacketBuilder(tmp_path / "packet", application_id="2025-000900", track="initial_junior")
    b.add("id_card_emblem", "id_back.jpg", S.encode_image(V.render(V.id_emblem_html(date(2014, 5, 1), date(2024, 5, 1))), "jpeg"))
    b.add("diploma", "diploma.pdf", S.html_pdf([V.diploma_variant_html(P, date(1994, 3, 12), date(2012, 9, 1), date(2016, 7, 1), name="王建华")]))
    ce = S.render_html(V.ce_variant_html(P, 2024, "公需科目"))
    b.add("ce_certificate", "ce_a.jpg", S.encode_image(ce, "jpeg"))
    b.add("ce_certificate", "ce_b.png", S.encode_image(V.recapture(ce, "scale", 1), "png"))
    b.write()
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["check", str(b.root), "--out", str(out), "--html", str(html)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    found = {(f["code"], f.get("file")) for f in report["findings"]}
    assert {("ID_EXPIRED", "id_back.jpg"), ("NAME_MISMATCH", "diploma.pdf"), ("DUPLICATE_UPLOAD", "ce_b.png")} <= found
    rows = {c["item"]: c["state"] for c in report["checklist"]}
    assert rows[holder_names.ITEM] == "problem" and rows[id_card.ITEM] == "problem" and rows[duplicates.ITEM] == "problem"
    assert document_dates.ITEM in rows
    page = html.read_text(encoding="utf-8")
    for item in (holder_names.ITEM, id_card.ITEM, duplicates.ITEM, document_dates.ITEM):
        assert item in page
    assert "重复上传同一材料" in page and "身份证已过有效期" in page
