"""Precision/recall per rule code, and appraisal extraction accuracy, on generated documents read
through the whole pipeline (render in 4 fonts, degrade, orient, OCR) and checked by the rules.

    python bench/eval_rules.py [--every K] [--keep FILE]   # a subset of the 64 appraisal forms: every K-th, those listed
"""

from __future__ import annotations

import json
import logging
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import Tally, engines_and_options, kept, subset_args  # noqa: E402

from detectors import REGISTRY, appraisal, continuing_education, eligibility, materials, submission, unit_documents  # noqa: E402
from detectors.packet_common import located  # noqa: E402
from pipeline.documents import SourcePage  # noqa: E402
from pipeline.extract import appraisal_records  # noqa: E402
from pipeline.manifest import Slot, parse_manifest  # noqa: E402
from pipeline.models import DocumentInfo  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.context import FileResult, PageContext  # noqa: E402
from pipeline.screen import screen_page  # noqa: E402
from samples import generate as S  # noqa: E402

RNG = random.Random(7)
FONTS = S.available_fonts()
RULES = load_rules()
P = S.Person()
RATINGS = ("优秀", "合格", "基本合格", "不合格")


def degrade(img, k: int):
    kind = k % 4
    if kind == 1:
        return S.jpeg(S.noise(img, 5, seed=k), 60)
    if kind == 2:
        return S.blur(img, 0.7 * 150 / 72)
    if kind == 3:
        return S.rotate_cw(S.jpeg(img, 75), 90 if k % 8 == 3 else 270)
    return img


def manifest(track="review", mats=None, **sub):
    b = S.PacketBuilder(Path("x"), track=track)
    data = b.manifest()
    data["materials"] = [{"slot": s, "files": f} for s, f in (mats or {}).items()]
    data["submission"] |= sub
    return parse_manifest(json.dumps(data, ensure_ascii=False))


class Reader:
    def __init__(self) -> None:
        self.engines, self.options = engines_and_options()
        self.pages = 0

    def file(self, slot: str, name: str, htmls: list[str], k: int) -> FileResult:
        m = manifest()
        ctx = PageContext(m, RULES[m.track], Slot(slot))
        font = FONTS[k % len(FONTS)]
        results = []
        for n, html in enumerate(htmls, start=1):
            img = degrade(S.render_html(html, dpi=150, font=font), k)
            results.append(screen_page(SourcePage(number=n, image=img, scale=1.0, dpi=None), ctx, self.engines, REGISTRY, self.options, name))
            self.pages += 1
        info = DocumentInfo(slot=Slot(slot), file=name, format="png", page_count=len(results), pages=tuple(r.info for r in results))
        return FileResult(document=info, pages=tuple(results))


def appraisal_forms(reader: Reader, every: int = 1, keep: frozenset[str] = frozenset()):
    """64 forms of five layouts (or every ``every``-th, and those labelled in ``keep``); yields
    (layout, expected {year: rating}, FileResult, label)."""
    layouts = ["tickbox", "letter", "letter-hand", "table", "tickbox"]
    for k in range(64):
        if not kept(k, f"form {k}", every, keep):
            continue
        layout = layouts[k % len(layouts)]
        year = 2022 + k % 3
        rating = RATINGS[(k // 3) % 4] if k % 2 else "优秀"
        if layout == "tickbox":
            exp, html = {year: rating}, S.appraisal_html(P, year, rating)
        elif layout == "letter":
            exp, html = {year: rating}, S.appraisal_letter_html(P, year, rating)
        elif layout == "letter-hand":
            exp, html = {year: rating}, S.appraisal_letter_html(P, year, rating, hand=True)
        else:
            exp = {2022: "优秀", 2023: rating, 2024: RATINGS[k % 2]}
            html = S.appraisal_table_html(P, exp)
        yield layout, exp, reader.file("annual_appraisal", f"a{k}.png", [html], k), f"form {k}"


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    reader = Reader()
    tally = Tally()

    def score(code: str, expected: bool, result, label: str) -> None:
        tally.record([code], {code} if expected else set(), {f.code.value for f in result.findings}, label)

    # -- appraisal extraction accuracy, then fhj scenarios built from the same forms
    every, keep, _ = subset_args(sys.argv[1:])
    labelled = list(appraisal_forms(reader, every, frozenset(keep)))
    forms = [(layout, exp, fr) for layout, exp, fr, _ in labelled]
    wrong_forms = [label for _, exp, fr, label in labelled if {r.year: r.rating for r in appraisal_records(located(fr))} != exp]
    exact = sum(1 for _, exp, fr in forms if {r.year: r.rating for r in appraisal_records(located(fr))} == exp)
    records = sum(len(exp) for _, exp, _ in forms)
    right = sum(
        1 for _, exp, fr in forms for y, r in exp.items() if {x.year: x.rating for x in appraisal_records(located(fr))}.get(y) == r
    )
    by_layout = defaultdict(lambda: [0, 0])
    for layout, exp, fr in forms:
        by_layout[layout][1] += 1
        by_layout[layout][0] += {r.year: r.rating for r in appraisal_records(located(fr))} == exp
    single = [(exp, fr) for layout, exp, fr in forms if layout != "table"]
    fhj = manifest("fhj_three_year", {"annual_appraisal": ["a"]})
    for i in range(30):
        chosen = {}
        for y in (2022, 2023, 2024):
            pool = [fr for exp, fr in single if y in exp and (exp[y] == "优秀" or i % 3 == 0)]
            if i % 5 == 4 and y == 2023:
                continue  # a year left out
            chosen[y] = RNG.choice(pool)
        exp_ratings = {y: next(e for e, f in single if f is fr)[y] for y, fr in chosen.items()}
        result = appraisal.check(fhj, RULES[fhj.track], list(chosen.values()))
        label = f"fhj {exp_ratings}"
        score("APPRAISAL_NOT_EXCELLENT", any(r != "优秀" for r in exp_ratings.values()), result, label)
        score("APPRAISAL_YEAR_MISSING", len(chosen) < 3, result, label)

    # -- continuing education (review: 2024 needs both categories)
    ce_m = manifest("review", {"ce_certificate": ["c"]})
    for i in range(12):
        have = [("公需科目", 2024), ("专业科目", 2024 if i % 3 else 2023)] if i % 2 else [("公需科目", 2024), ("专业科目", 2024)]
        if i % 4 == 3:
            have = have[:1]
        fr = reader.file("ce_certificate", f"c{i}.png", [S.ce_certificate_html(P, y, c) for c, y in have], i)
        expected = {("公需科目", 2024), ("专业科目", 2024)} - {(c, y) for c, y in have}
        score("CE_INCOMPLETE", bool(expected), continuing_education.check(ce_m, RULES[ce_m.track], [fr]), f"ce {have}")

    # -- publicity periods (working days with the statutory calendar)
    pub_m = manifest("review", {"unit_publicity": ["p"]})
    periods = [
        ("2025年5月12日", "2025年5月16日", False), ("2025年5月12日", "2025年5月15日", True), ("2025年4月28日", "2025年5月6日", True),
        ("2025年4月27日", "2025年5月6日", False), ("2025年9月29日", "2025年10月10日", True), ("2025年9月26日", "2025年10月10日", False),
        ("2025年6月3日", "2025年6月6日", True), ("2025年6月3日", "2025年6月9日", False), ("2025年3月3日", "2025年3月7日", False), ("2025年3月3日", "2025年3月5日", True),
    ]
    for i, (a, b, short) in enumerate(periods):
        fr = reader.file("unit_publicity", f"p{i}.png", [S.publicity_html(P, a, b)], i)
        score("PUBLICITY_TOO_SHORT", short, unit_documents.check(pub_m, RULES[pub_m.track], [fr]), f"publicity {a}-{b}")

    # -- promise letters
    pl_m = manifest("initial_junior", {"promise_letter": ["l"]})
    for i in range(12):
        signed, dated = i % 3 != 1, i % 4 != 2
        fr = reader.file("promise_letter", f"l{i}.png", [S.promise_letter_html(P, signed, dated)], i)
        score("UNSIGNED", not (signed and dated), unit_documents.check(pl_m, RULES[pl_m.track], [fr]), f"letter signed={signed} dated={dated}")

    # -- work summary length
    ws_m = manifest("initial_junior", {"work_summary": ["w"]})
    for i, chars in enumerate((1500, 1900, 2100, 2500, 2900, 3200, 3600, 2400)):
        fr = reader.file("work_summary", f"w{i}.png", S.work_summary_pages(P, chars, per_page=800), i)
        score("WORK_SUMMARY_LENGTH", not 2000 <= chars <= 3000, unit_documents.check(ws_m, RULES[ws_m.track], [fr]), f"summary {chars}")

    # -- wrong documents
    docs = {
        "diploma": S.diploma_html(P), "degree_certificate": S.degree_html(P), "ce_certificate": S.ce_certificate_html(P),
        "annual_appraisal": S.appraisal_html(P), "unit_publicity": S.publicity_html(P), "promise_letter": S.promise_letter_html(P),
    }
    slots = list(docs)
    for i in range(16):
        slot = slots[i % len(slots)]
        content = slot if i % 2 == 0 else slots[(i + 1 + i // 6) % len(slots)]
        fr = reader.file(slot, f"d{i}.png", [docs[content]], i)
        m = manifest("review", {slot: [f"d{i}.png"]})
        score("WRONG_DOCUMENT", content != slot, materials.check(m, RULES[m.track], [fr]), f"{content} in {slot}")

    # -- graduation date on the diploma vs the manifest (declared 2016-07-01)
    dip_m = manifest("review", {"diploma": ["d"]})
    for i, year in enumerate((2016, 2017, 2016, 2015, 2016, 2018)):
        fr = reader.file("diploma", f"g{i}.png", [S.diploma_html(P, year)], i)
        score("NOT_ELIGIBLE", year != 2016, eligibility.check(dip_m, RULES[dip_m.track], [fr]), f"diploma {year}")

    # -- manifest-only rules
    for i in range(10):
        late = i % 2 == 1
        m = manifest("initial_junior", submitted_at="2025-11-15T18:30:00+08:00" if late else "2025-11-15T17:00:00+08:00", attempt=1 + i % 5)
        result = submission.check(m, RULES[m.track], [])
        score("LATE_SUBMISSION", late, result, f"submitted late={late}")
        score("TOO_MANY_ATTEMPTS", 1 + i % 5 > 3, result, f"attempt {1 + i % 5}")
    review_slots = ["photo", "diploma", "ce_certificate", "annual_appraisal", "unit_publicity", "publicity_result", "supervisor_opinion"]
    for i in range(10):
        mats = {s: ["f"] for j, s in enumerate(review_slots) if i % 2 == 0 or j != i % len(review_slots)}
        m = manifest("review", mats)
        score("MISSING_MATERIAL", i % 2 == 1, materials.check(m, RULES[m.track], []), f"materials {sorted(mats)}")

    print(f"rules evaluation: {reader.pages} pages OCRed, fonts {FONTS}")
    print(f"appraisal extraction: {exact}/{len(forms)} forms exactly right ({exact / len(forms):.3f}); {right}/{records} year-rating records right ({right / records:.3f})")
    for layout, (ok, n) in sorted(by_layout.items()):
        print(f"  {layout:12} {ok}/{n}")
    for label in wrong_forms:
        print(f"    wrong form: {label}")
    print("\n".join(tally.lines(sorted(set(tally.tp) | set(tally.fp) | set(tally.fn)))))


if __name__ == "__main__":
    main()
