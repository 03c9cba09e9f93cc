"""Facts read from page text: dates and periods, appraisal years and ratings, continuing-education
certificates, 汉字 counts. Pure functions of text lines, tolerant of OCR noise (full-width forms,
spaces between characters, Chinese numerals, tick-box glyphs read as look-alikes)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pipeline.models import BBox, TextLine

RATINGS = ("不合格", "基本合格", "合格", "优秀")  # worst to best; longest match first when scanning
RATING_RANK = {r: i for i, r in enumerate(RATINGS)}
RATING_SYNONYMS = {"不称职": "不合格", "基本称职": "基本合格", "称职": "合格"}
_RATING_RE = re.compile("|".join(sorted([*RATINGS, *RATING_SYNONYMS], key=len, reverse=True)))
CHECKED = set("☑☒✓✔√■▣●◉团図✅✗✘Vv")
UNCHECKED = set("☐□口○◯〇OΟ0▢")

ZERO_LIKE = "〇○◯OoΟο零"  # how OCR reads the 〇 of a date written in words
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {z: 0 for z in ZERO_LIKE} | {"Ｏ": 0}


def normalize(text: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII), traditional characters as simplified, no
    whitespace. The recognizer reads some typefaces' glyphs (Kai, Ming) as the traditional character
    (黃子涵, 陝西師範大學 for 黄子涵, 陕西师范大学): every comparison is made in simplified forms."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_simplified())


@lru_cache(maxsize=1)
def _simplified() -> dict[int, str]:
    """Each traditional character that OpenCC's t2s turns into one simplified character, character by
    character (never phrase by phrase: a line keeps its length, so offsets into it still point at its
    box). 3,761 characters, built in ~30 ms."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    table = {}
    for cp in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)):
        out = t2s.convert(chr(cp))
        if len(out) == 1 and out != chr(cp):
            table[cp] = out
    return table


def han_count(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def cn_number(s: str) -> int | None:
    """二〇一六 -> 2016, 十二 -> 12, 二十三 -> 23, 7 -> 7."""
    if s.isdigit():
        return int(s)
    if all(c in _CN_DIGITS for c in s):
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    if all(c in _CN_DIGITS or c == "0" for c in s):  # 二0一六: a 〇 read as the digit zero
        return int("".join("0" if c == "0" else str(_CN_DIGITS[c]) for c in s))
    if "十" in s:
        tens, _, units = s.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        u = _CN_DIGITS.get(units, None) if units else 0
        return None if t is None or u is None else t * 10 + u
    return None


NUM = r"(\d{1,4}|[〇○◯ΟοOo0零一二三四五六七八九十]{1,4})"  # a year, month or day: digits or Chinese numerals
_DATE_RE = re.compile(rf"{NUM}年{NUM}月(?:{NUM}[日号])?")
_NUMERIC_DATE_RE = re.compile(r"(20\d{2}|19\d{2})[.\-/](\d{1,2})[.\-/](\d{1,2})")


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int  # offset in the normalized text
    end: int
    has_day: bool


def find_dates(text: str, default_year: int | None = None) -> list[FoundDate]:
    """Dates written 2025年5月12日, 二〇一六年七月, 2025.5.12, 2025-05-12 or 5月12日 (with ``default_year``)."""
    t = normalize(text)
    out: list[FoundDate] = []
    for m in _DATE_RE.finditer(t):
        y, mo = cn_number(m.group(1)), cn_number(m.group(2))
        d = cn_number(m.group(3)) if m.group(3) else 1
        if y is not None and y < 100 and default_year:
            continue
        out.append(_make(y, mo, d, m.start(), m.end(), bool(m.group(3))))
    for m in _NUMERIC_DATE_RE.finditer(t):
        out.append(_make(int(m.group(1)), int(m.group(2)), int(m.group(3)), m.start(), m.end(), True))
    if default_year:
        taken = [(f.start, f.end) for f in out if f]
        for m in re.finditer(rf"{NUM}月{NUM}[日号]", t):
            if any(s <= m.start() < e for s, e in taken):
                continue
            out.append(_make(default_year, cn_number(m.group(1)), cn_number(m.group(2)), m.start(), m.end(), True))
    return sorted((f for f in out if f), key=lambda f: f.start)


def _make(y: int | None, mo: int | None, d: int | None, start: int, end: int, has_day: bool) -> FoundDate | None:
    try:
        if y is None or mo is None or d is None or not 1900 <= y <= 2100:
            return None
        return FoundDate(date(y, mo, d), start, end, has_day)
    except ValueError:
        return None


def find_period(text: str, default_year: int | None = None) -> tuple[date, date] | None:
    """The publicity period: two dates joined by 至/到/-/~/—, preferring text after 公示期/公示时间."""
    t = normalize(text)
    anchors = sorted(m.start() for m in re.finditer("公示时间|公示期|公示日期|公示时限", t))
    for start in [*anchors, 0]:
        period = _period_in(t[start:], default_year)
        if period:
            return period
    return None


def _period_in(region: str, default_year: int | None) -> tuple[date, date] | None:
    dates = find_dates(region, default_year)
    for a, b in zip(dates, dates[1:], strict=False):
        between = region[a.end : b.start]
        if len(between) <= 3 and (not between or re.fullmatch(r"[至到\-~—–－起止]+", between)):
            end = b.value
            return (a.value, end) if end >= a.value else None
    # "2025年5月12日至16日": the end shares year and month with the start
    m = re.search(rf"{NUM}年{NUM}月{NUM}日[至到\-~—–－]+{NUM}日", region)
    if m:
        y, mo, d1, d2 = (cn_number(m.group(i)) for i in range(1, 5))
        a, b = _make(y, mo, d1, 0, 0, True), _make(y, mo, d2, 0, 0, True)
        if a and b and b.value >= a.value:
            return a.value, b.value
    return None


# ---------------------------------------------------------------- appraisals


@dataclass(frozen=True)
class Located:
    page: int
    line: TextLine


@dataclass(frozen=True)
class RatingRecord:
    year: int
    rating: str | None  # None: the year is there but no rating could be read
    page: int
    bbox: BBox
    text: str


_YEAR_RE = re.compile(rf"(20\d{{2}}|19\d{{2}}|[一二][{ZERO_LIKE}〇0一二三四五六七八九]{{3}})年(?:度)?")


def years_in(text: str) -> list[tuple[int, bool]]:
    """(year, strong) for each year mention; strong = written as 年度 (an appraisal year, not a date).
    A year in words (二〇二四年度) counts when written as 年度 only."""
    t = normalize(text)
    out = []
    for m in _YEAR_RE.finditer(t):
        after = t[m.end() : m.end() + 4]
        words = not m.group(1).isdigit()
        year = cn_number(m.group(1)) if words else int(m.group(1))
        if year is None or not 1900 <= year <= 2100:
            continue
        if m.group(0).endswith("年度"):
            out.append((year, True))
        elif not words and not re.match(r"\d{1,2}月|[一二三四五六七八九十]{1,2}月", after):
            out.append((year, False))
    return out


def rating_in(text: str) -> tuple[str | None, bool]:
    """The rating a line gives, and whether the line is a tick-box list (several ratings offered)."""
    t = normalize(text)
    hits = [(m.start(), RATING_SYNONYMS.get(m.group(0), m.group(0))) for m in _RATING_RE.finditer(t)]
    if not hits:
        return None, False
    if len({r for _, r in hits}) == 1:
        return hits[0][1], False
    marks = []
    for pos, rating in hits:
        before = t[pos - 1] if pos > 0 else ""
        marks.append((rating, "x" if before in CHECKED else "o" if before in UNCHECKED else "?"))
    checked = [r for r, mk in marks if mk == "x"]
    if len(checked) == 1:
        return checked[0], True
    unknown = [r for r, mk in marks if mk == "?"]
    if not checked and len(unknown) == 1 and len(marks) >= 3:
        return unknown[0], True  # every other box reads as empty: the odd one out is the ticked one
    return None, True


def appraisal_records(lines: Sequence[Located]) -> list[RatingRecord]:
    """Year/rating pairs of one appraisal document (one form per year, or one form for several years)."""
    lines = _join_touching(lines)
    ratings: list[tuple[Located, str | None, bool]] = []
    years: list[tuple[Located, int, bool]] = []
    for loc in lines:
        for y, strong in years_in(loc.line.text):
            years.append((loc, y, strong))
        r, tickbox = rating_in(loc.line.text)
        if r or tickbox:
            ratings.append((loc, r, tickbox))
    strong_years = sorted({y for _, y, s in years if s})
    doc_years = strong_years or sorted({y for _, y, _ in years if 1990 < y < 2100})
    records: dict[int, RatingRecord] = {}

    def add(year: int, rating: str | None, loc: Located) -> None:
        kept = records.get(year)
        if kept is None or (kept.rating is None and rating is not None):
            records[year] = RatingRecord(year, rating, loc.page, loc.line.bbox, loc.line.text)

    paired: set[int] = set()
    for i, (loc, rating, _) in enumerate(ratings):
        same_row = [
            (y, s) for yl, y, s in years
            if yl.page == loc.page and _same_row(yl.line.bbox, loc.line.bbox) and (s or y in doc_years)
        ]
        if same_row:
            add(same_row[0][0], rating, loc)
            paired.add(i)
    unpaired = [r for i, r in enumerate(ratings) if i not in paired]
    if len(doc_years) == 1 and unpaired:
        best = max(unpaired, key=lambda r: r[1] is not None)
        add(doc_years[0], best[1], best[0])
    elif unpaired:
        # several years, ratings on their own lines: pair each rating with the nearest year above it
        for loc, rating, _ in unpaired:
            above = [
                (yl, y) for yl, y, s in years
                if (s or y in doc_years) and (yl.page, yl.line.bbox[1]) <= (loc.page, loc.line.bbox[1])
            ]
            if above:
                yl, y = max(above, key=lambda a: (a[0].page, a[0].line.bbox[1]))
                add(y, rating, loc)
    for yl, y, s in years:
        if s and y not in records:
            records[y] = RatingRecord(y, None, yl.page, yl.line.bbox, yl.line.text)
    return sorted(records.values(), key=lambda r: r.year)


def _join_touching(lines: Sequence[Located], gap: float = 0.015) -> list[Located]:
    """Pieces of one line that touch on its row joined into one (a PDF text layer splits a tick-box
    row into "□ 优秀" | "☑" | "合格 □ 基本合格", and a tick belongs to the word after it)."""
    rows: list[list[Located]] = []
    for loc in sorted(lines, key=lambda lc: (lc.page, (lc.line.bbox[1] + lc.line.bbox[3]) / 2)):
        row = next((r for r in reversed(rows[-3:]) if r[0].page == loc.page and _same_row(r[0].line.bbox, loc.line.bbox)), None)
        if row is None:
            rows.append([loc])
        else:
            row.append(loc)
    out: list[Located] = []
    for row in rows:
        pieces: list[Located] = []
        for loc in sorted(row, key=lambda lc: lc.line.bbox[0]):
            prev = pieces[-1] if pieces else None
            if prev is not None and -0.005 <= loc.line.bbox[0] - prev.line.bbox[2] <= gap:
                a, b = prev.line.bbox, loc.line.bbox
                pieces[-1] = Located(
                    loc.page,
                    prev.line.model_copy(
                        update={
                            "text": prev.line.text + loc.line.text,
                            "bbox": (a[0], min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])),
                            "confidence": min(prev.line.confidence, loc.line.confidence),
                        }
                    ),
                )
            else:
                pieces.append(loc)
        out += pieces
    return out


def _same_row(a: BBox, b: BBox) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])


# ---------------------------------------------------------------- continuing education


@dataclass(frozen=True)
class CeRecord:
    year: int
    category: str  # 公需科目 | 专业科目
    hours: int | None
    page: int


def ce_records(lines: Sequence[Located]) -> list[CeRecord]:
    """Year, category and hours of each certificate page (a file may hold several certificates)."""
    by_page: dict[int, list[str]] = {}
    for loc in lines:
        by_page.setdefault(loc.page, []).append(loc.line.text)
    out = []
    for page, texts in sorted(by_page.items()):
        t = normalize("".join(texts))
        cats = [c for c in ("公需科目", "专业科目") if c in t or c.replace("科目", "课") in t]
        years = [y for y, strong in years_in(t) if strong] or [y for y, _ in years_in(t)]
        hours = re.search(r"(\d{1,3})(?:个)?学时", t)
        if cats and years:
            for c in cats:
                out.append(CeRecord(years[0], c, int(hours.group(1)) if hours else None, page))
    return out


def text_of(lines: Iterable[Located]) -> str:
    return "\n".join(loc.line.text for loc in lines)
