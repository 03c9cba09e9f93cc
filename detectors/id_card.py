"""``ID_EXPIRED``: the ID card's 有效期限 (emblem side) ended before the packet was submitted.

"长期" never expires. A validity that cannot be read, or whose two ends do not lie a lawful term
apart (5, 10 or 20 years to the day: a digit was probably misread), is left to the auditor
(待人工核对) and raises nothing.
"""

from __future__ import annotations

from detectors.packet_common import located, readable
from pipeline.facts import Validity, id_validity, page_texts
from pipeline.manifest import CHINA_TZ, Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

ITEM = "身份证在有效期内"
ID_SLOTS = (Slot.id_card_emblem, Slot.id_card_portrait)  # both sides are often scanned onto one page


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if not notice.cross_checks.id_validity or not any(m.slot_files(s) for s in ID_SLOTS):
        return CheckResult()
    found: tuple[Validity, FileResult] | None = None
    for slot in ID_SLOTS:
        for fr in files:
            if fr.document.slot == slot and readable(fr) and (v := id_validity(page_texts(located(fr)))):
                found = found or (v, fr)
    if found is None:
        return CheckResult(checklist=(ChecklistItem(item=ITEM, state="unknown", detail="未能读出身份证国徽面的有效期限，请人工核对"),))
    v, fr = found
    submitted = m.submission.submitted_at.astimezone(CHINA_TZ).date()
    read = f"有效期限“{v.where.text}”"
    if v.forever:
        return CheckResult(checklist=(ChecklistItem(item=ITEM, state="ok", detail=f"{read}（长期有效）"),))
    assert v.end is not None
    if not v.sure:
        return CheckResult(
            checklist=(ChecklistItem(item=ITEM, state="unknown", detail=f"读到{read}，起止日期辨认不清，请人工核对"),)
        )
    if v.end >= submitted:
        return CheckResult(checklist=(ChecklistItem(item=ITEM, state="ok", detail=f"有效期至{_day(v.end)}"),))
    finding = Finding.of(
        FindingCode.ID_EXPIRED,
        f"身份证有效期限至{_day(v.end)}，申报于{_day(submitted)}提交时已经过期，请上传有效期内的身份证{notice.cite('id_validity')}",
        slot=fr.document.slot,
        file=fr.document.file,
        page=v.where.page,
        bbox=v.where.bbox,
        evidence={
            "valid_until": v.end.isoformat(),
            "valid_from": v.start.isoformat() if v.start else None,
            "submitted": submitted.isoformat(),
            "text": v.where.text,
            "score": 0.95,
        },
    )
    return CheckResult(
        findings=(finding,),
        checklist=(ChecklistItem(item=ITEM, state="problem", detail=f"有效期至{_day(v.end)}，已过期", codes=(FindingCode.ID_EXPIRED,)),),
    )


def _day(d) -> str:  # noqa: ANN001
    return f"{d.year}年{d.month}月{d.day}日"
