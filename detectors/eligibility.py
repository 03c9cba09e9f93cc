"""``NOT_ELIGIBLE``: education, full-time study, township unit, current title and years of work
against the track; for "访惠聚"三年高定, the three required appraisal years must follow the current
title (2025 三、（六）); the graduation date on the diploma against the one declared.

The graduation date is read by its anchor (the end of the study period, "…毕业"), never by its
place: a birth date is never taken for it. A date that cannot be told apart with confidence
leaves the checklist item to the auditor (待人工核对) and raises nothing.
"""

from __future__ import annotations

from datetime import date

from detectors.packet_common import add_years, completed_years, located, merged, readable, slot_files
from pipeline.facts import Graduation, graduation_of, page_texts
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
        problems.append((f"申报人学历为{EDUCATION_LABELS[level]}，本类别只适用于{allowed}学历", {"education": level.value}))
    if rules.full_time and not a.education.full_time:
        problems.append(("申报人的学历不是全日制学历，本类别要求全日制毕业", {"full_time": False}))
    if rules.township_unit and not a.township_unit:
        problems.append(("申报人不在乡镇及以下单位工作，本类别只适用于在乡镇及以下单位工作的人员", {"township_unit": False}))
    if rules.current_title_required and a.current_title is None:
        problems.append(("申报信息中没有现专业技术职务任职资格，本类别要求已取得任职资格", {"current_title": None}))
    items = [ChecklistItem(item="学历、单位与任职资格符合本类别", state="problem" if problems else "ok", detail="；".join(p for p, _ in problems))]

    need = rules.required_years(level)
    if need:
        starts = [d for d in (a.education.graduated_on, a.work_started_on) if d]
        if not starts:
            items.append(ChecklistItem(item=f"专业技术工作满{need}年", state="unknown", detail="申报信息未填写毕业或参加工作时间，请人工核对"))
        else:
            start = max(starts)
            done = add_years(start, need)
            submitted = m.submission.submitted_at.date()
            if done > submitted:
                problems.append(
                    (
                        f"申报人自{_day(start)}起从事专业技术工作，到提交时不满{need}年（{_day(done)}才满{need}年）",
                        {"work_from": start.isoformat(), "years_required": need},
                    )
                )
            items.append(ChecklistItem(item=f"专业技术工作满{need}年", state="problem" if done > submitted else "ok", detail=f"自{_day(start)}起"))
    findings = [Finding.of(FindingCode.NOT_ELIGIBLE, f"{text}{cite}", evidence=ev | {"score": 1.0}) for text, ev in problems]
    if problems:
        items[0] = items[0].model_copy(update={"codes": (FindingCode.NOT_ELIGIBLE,)})

    title_finding, title_item = title_before_years(m, notice)
    if title_item:
        items.append(title_item)
    if title_finding:
        findings.append(title_finding)

    mismatch, item = graduation_check(m, files, notice)
    findings += mismatch
    items.append(item)
    return CheckResult(findings=merged(findings), checklist=tuple(items))


def title_before_years(m: Manifest, notice: Notice) -> tuple[Finding | None, ChecklistItem | None]:
    """2025 三、（六）: the three excellent years must come after the current title: a required
    appraisal year counts when the title was obtained before that year ended."""
    rules = notice.rules_for(m.track)
    title = m.applicant.current_title
    if not rules.appraisal_years_after_title or title is None:
        return None, None
    years = sorted(completed_years(m, rules.appraisal_year_count(m.applicant.education.level)))
    item = f"{years[0]}—{years[-1]}年度均在取得现任职资格之后"
    if title.obtained_on is None:
        return None, ChecklistItem(item=item, state="unknown", detail="申报信息未填写取得现任职资格的时间，请人工核对")
    got = title.obtained_on
    counted = [y for y in years if got <= date(y, 12, 31)]
    before = [y for y in years if y not in counted]
    if not before:
        return None, ChecklistItem(item=item, state="ok", detail=f"{_day(got)}取得现任职资格")
    counts = "、".join(f"{y}年" for y in counted) or "没有一年"
    text = (
        f"申报人于{_day(got)}取得现任职资格，近三个考核年度中{'、'.join(f'{y}年' for y in before)}"
        f"在取得任职资格之前已经结束，不能计入；能计入的只有{counts}，"
        f"不满足取得任职资格后连续三年考核优秀的条件{notice.cite('fhj_title')}"
    )
    finding = Finding.of(
        FindingCode.NOT_ELIGIBLE,
        text,
        evidence={"title_obtained_on": got.isoformat(), "years_counted": counted, "years_before_title": before, "score": 1.0},
    )
    return finding, ChecklistItem(item=item, state="problem", detail=f"只有{counts}可计入", codes=(FindingCode.NOT_ELIGIBLE,))


def graduation_check(m: Manifest, files: list[FileResult], notice: Notice) -> tuple[list[Finding], ChecklistItem]:
    """The diploma's graduation date against the one declared; unsure readings go to the auditor."""
    item = "毕业证书上的毕业时间与申报填写一致"
    declared = m.applicant.education.graduated_on
    diplomas = [fr for fr in slot_files(files, Slot.diploma) if readable(fr)]
    if declared is None:
        return [], ChecklistItem(item=item, state="unknown", detail="申报信息未填写毕业时间，请人工核对")
    if not diplomas:
        return [], ChecklistItem(item=item, state="unknown", detail="没有可辨认的毕业证书，请人工核对")
    notes = []
    for fr in diplomas:
        read = graduation_of(page_texts(located(fr)))
        if read is None:
            notes.append(f"{fr.document.file}上未能辨认毕业时间")
            continue
        months = abs((read.value.year - declared.year) * 12 + read.value.month - declared.month)
        if months <= 1:
            return [], ChecklistItem(item=item, state="ok", detail=f"毕业证书：{_month(read.value)}（“{_quote(read)}”）")
        if not read.sure:
            notes.append(_unsure(read, fr))
            continue
        finding = Finding.of(
            FindingCode.NOT_ELIGIBLE,
            f"毕业证书上的毕业时间为{_month(read.value)}（第{read.where.page}页“{_quote(read)}”），"
            f"与申报填写的毕业时间{_month(declared)}不一致{notice.cite('consistency')}",
            slot=Slot.diploma,
            file=fr.document.file,
            page=read.where.page,
            bbox=read.where.bbox,
            evidence={
                "diploma": f"{read.value.year}-{read.value.month:02d}",
                "declared": declared.isoformat(),
                "anchor": read.anchor,
                "text": read.where.text,
                "score": 0.9,
            },
        )
        return [finding], ChecklistItem(item=item, state="problem", detail=finding.message, codes=(FindingCode.NOT_ELIGIBLE,))
    return [], ChecklistItem(item=item, state="unknown", detail="；".join(notes) + f"；申报填写{_month(declared)}，请人工核对")


def _unsure(read: Graduation, fr: FileResult) -> str:
    if read.anchor == "落款":
        why = "只读到落款日期，无法确认是毕业时间"
    elif read.anchor in ("发证日期", "颁发日期", "签发日期", "日期"):
        why = "只读到发证日期，无法确认是毕业时间"
    else:
        why = "该日期辨认不清"
    return f"{fr.document.file}第{read.where.page}页读到{_month(read.value)}（“{_quote(read)}”），{why}"


def _quote(read: Graduation) -> str:
    return read.quote or read.where.text[:30]


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _month(d: date) -> str:
    return f"{d.year}年{d.month}月"
