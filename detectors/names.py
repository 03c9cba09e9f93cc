"""``UNMASKED_NAME`` / ``UNMASKED_EMPLOYER``: the applicant's name or employer still readable on a page.

Matching works on OCR lines and PDF text layers alike:
- spaces, line breaks and full-width forms between characters are ignored;
- names written with a middle dot (阿依古丽·买买提) match in full, with any dot-like separator or
  none, and by each part of two characters or more on its own (a mask over one part leaves the
  other readable);
- OCR confusions are tolerated by edit distance, scaled to length (none for two-character names,
  so another person sharing a character is not flagged);
- text under an opaque mask box (the platform's masking tool drawn over a text layer) is not
  readable and is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract import normalize
from pipeline.models import BBox, Finding, FindingCode, Page, TextLine
from pipeline.context import PageContext

_SEPARATORS = re.compile(r"[·•・‧.\-－_·]")
_ADMIN_PREFIX = re.compile(r"^(?:新疆维吾尔自治区|新疆|自治区|乌鲁木齐市|乌鲁木齐|[\u4e00-\u9fff]{2,4}?(?:地区|自治州|区|县|市))+")


@dataclass(frozen=True)
class Match:
    text: str
    bbox: BBox
    score: float


COMMON_NAME_PARTS = frozenset(
    """买买提 麦麦提 艾买提 艾合买提 努尔买买提 艾力 阿力 伊力 艾则孜 艾尼 艾沙 古丽 阿依 阿依古丽 古丽娜 古丽米拉
    古丽娜尔 帕提古丽 热依拉 阿不都 阿布都 阿卜杜 阿不来提 阿布拉 阿迪力 阿里木 阿力木 吐尔逊 吐尔洪 托合提 依明 玉素甫
    克里木 司马义 吾斯曼 吾买尔 卡德尔 热合曼 热西提 肉孜 亚森 塔依尔 买合木提 米吉提 木拉提 努尔 努尔兰 叶尔兰 阿斯哈尔
    巴图尔 居马 加尔肯 哈斯木 阿合买提 沙吾提 买提 迪丽努尔 阿娜尔 米娜 热娜 祖丽菲亚 努尔古丽 阿曼 别克 江 汗""".split()
)
"""Parts of Uyghur and Kazakh names (in their usual Chinese forms) that thousands of people share:
on their own they do not identify the applicant (艾力 alone is not 艾力·买买提)."""

LABEL_BEFORE = re.compile(r"(姓名|申报人|同志|学生|兹证明|证明|拟推荐|推荐|承诺人|签名|签字|本人|教师|职工|持证人)[:：]?[^\u4e00-\u9fff]{0,6}$")
"""A label just before a name; a few marks between (a mask box read as symbols, a colon, a dot)."""
LABEL_AFTER = re.compile(r"^(同志|[,，]?[男女]|[,，]?性别|[,，]?民族)")


@dataclass(frozen=True)
class NameVariant:
    pattern: str
    score: float
    common: bool = False  # a part many people share: it counts only next to a label or the rest of the name


def variants_of_name(name: str) -> list[tuple[str, float]]:
    """(pattern, score): the whole name without separators, then each part of 2+ characters."""
    return [(v.pattern, v.score) for v in name_variants(name)]


def name_variants(name: str) -> list[NameVariant]:
    whole = _SEPARATORS.sub("", normalize(name))
    parts = [p for p in _SEPARATORS.split(normalize(name)) if len(p) >= 2]
    out = [NameVariant(whole, 1.0)]
    if len(parts) > 1:
        out += [NameVariant(p, 0.9, p in COMMON_NAME_PARTS) for p in parts]
    return out


def distinctive_part(org: str) -> str:
    """An organisation's name without its administrative prefix (乌鲁木齐市第十中学 -> 第十中学): what
    tells it apart from every other body of the same city."""
    whole = normalize(org)
    short = _ADMIN_PREFIX.sub("", whole)
    return short if len(short) >= 2 else whole


_LEGAL_FORMS = r"股份有限公司|有限责任公司|有限公司|集团公司|公司"
LEGAL_FORM = re.compile(rf"(?:{_LEGAL_FORMS})$")
"""The legal form a company's name ends in (有限公司): thousands of names share it."""
_KIND_SUFFIX = re.compile(rf"(?:{_LEGAL_FORMS}|企业|集团|中学|小学|学校|大学|学院|幼儿园|医院|卫生院|中心|研究院|研究所|委员会|局|厅|站|所)$")
SHORT_CORE = 4
"""An organisation whose identifying core (``identifying_core``) is this short or shorter is matched
with no OCR slip inside that core, as a person's name of up to 4 characters is matched with none:
测试购方企业 and 测试销方企业 differ in one character of a 4-character core and are two companies."""


def identifying_core(org: str) -> str:
    """What names this body among others of its kind: its distinctive part without the word for its
    kind (乌鲁木齐市第十中学 -> 第十, 测试购方企业 -> 测试购方)."""
    distinct = distinctive_part(org)
    core = _KIND_SUFFIX.sub("", distinct)
    return core if len(core) >= 2 else distinct


def variants_of_employer(employer: str) -> list[tuple[str, float]]:
    whole = normalize(employer)
    out = [(whole, 1.0)]
    short = _ADMIN_PREFIX.sub("", whole)
    if short != whole and len(short) >= 4:
        out.append((short, 0.9))
    return out


_NUMERALS = set("0123456789〇零一二三四五六七八九十百")


def allowed_errors(pattern: str) -> int:
    """OCR slips tolerated: none up to 4 characters (阿依古丽 vs 阿依努丽 are two people), then 1, then 2."""
    n = len(pattern)
    return 0 if n <= 4 else 1 if n <= 8 else 2


def find(pattern: str, text: str, keep: str = "") -> tuple[int, int, int] | None:
    """Best (start, end, errors) of ``pattern`` in ``text`` within the allowed edit distance; a slip
    may not fall inside ``keep`` (a part of the pattern) when it is ``SHORT_CORE`` characters or fewer."""
    if not pattern:
        return None
    i = text.find(pattern)
    if i >= 0:
        return i, i + len(pattern), 0
    k = allowed_errors(pattern)
    if k == 0 or len(text) < len(pattern) - k:
        return None
    if sum(1 for ch in set(pattern) if ch in text) < len(set(pattern)) - k:
        return None  # too few of the pattern's characters anywhere in the line
    best = None
    for length in range(max(1, len(pattern) - k), len(pattern) + k + 1):
        for start in range(0, max(0, len(text) - length) + 1):
            cand = text[start : start + length]
            d = _edit_distance(pattern, cand, k)
            # numbers are never an OCR slip we forgive: 第十中学 and 第七中学 are different schools
            if d <= k and _numbers(cand) == _numbers(pattern) and (best is None or d < best[2]):
                if d and keep and len(keep) <= SHORT_CORE and keep not in cand:
                    continue  # the slip would be in what tells this body from others of its kind
                best = (start, start + length, d)
    return best


def _numbers(s: str) -> list[str]:
    return [c for c in s if c in _NUMERALS]


def _edit_distance(a: str, b: str, limit: int) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def locate(lines: tuple[TextLine, ...], variants: list[tuple[str, float]], keep: str = "") -> list[Match]:
    """Every readable occurrence, each line (and each pair of consecutive lines, for a name broken
    across a line end) searched once per variant, strongest variant first."""
    found: list[Match] = []
    ordered = sorted(lines, key=lambda ln: (round(ln.bbox[1], 2), ln.bbox[0]))
    consumed: set[int] = set()
    for idx, line in enumerate(ordered):
        if idx in consumed:
            continue
        raw = normalize(line.text)
        text, where = _without_separators(raw)
        for pattern, weight in variants:
            hit = find(pattern, text, keep)
            if hit:
                start, end, errors = hit
                a, b = where[start], where[end - 1] + 1
                found.append(Match(raw[a:b], _sub_box(line, raw, a, b), round(weight * (1 - 0.1 * errors), 3)))
                break
        else:
            if idx + 1 < len(ordered):
                nxt = ordered[idx + 1]
                joined = text + _without_separators(normalize(nxt.text))[0]
                for pattern, weight in variants[:1]:
                    hit = find(pattern, joined, keep)
                    if hit and hit[0] < len(text) < hit[1]:
                        found.append(Match(joined[hit[0] : hit[1]], _union(line.bbox, nxt.bbox), round(weight * 0.9, 3)))
                        consumed.add(idx + 1)
    return found


def _without_separators(text: str) -> tuple[str, list[int]]:
    """The text with name separators removed, and where each kept character was."""
    keep = [i for i, ch in enumerate(text) if not _SEPARATORS.fullmatch(ch)]
    return "".join(text[i] for i in keep), keep


def _sub_box(line: TextLine, text: str, start: int, end: int) -> BBox:
    """The part of a line's box holding characters start..end (proportional to character count)."""
    x0, y0, x1, y1 = line.bbox
    n = max(1, len(text))
    w = x1 - x0
    return (round(x0 + w * start / n, 4), y0, round(x0 + w * end / n, 4), y1)


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def covered(page: Page, bbox: BBox) -> bool:
    """The box's pixels are a near-uniform fill: a mask drawn over a text layer."""
    h, w = page.image.shape[:2]
    bx, by = (bbox[2] - bbox[0]) * 0.15, (bbox[3] - bbox[1]) * 0.15  # the interior: a mask drawn to the box's edge counts
    x0, y0 = int((bbox[0] + bx) * w), int((bbox[1] + by) * h)
    x1, y1 = int((bbox[2] - bx) * w), int((bbox[3] - by) * h)
    region = page.image[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
    if region.size == 0:
        return False
    grey = region.mean(axis=2) if region.ndim == 3 else region
    return float(grey.std()) < 12 and float(grey.mean()) < 200


def _detect(
    page: Page, ctx: PageContext, code: FindingCode, variants: list[tuple[str, float]], what: str, keep: str = ""
) -> list[Finding]:
    if not ctx.notice.masking_required:
        return []
    out = []
    for m in locate(page.lines, variants, keep):
        line_source = next((ln.source for ln in page.lines if _inside(m.bbox, ln.bbox)), "ocr")
        if line_source == "pdf" and covered(page, m.bbox):
            continue
        out.append(page.finding(code, f"{what}未遮盖（识别到“{m.text}”），请使用遮盖工具遮盖后重新上传", bbox=m.bbox, evidence={"text": m.text, "score": m.score}))
    return out


def _inside(a: BBox, b: BBox) -> bool:
    return a[0] >= b[0] - 1e-3 and a[2] <= b[2] + 1e-3 and a[1] >= b[1] - 1e-3 and a[3] <= b[3] + 1e-3


def detect_name(page: Page, ctx: PageContext) -> list[Finding]:
    """The applicant's name, whole or by a part. A part many people share counts only where it stands
    as someone's name: after 姓名/申报人/学生…, before 同志/，女…, or next to another part of the name
    (a half-masked name, or one broken across lines or table cells)."""
    if not ctx.notice.masking_required:
        return []
    variants = name_variants(ctx.manifest.applicant.name)
    common = {v.pattern for v in variants if v.common}
    found = [
        f
        for f in _detect(page, ctx, FindingCode.UNMASKED_NAME, [(v.pattern, v.score) for v in variants], "申报人姓名")
        if _without_separators(normalize(f.evidence["text"]))[0] not in common or _stands_as_name(page, f, variants)
    ]
    return found


def _stands_as_name(page: Page, finding: Finding, variants: list[NameVariant]) -> bool:
    """A common part of the name is the applicant's here: it stands alone as a name (no other name's
    characters run into it) and a label or another part of the applicant's name is next to it.

    "学生吐尔逊·买买提，性别女" names 吐尔逊·买买提, not the applicant 艾力·买买提: the characters
    before 买买提 belong to another name. "姓名：████·买买提" and "姓名 | 买买提" (its own cell) do."""
    assert finding.bbox is not None
    box = finding.bbox
    part = _without_separators(normalize(finding.evidence["text"]))[0]
    others = [v.pattern for v in variants[1:] if v.pattern != part]
    for line in page.lines:
        if not _overlaps(line.bbox, box):
            continue
        full = normalize(line.text)
        text, where = _without_separators(full)
        i = text.find(part)
        if i < 0:
            continue
        before, after = text[:i], text[i + len(part) :]
        left_label, right_label = bool(LABEL_BEFORE.search(before)), bool(LABEL_AFTER.match(after))
        left_part = any(before.endswith(o) for o in others)
        right_part = any(after.startswith(o) for o in others)
        # a character read off a mask box is not a name's: the mask's own noise, not somebody's name
        left_free = not before or not _is_han(before[-1]) or left_label or left_part or _masked(page, line, full, where[i - 1])
        right_free = (
            not after or not _is_han(after[0]) or right_label or right_part or _masked(page, line, full, where[i + len(part)])
        )
        if not (left_free and right_free):
            continue  # part of somebody else's name
        if left_label or right_label or left_part or right_part:
            return True
        if before or after:
            continue  # inside a sentence, with nothing that makes it a name: another line cannot help
        # the part is a cell (or line) of its own: a label cell to its left, or the rest of the name beside it
        if _label_cell_left(page, line, box) or _rest_beside(page, line, box, others):
            return True
    return False


def _masked(page: Page, line: TextLine, text: str, index: int) -> bool:
    """The character at ``index`` of the line's text sits on a mask (a near-uniform dark fill). The
    OCR often reads a character off a mask's edge, its box ending where the mask begins: the slot one
    character further out (towards the line's end the character is at) counts too."""
    x0, y0, x1, y1 = _sub_box(line, text, index, index + 1)
    step = (x1 - x0) if index >= len(text) / 2 else -(x1 - x0)
    return covered(page, (x0, y0, x1, y1)) or covered(page, (x0 + step, y0, x1 + step, y1))


def _label_cell_left(page: Page, own: TextLine, box: BBox) -> bool:
    """The nearest text to the left on the same row is a label (姓名, 申报人…); a masked part of the
    name may lie between, so the gap may be wide, but no other text may."""
    left = [ln for ln in page.lines if ln is not own and _same_row(ln.bbox, box) and ln.bbox[2] <= box[0] + 1e-3]
    if not left:
        return False
    nearest = max(left, key=lambda ln: ln.bbox[2])
    text = _without_separators(normalize(nearest.text))[0]
    return box[0] - nearest.bbox[2] < 0.3 and bool(LABEL_BEFORE.search(text))


def _rest_beside(page: Page, own: TextLine, box: BBox, others: list[str]) -> bool:
    """Another part of the applicant's name in the next cell, or on the line just above or below."""
    for line in page.lines:
        if line is own or _overlaps(line.bbox, box):
            continue
        text = _without_separators(normalize(line.text))[0]
        beside = _same_row(line.bbox, box) and (0 <= box[0] - line.bbox[2] < 0.12 or 0 <= line.bbox[0] - box[2] < 0.05)
        stacked = _h_overlap(line.bbox, box) and 0 <= min(abs(line.bbox[1] - box[3]), abs(box[1] - line.bbox[3])) < 0.03
        if (beside or stacked) and any(text == o or find(o, text) and len(text) <= len(o) + 2 for o in others):
            return True
    return False


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _overlaps(a: BBox, b: BBox) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _same_row(a: BBox, b: BBox) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])


def _h_overlap(a: BBox, b: BBox) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.3 * min(a[2] - a[0], b[2] - b[0])


def detect_employer(page: Page, ctx: PageContext) -> list[Finding]:
    employer = ctx.manifest.applicant.employer
    return _detect(page, ctx, FindingCode.UNMASKED_EMPLOYER, variants_of_employer(employer), "工作单位名称", identifying_core(employer))
