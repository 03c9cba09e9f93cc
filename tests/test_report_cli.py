"""``prescreen check`` end to end: report.json per the contract, the HTML report, the schema, kept versions."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pipeline.manifest import Slot
from pipeline.models import EngineInfo, Finding, FindingCode, Report
from pipeline.report import dedupe, recommend
from samples import generate as S
from prescreen.cli import main

P = S.Person()


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    b = S.PacketBuilder(root / "packet", application_id="2025-000777", track="review")
    b.add("photo", "photo.jpg", S.encode_image(S.face_photo(), "jpeg"))
    b.add("diploma", "diploma.pdf", S.html_pdf([S.diploma_html(P)]))
    b.add("annual_appraisal", "appraisal.jpg", S.encode_image(S.rotate_cw(S.render_html(S.appraisal_html(P), dpi=120), 270), "jpeg"))
    b.add("ce_certificate", "ce.png", S.encode_image(S.blur(S.render_html(S.ce_certificate_html(P), dpi=150), 7), "png"))
    b.add("ce_certificate", "ce2.pdf", b"%PDF-1.5 this is not a pdf at all")
    b.add("unit_publicity", "publicity.jpg", S.encode_image(S.render_html(S.publicity_html(P), dpi=120), "png"))
    b.write()
    out, html = root / "report.json", root / "report.html"
    code = main(["check", str(b.root), "--out", str(out), "--html", str(html)])
    return code, json.loads(out.read_text(encoding="utf-8")), html.read_text(encoding="utf-8"), root


def test_exit_zero_whatever_the_findings(checked):
    assert checked[0] == 0


def test_report_follows_the_contract(checked):
    _, report, _, _ = checked
    assert report["application_id"] == "2025-000777" and report["track"] == "review"
    assert report["recommendation"] == "return_to_applicant"
    found = {(f["code"], f.get("file")) for f in report["findings"]}
    assert ("ROTATED", "appraisal.jpg") in found
    assert ("BLURRY", "ce.png") in found
    assert ("UNREADABLE_FILE", "ce2.pdf") in found
    assert ("UNREADABLE_FILE", "publicity.jpg") in found  # a PNG named .jpg
    for f in report["findings"]:
        assert set(f) >= {"code", "severity", "slot", "file", "message", "evidence"}
        assert f["severity"] in ("error", "warning")
        if "page" in f:
            assert f["page"] >= 1
        if "bbox" in f:
            x0, y0, x1, y1 = f["bbox"]
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    unreadable = next(f for f in report["findings"] if f["file"] == "ce2.pdf")
    assert "page" not in unreadable and "bbox" not in unreadable  # file-level: omitted, not null
    docs = {d["file"]: d for d in report["documents"]}
    assert [p["rotation"] for p in docs["appraisal.jpg"]["pages"]] == [90]
    assert docs["diploma.pdf"]["pages"][0]["text_source"] == "pdf"
    assert all(isinstance(p["sharpness"], float) for p in docs["photo.jpg"]["pages"])
    assert docs["ce2.pdf"]["pages"] == []


def test_report_validates_against_the_published_schema(checked, capsys):
    _, report, _, _ = checked
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, schema)
    finding = schema["$defs"]["Finding"]
    assert set(finding["properties"]) >= {"code", "severity", "slot", "file", "page", "bbox", "message", "evidence"}
    assert set(finding["required"]) == {"code", "severity", "message"}


def test_html_report_is_chinese_with_thumbnails_and_boxes(checked):
    _, report, html, _ = checked
    assert "职称申报材料预审报告" in html and "建议退回申报人修改" in html
    pages = sum(len(d["pages"]) for d in report["documents"])
    assert pages == 5 and html.count('alt="第') == pages  # one thumbnail per screened page
    assert "方向不正" in html and "页面模糊" in html and "文件无法读取" in html
    assert "<script" not in html


def test_existing_report_is_kept_not_overwritten(checked, tmp_path):
    _, _, _, root = checked
    out = tmp_path / "r.json"
    out.write_text('{"earlier": true}')
    assert main(["check", str(root / "packet"), "--out", str(out)]) == 0
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("r.") and p.name != "r.json"]
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == {"earlier": True}
    assert json.loads(out.read_text())["application_id"] == "2025-000777"


def _f(code, page=1, score=None, file="a.pdf"):
    return Finding.of(code, "m", slot=Slot.diploma, file=file, page=page, evidence={} if score is None else {"score": score})


def test_dedupe_keeps_the_strongest_per_code_slot_file_page():
    kept = dedupe([_f(FindingCode.BLURRY, score=0.5), _f(FindingCode.BLURRY, score=0.9), _f(FindingCode.BLURRY, page=2), _f(FindingCode.ROTATED)])
    assert [(f.code, f.page, f.evidence.get("score")) for f in kept] == [
        (FindingCode.BLURRY, 1, 0.9), (FindingCode.BLURRY, 2, None), (FindingCode.ROTATED, 1, None)
    ]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([], "pass"), ([FindingCode.ROTATED], "needs_review"), ([FindingCode.ROTATED, FindingCode.BLURRY], "return_to_applicant")],
)
def test_recommendation_from_severities(codes, expected):
    assert recommend([_f(c) for c in codes]).value == expected


def test_contract_severities():
    assert Finding.of(FindingCode.POOR_EXPOSURE, "m").severity == "warning"
    assert Finding.of(FindingCode.UNMASKED_SEAL, "m").severity == "error"
    assert Finding.of(FindingCode.WORK_SUMMARY_LENGTH, "m").severity == "warning"
    assert Report.model_json_schema()["properties"]["recommendation"]
    assert EngineInfo.model_fields.keys() >= {"ocr", "rules"}


def test_located_finding_is_drawn_with_box_and_evidence_crop():
    from datetime import UTC, datetime

    from pipeline.html import evidence_images, render_html
    from pipeline.manifest import Track
    from pipeline.models import DocumentInfo, PageInfo, Recommendation
    from pipeline.context import PageResult
    from pipeline.report import thumbnail

    page = S.render_html(S.diploma_html(P), dpi=100)
    finding = Finding.of(
        FindingCode.BLURRY, "<b>模糊</b>", slot=Slot.diploma, file="d.jpg", page=1, bbox=(0.1, 0.1, 0.5, 0.2), evidence={"score": 0.9}
    )
    report = Report(
        application_id="A-2",
        track=Track.review,
        recommendation=Recommendation.return_to_applicant,
        findings=(finding,),
        documents=(DocumentInfo(slot=Slot.diploma, file="d.jpg", pages=(PageInfo(page=1),)),),
        generated_at=datetime.now(UTC),
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="t"),
    )
    pr = PageResult(slot=Slot.diploma, file="d.jpg", info=PageInfo(page=1), thumbnail=thumbnail(page, 800, 70))
    html = render_html(report, [pr])
    assert 'class="box error" style="left: 10.00%; top: 10.00%; width: 40.00%; height: 10.00%;"' in html
    assert 'class="crop"' in html
    assert "&lt;b&gt;模糊&lt;/b&gt;" in html  # applicant-controlled text is escaped
    crops = evidence_images(report, [pr])
    assert list(crops) == ["001-BLURRY.jpg"] and crops["001-BLURRY.jpg"][:2] == b"\xff\xd8"
