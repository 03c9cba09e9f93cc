"""``NAME_MISMATCH``: a material that names its holder names someone other than the applicant.

Only where the notice lists holder materials (``cross_checks.holder_slots``: the 2025 tracks, whose
names are not masked). The holder's name is read where the document states it (a 姓名 field,
"学生XXX，性别…", "XXX，女，一九八四年…生", "兹证明XXX同志…", see ``pipeline.facts.holder_names``);
names elsewhere on the page (signatories, leaders, colleagues) are never compared. A page that
reads as another material altogether is left to ``WRONG_DOCUMENT``.

The comparison uses the masking check's matching (``detectors.names``: separators and spaces
ignored, OCR slips tolerated by length) and answers one of:

- same: the applicant's whole name, with or without "·" or spaces, within the slips allowed;
- unsure (待人工核对, no finding): only a part of a multi-part name was read, the name differs
  from the applicant's by one character on a poorly read line, or only by the characters with
  which one Uyghur or Kazakh syllable is written in Chinese (买买提/麦麦提, 古丽/古力);
- other: any other name, including one that shares a part with the applicant's
  (阿依古丽·吐尔逊 is not 阿依古丽·买买提).
"""

from __future__ import annotations

from detectors.names import allowed_errors, find, variants_of_name
from detectors.packet_common import located, readable
from pipeline.facts import SURE_CONFIDENCE, NameReading, holder_names, page_texts
from pipeline.manifest import Manifest
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

ITEM = "各材料上的持证人姓名与申报人一致"

# Characters that write the same syllable of a Uyghur or Kazakh name (transliterations vary between
# a person's own documents); compared alike, a difference in them only is left to the auditor.
_SYLLABLE_VARIANTS = (
    "买麦迈", "力丽里利莉", "提题", "尔儿", "孜兹子", "吐图", "汗罕", "江疆", "依伊", "艾爱", "古故",
    "努奴", "热惹", "萨沙", "克科", "斯思丝", "尼妮", "娜纳", "玛马", "合和", "别贝", "木穆", "帕怕", "西希",
)
_CANON = {ch: group[0] for group in _SYLLABLE_VARIANTS for ch in group}


def same_person(read: str, applicant: str, confidence: float = 1.0) -> str:
    """``same`` | ``unsure`` | ``other``: is the name read on a document the applicant's?"""
    a_vars, r_vars = variants_of_name(applicant), variants_of_name(read)
    a, r = a_vars[0][0], r_vars[0][0]
    if not a or not r:
        return "unsure"
    if r == a:
        return "same"
    hit = find(a, r)
    if hit and (len(r) == hit[1] - hit[0] or (len(a) >= 4 and len(r) - (hit[1] - hit[0]) <= 1)):
        return "same"  # the whole name within the OCR slips its length allows (a long one with a stray character)
    a_parts, r_parts = [p for p, _ in a_vars[1:]] or [a], [p for p, _ in r_vars[1:]] or [r]
    if len(r) >= 2 and r in a:
        return "unsure"  # a part of the name only (one part of 阿依古丽·买买提, a surname lost): not enough to tell who
    if len(r_parts) > 1 and len(a_parts) > 1 and len(r_parts) == len(a_parts):
        if [_canon(p) for p in r_parts] == [_canon(p) for p in a_parts]:
            return "unsure"  # the same syllables, written with other characters
        return "other"
    if len(a) >= 4 and _canon(r) == _canon(a):
        return "unsure"
    if len(r) == len(a) and _differing(a, r) == 1 and (confidence < SURE_CONFIDENCE or allowed_errors(a) > 0):
        return "unsure"  # one character off on a line read poorly
    return "other"


def _canon(s: str) -> str:
    return "".join(_CANON.get(ch, ch) for ch in s)


def _differing(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    slots = notice.cross_checks.holder_slots
    holder_files = [fr for fr in files if fr.document.slot in slots]
    if not slots or not holder_files:
        return CheckResult()
    applicant = m.applicant.name
    findings: list[Finding] = []
    same, unsure, unread = [], [], []
    for fr in holder_files:
        label = notice.material_name(fr.document.slot)
        if not readable(fr):
            unread.append(label)
            continue
        # a page that reads as a material naming no holder (a publicity notice, a report) is WRONG_DOCUMENT's
        own = [p for p in fr.pages if p.info.type is None or p.info.type in {s.value for s in slots}]
        readings = holder_names(page_texts(located(fr.model_copy(update={"pages": tuple(own)}))))
        if not readings:
            unread.append(label)
        for reading in readings:
            verdict = same_person(reading.text, applicant, reading.where.confidence)
            if not reading.sure:  # the cell beside 姓名 is ambiguous (a page photographed askew)
                others = [same_person(alt, applicant, reading.where.confidence) for alt in reading.alternatives]
                verdict = "same" if "same" in (verdict, *others) else "unsure"
            if verdict == "same":
                same.append(label)
            elif verdict == "unsure":
                unsure.append(f"{label}第{reading.where.page}页读到“{reading.text}”")
            else:
                findings.append(_finding(fr, reading, applicant, notice))
    return CheckResult(findings=tuple(findings), checklist=(_item(findings, same, unsure, unread, applicant),))


def _finding(fr: FileResult, reading: NameReading, applicant: str, notice: Notice) -> Finding:
    slot = fr.document.slot
    return Finding.of(
        FindingCode.NAME_MISMATCH,
        f"{notice.material_name(slot)}上写明的持证人姓名为“{reading.text}”，与申报人{applicant}不一致，"
        f"上传的可能是他人的材料{notice.cite_material(slot)}",
        slot=slot,
        file=fr.document.file,
        page=reading.where.page,
        bbox=reading.where.bbox,
        evidence={"text": reading.text, "applicant": applicant, "anchor": reading.anchor, "line": reading.where.text, "score": 0.9},
    )


def _item(findings: list[Finding], same: list[str], unsure: list[str], unread: list[str], applicant: str) -> ChecklistItem:
    parts = []
    if findings:
        parts += [f"{f.evidence['text']}（{f.file}第{f.page}页）" for f in findings]
    if same:
        parts.append(f"{'、'.join(dict.fromkeys(same))}：{applicant}")
    if unsure:
        parts.append("；".join(unsure) + "，请人工核对")
    if unread:
        parts.append(f"未读到持证人姓名：{'、'.join(dict.fromkeys(unread))}")
    if findings:
        state = "problem"
    elif unsure or not same:
        state = "unknown"
    else:
        state = "ok"
    return ChecklistItem(item=ITEM, state=state, detail="；".join(parts), codes=(FindingCode.NAME_MISMATCH,) if findings else ())
