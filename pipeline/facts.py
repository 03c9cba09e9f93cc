"""Facts read off a document, each told apart by what its text says it is (its anchor), never by
where it stands on the page.

A diploma holds a birth date, a study period and a date of issue; which one is the graduation date
is said by the words around it (``至…在本校学习``, ``…毕业``, ``…生``), not by being the latest or
the first. Every fact carries where it was read (page, box, line) and whether it can be relied on
(``sure``): a date whose 〇 the OCR dropped and that had to be restored, a line read with low
confidence, or a date told apart only by its place (a line holding nothing but a date) is not sure.
The rules raise findings on sure facts only and leave the rest to the auditor (待人工核对).

Works on text lines already read (OCR or PDF text layer): nothing here looks at pixels.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.extract import ZERO_LIKE, Located, cn_number, normalize, years_in
from pipeline.models import BBox, TextLine

SURE_CONFIDENCE = 0.85
"""OCR line confidence below which a digit read on that line is not relied on (PP-OCR gives
0.96-1.0 on the clean and moderately degraded generated pages, 0.6-0.85 where characters were
confused)."""


# ---------------------------------------------------------------- page text


@dataclass(frozen=True)
class Where:
    """Where a fact was read: page, box on the upright page, the line(s) and their lowest confidence."""

    page: int
    bbox: BBox
    text: str
    confidence: float


class PageText:
    """A page's lines in reading order (rows top to bottom, cells left to right), normalized and
    joined without separators, with each character traced back to its line."""

    def __init__(self, page: int, lines: Sequence[TextLine]) -> None:
        self.page = page
        rows = _rows(lines)
        self.lines = [ln for row in rows for ln in row]
        self.row = [r for r, row in enumerate(rows) for _ in row]  # each line's row
        self.norm = [normalize(ln.text) for ln in self.lines]
        self.starts: list[int] = []
        pos = 0
        for t in self.norm:
            self.starts.append(pos)
            pos += len(t)
        self.text = "".join(self.norm)

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def where(self, start: int, end: int) -> Where:
        """The box of characters ``start..end`` (a share of each line's box, by character count)."""
        first, last = self.line_of(start), self.line_of(max(start, end - 1))
        boxes, texts, conf = [], [], 1.0
        for i in range(first, last + 1):
            ln, t, s0 = self.lines[i], self.norm[i], self.starts[i]
            a, b = max(start, s0) - s0, min(end, s0 + len(t)) - s0
            x0, y0, x1, y1 = ln.bbox
            n = max(1, len(t))
            boxes.append((x0 + (x1 - x0) * a / n, y0, x0 + (x1 - x0) * b / n, y1))
            texts.append(ln.text)
            conf = min(conf, ln.confidence)
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        return Where(self.page, tuple(round(v, 4) for v in box), " ".join(texts), conf)  # type: ignore[arg-type]

    def context(self, start: int, end: int, n_before: int, n_after: int) -> tuple[str, str]:
        """Up to ``n_before`` characters before ``start`` and ``n_after`` after ``end``, not crossing
        into another paragraph, row or cell (a wrapped line's continuation is crossed)."""
        lo = max(0, start - n_before)
        k = self.line_of(start)
        while self.starts[k] > lo:
            if not self.continues(self.starts[k]):
                lo = self.starts[k]
                break
            k -= 1
        hi = min(len(self.text), end + n_after)
        j = self.line_of(max(start, end - 1)) + 1
        while j < len(self.starts) and self.starts[j] < hi:
            if not self.continues(self.starts[j]):
                hi = self.starts[j]
                break
            j += 1
        return self.text[lo:start], self.text[end:hi]

    def is_line_start(self, offset: int) -> bool:
        return offset in self.starts

    def continues(self, offset: int) -> bool:
        """The line starting at ``offset`` carries on the sentence of the line before it (a wrapped line)."""
        i = self.line_of(offset)
        if i == 0 or self.starts[i] != offset:
            return False
        if self.row[i] == self.row[i - 1]:
            return True  # the next cell of a form's row ("毕业时间" | "2016年7月")
        prev, cur = self.lines[i - 1], self.lines[i]
        right = max(ln.bbox[2] for ln in self.lines)
        longest = max(len(t) for t in self.norm)
        return (
            prev.bbox[2] >= right - 0.06  # the line before runs to the right margin...
            and len(self.norm[i - 1]) >= 0.7 * longest  # ...as a full line of body text does (not a title)
            and not re.search(r"[。：:；;！!？?]$", self.norm[i - 1])
            and not re.match(r"[\u4e00-\u9fff]{2,6}[:：]", self.norm[i])  # a new field ("出生日期：…") starts
            and cur.bbox[1] > prev.bbox[1]
        )


def page_texts(located: Iterable[Located]) -> list[PageText]:
    by_page: dict[int, list[TextLine]] = {}
    for loc in located:
        by_page.setdefault(loc.page, []).append(loc.line)
    return [PageText(page, lines) for page, lines in sorted(by_page.items())]


def _rows(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows (boxes overlapping by half their height), top to bottom, each left to right."""
    rows: list[list[TextLine]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        if rows:
            row = rows[-1]
            top, bottom = min(r.bbox[1] for r in row), max(r.bbox[3] for r in row)
            overlap = min(bottom, ln.bbox[3]) - max(top, ln.bbox[1])
            if overlap > 0.5 * min(bottom - top, ln.bbox[3] - ln.bbox[1]):
                row.append(ln)
                continue
        rows.append([ln])
    return [sorted(row, key=lambda ln: ln.bbox[0]) for row in rows]


# ---------------------------------------------------------------- dates

_CN = "〇一二三四五六七八九十" + ZERO_LIKE
_Y = rf"(\d{{4}}|[{_CN}0]{{2,4}})"
_MD = rf"(\d{{1,2}}|[{_CN}0]{{1,3}})"
_DATE = re.compile(rf"{_Y}年{_MD}月(?:{_MD}[日号])?|(\d{{4}})[.\-/](\d{{1,2}})[.\-/](\d{{1,2}})(?!\d)")
_SEP = r"[至到\-~—–－―]"


@dataclass(frozen=True)
class DateReading:
    """One date on a page and what its anchor says it is.

    ``kind``: birth | study_start | graduation | issue | signed | publicity_start | publicity_end |
    period_start | period_end | other. ``signed`` is a date on a line of its own (a 落款 date):
    told apart by its place only, so a rule may use it to agree, never alone to disagree.
    """

    kind: str
    value: date
    has_day: bool
    sure: bool
    where: Where
    anchor: str
    start: int
    end: int
    quote: str = ""  # the date with a few characters around it, as read
    alternatives: tuple[date, ...] = ()  # other dates it may be (a year whose dropped 〇 can be restored two ways)


def _years(raw: str) -> tuple[list[int], bool]:
    """The years ``raw`` may be, and whether it was read as written. A year in words whose 〇 the
    OCR dropped is restored every way it can be, as not sure: 二一六 is 2016, 二一 is 2001 or 2010."""
    if raw.isdigit():
        return [int(raw)], True
    if len(raw) == 4:
        y = cn_number(raw)
        return ([y] if y else []), True
    if raw[0] != "二" or len(raw) not in (2, 3):
        return [], False
    digits = raw[1:]
    out = []
    for zeros in itertools.combinations(range(3), 3 - len(digits)):  # where the dropped 〇 stood
        rest = iter(digits)
        y = cn_number("二" + "".join("〇" if i in zeros else next(rest) for i in range(3)))
        if y and 1990 <= y < 2100 and y not in out:
            out.append(y)
    return out, False


def _year(raw: str) -> tuple[int | None, bool]:
    years, exact = _years(raw)
    return (years[0] if years else None), exact


def scan_dates(text: str) -> list[tuple[int, int, date, bool, bool, tuple[date, ...]]]:
    """(start, end, value, has_day, read as written, other readings) for every date in a normalized text."""
    out = []
    for m in _DATE.finditer(text):
        if m.group(1):
            years, exact = _years(m.group(1))
            mo, day = cn_number(m.group(2)), cn_number(m.group(3)) if m.group(3) else 1
            has_day = bool(m.group(3))
        else:
            years, exact, mo, day, has_day = [int(m.group(4))], True, int(m.group(5)), int(m.group(6)), True
        values = []
        for year in years:
            try:
                if mo is not None and day is not None and 1900 <= year <= 2100:
                    values.append(date(year, mo, day))
            except ValueError:
                continue
        if values:
            out.append((m.start(), m.end(), values[0], has_day, exact, tuple(values[1:])))
    return out


_BIRTH_AFTER = re.compile(r"^(?:出生|生)(?!效|产|活|态|物)")
_BIRTH_BEFORE = re.compile(r"(?:出生日期|出生年月日?|出生于|生于|出生)[:：]?$")
_GRAD_AFTER = re.compile(r"^[，,]?(?:毕业|结业|出站)")
_GRAD_BEFORE = re.compile(r"(?:毕业时间|毕业日期|毕业年月|出站时间|出站日期)[:：]?$")
_START_AFTER = re.compile(r"^[，,]?(?:入学|进站)")
_START_BEFORE = re.compile(r"(?:入学时间|入学日期|入学年月|进站时间|进站日期)[:：]?$")
_ISSUE_BEFORE = re.compile(
    r"(?:发证日期|颁发日期|签发日期|发证时间|颁证日期|批准日期|授予日期|填表日期|承诺时间|承诺日期|签字日期|签名日期|日期)[:：]?$"
)
_STUDY_CONTEXT = re.compile(r"学习|就读|在本校|在我校|在校|学制|修业|攻读|本科|专科|研究生")
_PUBLICITY_CONTEXT = re.compile(r"公示时间|公示期|公示日期|公示时限|进行了?公示|予以公示|公示")


def dates_of(page: PageText) -> list[DateReading]:
    """Every date of a page, each with the kind its anchor gives it."""
    t = page.text
    raw = scan_dates(t)
    kinds: dict[int, tuple[str, str]] = {}
    # periods first: "A至B" is a study period, a publicity period or some other span
    for (s1, e1, *_), (s2, e2, *_) in zip(raw, raw[1:], strict=False):
        between = t[e1:s2]
        if not re.fullmatch(rf"{_SEP}{{1,2}}|[起自]?{_SEP}{{1,2}}", between):
            continue
        before, after = page.context(s1, e2, 16, 16)
        if _PUBLICITY_CONTEXT.search(before) or _PUBLICITY_CONTEXT.search(after):
            kinds[s1], kinds[s2] = ("publicity_start", "公示"), ("publicity_end", "公示")
        elif _STUDY_CONTEXT.search(after) or _STUDY_CONTEXT.search(before):
            kinds[s1], kinds[s2] = ("study_start", "至…学习"), ("graduation", "至…学习")
        else:
            kinds[s1], kinds[s2] = ("period_start", "至"), ("period_end", "至")
    out = []
    for s, e, value, has_day, exact, alternatives in raw:
        before, after = page.context(s, e, 8, 4)
        kind, anchor = kinds.get(s, ("other", ""))
        # a label before the date ("毕业时间：") says more than a word after it, which may be the next field's label
        if _BIRTH_BEFORE.search(before):
            kind, anchor = "birth", "出生"
        elif kind == "other" and _GRAD_BEFORE.search(before):
            kind, anchor = "graduation", "毕业时间"
        elif kind == "other" and _START_BEFORE.search(before):
            kind, anchor = "study_start", "入学时间"
        elif kind == "other" and _ISSUE_BEFORE.search(before):
            kind, anchor = "issue", _ISSUE_BEFORE.search(before).group(0).rstrip(":：")
        elif _BIRTH_AFTER.search(after):
            kind, anchor = "birth", "生"
        elif kind == "other" and _GRAD_AFTER.search(after):
            kind, anchor = "graduation", "毕业"
        elif kind == "other" and _START_AFTER.search(after):
            kind, anchor = "study_start", "入学"
        elif kind == "other" and _alone_on_line(page, s, e):
            kind, anchor = "signed", "落款"
        where = page.where(s, e)
        sure = exact and where.confidence >= SURE_CONFIDENCE
        b, a = page.context(s, e, 6, 6)
        out.append(DateReading(kind, value, has_day, sure, where, anchor, s, e, b + t[s:e] + a, alternatives))
    return out


def _alone_on_line(page: PageText, start: int, end: int) -> bool:
    """The date is all its line says (a 落款 date), give or take a label-free character or two."""
    i = page.line_of(start)
    if page.line_of(max(start, end - 1)) != i:
        return False
    rest = page.norm[i][: start - page.starts[i]] + page.norm[i][end - page.starts[i] :]
    return len(re.sub(r"[。.，,（）()\s]", "", rest)) <= 1


# ---------------------------------------------------------------- graduation


@dataclass(frozen=True)
class Graduation:
    """The graduation month read off a diploma; ``sure`` when its anchor says it is the graduation
    (the end of the study period, ``…毕业``) and its digits were read as written."""

    value: date
    sure: bool
    where: Where
    anchor: str
    quote: str = ""
    others: tuple[DateReading, ...] = ()  # the other dates of the document, each with its kind


def graduation_of(pages: Sequence[PageText]) -> Graduation | None:
    """The graduation date of a diploma, by anchor. Without an anchored one, the date of issue (a
    diploma is issued when its holder graduates) is offered as not sure: it may confirm the date
    declared, it never contradicts it on its own. A birth date is never a graduation date."""
    readings = [d for p in pages for d in dates_of(p)]
    anchored = [d for d in readings if d.kind == "graduation"]
    issued = [d for d in readings if d.kind in ("issue", "signed")]
    if anchored:
        months = {(d.value.year, d.value.month) for d in anchored if d.sure}
        best = next((d for d in anchored if d.sure), anchored[0])
        sure = best.sure and len(months) <= 1
        value = best.value
        if not best.sure:  # digits restored or poorly read: sure only if a well-read date of issue says the same
            issued_months = {(d.value.year, d.value.month) for d in issued if d.sure}
            agreeing = [v for v in (best.value, *best.alternatives) if (v.year, v.month) in issued_months]
            sure, value = bool(agreeing), (agreeing[0] if agreeing else best.value)
        return Graduation(value.replace(day=1), sure, best.where, best.anchor, best.quote, tuple(readings))
    if issued:
        last = issued[-1]
        return Graduation(last.value.replace(day=1), False, last.where, last.anchor, last.quote, tuple(readings))
    return None


# ---------------------------------------------------------------- the date a document bears


def signed_date(page: PageText, kinds: tuple[str, ...] = ("issue", "signed")) -> DateReading | None:
    """The date a page was issued or signed: an anchored issue date (发证日期, 承诺时间, 日期…),
    else the last date standing on a line of its own (its 落款)."""
    readings = dates_of(page)
    anchored = [d for d in readings if d.kind == "issue" and "issue" in kinds]
    if anchored:
        return anchored[-1]
    alone = [d for d in readings if d.kind in kinds]
    return alone[-1] if alone else None


# ---------------------------------------------------------------- ID card validity


@dataclass(frozen=True)
class Validity:
    """有效期限 of an ID card: ``forever`` for 长期. ``sure`` when both ends were read and lie a
    lawful term apart (5, 10 or 20 years to the day), or the end reads 长期."""

    start: date | None
    end: date | None
    forever: bool
    sure: bool
    where: Where


_D8 = r"(\d{4})[.\-/年]?(\d{2})[.\-/月]?(\d{2})日?"
_VALIDITY = re.compile(rf"有效期(?:限|至)?[:：]?(?:{_D8})?{_SEP}{{0,2}}(长期|{_D8})?")
TERMS_YEARS = (5, 10, 20)  # 居民身份证法 第十三条: 5, 10 or 20 years, 长期 from 46


def id_validity(pages: Sequence[PageText]) -> Validity | None:
    for page in pages:
        for m in _VALIDITY.finditer(page.text):
            start = _d8(m.group(1), m.group(2), m.group(3))
            where = page.where(m.start(), m.end())
            if m.group(4) == "长期":
                return Validity(start, None, True, True, where)
            end = _d8(m.group(5), m.group(6), m.group(7))
            if end is None:
                continue
            lawful = start is not None and any(_plus_years(start, n) == end for n in TERMS_YEARS)
            return Validity(start, end, False, lawful and where.confidence >= SURE_CONFIDENCE, where)
    return None


def _d8(y: str | None, m: str | None, d: str | None) -> date | None:
    try:
        return date(int(y), int(m), int(d)) if y and m and d else None
    except ValueError:
        return None


def _plus_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


# ---------------------------------------------------------------- the holder's name

_NAME_CH = r"[\u4e00-\u9fff·•・.．\-]"
_LABELS = (
    "性别|民族|出生|身份证|公民身份|证件|工作单位|单位|职务|职称|学历|编号|年龄|籍贯|政治面貌|住址|专业|等级|"
    "学号|照片|聘任|现任|任职|申报|资格|类别|学科|日期|时间|级别|考核"
)
_HOLDER_LABEL = re.compile(r"(?:姓名|持证人|持有人|被认证人|申请人姓名)[:：]?")
_AFTER_LABEL_CUT = re.compile(rf"(?:{_LABELS}|[，,。；;:：（(]|\d)")
# the name after "学生" holds neither an anchor nor 证书: "研究生毕业证书学生李静怡，性别女" (a graduate
# diploma's title, then its sentence) is 李静怡's, read from its second anchor. 毕业 may begin a name
# (the surname 毕: 毕业伟)
_ANCHORS = r"学生|研究生|学员"
_STUDENT = re.compile(rf"(?:{_ANCHORS})[:：]?((?:(?!{_ANCHORS}|证书){_NAME_CH}){{2,20}}?)[，,、]?(?:性别|[男女][，,])")
_NOT_A_NAME = re.compile(rf"^(?:{_ANCHORS})|证书")  # an anchor read into a name, a title's 证书
_SEX_AFTER = re.compile(r"[，,](?:性别)?[男女][，,。]")
_COMRADE = re.compile(r"同志")
_BOUNDARY_WORDS = re.compile(r"(?:兹证明|证明|兹有|经审核|我单位|学员|学生|研究生|现有|同意|推荐|授予|发给|证书)$")
_NOT_NAMES = {"申报人", "本人", "学生", "同志", "签名", "姓名", "持证人", "该同志", "该生", "其", "此证", "以下", "上述", "下列", "全体", "各位", "广大"}


@dataclass(frozen=True)
class NameReading:
    """A name read where a document states its holder, with the anchor that says so."""

    text: str
    where: Where
    anchor: str
    sure: bool = True  # False when the value cell beside a 姓名 label could be either of several (a skewed photo)
    alternatives: tuple[str, ...] = ()  # the other cells it could be


def holder_names(pages: Sequence[PageText]) -> list[NameReading]:
    """Each page's holder, read where the document states it: a 姓名 (持证人) field, "学生XXX，性别…",
    "XXX，女，一九八四年…生", "兹证明XXX同志…". Other names on the page (signatories, leaders,
    colleagues) have none of these anchors and are not read."""
    out = []
    for page in pages:
        found = _by_label(page) or _by_sentence(page)
        if found:
            out.append(found)
    return out


def _by_label(page: PageText) -> NameReading | None:
    for i, t in enumerate(page.norm):
        m = _HOLDER_LABEL.search(t)
        if not m:
            continue
        rest = t[m.end() :]
        cut = _AFTER_LABEL_CUT.search(rest)
        name = rest[: cut.start()] if cut else rest
        start = page.starts[i] + m.end()
        if _plausible(name):
            return NameReading(_clean(name), page.where(start, start + len(name)), m.group(0).rstrip(":："))
        if rest.strip(":： "):
            continue  # something else follows the label on its line (a template's empty field)
        cells, sure = _cells_after(page, i)
        names = []
        for j in cells:
            cell = page.norm[j]
            cut = _AFTER_LABEL_CUT.search(cell)
            name = cell[: cut.start()] if cut else cell
            if _plausible(name):
                names.append((j, _clean(name), len(name)))
        if names:
            j, name, n = names[0]
            where = page.where(page.starts[j], page.starts[j] + n)
            return NameReading(name, where, m.group(0).rstrip(":："), sure and len(cells) == 1, tuple(x[1] for x in names[1:]))
    return None


def _cells_after(page: PageText, i: int) -> tuple[list[int], bool]:
    """The value cell of label line ``i``: the line right of it on its row, else the line just below.

    On a page photographed askew a row's cells drift up or down the further right they stand: the
    drift is estimated from the page's tilt (``_tilt``), every cell of the value column within it is
    a candidate, nearest first, and the answer is sure only when one candidate is left."""
    lab = page.lines[i]
    h = lab.bbox[3] - lab.bbox[1]
    cy = (lab.bbox[1] + lab.bbox[3]) / 2

    def dy(j: int) -> float:
        ln = page.lines[j]
        return abs((ln.bbox[1] + ln.bbox[3]) / 2 - cy)

    right = [j for j, ln in enumerate(page.lines) if j != i and ln.bbox[0] >= lab.bbox[2] - 0.01]
    tilt = _tilt(page)
    # the value column: the nearest cell right of the label on its row, the row drifting with the tilt
    # (a title just above the row, as near as 1.5 lines, is not on it)
    on_row = [j for j in right if dy(j) < min(1.5 * h, 0.6 * h + tilt * (page.lines[j].bbox[0] - lab.bbox[2]))]
    if on_row:
        column = min(page.lines[j].bbox[0] for j in on_row)
        drift = tilt * (column - lab.bbox[2])
        near = sorted(
            (j for j in right if page.lines[j].bbox[0] < column + 0.04 and dy(j) < 0.6 * h + drift),
            key=lambda j: (dy(j), page.lines[j].bbox[0]),
        )
        if near:
            return near, len(near) == 1
    below = [
        j for j, ln in enumerate(page.lines)
        if 0 <= ln.bbox[1] - lab.bbox[3] < 1.5 * h and ln.bbox[0] < lab.bbox[2] and ln.bbox[2] > lab.bbox[0]
    ]
    return sorted(below, key=lambda j: page.lines[j].bbox[1])[:1], True


def _tilt(page: PageText) -> float:
    """How far a line drifts vertically per unit of width (page fractions): a line photographed at a
    tilt has a taller upright box than a straight line of the same type size."""
    heights = sorted(ln.bbox[3] - ln.bbox[1] for ln in page.lines)
    if not heights:
        return 0.0
    typical = heights[len(heights) // 2]
    slopes = sorted(
        max(0.0, (ln.bbox[3] - ln.bbox[1]) - typical) / (ln.bbox[2] - ln.bbox[0])
        for ln in page.lines
        if ln.bbox[2] - ln.bbox[0] > 0.3 and (ln.bbox[3] - ln.bbox[1]) < 3 * typical
    )
    return slopes[len(slopes) // 2] if slopes else 0.0


def _by_sentence(page: PageText) -> NameReading | None:
    t = page.text
    m = _STUDENT.search(t)
    if m and _plausible(m.group(1)):
        return NameReading(_clean(m.group(1)), page.where(m.start(1), m.end(1)), "学生…性别")
    for pattern, anchor in ((_SEX_AFTER, "…，男/女，…"), (_COMRADE, "…同志")):
        for m in pattern.finditer(t):
            b = _name_start(page, m.start())
            name = t[b : m.start()]
            if anchor == "…，男/女，…" and not re.search(r"生|出生", t[m.end() : m.end() + 24]):
                continue  # "XXX，女，…" must go on to a birth date to be a holder's description
            if _plausible(name):
                return NameReading(_clean(name), page.where(b, m.start()), anchor)
    return None


def _name_start(page: PageText, end: int) -> int:
    """Where the name ending at ``end`` starts: after the nearest delimiter, label word or line start
    (a wrapped line's start does not count), at most 20 characters back."""
    t = page.text
    b = end
    while b > 0 and end - b < 20:
        ch = t[b - 1]
        if not re.fullmatch(_NAME_CH, ch) or _BOUNDARY_WORDS.search(t[:b]) and b != end:
            break
        if page.is_line_start(b - 1) and not page.continues(b - 1):
            b -= 1
            break
        b -= 1
    return b


def _clean(name: str) -> str:
    return name.strip("·•・.．-")


def _plausible(name: str) -> bool:
    core = _clean(name)
    han = sum(1 for ch in core if "\u4e00" <= ch <= "\u9fff")
    return (
        2 <= han <= 16
        and han >= 0.7 * len(core)
        and core not in _NOT_NAMES
        and not re.search(_LABELS, core)
        and not _NOT_A_NAME.search(core)
    )


# ---------------------------------------------------------------- continuing-education certificates

CE_CATEGORIES = ("公需科目", "专业科目")
_CATEGORY = (
    ("公需科目", re.compile(r"公需(?:科目|科日|课程|课|科)?|公共(?:科目|课)")),
    ("专业科目", re.compile(r"专业(?:科目|科日|课程|课|科)")),
)
_CATEGORY_SLIP = (("公需科目", re.compile(r"[公么][需雷霜]科")), ("专业科目", re.compile(r"专[亚业]科[目日]")))


@dataclass(frozen=True)
class CeReading:
    """One continuing-education certificate (a page; a page listing both categories counts for both).
    ``year`` / ``category`` are None when they could not be read; ``sure`` is False with a
    ``doubt`` saying why when they were read but cannot be relied on."""

    year: int | None
    category: str | None
    hours: int | None
    page: int
    where: Where | None
    sure: bool
    doubt: str = ""


def ce_readings(pages: Sequence[PageText], latest_year: int | None = None) -> list[CeReading]:
    """Year, category and hours of each certificate, with doubts: a year or category not found, a year
    read on a poorly read line or restored from a dropped 〇, a 年度 that the certificate's own date
    of issue contradicts (issued before that year, or more than a year after it)."""
    out = []
    for page in pages:
        t = page.text
        cats = [c for c, rx in _CATEGORY if rx.search(t)]
        slipped = [c for c, rx in _CATEGORY_SLIP if rx.search(t) and c not in cats]
        years, ywhere, exact = _ce_year(page)
        well_read = ywhere is not None and ywhere.confidence >= SURE_CONFIDENCE
        ysure = exact and well_read
        hours = re.search(r"(\d{1,3})(?:个)?学时", t)
        h = int(hours.group(1)) if hours else None
        issued = signed_date(page)
        year = years[0] if years else None
        if years and not exact and well_read and issued is not None and issued.sure:
            # a year restored from a dropped 〇: sure when the certificate's well-read date of issue agrees
            agreeing = [y for y in years if y <= issued.value.year <= y + 1]
            if len(agreeing) == 1:
                year, ysure = agreeing[0], True
        doubts = []
        if year is None:
            doubts.append("未能辨认证书年度")
        elif not ysure:
            doubts.append(f"证书年度“{year}”辨认不清")
        if year is not None and issued is not None and issued.sure and not year <= issued.value.year <= year + 1:
            doubts.append(f"证书年度{year}与发证日期{issued.value.isoformat()}不符")
        if latest_year is not None and year is not None and year > latest_year:
            doubts.append(f"证书年度{year}晚于提交时间")
        if not cats:
            doubts.append("未能辨认科目类别" if not slipped else f"科目类别辨认不清（疑为{slipped[0]}）")
        for c in cats or [slipped[0] if slipped else None]:
            out.append(CeReading(year, c, h, page.page, ywhere, not doubts, "；".join(doubts)))
    return out


_CE_YEAR = re.compile(rf"{_Y}年度|年度[:：]?{_Y}(?!年)")


def _ce_year(page: PageText) -> tuple[list[int], Where | None, bool]:
    """The years the certificate's 年度 may be ("2024年度", "二〇二四年度", a 年度 field; else a year
    not part of a date), where it was read, and whether it reads as written (no 〇 restored)."""
    t = page.text
    for m in _CE_YEAR.finditer(t):
        raw = m.group(1) or m.group(2)
        years, exact = _years(raw)
        years = [y for y in years if 1990 <= y <= 2100]
        if years:
            return years, page.where(m.start(), m.end()), exact
    weak = [y for y, strong in years_in(t) if not strong]
    if weak:
        i = t.find(f"{weak[0]}年")
        return [weak[0]], page.where(i, i + 5), True
    return [], None, False


def looks_like_ce_certificate(page: PageText) -> bool:
    return bool(re.search(r"继续教育|学时|公需|专业科|专业课|培训证书|合格证书", page.text))
