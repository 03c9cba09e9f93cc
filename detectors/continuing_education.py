"""``CE_INCOMPLETE``: one 公需科目 and one 专业科目 certificate for every appraisal year, unless the
notice's exemption form was uploaded. Applies where the notice requires continuing education.

A certificate whose year or category cannot be read with confidence (not found, a 〇 dropped by
the OCR, a poorly read line, a 年度 its own date of issue contradicts) is not taken as missing:
it may be the one a required year lacks, so that year goes to the auditor (待人工核对) instead of
raising a finding.
"""

from __future__ import annotations

from detectors.packet_common import completed_years, located, merged, slot_files
from pipeline.facts import CE_CATEGORIES, CeReading, ce_readings, looks_like_ce_certificate, page_texts
from pipeline.manifest import Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if Slot.ce_certificate not in notice.required_slots(m):
        return CheckResult()
    exemption = notice.material_name(Slot.ce_exemption)
    if m.slot_files(Slot.ce_exemption):
        return CheckResult(checklist=(ChecklistItem(item="继续教育", state="ok", detail=f"已上传{exemption}"),))
    if not m.slot_files(Slot.ce_certificate):
        return CheckResult()  # MISSING_MATERIAL says it
    rules = notice.rules_for(m.track)
    years = sorted(completed_years(m, rules.appraisal_year_count(m.applicant.education.level)))
    readings = certificates(files, m.submission.submitted_at.year)
    have = {(r.year, r.category) for r, _ in readings if r.sure}
    missing = [(y, c) for y in years for c in CE_CATEGORIES if (y, c) not in have]
    doubtful = _cover(missing, [(r, fr) for r, fr in readings if not r.sure])
    cite = notice.cite("continuing_education")
    findings = []
    for y, c in missing:
        if (y, c) in doubtful:
            continue
        findings.append(
            Finding.of(
                FindingCode.CE_INCOMPLETE,
                f"上传的继续教育证书中未找到{y}年度{c}合格证书，也未上传{exemption}{cite}",
                slot=Slot.ce_certificate,
                evidence={"year": y, "category": c, "found": sorted(f"{a}{b}" for a, b in have), "score": 0.9},
            )
        )
    items = []
    for y in years:
        gone = [c for my, c in missing if my == y and (my, c) not in doubtful]
        unsure = [(c, doubtful[(my, c)]) for my, c in missing if my == y and (my, c) in doubtful]
        if gone:
            items.append(
                ChecklistItem(item=f"{y}年度继续教育（公需科目、专业科目）", state="problem", detail="缺" + "、".join(gone), codes=(FindingCode.CE_INCOMPLETE,))
            )
        elif unsure:
            detail = "；".join(f"{c}：{fr.document.file}第{r.page}页{r.doubt}" for c, (r, fr) in unsure)
            items.append(ChecklistItem(item=f"{y}年度继续教育（公需科目、专业科目）", state="unknown", detail=detail + "，请人工核对"))
        else:
            items.append(ChecklistItem(item=f"{y}年度继续教育（公需科目、专业科目）", state="ok", detail="齐全"))
    return CheckResult(findings=merged(findings), checklist=tuple(items))


def certificates(files: list[FileResult], latest_year: int) -> list[tuple[CeReading, FileResult]]:
    """Every certificate read in the CE slot, each with its file; pages that are no certificate at all are left out."""
    out = []
    for fr in slot_files(files, Slot.ce_certificate):
        pages = [p for p in page_texts(located(fr)) if looks_like_ce_certificate(p)]
        out += [(r, fr) for r in ce_readings(pages, latest_year)]
    return out


def _cover(
    missing: list[tuple[int, str]], unsure: list[tuple[CeReading, FileResult]]
) -> dict[tuple[int, str], tuple[CeReading, FileResult]]:
    """Missing (year, category) pairs an unsure certificate may be: each certificate stands for one
    pair at most, and only for a pair its readable parts agree with (a doubted year can be any year)."""
    left = list(unsure)
    covered = {}
    for y, c in missing:
        for i, (r, fr) in enumerate(left):
            year_fits = r.year is None or r.year == y or "年度" in r.doubt
            if year_fits and (r.category is None or r.category == c or "类别" in r.doubt):
                covered[(y, c)] = (r, fr)
                del left[i]
                break
    return covered
