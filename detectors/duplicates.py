"""``DUPLICATE_UPLOAD``: the same page uploaded twice, in two slots or in two files of one slot
(one CE certificate offered for two years, the diploma uploaded again as the degree).

"The same page" is the same document captured again: re-encoded, rescaled, slightly cropped or
shifted, or scanned anew. Two documents printed from one template (two years' appraisal forms, two
certificates of one series) look alike to any perceptual measure and differ only in a few
characters, so two pages are judged on both:

- their text, when both carry some (``min_text_chars``): every number the same, the holders'
  names the same, and every other difference of the two readings an OCR slip (one character
  for one) or a line one reading lost (no digits in it, ``max_dropped`` of the text at most); then
  their perceptual fingerprints (``pipeline.fingerprint``, computed when the page was screened)
  within ``text_max_distance``, or the texts nearly identical;
- their look alone, when neither carries text (a photo): fingerprints within ``image_max_distance``.

Numbers must agree, digit for digit in order: a digit the OCR reads differently on a recapture cannot be told from the next
serial number of one series by the text, so such a recapture (dense small digits, e.g. an invoice)
is missed rather than two certificates of a series flagged. Only on a long page (``LONG_PAGE_CHARS``)
may one reading lack a few short numbers the other has (``MAX_LOST_NUMBERS`` of at most
``LOST_NUMBER_DIGITS`` digits: a page number or a footnote mark lost to noise); a number read
differently is never allowed.

A page of which nothing was read (the photo slot is not OCR'd unless text is found on it) has no
text to compare: its look decides, as for two photos.

Pages of one file are not compared with each other (a multi-page document's pages are its own).
Raised on the later copy in manifest order; the message names the other. Works on readings
already made: nothing is read again.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from detectors.holder_names import same_person
from pipeline import fingerprint
from pipeline.facts import PageText, holder_names
from pipeline.manifest import Manifest
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode
from pipeline.rules import Notice
from pipeline.context import FileResult, PageResult

ITEM = "未重复上传同一材料"
MIN_SHARED_BIGRAMS = 0.6  # two readings of one page measured >= 0.8 (slips and lost lines included)
LONG_PAGE_CHARS = 300  # two adjacent slips ("项严"/"须产") are tolerated on pages this long; on a short
# certificate two characters for two are a word (公需/专业, a name) and tell two documents apart
MAX_LOST_NUMBERS = 2  # numbers one reading of a long page may lack ...
LOST_NUMBER_DIGITS = 2  # ... each this short at most (a journal page's "7" read on one copy only)
MAX_LINES = 400  # lines of a page compared (a page holds a few dozen)
MAX_SEGMENT_CHARS = 400  # characters of differing lines compared one by one; longer stretches differ


class DuplicateConfig(BaseModel):
    """Thresholds of the duplicate rule (``detector_config: {duplicates: {...}}`` overrides them).

    Fingerprint distances are differing bits of 255, measured by ``bench/eval_cross_documents.py
    --calibrate`` on generated pages (4 fonts) and the real photographs and scans of realdev, each
    against its re-encoded (JPEG 40-80), rescaled (0.5-1.4), cropped (0.5-2.5 %), shifted (2 %),
    turned (+-1 deg) and rescanned copies (the same page) and against every other page.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_text_chars: int = Field(20, ge=1, description="characters (汉字, letters, digits) a page needs to be compared by its text")
    image_max_distance: int = Field(
        80, ge=0, le=255,
        description="pages without text: recaptures measured <= 46 bits on generated pages and <= 76 on real photos "
        "and scans (a 2.5 % crop); different pages >= 90 (1st percentile 104)",
    )
    text_max_distance: int = Field(
        96, ge=0, le=255,
        description="pages whose texts agree: every recapture measured (<= 76) passes with 20 bits to spare, "
        "below the 1st percentile of different documents (100); the text alone tells template siblings apart (0-66)",
    )
    identical_text_chars: int = Field(60, ge=1, description="texts this long that agree to within slips are the same page whatever the look (a phone photo of a scan)")
    max_slips: float = Field(0.04, ge=0, le=1, description="share of one-for-one character slips allowed between two readings")
    max_dropped: float = Field(0.12, ge=0, le=1, description="share of characters one reading may have and the other not (a line lost to noise)")


@dataclass(frozen=True)
class _Page:
    index: int
    fr: FileResult
    page: PageResult
    text: str
    lines: tuple[str, ...]
    numbers: tuple[str, ...]
    names: tuple[str, ...]
    bigrams: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.fr.document.file}第{self.page.info.page}页"


def check(m: Manifest, notice: Notice, files: list[FileResult]) -> CheckResult:
    if not notice.cross_checks.duplicates:
        return CheckResult()
    cfg = DuplicateConfig.model_validate(notice.detector_config.get("duplicates", {}))
    pages = _pages(files)
    findings: list[Finding] = []
    for j, later in enumerate(pages):
        for earlier in pages[:j]:
            if earlier.fr is later.fr:
                continue
            why = same_page(earlier, later, cfg)
            if why is not None:
                findings.append(_finding(earlier, later, why, notice))
                break
    compared = sum(1 for p in pages)
    detail = "；".join(f"{f.file}第{f.page}页与{f.evidence['other']['file']}第{f.evidence['other']['page']}页相同" for f in findings)
    item = ChecklistItem(
        item=ITEM,
        state="problem" if findings else "ok",
        detail=detail or f"比对了{compared}页，未发现重复",
        codes=(FindingCode.DUPLICATE_UPLOAD,) if findings else (),
    )
    return CheckResult(findings=tuple(findings), checklist=(item,))


def _pages(files: list[FileResult]) -> list[_Page]:
    out = []
    for fr in files:
        for p in fr.pages:
            if p.info.error:
                continue
            page_text = PageText(p.info.page, p.lines)
            lines = tuple(t for t in (_plain(t) for t in page_text.norm) if t)[:MAX_LINES]
            text = "".join(lines)
            names = tuple(r.text for r in holder_names([page_text]))
            bigrams = frozenset(text[i : i + 2] for i in range(len(text) - 1))
            numbers = tuple(n for ln in lines for n in re.findall(r"\d+", ln))  # per line: "7" over "12" is not 712
            out.append(_Page(len(out), fr, p, text, lines, numbers, names, bigrams))
    return out


def _plain(text: str) -> str:
    """Text without spaces or punctuation (what two readings of one line share)."""
    return re.sub(r"[^\w]|_", "", text)


def same_page(a: _Page, b: _Page, cfg: DuplicateConfig) -> dict | None:
    """Evidence that ``b`` is ``a`` captured again, or None."""
    dist = fingerprint.distance(a.page.fingerprint, b.page.fingerprint)
    short_a, short_b = len(a.text) < cfg.min_text_chars, len(b.text) < cfg.min_text_chars
    # two photos, or a page of which nothing was read: the look decides (a stray digit read off a photo is noise)
    if (short_a and short_b) or not a.text or not b.text:
        if dist is not None and dist <= cfg.image_max_distance:
            return {"distance": dist, "by": "image"}
        return None
    long_page = min(len(a.text), len(b.text)) >= LONG_PAGE_CHARS
    if short_a or short_b or not _numbers_agree(a.numbers, b.numbers, long_page):
        return None
    if a.names and b.names and same_person(a.names[0], b.names[0]) != "same":
        return None
    n = max(len(a.text), len(b.text))
    if min(len(a.text), len(b.text)) < (1 - cfg.max_dropped) * n:
        return None
    if len(a.bigrams & b.bigrams) < MIN_SHARED_BIGRAMS * len(a.bigrams | b.bigrams):
        return None  # cheap: two readings of one page share most of their character pairs
    slips, dropped = _differences(a.lines, b.lines, long_page)
    if slips is None or slips > cfg.max_slips * n or dropped > cfg.max_dropped * n:
        return None
    near_identical = n >= cfg.identical_text_chars and slips + dropped <= 0.02 * n
    if (dist is not None and dist <= cfg.text_max_distance) or near_identical:
        return {"distance": dist, "by": "text", "slips": slips, "dropped": dropped, "chars": n}
    return None


def _numbers_agree(a: tuple[str, ...], b: tuple[str, ...], long_page: bool) -> bool:
    """The same digits in the same order (however the OCR split them: "1 3" is "13"); on a long page
    one side may lack a few short numbers."""
    if "".join(a) == "".join(b):
        return True
    if not long_page:
        return False
    lost: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace" and "".join(a[i1:i2]) != "".join(b[j1:j2]):
            return False  # a number read as another: a year, a serial
        if op in ("delete", "insert"):
            lost += a[i1:i2] + b[j1:j2]
    return _few_short(lost)


def _few_short(numbers: list[str]) -> bool:
    return len(numbers) <= MAX_LOST_NUMBERS and all(len(n) <= LOST_NUMBER_DIGITS for n in numbers)


def _differences(a_lines: tuple[str, ...], b_lines: tuple[str, ...], long_page: bool) -> tuple[int | None, int]:
    """(characters slipped one for one, characters only one side has); None when a difference is a
    word for a word (a name, a year, a category), which no OCR slip makes.

    Lines are compared first (a page has a few dozen), then characters within the lines that differ
    only, so the cost stays linear in practice whatever the page holds."""
    slips = 0
    only_a: list[tuple[str, bool]] = []
    only_b: list[tuple[str, bool]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        sa, sb = "".join(a_lines[i1:i2]), "".join(b_lines[j1:j2])
        if op != "replace":  # whole lines only one side has, each on its own
            only_a += [(ln, False) for ln in a_lines[i1:i2]]
            only_b += [(ln, False) for ln in b_lines[j1:j2]]
            continue
        if max(len(sa), len(sb)) > MAX_SEGMENT_CHARS:
            return None, 0  # a long stretch that differs: not a slip
        for cop, k1, k2, l1, l2 in difflib.SequenceMatcher(None, sa, sb, autojunk=False).get_opcodes():
            if cop == "equal":
                continue
            if cop == "replace" and k2 - k1 == l2 - l1 and (k2 - k1 == 1 or (k2 - k1 == 2 and long_page)):
                slips += k2 - k1
                continue
            only_a.append((sa[k1:k2], cop == "replace"))
            only_b.append((sb[l1:l2], cop == "replace"))
    # a line or cell read in another order shows as deleted here and inserted there: not a difference
    for seg, _ in list(only_a):
        match = next((x for x in only_b if x[0] == seg), None)
        if seg and match:
            only_a.remove(next(x for x in only_a if x[0] == seg))
            only_b.remove(match)
    left = [x for x in only_a + only_b if x[0]]
    if any(replaced for _, replaced in left):
        return None, 0  # a word for a word (a name, a year, a category), which no OCR slip makes
    gone = "".join(seg for seg, _ in left)
    lost = [n for seg, _ in left for n in re.findall(r"\d+", seg)]
    if lost and not (long_page and _few_short(lost)):
        return None, 0
    return slips, len(gone)


def _finding(earlier: _Page, later: _Page, why: dict, notice: Notice) -> Finding:
    a_slot, b_slot = earlier.fr.document.slot, later.fr.document.slot
    where = (
        f"{notice.material_name(a_slot)}（{earlier.label}）"
        if a_slot != b_slot
        else f"同一栏目的{earlier.label}"
    )
    return Finding.of(
        FindingCode.DUPLICATE_UPLOAD,
        f"{notice.material_name(b_slot)}栏的{later.label}与{where}是同一份材料，重复上传；"
        f"请核对是否漏传了应上传的材料{notice.cite('duplicates')}",
        slot=b_slot,
        file=later.fr.document.file,
        page=later.page.info.page,
        evidence={
            "other": {"slot": a_slot.value, "file": earlier.fr.document.file, "page": earlier.page.info.page},
            **why,
            "score": 0.9,
        },
    )
