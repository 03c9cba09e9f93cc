"""``DATE_INCONSISTENT``: a date on a material contradicts the packet.

- the unit publicity had not ended when the packet was submitted (its last day is the day of
  submission or later);
- the publicity result is dated before the publicity ended;
- the promise letter is dated after the submission (where the notice asks for one);
- a certificate or an appraisal is dated after the submission.

Each date is the one its anchor says (``pipeline.facts``): the publicity period after 公示时间,
a document's date of issue (发证日期, 承诺时间…) or its 落款 line; a study period, a birth date or
a 年度 is never taken for it. A date read poorly that would contradict the packet goes to the
auditor (待人工核对) instead of raising a finding. The message names both dates and where each
was read.
"""

from __future__ import annotations

from datetime import date

from detectors.packet_common import located, readable, slot_files
from pipeline.extract import Located, find_period, text_of
from pipeline.facts import SURE_CONFIDENCE, DateReading, page_texts, signed_date
from pipeline.manifest import CHINA_TZ, Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

ITEM = "材料上的日期与申报提交时间相符"
DATED_MATERIALS = (
    Slot.diploma,
    Slot.degree_certificate,
    Slot.foreign_degree_certification,
    Slot.postdoc_certificate,
    Slot.title_certificate,
    Slot.ce_certificate,
    Slot.teacher_qualification,
    Slot.mandarin_certificate,
    Slot.annual_appraisal,
)


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if not notice.cross_checks.dates:
        return CheckResult()
    submitted = m.submission.submitted_at.astimezone(CHINA_TZ)
    today = submitted.date()
    findings: list[Finding] = []
    checked: list[str] = []
    unsure: list[str] = []

    end = _publicity_end(m, files)
    if end is not None:
        value, fr, loc = end
        where = f"推荐单位公示{fr.document.file}第{loc.page}页“{_short(loc.line.text)}”"
        checked.append(f"公示期至{_day(value)}")
        if value >= today:
            if loc.line.confidence < SURE_CONFIDENCE:
                unsure.append(f"{where}的公示截止日期辨认不清")
            else:
                findings.append(
                    _finding(
                        fr, loc.page, loc.line.bbox,
                        f"推荐单位公示的公示期到{_day(value)}才结束（{where}），申报却在{_time(submitted)}提交，"
                        f"提交时公示尚未期满{notice.cite('publicity')}",
                        {"date": value.isoformat(), "read_at": where, "compared_with": submitted.isoformat(), "rule": "publicity_not_ended"},
                    )
                )
        for rf in slot_files(files, Slot.publicity_result):
            if not readable(rf):
                continue
            d = _last_signed(rf)
            if d is None:
                unsure.append(f"未能读出公示结果{rf.document.file}的落款日期")
                continue
            checked.append(f"公示结果落款{_day(d.value)}")
            if d.value < value:
                rwhere = f"公示结果{rf.document.file}第{d.where.page}页“{d.quote}”"
                if not d.sure:
                    unsure.append(f"{rwhere}的日期辨认不清")
                    continue
                findings.append(
                    _finding(
                        rf, d.where.page, d.where.bbox,
                        f"推荐单位公示结果落款日期为{_day(d.value)}（{rwhere}），早于公示期结束的{_day(value)}（{where}），"
                        f"公示尚未期满就出具了公示结果{notice.cite('publicity_result')}",
                        {"date": d.value.isoformat(), "read_at": rwhere, "compared_with": value.isoformat(), "compared_at": where, "rule": "result_before_publicity_end"},
                    )
                )

    dated = [(fr, notice.cite("promise_letter")) for fr in slot_files(files, Slot.promise_letter)] if "promise_letter" in notice.clauses else []
    dated += [(fr, notice.cite("timeliness")) for fr in files if fr.document.slot in DATED_MATERIALS]
    for fr, cite in dated:
        if not readable(fr):
            continue
        label = notice.material_name(fr.document.slot)
        for page in page_texts(located(fr)):
            d = signed_date(page)
            if d is None:
                continue
            if d.value <= today:
                checked.append(f"{label}{_day(d.value)}")
                continue
            where = f"{label}{fr.document.file}第{d.where.page}页“{d.quote}”"
            if not d.sure:
                unsure.append(f"{where}的日期晚于提交日期但辨认不清")
                continue
            findings.append(
                _finding(
                    fr, d.where.page, d.where.bbox,
                    f"{label}上的日期为{_day(d.value)}（{where}），晚于申报提交时间{_time(submitted)}{cite}",
                    {"date": d.value.isoformat(), "read_at": where, "anchor": d.anchor, "compared_with": submitted.isoformat(), "rule": "dated_after_submission"},
                )
            )
    return CheckResult(findings=tuple(findings), checklist=(_item(findings, checked, unsure),))


def _publicity_end(m: Manifest, files: list[FileResult]) -> tuple[date, FileResult, Located] | None:
    year = m.submission.submitted_at.astimezone(CHINA_TZ).year
    for fr in slot_files(files, Slot.unit_publicity):
        if not readable(fr):
            continue
        lines = located(fr)
        period = find_period(text_of(lines), default_year=year)
        if period is None:
            continue
        where = next((loc for loc in lines if any(w in loc.line.text for w in ("公示时间", "公示期", "公示日期", "公示时限"))), None)
        where = where or next((loc for loc in lines if "至" in loc.line.text), lines[0])
        return period[1], fr, where
    return None


def _last_signed(fr: FileResult) -> DateReading | None:
    found = [d for page in page_texts(located(fr)) if (d := signed_date(page))]
    return found[-1] if found else None


def _finding(fr: FileResult, page: int, bbox, message: str, evidence: dict) -> Finding:  # noqa: ANN001
    return Finding.of(
        FindingCode.DATE_INCONSISTENT,
        message,
        slot=fr.document.slot,
        file=fr.document.file,
        page=page,
        bbox=bbox,
        evidence=evidence | {"score": 0.85},
    )


def _item(findings: list[Finding], checked: list[str], unsure: list[str]) -> ChecklistItem:
    if findings:
        return ChecklistItem(item=ITEM, state="problem", detail="；".join(f.message.split("（依据")[0] for f in findings), codes=(FindingCode.DATE_INCONSISTENT,))
    if unsure:
        return ChecklistItem(item=ITEM, state="unknown", detail="；".join(unsure) + "，请人工核对")
    if not checked:
        return ChecklistItem(item=ITEM, state="unknown", detail="未读到可比对的日期，请人工核对")
    return ChecklistItem(item=ITEM, state="ok", detail="；".join(dict.fromkeys(checked)))


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:28] + "…"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _time(dt) -> str:  # noqa: ANN001
    return f"{dt.year}年{dt.month}月{dt.day}日{dt.hour:02d}:{dt.minute:02d}"
