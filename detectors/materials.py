"""``MISSING_MATERIAL`` for empty required slots; ``WRONG_DOCUMENT`` when a file is another material."""

from __future__ import annotations

from detectors.packet_common import readable
from pipeline.doctypes import STRONG, classify
from pipeline.labels import SLOT_LABELS
from pipeline.manifest import Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

_MIN_TEXT_CHARS = 5  # fewer readable characters on every page: not a document at all
_FOREIGN_TEXT_CHARS = 60  # this much text read surely (>= 0.8), no material's title and at most one of their words
_FOREIGN_WORDS = 1  # ... a vehicle invoice's 合格证号 holds an appraisal's 合格; a material's body holds two or more


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    findings: list[Finding] = []
    items: list[ChecklistItem] = []
    for slot, req in notice.required_slots(m).items():
        present = [s for s in (slot, *req.alternatives) if m.slot_files(s)]
        label = notice.material_name(slot) + "".join(f"或{notice.material_name(a)}" for a in req.alternatives)
        if present:
            items.append(ChecklistItem(item=f"{label}已上传", state="ok"))
            continue
        findings.append(
            Finding.of(
                FindingCode.MISSING_MATERIAL,
                f"申报材料中没有{label}，这是本类别必须上传的材料{notice.cite_material(slot)}",
                slot=slot,
                evidence={"required": slot.value, "alternatives": [a.value for a in req.alternatives], "score": 1.0},
            )
        )
        items.append(ChecklistItem(item=f"{label}已上传", state="problem", detail="未上传", codes=(FindingCode.MISSING_MATERIAL,)))
    for fr in files:
        wrong = wrong_document(fr, notice)
        if wrong:
            findings.append(wrong)
    return CheckResult(findings=tuple(findings), checklist=tuple(items))


def wrong_document(fr: FileResult, notice: Notice) -> Finding | None:
    """The file's content is another material (or no document at all), judged on its readable pages."""
    slot = fr.document.slot
    if not fr.pages or not readable(fr):
        return None
    lines = [ln for p in fr.pages for ln in p.lines]
    chars = sum(len(ln.text) for ln in lines)
    expected = notice.material_name(slot)
    if slot == Slot.photo:
        kind = classify(lines)
        if kind.type is not None and kind.score >= STRONG and chars > 30:
            return _wrong(fr, f"照片栏上传的是{SLOT_LABELS[kind.type]}，不是本人一寸免冠照片", kind.type, kind.score, notice)
        return None
    if chars < _MIN_TEXT_CHARS:
        return _wrong(fr, f"{expected}栏上传的文件上没有可辨认的文字，不像是{expected}", None, 0.8, notice)
    first = fr.pages[0].lines
    kind = classify(first if sum(len(ln.text) for ln in first) >= _MIN_TEXT_CHARS else lines)
    whole = classify(lines)
    if not whole.titled and whole.hits <= _FOREIGN_WORDS and sum(len(ln.text) for ln in lines if ln.confidence >= 0.8) >= _FOREIGN_TEXT_CHARS:
        # a train ticket or an invoice: plenty of text, and hardly a word any material of an application uses
        return _wrong(fr, f"{expected}栏上传的文件不是申报材料（未见申报材料的字样），不像是{expected}", None, 0.6, notice)
    # another material's title words, and none of this slot's own: the upload is that other material
    if kind.type is None or kind.type == slot or kind.type not in kind.titled or slot in whole.titled:
        return None
    return _wrong(fr, f"{expected}栏上传的是{SLOT_LABELS[kind.type]}，不是{expected}", kind.type, kind.score, notice)


def _wrong(fr: FileResult, message: str, found: Slot | None, score: float, notice: Notice) -> Finding:
    return Finding.of(
        FindingCode.WRONG_DOCUMENT,
        message + notice.cite_material(fr.document.slot),
        slot=fr.document.slot,
        file=fr.document.file,
        evidence={"detected": found.value if found else None, "score": round(min(1.0, score / 6), 2)},
    )
