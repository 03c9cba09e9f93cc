"""``NOT_ELIGIBLE``: education, full-time study, township unit, current title and years of work
against the track; the graduation date on the diploma against the one declared."""

from __future__ import annotations

import re
from datetime import date

from detectors.packet_common import add_years, located, merged, readable, slot_files
from pipeline.extract import NUM, cn_number, find_dates, normalize
from pipeline.manifest import EducationLevel, Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult

EDUCATION_LABELS = {
    EducationLevel.technical_secondary: "中专",
    EducationLevel.junior_college: "大专",
    EducationLevel.bachelor: "本科",
    EducationLevel.master: "硕士",
    EducationLevel.doctor: "博士",
    EducationLevel.postdoc: "博士后",
}


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    rules = notice.rules_for(m.track)
    a = m.applicant
    cite = notice.cite("eligibility")
    problems: list[tuple[str, dict]] = []
    level = a.education.level
    if rules.education_in is not None and level not in rules.education_in:
        allowed = "、".join(EDUCATION_LABELS[e] for e in rules.education_in)
        problems.append((f"学历为{EDUCATION_LABELS[level]}，本类别要求{allowed}", {"education": level.value}))
    if rules.full_time and not a.education.full_time:
        problems.append(("本类别要求全日制学历", {"full_time": False}))
    if rules.township_unit and not a.township_unit:
        problems.append(("本类别要求在乡镇及以下单位工作", {"township_unit": False}))
    if rules.current_title_required and a.current_title is None:
        problems.append(("未取得现专业技术职务任职资格", {"current_title": None}))
    items = [ChecklistItem(item="学历、单位与任职资格符合本类别", state="problem" if problems else "ok", detail="；".join(p for p, _ in problems))]

    need = rules.required_years(level)
    if need:
        starts = [d for d in (a.education.graduated_on, a.work_started_on) if d]
        if not starts:
            items.append(ChecklistItem(item=f"专业技术工作满{need}年", state="unknown", detail="未填写毕业或参加工作时间"))
        else:
            start = max(starts)
            done = add_years(start, need)
            submitted = m.submission.submitted_at.date()
            if done > submitted:
                problems.append(
                    (f"自{start.isoformat()}起至提交时不满{need}年专业技术工作（满{need}年为{done.isoformat()}）", {"work_from": start.isoformat(), "years_required": need})
                )
            items.append(ChecklistItem(item=f"专业技术工作满{need}年", state="problem" if done > submitted else "ok", detail=f"自{start.isoformat()}起"))

    findings = [
        Finding.of(FindingCode.NOT_ELIGIBLE, f"不符合申报条件：{text}{cite}", evidence=ev | {"score": 1.0}) for text, ev in problems
    ]
    mismatch = graduation_mismatch(m, files, notice)
    if mismatch:
        findings.append(mismatch)
    items.append(
        ChecklistItem(item="毕业证书与申报毕业时间一致", state="problem" if mismatch else "ok", detail=mismatch.message if mismatch else "")
    )
    for f in findings:
        items[-1 if f is mismatch else 0] = items[-1 if f is mismatch else 0].model_copy(update={"codes": (FindingCode.NOT_ELIGIBLE,)})
    return CheckResult(findings=merged(findings), checklist=tuple(items))


_STUDY_END = re.compile(rf"至{NUM}年{NUM}月")


def diploma_graduation(fr: FileResult) -> tuple[date, int, tuple] | None:
    """Graduation month read from a diploma: the end of the study period, else its latest date."""
    lines = located(fr)
    for loc in lines:
        t = normalize(loc.line.text)
        m = _STUDY_END.search(t)
        if m and (y := cn_number(m.group(1))) and (mo := cn_number(m.group(2))) and 1950 < y < 2100 and 1 <= mo <= 12:
            return date(y, mo, 1), loc.page, loc.line.bbox
    dated = [(d.value, loc) for loc in lines for d in find_dates(loc.line.text)]
    if not dated:
        return None
    value, loc = max(dated, key=lambda x: x[0])
    return value.replace(day=1), loc.page, loc.line.bbox


def graduation_mismatch(m: Manifest, files: list[FileResult], notice: Notice) -> Finding | None:
    declared = m.applicant.education.graduated_on
    if declared is None:
        return None
    for fr in slot_files(files, Slot.diploma):
        if not readable(fr):
            continue
        read = diploma_graduation(fr)
        if read is None:
            continue
        when, page, bbox = read
        months = abs((when.year - declared.year) * 12 + when.month - declared.month)
        if months > 1:
            return Finding.of(
                FindingCode.NOT_ELIGIBLE,
                f"毕业证书显示毕业时间为{when.year}年{when.month}月，与申报填写的{declared.year}年{declared.month}月不一致{notice.cite('eligibility')}",
                slot=Slot.diploma,
                file=fr.document.file,
                page=page,
                bbox=bbox,
                evidence={"diploma": f"{when.year}-{when.month:02d}", "declared": declared.isoformat(), "score": 0.9},
            )
    return None
