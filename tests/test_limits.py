"""Hostile and damaged uploads: every limit ends as a finding (or, for the manifest, one line and
exit 2), never a crash; a PDF that MuPDF had to repair is UNREADABLE_FILE, not a blank page."""

from __future__ import annotations

import time

import numpy as np
import pymupdf
import pytest
from PIL import Image

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.documents import Document, ReadLimits
from pipeline.errors import BadPageError, InputError
from pipeline.manifest import Slot
from pipeline.models import FindingCode
from pipeline.packet import load_packet
from pipeline.screen import OpenedFile, page_budgets, screen_packet
from prescreen.cli import main
from samples import generate as S
from storage.objectstore import LocalStore
from storage.packets import load_store_packet

LIMITS = ReadLimits()


def _text_pdf(*texts: str) -> bytes:
    doc = pymupdf.open(stream=S.html_pdf([f"<h1>工作小结</h1><p>{t}</p>" for t in texts]), filetype="pdf")
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)  # no merging of equal streams: each page keeps its own


def _file_findings(report, file: str) -> list[tuple[str, int | None]]:
    return sorted((f.code.value, f.page) for f in report.findings if f.file == file)


# ---------------------------------------------------------------- damaged PDFs


def test_a_truncated_pdf_is_unreadable_with_mupdfs_warning_not_a_blank_page(builder, engines, notices):
    data = S.html_pdf([S.diploma_html()])
    builder.add(Slot.diploma, "diploma.pdf", data[: len(data) * 9 // 10])  # MuPDF repairs it into a blank page
    report = screen_packet(load_packet(builder.write()), notices, engines, REGISTRY, PACKET_CHECKS).report
    assert _file_findings(report, "diploma.pdf") == [("UNREADABLE_FILE", None)]
    finding = next(f for f in report.findings if f.file == "diploma.pdf")
    assert "损坏" in finding.message
    assert "repair" in finding.evidence["detail"] and "startxref" in finding.evidence["detail"]  # MuPDF's own words


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_a_truncated_image_is_unreadable_and_returned_not_a_screening_fault(builder, engines, notices, fmt):
    """Pillow opens the head of a cut-off scan and fails only when decoding it: that is the file's
    fault (UNREADABLE_FILE, an error the applicant must mend), not the screening's."""
    data = S.encode_image(S.render_html(S.diploma_html(), dpi=100), fmt)
    builder.add(Slot.diploma, f"diploma.{fmt}", data[: len(data) // 3])
    report = screen_packet(load_packet(builder.write()), notices, engines, REGISTRY, PACKET_CHECKS).report
    assert _file_findings(report, f"diploma.{fmt}") == [("UNREADABLE_FILE", 1)]
    assert "损坏" in next(f for f in report.findings if f.file == f"diploma.{fmt}").message
    assert report.recommendation.value == "return_to_applicant"


def test_a_page_whose_content_cannot_be_drawn_is_unreadable_the_others_are_screened(builder, engines, notices):
    doc = pymupdf.open(stream=_text_pdf("第一页：本年度完成教学任务。", "第二页：参加培训。"), filetype="pdf")
    xref = doc[1].get_contents()[0]
    doc.update_stream(xref, b"not a deflate stream: damaged in transit", compress=False)
    doc.xref_set_key(xref, "Filter", "/FlateDecode")
    builder.add(Slot.work_summary, "summary.pdf", doc.tobytes())
    report = screen_packet(load_packet(builder.write()), notices, engines, REGISTRY, PACKET_CHECKS).report
    assert ("UNREADABLE_FILE", 2) in _file_findings(report, "summary.pdf")
    assert not any(f.page == 1 for f in report.findings if f.file == "summary.pdf")
    page2 = next(f for f in report.findings if f.file == "summary.pdf" and f.page == 2)
    assert "zlib" in page2.evidence["detail"]
    assert [p.page for p in report.documents[0].pages] == [1, 2]


# ---------------------------------------------------------------- page size, pixels, Pillow's guard


def _huge_page_pdf(side_pt: float) -> bytes:
    doc = pymupdf.open()
    doc.new_page(width=side_pt, height=side_pt).insert_text((100, 100), "x", fontsize=12)
    return doc.tobytes(garbage=3, deflate=True)


def test_a_page_a_million_points_wide_is_refused_unrendered():
    data = _huge_page_pdf(1_000_000)
    assert len(data) < 1000
    with pytest.raises(BadPageError) as exc:
        Document(data, "big.pdf", LIMITS).page(1)
    assert "尺寸" in exc.value.reason and "1000000 x 1000000 pt" in exc.value.detail


@pytest.mark.parametrize("side_pt", [20_000, 1_000_000])
def test_any_page_renders_at_a_fractional_zoom_within_the_working_size(side_pt):
    limits = ReadLimits(max_page_pt=2_000_000)
    page = Document(_huge_page_pdf(side_pt), "big.pdf", limits).page(1)
    assert max(page.image.shape[:2]) <= limits.max_side_px  # was 13,889 px for 1,000,000 pt: the DPI floored at 1
    assert max(page.image.shape[:2]) >= limits.max_side_px - 2


def test_a_page_past_the_limits_is_an_unreadable_page_in_the_report(builder, engines, notices):
    doc = pymupdf.open(stream=_text_pdf("第一页：正常页面。"), filetype="pdf")
    doc.new_page(width=1_000_000, height=1_000_000)
    builder.add(Slot.work_summary, "summary.pdf", doc.tobytes())
    report = screen_packet(load_packet(builder.write()), notices, engines, REGISTRY, ()).report
    assert _file_findings(report, "summary.pdf") == [("UNREADABLE_FILE", 2)]


def test_a_file_whose_only_page_is_unreadable_is_not_also_the_wrong_document(builder, engines, notices):
    builder.add(Slot.diploma, "diploma.pdf", _huge_page_pdf(1_000_000))
    report = screen_packet(load_packet(builder.write()), notices, engines, REGISTRY, PACKET_CHECKS).report
    assert _file_findings(report, "diploma.pdf") == [("UNREADABLE_FILE", 1)]


def test_an_embedded_image_past_the_pixel_limit_is_refused_before_it_is_decoded():
    data = S.images_pdf([np.full((300, 200, 3), 255, np.uint8)], dpi=100)
    assert Document(data, "scan.pdf", LIMITS).page(1).image.size > 0
    with pytest.raises(BadPageError) as exc:
        Document(data, "scan.pdf", ReadLimits(max_image_pixels=50_000)).page(1)
    assert "60000 pixels" in exc.value.detail


def test_pillows_bomb_guard_stays_on_at_our_limit():
    assert Image.MAX_IMAGE_PIXELS == LIMITS.max_image_pixels


# ---------------------------------------------------------------- the manifest


def test_a_manifest_larger_than_the_limit_is_refused_unread(builder, tmp_path, capsys):
    builder.add(Slot.photo, "photo.jpg", S.encode_image(S.face_photo(), "jpeg"))
    path = builder.write()
    with path.open("a", encoding="utf-8") as fh:
        fh.write("# padding\n" * 2000)
    with pytest.raises(InputError, match="more than the 1000 a manifest may have"):
        load_packet(path, ReadLimits(max_manifest_bytes=1000))
    big = ReadLimits().max_manifest_bytes
    with path.open("a", encoding="utf-8") as fh:
        fh.write("#" * big + "\n")
    assert main(["check", str(path.parent), "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest may have" in err
    with pytest.raises(InputError, match="manifest may have"):
        load_store_packet(LocalStore(path.parent.parent), path.parent.name)


def test_a_manifest_listing_more_files_than_a_packet_may_hold_is_refused(builder):
    builder.materials["annual_appraisal"] = [f"page_{i}.png" for i in range(250)]
    path = builder.write()
    with pytest.raises(InputError, match="250 files, more than the 200"):
        load_packet(path)
    with pytest.raises(InputError, match="250 files"):
        load_store_packet(LocalStore(path.parent.parent), path.parent.name)
    assert len(load_packet(path, ReadLimits(max_files=300)).manifest.files()) == 250


# ---------------------------------------------------------------- pages per file, slot and packet


def _opened(slot: str, file: str, pages: int) -> OpenedFile:
    return OpenedFile(slot=Slot(slot), file=file, sha256="0" * 64, format="pdf", page_count=pages)


@pytest.mark.parametrize(
    ("files", "limits", "expected"),
    [
        ([("diploma", "d.pdf", 3)], {}, [(3, None)]),
        ([("photo", "a.tif", 5)], {}, [(2, "本类材料合计超过2页")]),
        ([("photo", "a.jpg", 1), ("photo", "b.tif", 4)], {}, [(1, None), (1, "本类材料合计超过2页")]),
        ([("work_summary", "w.pdf", 2000)], {}, [(20, "本类材料合计超过20页")]),
        ([("annual_appraisal", "a.pdf", 30), ("ce_certificate", "c.pdf", 30)], {"max_total_pages": 50}, [(30, None), (20, "整份申报合计超过50页")]),
        ([("diploma", "a.pdf", 9), ("degree_certificate", "b.pdf", 3)], {"max_total_pages": 9}, [(9, None), (0, "整份申报合计超过9页")]),
        ([("diploma", "a.pdf", 9)], {"max_pages": 4}, [(4, None)]),  # the file's own limit: the finding of open_file stays
    ],
)
def test_pages_are_shared_out_by_file_slot_and_packet(files, limits, expected):
    budgets = page_budgets([_opened(*f) for f in files], ReadLimits(**limits))
    assert [p for p, _ in budgets] == [p for p, _ in expected]
    for (_, finding), (pages, why) in zip(budgets, expected, strict=True):
        assert (finding is None) == (why is None)
        if finding is not None:
            assert finding.code is FindingCode.TOO_MANY_PAGES and why in finding.message
            assert finding.evidence["screened"] == pages


def test_a_file_past_its_slots_page_limit_is_screened_up_to_it(builder, engines, notices):
    builder.add(Slot.promise_letter, "letter.pdf", _text_pdf(*[f"第{i}页" for i in range(1, 8)]))
    report = screen_packet(load_packet(builder.write()), notices, engines, {}, ()).report
    (doc,) = report.documents
    assert doc.page_count == 7 and [p.page for p in doc.pages] == [1, 2, 3, 4, 5]
    (finding,) = [f for f in report.findings if f.file == "letter.pdf"]
    assert finding.code is FindingCode.TOO_MANY_PAGES and "前5页" in finding.message


# ---------------------------------------------------------------- time budgets


def test_pages_not_started_within_the_packets_time_budget_are_reported_unread(builder, engines, notices):
    builder.add(Slot.work_summary, "summary.pdf", _text_pdf("第一页", "第二页"))
    report = screen_packet(
        load_packet(builder.write()), notices, engines, REGISTRY, PACKET_CHECKS, deadline=time.time() - 1
    ).report
    assert _file_findings(report, "summary.pdf") == [("SCREENING_ERROR", 1), ("SCREENING_ERROR", 2)]
    assert all("时间预算" in f.message for f in report.findings if f.file == "summary.pdf")
    assert report.recommendation.value == "return_to_applicant"  # the rules still ran (missing materials)


def test_a_page_past_its_time_budget_in_the_flow_is_a_finding_and_the_report_is_published(harness, tmp_path, monkeypatch):
    from flows import screen as flow_module
    from storage.reports import latest_report
    from tests.factories import review_packet

    root = tmp_path / "store"
    review_packet(root / "uploads" / "2024-RV-0900", "2024-RV-0900")
    monkeypatch.setenv("PRESCREEN_LIMITS__PAGE_SECONDS", "0.05")
    monkeypatch.setenv("PRESCREEN_PAGE_CACHE", "false")
    flow_module.settings.cache_clear()
    out = flow_module.prescreen_application(prefix="uploads/2024-RV-0900", root=str(root))
    report = latest_report(LocalStore(root), "uploads/2024-RV-0900")
    timed_out = [f for f in report.findings if f.code is FindingCode.SCREENING_ERROR and "单页检查时间" in f.message]
    assert len(timed_out) == 4 and {f.page for f in timed_out} == {1}
    assert out["recommendation"] == report.recommendation.value
