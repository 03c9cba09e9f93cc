"""Documents of the unit and the applicant: publicity period (working days, statutory calendar),
the promise letter's signature and date, the work summary's length."""

from __future__ import annotations

import re
from datetime import date, timedelta

from detectors.packet_common import located, readable, slot_files
from pipeline.extract import Located, find_dates, find_period, han_count, normalize, text_of
from pipeline.manifest import Manifest, Slot
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult


def working_days(start: date, end: date) -> int:
    """Working days from start to end inclusive, with China's statutory holidays and make-up workdays.

    ``chinese_calendar`` raises NotImplementedError for a year it has no data for: we do not guess.
    """
    import chinese_calendar

    n, d = 0, start
    while d <= end:
        n += chinese_calendar.is_workday(d)
        d += timedelta(days=1)
    return n


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    findings: list[Finding] = []
    items: list[ChecklistItem] = []
    for part in (_publicity, _promise_letter, _work_summary):
        f, i = part(m, notice, files)
        findings += f
        items += i
    return CheckResult(findings=tuple(findings), checklist=tuple(items))


def _publicity(m: Manifest, notice: Notice, files: list[FileResult]):  # noqa: ANN202
    need = notice.publicity_min_working_days
    item = f"单位公示不少于{need}个工作日"
    pubs = [fr for fr in slot_files(files, Slot.unit_publicity) if readable(fr)]
    if not pubs:
        return [], ([ChecklistItem(item=item, state="unknown", detail="无可辨认的公示材料")] if m.slot_files(Slot.unit_publicity) else [])
    year = m.submission.submitted_at.year
    for fr in pubs:
        lines = located(fr)
        period = find_period(text_of(lines), default_year=year)
        if period is None:
            continue
        start, end = period
        try:
            days = working_days(start, end)
        except NotImplementedError:
            f = Finding.of(
                FindingCode.SCREENING_ERROR,
                f"公示期为{start}至{end}，节假日数据不含该年份，无法核对工作日，请人工审核",
                slot=Slot.unit_publicity,
                file=fr.document.file,
            )
            return [f], [ChecklistItem(item=item, state="unknown", detail=f.message)]
        where = _line_with(lines, ("公示时间", "公示期", "公示日期")) or _line_with(lines, ("至",))
        detail = f"{start.isoformat()}至{end.isoformat()}，{days}个工作日"
        if days >= need:
            return [], [ChecklistItem(item=item, state="ok", detail=detail)]
        f = Finding.of(
            FindingCode.PUBLICITY_TOO_SHORT,
            f"推荐单位公示的公示期为{start.month}月{start.day}日至{end.month}月{end.day}日，只有{days}个工作日，"
            f"少于规定的{need}个工作日{notice.cite('publicity')}",
            slot=Slot.unit_publicity,
            file=fr.document.file,
            page=where.page if where else None,
            bbox=where.line.bbox if where else None,
            evidence={"start": start.isoformat(), "end": end.isoformat(), "working_days": days, "required": need, "score": 0.95},
        )
        return [f], [ChecklistItem(item=item, state="problem", detail=detail, codes=(FindingCode.PUBLICITY_TOO_SHORT,))]
    return [], [ChecklistItem(item=item, state="unknown", detail="未识别到公示起止日期，请人工核对")]


_SIGN_LABELS = ("签名", "签字", "承诺人", "申报人")
_TEMPLATE = set("签名字承诺人申报本日期时间年月（）():：_ ")


def _promise_letter(m: Manifest, notice: Notice, files: list[FileResult]):  # noqa: ANN202
    """Only where the notice asks for a promise letter (2025 四、（六）); the 2024 notice asks for none."""
    letters = [fr for fr in slot_files(files, Slot.promise_letter) if readable(fr)]
    if not letters or "promise_letter" not in notice.clauses:
        return [], []
    findings, items = [], []
    for fr in letters:
        lines = located(fr)
        signed = _signed(lines)
        dated = any(d.has_day for loc in lines for d in find_dates(loc.line.text))
        if signed and dated:
            items.append(ChecklistItem(item="个人承诺书有签名和日期", state="ok"))
            continue
        missing = "、".join(w for w, ok in (("签名", signed), ("日期", dated)) if not ok)
        label = _line_with(lines, _SIGN_LABELS)
        findings.append(
            Finding.of(
                FindingCode.UNSIGNED,
                f"个人承诺书上没有{missing}，承诺书须有本人亲笔签名和承诺时间{notice.cite('promise_letter')}",
                slot=Slot.promise_letter,
                file=fr.document.file,
                page=label.page if label else None,
                bbox=label.line.bbox if label else None,
                evidence={"signed": signed, "dated": dated, "score": 0.85},
            )
        )
        items.append(ChecklistItem(item="个人承诺书有签名和日期", state="problem", detail=f"缺少{missing}", codes=(FindingCode.UNSIGNED,)))
    return findings, items


def _signed(lines: list[Located]) -> bool:
    """A name after the signature label, on its line or on a line just beside or below it."""
    labels = [loc for loc in lines if any(w in loc.line.text for w in _SIGN_LABELS)]
    for lab in labels:
        t = normalize(lab.line.text)
        for w in _SIGN_LABELS:
            if w in t and _is_name(t.split(w, 1)[1]):
                return True
        x0, y0, x1, y1 = lab.line.bbox
        h = y1 - y0
        for loc in lines:
            if loc is lab or loc.page != lab.page:
                continue
            bx0, by0, bx1, by1 = loc.line.bbox
            beside = abs((by0 + by1) / 2 - (y0 + y1) / 2) < h and bx0 >= x1 - 0.01
            below = 0 < by0 - y1 < 2.5 * h and bx1 > x0 and bx0 < x1 + 0.3
            if (beside or below) and _is_name(normalize(loc.line.text)):
                return True
    return False


def _is_name(text: str) -> bool:
    core = "".join(ch for ch in text if ch not in _TEMPLATE and not ch.isdigit())
    return 2 <= han_count(core) <= 12 and not re.search(r"[承诺保证真实]", core[:2])


def _work_summary(m: Manifest, notice: Notice, files: list[FileResult]):  # noqa: ANN202
    bounds = notice.work_summary_chars
    summaries = slot_files(files, Slot.work_summary)
    if bounds is None or not summaries:
        return [], []
    lo, hi = bounds
    item = f"工作小结{lo}-{hi}字"
    if not all(readable(fr) and len(fr.pages) == len(fr.document.pages) for fr in summaries):
        return [], [ChecklistItem(item=item, state="unknown", detail="部分页面无法辨认，未统计字数")]
    count = sum(han_count(ln.text) for fr in summaries for p in fr.pages for ln in p.lines)
    if lo <= count <= hi:
        return [], [ChecklistItem(item=item, state="ok", detail=f"约{count}字")]
    f = Finding.of(
        FindingCode.WORK_SUMMARY_LENGTH,
        f"工作小结约{count}个汉字，{'不足' if count < lo else '超过'}规定的{lo}-{hi}字{notice.cite('work_summary')}",
        slot=Slot.work_summary,
        file=summaries[0].document.file if len(summaries) == 1 else None,
        evidence={"han_chars": count, "min": lo, "max": hi, "score": 0.9},
    )
    return [f], [ChecklistItem(item=item, state="problem", detail=f"约{count}字", codes=(FindingCode.WORK_SUMMARY_LENGTH,))]


def _line_with(lines: list[Located], words: tuple[str, ...]) -> Located | None:
    return next((loc for loc in lines if any(w in loc.line.text for w in words)), None)
