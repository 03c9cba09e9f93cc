"""``CE_INCOMPLETE``: one 公需科目 and one 专业科目 certificate for every appraisal year, unless an
exemption form was uploaded. Applies where the notice requires continuing education."""

from __future__ import annotations

from detectors.packet_common import completed_years, located, merged, slot_files
from pipeline.extract import ce_records
from pipeline.manifest import Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

CATEGORIES = ("公需科目", "专业科目")


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if Slot.ce_certificate not in notice.required_slots(m):
        return CheckResult()
    if m.slot_files(Slot.ce_exemption):
        return CheckResult(checklist=(ChecklistItem(item="继续教育", state="ok", detail="已上传免除继续教育申请表"),))
    if not m.slot_files(Slot.ce_certificate):
        return CheckResult()  # MISSING_MATERIAL says it
    rules = notice.rules_for(m.track)
    years = completed_years(m, rules.appraisal_year_count(m.applicant.education.level))
    have = {(r.year, r.category) for fr in slot_files(files, Slot.ce_certificate) for r in ce_records(located(fr))}
    missing = [(y, c) for y in sorted(years) for c in CATEGORIES if (y, c) not in have]
    cite = notice.cite("continuing_education")
    findings = merged(
        [
        Finding.of(
            FindingCode.CE_INCOMPLETE,
            f"缺少{y}年度继续教育{c}合格证书，且未上传免除申请表{cite}",
            slot=Slot.ce_certificate,
            evidence={"year": y, "category": c, "found": sorted(f"{a}{b}" for a, b in have), "score": 0.9},
        )
            for y, c in missing
        ]
    )
    items = tuple(
        ChecklistItem(
            item=f"{y}年度继续教育（公需科目、专业科目）",
            state="problem" if any(my == y for my, _ in missing) else "ok",
            detail="缺" + "、".join(c for my, c in missing if my == y) if any(my == y for my, _ in missing) else "齐全",
            codes=(FindingCode.CE_INCOMPLETE,) if any(my == y for my, _ in missing) else (),
        )
        for y in sorted(years)
    )
    return CheckResult(findings=findings, checklist=items)
