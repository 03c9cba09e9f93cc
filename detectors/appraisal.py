"""Annual appraisals: every year the track requires has a readable record, rated high enough.

``fhj_three_year``: the three most recent completed years must all be 优秀
(``APPRAISAL_NOT_EXCELLENT`` naming the year). Other tracks: each required year at least 合格,
else ``NOT_ELIGIBLE`` (考核合格 is a condition of the track). ``APPRAISAL_YEAR_MISSING`` for a
required year without a readable record.
"""

from __future__ import annotations

from detectors.packet_common import completed_years, located, merged, slot_files
from pipeline.extract import RATING_RANK, RatingRecord, appraisal_records
from pipeline.manifest import Manifest, Slot, Track
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult


def records(files: list[FileResult]) -> dict[int, tuple[RatingRecord, FileResult]]:
    """Best record per year across every appraisal file (a read rating beats an unread one)."""
    out: dict[int, tuple[RatingRecord, FileResult]] = {}
    for fr in slot_files(files, Slot.annual_appraisal):
        for rec in appraisal_records(located(fr)):
            kept = out.get(rec.year)
            if kept is None or (kept[0].rating is None and rec.rating is not None):
                out[rec.year] = (rec, fr)
    return out


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if not m.slot_files(Slot.annual_appraisal):
        return CheckResult()  # MISSING_MATERIAL says it
    rules = notice.rules_for(m.track)
    years = completed_years(m, rules.appraisal_year_count(m.applicant.education.level))
    found = records(files)
    cite = notice.cite("appraisal")
    form = rules.appraisal_form or "考核材料"
    findings: list[Finding] = []
    items: list[ChecklistItem] = []
    for year in sorted(years):
        hit = found.get(year)
        if hit is None or hit[0].rating is None:
            if hit is None:
                text = f"上传的{form}中未找到{year}年度考核记录"
            else:
                text = f"上传的{form}中有{year}年度的记录，但未能辨认其考核等次"
            findings.append(
                Finding.of(
                    FindingCode.APPRAISAL_YEAR_MISSING,
                    f"{text}{cite}",
                    slot=Slot.annual_appraisal,
                    file=hit[1].document.file if hit else None,
                    page=hit[0].page if hit else None,
                    bbox=hit[0].bbox if hit else None,
                    evidence={"year": year, "years_found": sorted(found), "score": 0.9},
                )
            )
            items.append(ChecklistItem(item=f"{year}年度考核", state="problem", detail="缺少可辨认的考核记录", codes=(FindingCode.APPRAISAL_YEAR_MISSING,)))
            continue
        rec, fr = hit
        if RATING_RANK[rec.rating] >= RATING_RANK[rules.min_rating]:
            items.append(ChecklistItem(item=f"{year}年度考核", state="ok", detail=rec.rating))
            continue
        code = FindingCode.APPRAISAL_NOT_EXCELLENT if m.track == Track.fhj_three_year else FindingCode.NOT_ELIGIBLE
        if m.track == Track.fhj_three_year:
            text = f"{year}年度考核等次为“{rec.rating}”，“访惠聚”三年高定要求连续三年考核优秀{notice.cite('fhj_title')}"
        else:
            text = f"{year}年度考核等次为“{rec.rating}”，本类别要求考核{rules.min_rating}{notice.cite('eligibility')}"
        findings.append(
            Finding.of(
                code,
                text,
                slot=Slot.annual_appraisal,
                file=fr.document.file,
                page=rec.page,
                bbox=rec.bbox,
                evidence={"year": year, "rating": rec.rating, "text": rec.text, "score": 0.95},
            )
        )
        items.append(ChecklistItem(item=f"{year}年度考核", state="problem", detail=rec.rating, codes=(code,)))
    return CheckResult(findings=merged(findings), checklist=tuple(items))
