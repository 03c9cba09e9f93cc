"""Precision/recall of the checks across documents and of the anchored readings, on labelled cases
built by the tests' generators (``samples.variants``): pages rendered in every installed
CJK font, degraded (JPEG + noise, blur, turned sideways, rescanned, photographed with a phone), read
through the whole pipeline
(orientation, PP-OCR, fingerprint) and judged by the packet rules, across the tracks.

    python bench/eval_cross_documents.py              # the evaluation (about 10 minutes on 2 cores)
    python bench/eval_cross_documents.py --calibrate  # fingerprint distances behind DuplicateConfig

Codes: NAME_MISMATCH, ID_EXPIRED, DUPLICATE_UPLOAD, DATE_INCONSISTENT; and the two readings of
issue 12 item 1: the diploma's graduation date (NOT_ELIGIBLE from a mismatch) and the CE
certificates' year and category (CE_INCOMPLETE). For each, the number of cases the rules left to
the auditor (待人工核对) is reported next to precision and recall: a case left to the auditor
raises nothing, so it counts as a miss when a finding was expected.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import logging
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from scoring import Tally  # noqa: E402

from detectors import REGISTRY, continuing_education, document_dates, duplicates, eligibility, holder_names, id_card  # noqa: E402
from pipeline import fingerprint  # noqa: E402
from pipeline.documents import SourcePage  # noqa: E402
from pipeline.manifest import Slot, parse_manifest  # noqa: E402
from pipeline.models import DocumentInfo  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import FileResult, PageContext, ScreenOptions, screen_page  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import variants as V  # noqa: E402
from samples import generate as S  # noqa: E402

RULES = load_rules()
FONTS = V.all_fonts()
TRACKS_2025 = ["initial_junior", "initial_intermediate", "grant_intermediate", "grant_associate_senior", "grant_senior", "fhj_three_year"]
ALL_TRACKS = ["review", *TRACKS_2025]
SUBMITTED = datetime_s = "2025-06-02T10:30:00+08:00"


def manifest(track: str, files: list[FileResult], submitted: str = SUBMITTED, **applicant) -> object:
    data = S.PacketBuilder(Path("x"), track=track).manifest()
    data["applicant"] |= applicant
    data["submission"]["submitted_at"] = submitted
    mats: dict[str, list[str]] = {}
    for fr in files:
        mats.setdefault(fr.document.slot.value, []).append(fr.document.file)
    data["materials"] = [{"slot": s, "files": f} for s, f in mats.items()]
    return parse_manifest(json.dumps(data, ensure_ascii=False, default=str))


DEGRADATIONS = ("clean", "JPEG 60 + noise", "blur 1.4 px", "turned sideways", "rescanned", "phone photo")


def degrade(img: np.ndarray, k: int) -> np.ndarray:
    kind = k % len(DEGRADATIONS)
    if kind == 5:
        return V.phone_photo(img, seed=k)
    if kind == 1:
        return S.jpeg(S.noise(img, 5, seed=k), 60)
    if kind == 2:
        return S.blur(img, 1.4)
    if kind == 3:
        return S.rotate_cw(S.jpeg(img, 75), 90 if k % 2 else 270)
    if kind == 4:
        return V.recapture(img, "rescan", seed=k)
    return img


class Reader:
    """Screens images as the pipeline does, page by page; one OCR per distinct image."""

    def __init__(self) -> None:
        self.engines = runtime.engines()
        self.pages = 0
        self.seconds = 0.0
        self._cache: dict[tuple, object] = {}
        m = manifest("initial_junior", [])
        self._notice = RULES[m.track]
        self._m = m

    def file(self, slot: str, name: str, images: list[np.ndarray], key: tuple | None = None) -> FileResult:
        results = []
        for n, img in enumerate(images, start=1):
            ck = (*key, n, slot) if key else None
            if ck is not None and ck in self._cache:
                r = self._cache[ck].model_copy(update={"file": name})
            else:
                ctx = PageContext(self._m, self._notice, Slot(slot))
                t = time.perf_counter()
                r = screen_page(SourcePage(number=n, image=img, scale=1.0, dpi=None), ctx, self.engines, REGISTRY, ScreenOptions(), name)
                self.seconds += time.perf_counter() - t
                self.pages += 1
                if ck is not None:
                    self._cache[ck] = r
            results.append(r)
        info = DocumentInfo(slot=Slot(slot), file=name, format="png", page_count=len(results), pages=tuple(r.info for r in results))
        return FileResult(document=info, pages=tuple(results))

    def html(self, slot: str, name: str, html: str, k: int, font: str | None = None) -> FileResult:
        font = font or FONTS[k % len(FONTS)]
        kind = k % len(DEGRADATIONS)
        return self.file(slot, name, [degrade(V.rendered(html, font), k)], key=(html, font, kind, k if kind in (1, 3, 4, 5) else 0))


class Scores:
    def __init__(self) -> None:
        self.tally = Tally()
        self.cases: Counter = Counter()
        self.unknown: Counter = Counter()
        self.tracks: dict[str, set] = {}
        self.unknown_labels: dict[str, list[str]] = {}

    def record(self, code: str, expected: bool, result, label: str, track: str, item: str | None = None, got: set[str] | None = None) -> None:
        self.cases[code] += 1
        self.tracks.setdefault(code, set()).add(track)
        got = got if got is not None else {f.code.value for f in result.findings}
        self.tally.record([code], {code} if expected else set(), got, label)
        if item and (rows := [c for c in result.checklist if c.state == "unknown" and item in c.item]):
            self.unknown[code] += 1
            self.unknown_labels.setdefault(code, []).append(f"{label}: {rows[0].detail[:90]}")

    def print(self, codes: list[str]) -> None:
        for code in codes:
            print(f"  {code:24} {self.cases[code]:3} cases over {len(self.tracks[code])} tracks, {self.unknown[code]} left to the auditor")
            for label in self.unknown_labels.get(code, []):
                print(f"    left to the auditor: {label}")
        print("\n".join(line for line in self.tally.lines(codes) if not line.startswith("    ") or any(c in line for c in codes)), flush=True)


# ---------------------------------------------------------------- NAME_MISMATCH


def holder_html(slot: str, p: V.Person, name: str, k: int) -> str:
    born = date(1994, 3, 12)
    return {
        "diploma": lambda: V.diploma_variant_html(p, born, date(2012, 9, 1), date(2016, 7, 1), template=k % 3, words=k % 2 == 0, name=name),
        "degree_certificate": lambda: V.degree_variant_html(p, born, date(2016, 7, 1), words=k % 2 == 1, name=name),
        "id_card_portrait": lambda: V.id_portrait_html(p, name=name),
        "annual_appraisal": lambda: V.appraisal_dated_html(p, 2024, date(2025, 1, 10), name=name) if k % 2 else S.appraisal_letter_html(V.replace(p, name=name), 2024),
        "ce_certificate": lambda: V.ce_variant_html(p, 2024, "公需科目", template=k % 3, name=name),
        "title_certificate": lambda: V.title_certificate_html(p, date(2019, 12, 31), name=name),
        "teacher_qualification": lambda: V.teacher_qualification_html(p, name=name),
        "mandarin_certificate": lambda: V.mandarin_certificate_html(p, name=name),
        "postdoc_certificate": lambda: V.postdoc_certificate_html(p, name=name),
        "foreign_degree_certification": lambda: V.foreign_degree_html(p, name=name),
    }[slot]()


def eval_names(reader: Reader, scores: Scores) -> None:
    slots = list(RULES["initial_junior"].cross_checks.holder_slots)
    for i in range(60):
        slot = slots[i % len(slots)]
        p = V.PEOPLE[i % len(V.PEOPLE)]
        other = i % 3 == 0
        forms = V.name_forms(p.name)
        name = V.OTHERS[i % len(V.OTHERS)] if other else forms[(i // 3) % len(forms)]
        fr = reader.html(slot, f"n{i}.png", holder_html(slot, p, name, i), i)
        track = TRACKS_2025[i % len(TRACKS_2025)]
        m = manifest(track, [fr], name=p.name, employer=p.employer)
        scores.record("NAME_MISMATCH", other, holder_names.check(m, RULES[m.track], [fr]), f"{slot} {name!r} for {p.name!r} ({FONTS[i % len(FONTS)]}, {DEGRADATIONS[i % len(DEGRADATIONS)]})", track, holder_names.ITEM)
    # names that are not the holder's: colleagues on the publicity, a superior signing, a leader on an appraisal
    for i in range(12):
        p = V.PEOPLE[i % len(V.PEOPLE)]
        if i % 3 == 0:
            slot, html = "unit_publicity", V.publicity_colleagues_html([V.OTHERS[i % 6], p.name, "李静"], "2025年5月12日", "2025年5月16日", p.employer)
        elif i % 3 == 1:
            slot, html = "recommendation_report", V.recommendation_report_html(p, superior=V.OTHERS[i % 6])
        else:
            slot, html = "annual_appraisal", S.appraisal_letter_html(p, 2024).replace("<p>特此证明。</p>", f"<p>特此证明。</p><p>单位负责人：{V.OTHERS[i % 6]}</p>")
        fr = reader.html(slot, f"c{i}.png", html, i + 1)
        track = TRACKS_2025[i % len(TRACKS_2025)]
        m = manifest(track, [fr], name=p.name, employer=p.employer)
        scores.record("NAME_MISMATCH", False, holder_names.check(m, RULES[m.track], [fr]), f"{slot} naming a colleague/superior", track, holder_names.ITEM)


# ---------------------------------------------------------------- ID_EXPIRED


def eval_ids(reader: Reader, scores: Scores) -> None:
    submitted = date(2025, 6, 2)
    for i in range(45):
        track = ALL_TRACKS[i % len(ALL_TRACKS)]
        start = date(2005 + i % 15, 1 + i % 12, 1 + (i * 7) % 28)
        kind = i % 5  # 0, 2: expired; 1: valid; 3: 长期; 4: the validity faded past reading
        term = (5, 10, 20)[i % 3]
        end = None if kind == 3 else start.replace(year=start.year + term)
        if kind in (0, 2) and end >= submitted:
            start, end = start.replace(year=submitted.year - term - 1), start.replace(year=submitted.year - 1)
        if kind in (1, 4) and end < submitted:
            start, end = start.replace(year=submitted.year - 2), start.replace(year=submitted.year - 2 + term)
        expired = end is not None and end < submitted and kind != 4
        html = V.id_emblem_html(start, end, dots=i % 2 == 0)
        if kind == 4:
            html = html.replace("<p>有效期限", "<p style='color:#f4f4f4'>有效期限")
        if i % 7 == 6:  # both sides scanned onto one page, uploaded as the portrait side
            html = V.id_portrait_html(V.PEOPLE[0]) + "<p>　</p>" + html
            slot = "id_card_portrait"
        else:
            slot = "id_card_emblem"
        fr = reader.html(slot, f"id{i}.png", html, i)
        m = manifest(track, [fr])
        label = f"validity {start}-{end or '长期'}{' faded' if kind == 4 else ''} in {slot} ({FONTS[i % len(FONTS)]}, {DEGRADATIONS[i % len(DEGRADATIONS)]})"
        scores.record("ID_EXPIRED", expired, id_card.check(m, RULES[m.track], [fr]), label, track, id_card.ITEM)


# ---------------------------------------------------------------- DUPLICATE_UPLOAD


def eval_duplicates(reader: Reader, scores: Scores) -> None:
    P, Q = V.PEOPLE[0], V.PEOPLE[2]
    pages = [
        ("diploma", S.diploma_html(P)),
        ("ce_certificate", V.ce_variant_html(P, 2024, "公需科目", template=0)),
        ("ce_certificate", V.ce_variant_html(P, 2023, "专业科目", 60, template=1)),
        ("annual_appraisal", S.appraisal_html(P, 2023)),
        ("degree_certificate", S.degree_html(P)),
        ("unit_publicity", S.publicity_html(P)),
        ("title_certificate", V.title_certificate_html(P, date(2019, 12, 31))),
    ]
    shared: list[float] = []
    dist: list[int] = []
    second_slot = {"diploma": "degree_certificate", "degree_certificate": "diploma", "annual_appraisal": "annual_appraisal", "ce_certificate": "ce_certificate", "unit_publicity": "publicity_result", "title_certificate": "title_certificate"}
    for i in range(28):  # the same page captured again
        slot, html = pages[i % len(pages)]
        font = FONTS[i % len(FONTS)]
        img = V.rendered(html, font)
        kind = (*V.RECAPTURES, "phone photo")[i % (len(V.RECAPTURES) + 1)]
        again = V.phone_photo(img, seed=i) if kind == "phone photo" else V.recapture(img, kind, seed=i)
        a = reader.file(slot, f"a{i}.jpg", [img], key=(html, font, "orig"))
        b = reader.file(second_slot[slot], f"b{i}.jpg", [again], key=(html, font, kind, i))
        track = ALL_TRACKS[i % len(ALL_TRACKS)]
        m = manifest(track, [a, b])
        scores.record("DUPLICATE_UPLOAD", True, duplicates.check(m, RULES[m.track], [a, b]), f"{slot} and its {kind} in {second_slot[slot]} ({font})", track, duplicates.ITEM)
        pa, pb = duplicates._pages([a, b])
        shared.append(len(pa.bigrams & pb.bigrams) / max(1, len(pa.bigrams | pb.bigrams)))
        dist.append(fingerprint.distance(pa.page.fingerprint, pb.page.fingerprint))
    print(f"   same page read twice: shared character pairs min {min(shared):.2f} median {float(np.median(shared)):.2f}; fingerprint distance max {max(dist)} median {int(np.median(dist))}")
    siblings = [  # one template, two documents
        ("annual_appraisal", S.appraisal_html(P, 2022), S.appraisal_html(P, 2023)),
        ("annual_appraisal", S.appraisal_html(P, 2023), S.appraisal_html(P, 2024)),
        ("annual_appraisal", S.appraisal_letter_html(P, 2023), S.appraisal_letter_html(P, 2024)),
        ("ce_certificate", V.ce_variant_html(P, 2024, "公需科目"), V.ce_variant_html(P, 2024, "专业科目")),
        ("ce_certificate", V.ce_variant_html(P, 2023, "公需科目"), V.ce_variant_html(P, 2024, "公需科目")),
        ("ce_certificate", V.ce_variant_html(P, 2024, "公需科目"), V.ce_variant_html(Q, 2024, "公需科目")),
        ("ce_certificate", V.ce_variant_html(P, 2024, "专业科目", 60, template=1), V.ce_variant_html(P, 2023, "专业科目", 60, template=1)),
        ("diploma", S.diploma_html(P), S.diploma_html(Q)),
        ("appraisal_table", S.appraisal_table_html(P, {2022: "优秀", 2023: "优秀", 2024: "优秀"}), S.appraisal_table_html(P, {2021: "优秀", 2022: "优秀", 2023: "优秀"})),
        ("other", S.diploma_html(P), S.degree_html(P)),
    ]
    for i in range(24):
        slot, h1, h2 = siblings[i % len(siblings)]
        slot = "annual_appraisal" if slot == "appraisal_table" else "ce_certificate" if slot == "other" else slot
        a = reader.html(slot, f"s{i}a.png", h1, i)
        b = reader.html(slot, f"s{i}b.png", h2, i + 1)
        track = ALL_TRACKS[i % len(ALL_TRACKS)]
        m = manifest(track, [a, b])
        scores.record("DUPLICATE_UPLOAD", False, duplicates.check(m, RULES[m.track], [a, b]), f"siblings {i % len(siblings)}", track, duplicates.ITEM)


def eval_duplicates_real(reader: Reader, scores: Scores) -> None:
    """realdev's photographs and scans (nobody here drew them): each against a copy captured again,
    and against another of them."""
    paths = sorted(glob.glob("/work/shared/realdev/images/*.jpg"))
    imgs = [cv2.imread(p) for p in paths]
    for i, (path, img) in enumerate(zip(paths, imgs, strict=True)):
        name = Path(path).name
        kind = V.RECAPTURES[i % len(V.RECAPTURES)]
        a = reader.file("photo" if name.startswith("face") else "recommendation_report", f"r{i}.jpg", [img], key=(path, "orig"))
        b = reader.file("id_card_portrait" if name.startswith("face") else "supervisor_opinion", f"r{i}b.jpg", [V.recapture(img, kind, seed=i)], key=(path, kind, i))
        m = manifest("review", [a, b])
        result = duplicates.check(m, RULES[m.track], [a, b])
        scores.record("DUPLICATE_UPLOAD(real)", True, result, f"{name} and its {kind}", "review", duplicates.ITEM, got={"DUPLICATE_UPLOAD(real)"} if result.findings else set())
        other = paths[(i + 7) % len(paths)]
        c = reader.file("supervisor_opinion", f"r{i}c.jpg", [imgs[(i + 7) % len(paths)]], key=(other, "orig"))
        m = manifest("initial_junior", [a, c])
        result = duplicates.check(m, RULES[m.track], [a, c])
        scores.record("DUPLICATE_UPLOAD(real)", False, result, f"{name} vs {Path(other).name}", "initial_junior", duplicates.ITEM, got={"DUPLICATE_UPLOAD(real)"} if result.findings else set())


# ---------------------------------------------------------------- DATE_INCONSISTENT


def eval_dates(reader: Reader, scores: Scores) -> None:
    P = V.PEOPLE[0]
    sub = date(2025, 6, 2)
    for i in range(44):
        track = ALL_TRACKS[i % len(ALL_TRACKS)]
        kind = i % 4
        bad = i % 2 == 1
        files: list[FileResult] = []
        if kind == 0:  # publicity still running at submission
            end = sub + timedelta(days=1 + i % 5) if bad else sub - timedelta(days=3 + i % 9)
            start = end - timedelta(days=6)
            files.append(reader.html("unit_publicity", f"p{i}.png", S.publicity_html(P, V.written(start, False), V.written(end, False)), i))
        elif kind == 1:  # publicity result dated before the publicity ended
            start, end = date(2025, 5, 12), date(2025, 5, 16)
            dated = end - timedelta(days=1 + i % 3) if bad else end + timedelta(days=i % 4)
            files.append(reader.html("unit_publicity", f"p{i}.png", S.publicity_html(P, V.written(start, False), V.written(end, False)), i))
            files.append(reader.html("publicity_result", f"r{i}.png", S.publicity_result_html(P, V.written(start, False), V.written(end, False), V.written(dated, False)), i + 1))
        elif kind == 2:  # promise letter dated after the submission (2025) / any date (2024: no rule)
            if track == "review":
                track = TRACKS_2025[i % len(TRACKS_2025)]
            dated = sub + timedelta(days=2 + i % 20) if bad else sub - timedelta(days=1 + i % 20)
            files.append(reader.html("promise_letter", f"l{i}.png", V.promise_letter_dated_html(P, dated), i))
        else:  # a certificate or an appraisal dated after the submission
            dated = sub + timedelta(days=30 + 7 * i) if bad else date(2025, 1, 10) - timedelta(days=i)
            if i % 8 < 4:
                files.append(reader.html("annual_appraisal", f"a{i}.png", V.appraisal_dated_html(P, 2024, dated), i))
            else:
                files.append(reader.html("ce_certificate", f"c{i}.png", V.ce_variant_html(P, 2024, issued=dated, template=i % 3, words=i % 5 == 0), i))
        m = manifest(track, files)
        scores.record("DATE_INCONSISTENT", bad, document_dates.check(m, RULES[m.track], files), f"dates kind {kind} bad={bad}", track, document_dates.ITEM)


# ---------------------------------------------------------------- issue 12 item 1: graduation, CE year/category


def eval_graduation(reader: Reader, scores: Scores) -> None:
    for i in range(48):
        p = V.PEOPLE[i % len(V.PEOPLE)]
        template = i % 4
        birth = ("before", "after", "none")[i % 3]
        graduated = date(2010 + i % 8, 6 + i % 2, 1)
        declared = graduated if i % 3 else graduated.replace(year=graduated.year + 1 + i % 2)
        html = V.diploma_variant_html(p, date(1988, 3, 12), graduated.replace(year=graduated.year - 4, month=9), graduated, birth=birth, words=i % 2 == 0, template=template)
        fr = reader.html("diploma", f"g{i}.png", html, i)
        track = ALL_TRACKS[i % len(ALL_TRACKS)]
        m = manifest(track, [fr], education={"level": "bachelor", "full_time": True, "graduated_on": declared.isoformat()}, work_started_on="2008-08-01")
        result = eligibility.check(m, RULES[m.track], [fr])
        mismatch = any(f.slot == Slot.diploma for f in result.findings)
        scores.record(
            "NOT_ELIGIBLE(diploma)",
            declared != graduated and template != 3,  # template 3 has no graduation date but its 落款: left to the auditor
            result,
            f"diploma template {template} birth {birth} words={i % 2 == 0} font {FONTS[i % len(FONTS)]} {DEGRADATIONS[i % len(DEGRADATIONS)]}: graduated {graduated}, declared {declared}",
            track,
            "毕业时间",
            got={"NOT_ELIGIBLE(diploma)"} if mismatch else set(),
        )


def eval_ce(reader: Reader, scores: Scores) -> None:
    P = V.PEOPLE[0]
    for i in range(36):
        track = ("review", "initial_junior", "fhj_three_year")[i % 3]
        years = [2024] if track != "fhj_three_year" else [2022, 2023, 2024]
        pairs = [(y, c) for y in years for c in ("公需科目", "专业科目")]
        drop = pairs[i % len(pairs)] if i % 3 == 1 else None
        files = []
        for j, (y, c) in enumerate(pairs):
            if (y, c) == drop:
                continue
            html = V.ce_variant_html(P, y, c, 30 if c == "公需科目" else 60, template=(i + j) % 3, words=(i + j) % 4 == 0)
            files.append(reader.html("ce_certificate", f"ce{i}_{j}.png", html, i + j))
        m = manifest(track, files, employer_type="public_institution")
        scores.record("CE_INCOMPLETE", drop is not None, continuing_education.check(m, RULES[m.track], files), f"ce {track} dropped {drop}", track, "继续教育")


# ---------------------------------------------------------------- fingerprint calibration


def calibrate() -> None:
    """Distances between each page and its recaptures (the same page) and between different pages."""
    rng_pages = {}
    P, Q = V.PEOPLE[0], V.PEOPLE[2]
    docs = {
        "diploma": S.diploma_html(P), "diplomaQ": S.diploma_html(Q), "degree": S.degree_html(P), "ap22": S.appraisal_html(P, 2022),
        "ap23": S.appraisal_html(P, 2023), "ce24": V.ce_variant_html(P, 2024), "ce24Q": V.ce_variant_html(Q, 2024), "ce24t": V.ce_variant_html(P, 2024, template=1),
        "pub": S.publicity_html(P), "promise": S.promise_letter_html(P), "title": V.title_certificate_html(P, date(2019, 12, 31)),
    }
    for font in FONTS:
        for k, h in docs.items():
            rng_pages[f"{k}|{font}"] = ("doc", V.rendered(h, font))
    for path in sorted(glob.glob("/work/shared/realdev/images/*.jpg")):
        rng_pages[Path(path).name] = ("real", cv2.imread(path))
    rng_pages["astronaut"] = ("photo", S.face_photo())
    fps = {k: fingerprint.of(img) for k, (_, img) in rng_pages.items()}
    same: dict[str, list[int]] = {}
    for n, (k, (kind, img)) in enumerate(rng_pages.items()):
        for r in V.RECAPTURES:
            for seed in range(2):
                d = fingerprint.distance(fps[k], fingerprint.of(V.recapture(img, r, seed=n * 7 + seed)))
                same.setdefault(f"{kind}:{r}", []).append(d)
    diff: dict[str, list[int]] = {}
    for a, b in itertools.combinations(rng_pages, 2):
        ka, kb = rng_pages[a][0], rng_pages[b][0]
        if ka == kb == "doc" and a.split("|")[0] == b.split("|")[0]:
            continue  # one document in two fonts
        group = "template siblings" if ka == kb == "doc" and a.split("|")[0][:2] == b.split("|")[0][:2] else f"{min(ka, kb)}-{max(ka, kb)}"
        diff.setdefault(group, []).append(fingerprint.distance(fps[a], fps[b]))
    print(f"fingerprint distances (of {fingerprint.BITS} bits), {len(rng_pages)} pages ({len(FONTS)} fonts + realdev)")
    print("  the same page captured again:")
    for k, v in sorted(same.items()):
        print(f"    {k:18} n={len(v):3}  median {int(np.median(v)):3}  p95 {int(np.percentile(v, 95)):3}  max {max(v):3}")
    print("  different pages:")
    for k, v in sorted(diff.items()):
        print(f"    {k:18} n={len(v):4}  min {min(v):3}  p1 {int(np.percentile(v, 1)):3}  median {int(np.median(v)):3}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="fingerprint distances only (no OCR)")
    ap.add_argument("--only", nargs="*", help="names, ids, duplicates, real, dates, graduation, ce")
    args = ap.parse_args()
    if args.calibrate:
        calibrate()
        return
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    reader, scores = Reader(), Scores()
    parts = {
        "names": eval_names, "ids": eval_ids, "duplicates": eval_duplicates, "real": eval_duplicates_real,
        "dates": eval_dates, "graduation": eval_graduation, "ce": eval_ce,
    }
    started = time.perf_counter()
    for name, fn in parts.items():
        if not args.only or name in args.only:
            before = set(scores.cases)
            fn(reader, scores)
            print(f"-- {name} ({reader.pages} pages read so far)")
            scores.print(sorted(set(scores.cases) - before))
    print(f"cross-document evaluation: {reader.pages} pages read ({reader.seconds:.0f} s), fonts {FONTS}, {time.perf_counter() - started:.0f} s in all")
    print("\n".join(line for line in scores.tally.lines(list(scores.cases)) if not line.startswith("    ")))


if __name__ == "__main__":
    main()
