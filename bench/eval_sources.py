"""Precision and recall per finding code on three sources, each scored on its own, and the share of
clean packets flagged:

1. ``generated``: the project's generator, widened (seals in 24 engravings and other fonts,
   half-masked and shared name parts, blur across 150-300 DPI including 1.6-2.0 pt, every turn,
   multi-page files, photos pasted sideways);
2. ``realdev``: the real photographs and scans of ``../shared/realdev`` (faces, seals, documents
   with their labelled names and organisations), as they are and in masked copies made here; the
   face photos also turned 25 degrees either way (a tilted face), open and masked along the eyes;
3. ``other``: documents laid out unlike the project's templates (``bench/other_layouts.py``: drawn
   with Pillow in other fonts and wordings, then photographed or photocopied).

Every case goes through the whole screening of a one-file packet (decode, orientation, OCR, every
detector, the packet rules); only the codes a case is about are scored on it. Clean packets are
whole packets as a careful applicant uploads them; flagged = any finding other than a warning
about orientation.

    python bench/eval_sources.py                 # all three
    python bench/eval_sources.py realdev other   # some
    python bench/eval_sources.py generated --every 4 --keep FILE --no-clean   # a subset: every 4th case, those listed
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import other_layouts as O  # noqa: E402
from calibrate_eyes import mask_eyes  # noqa: E402
from scoring import Tally, engines_and_options, kept, subset_args  # noqa: E402

from detectors import PACKET_CHECKS, REGISTRY  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import screen_packet  # noqa: E402
from samples import engrave as E  # noqa: E402
from prescreen import runtime  # noqa: E402
from samples import generate as S  # noqa: E402

REALDEV = Path(__file__).resolve().parents[2] / "shared" / "realdev"
CODES = (
    "UNMASKED_NAME",
    "UNMASKED_EMPLOYER",
    "UNMASKED_SEAL",
    "UNMASKED_EYES",
    "PHOTO_FACE_MISSING",
    "BLURRY",
    "ROTATED",
    "WRONG_DOCUMENT",
)
EMPLOYER = "乌鲁木齐市第十中学"
CLEAN_PACKETS = 12
NAME = "艾力·买买提"


@dataclass
class Case:
    label: str
    slot: str
    image: np.ndarray | None
    expect: set[str]
    scored: tuple[str, ...]
    track: str = "review"
    applicant: dict = field(default_factory=dict)
    data: bytes | None = None  # a file as uploaded (else the image as JPEG)
    file: str = "page.jpg"


def screen_case(case: Case, notices, engines, options=None) -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        b = S.PacketBuilder(Path(tmp), track=case.track, person=S.Person(name=case.applicant.get("name", NAME), employer=case.applicant.get("employer", EMPLOYER)))
        data = case.data if case.data is not None else S.encode_image(case.image, "jpeg")
        b.add(case.slot, case.file, data)
        b.write()
        result = screen_packet(load_packet(Path(tmp)), notices, engines, REGISTRY, PACKET_CHECKS, options=options)
    return {f.code.value for f in result.report.findings if f.file == case.file}


# ---------------------------------------------------------------- 1. the generator, widened


def generated() -> Iterator[Case]:
    p = S.Person(name=NAME, employer=EMPLOYER)
    colleague = S.Person(name="吐尔逊·买买提", employer="乌鲁木齐市第七中学")
    fonts = S.available_fonts()
    for k, font in enumerate(fonts[:3]):
        for slot, make in (("diploma", S.diploma_html), ("ce_certificate", S.ce_certificate_html), ("annual_appraisal", S.appraisal_html), ("unit_publicity", S.publicity_html)):
            html = make(p)
            img = S.render_html(html, dpi=150, font=font)
            has_emp = slot != "diploma"
            yield Case(f"{slot}/{font}/open", slot, img, {"UNMASKED_NAME"} | ({"UNMASKED_EMPLOYER"} if has_emp else set()), ("UNMASKED_NAME", "UNMASKED_EMPLOYER"))
            masked = S.masked(img, html, p.name, p.employer) if font == "china-s" else _mask_all(img, html, font, p.name, p.employer)
            yield Case(f"{slot}/{font}/masked", slot, S.jpeg(masked, 80), set(), ("UNMASKED_NAME", "UNMASKED_EMPLOYER"))
            half = _mask_all(img, html, font, "艾力", p.employer)
            yield Case(f"{slot}/{font}/half masked", slot, half, {"UNMASKED_NAME"} if "同志" in html or "学生" in html or "姓名" in html else set(), ("UNMASKED_NAME",))
            other = S.render_html(make(colleague), dpi=150, font=font)
            yield Case(f"{slot}/{font}/colleague", slot, other, set(), ("UNMASKED_NAME", "UNMASKED_EMPLOYER"))
    # seals in many engravings
    base = S.render_html(S.appraisal_html(S.Person(name="████", employer="██████")), dpi=150)
    bodies = ["乌鲁木齐市人力资源和社会保障局", "乌鲁木齐市文化体育广电和旅游局", "新疆维吾尔自治区教育厅"]
    for i, how in enumerate(E.engravings(3)[:16]):
        r = 0.09 if how.oval == 1 else 0.11
        page = E.stamp(base, EMPLOYER, how, center=(0.68, 0.78), radius=r, seed=i)
        yield Case(f"seal employer/{how.font}/oval{how.oval}", "annual_appraisal", S.jpeg(page, 85), {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",))
        page = E.stamp(base, bodies[i % 3], how, center=(0.68, 0.78), radius=r, seed=i)
        yield Case(f"seal bureau/{how.font}", "annual_appraisal", S.jpeg(page, 85), set(), ("UNMASKED_SEAL",))
        if i % 2 == 0:
            masked = S.mask_box(page, (0.68 - r * 1.2, 0.78 - r * 0.9, 0.68 + r * 1.2, 0.78 + r * 0.9))
            yield Case(f"seal masked/{how.font}", "annual_appraisal", masked, set(), ("UNMASKED_SEAL",))
        if i % 4 == 0:
            page = E.stamp(base, EMPLOYER, how, center=(0.68, 0.78), radius=r, seed=i)
            yield Case(f"seal grey copy/{how.font}", "annual_appraisal", O.photocopy(page, i), {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",))
            diploma = E.stamp(S.render_html(S.diploma_html(p), dpi=150), "新疆师范大学", how, center=(0.7, 0.85), radius=r, seed=i)
            yield Case(f"seal school on diploma/{how.font}", "diploma", diploma, set(), ("UNMASKED_SEAL",))
    # eyes
    for size in ((295, 413), (180, 252)):
        for how in ("open", "bar", "mosaic", "blur", "one eye"):
            photo = S.face_photo(*size)
            photo = photo if how == "open" else S.cover_eyes(photo, "bar", which="left") if how == "one eye" else S.cover_eyes(photo, how)
            yield Case(f"photo {size} {how}", "photo", S.jpeg(photo, 80), {"UNMASKED_EYES"} if how in ("open", "one eye") else set(), ("UNMASKED_EYES",))
            yield Case(f"2025 photo {size} {how}", "photo", S.jpeg(photo, 80), set() if how == "open" else {"PHOTO_FACE_MISSING"}, ("PHOTO_FACE_MISSING",), track="initial_junior")
    for turn in (0, 90, 270):
        for how in ("open", "bar"):
            photo = S.rotate_cw(S.face_photo(118, 165) if how == "open" else S.cover_eyes(S.face_photo(118, 165), "bar"), turn)
            page = S.paste(S.render_html("<h1>身份证复印件</h1><p>（粘贴处）</p>", dpi=150), photo, (0.3, 0.3))
            yield Case(f"photo scanned onto A4, turned {turn}, {how}", "id_card_portrait", page, {"UNMASKED_EYES"} if how == "open" else set(), ("UNMASKED_EYES",))
    # blur across resolutions, the 1.6-2.0 pt band included; labels by physical blur
    for dpi in (150, 200, 300):
        sharp = S.render_html(S.ce_certificate_html(S.Person(name="████", employer="██████")), dpi=dpi)
        for pt in (0, 0.8, 1.6, 1.8, 2.0, 3.0, 6.0):
            yield Case(f"blur {pt} pt at {dpi} DPI", "ce_certificate", S.blur(sharp, pt * dpi / 72), {"BLURRY"} if pt >= 1.6 else set(), ("BLURRY", "WRONG_DOCUMENT"))
    # every turn
    for make in (S.diploma_html, S.appraisal_html, S.publicity_html):
        up = S.render_html(make(S.Person(name="████", employer="██████")), dpi=150)
        for turn in (0, 90, 180, 270):
            yield Case(f"{make.__name__} turned {turn}", "diploma", S.rotate_cw(up, turn), {"ROTATED"} if turn else set(), ("ROTATED",))
    for turn in (0, 90, 180):
        yield Case(f"portrait turned {turn}", "photo", S.rotate_cw(S.cover_eyes(S.face_photo(), "bar"), turn), {"ROTATED"} if turn else set(), ("ROTATED",))
    # blank and another document
    yield Case("blank page", "diploma", np.full((1754, 1240, 3), 250, np.uint8), {"WRONG_DOCUMENT"}, ("WRONG_DOCUMENT", "BLURRY"))
    yield Case("degree in the CE slot", "ce_certificate", S.render_html(S.degree_html(p), dpi=150), {"WRONG_DOCUMENT"}, ("WRONG_DOCUMENT",))
    # a name on page 3 of 4
    pages = [S.masked(S.render_html(S.ce_certificate_html(p, y), dpi=150), S.ce_certificate_html(p, y), p.name, p.employer) for y in (2021, 2022, 2024)]
    pages.insert(2, S.render_html(S.ce_certificate_html(p, 2023), dpi=150))
    yield Case("name on page 3 of 4", "ce_certificate", None, {"UNMASKED_NAME", "UNMASKED_EMPLOYER"}, ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), data=S.images_pdf(pages), file="ce.pdf")


def _mask_all(img: np.ndarray, html: str, font: str, *texts: str) -> np.ndarray:
    import pymupdf

    page = S._html_page(pymupdf.open(), html, S.A4_PT, 56, font)
    w, h = page.rect.width, page.rect.height
    for text in texts:
        for r in page.search_for(text):
            img = S.mask_box(img, (r.x0 / w - 0.004, r.y0 / h - 0.004, r.x1 / w + 0.004, r.y1 / h + 0.004))
    return img


# ---------------------------------------------------------------- 2. realdev


def realdev() -> Iterator[Case]:
    labels = json.loads((REALDEV / "labels.json").read_text())["images"]
    images = {n: cv2.imread(str(REALDEV / "images" / f"{n}.jpg")) for n in labels}
    base = S.render_html(S.appraisal_html(S.Person(name="████", employer="██████")), dpi=150)
    for name, lab in labels.items():
        img = images[name]
        faces = [f for f in lab.get("faces", []) if f.get("left_eye") and f.get("right_eye")]
        if "face" in lab["kind"] and lab.get("faces_complete", True):
            n = len(lab["faces"])
            yield Case(f"{name} as the 2025 photo", "photo", img, {"PHOTO_FACE_MISSING"} if n != 1 else set(), ("PHOTO_FACE_MISSING",), track="initial_junior")
            yield Case(f"{name} open (review)", "photo", img, {"UNMASKED_EYES"}, ("UNMASKED_EYES",))
            for how in ("bar", "mosaic", "blur", "lenses"):
                masked = img
                for f in faces:
                    masked = mask_eyes(masked, f, how)
                unmasked_left = len(faces) < len(lab["faces"])  # a face whose eyes are not labelled stays open
                yield Case(f"{name} {how} (review)", "photo", S.jpeg(masked, 80), {"UNMASKED_EYES"} if unmasked_left else set(), ("UNMASKED_EYES",))
            if faces and len(faces) == n:  # the photo taken tilted: every face turned 25 degrees, open and masked
                for deg in (25, -25):
                    img_t, turned = E.tilt_photo(img, faces, deg)
                    yield Case(f"{name} tilted {deg} open (review)", "photo", S.jpeg(img_t, 85), {"UNMASKED_EYES"}, ("UNMASKED_EYES",))
                    for how in ("bar", "lenses"):
                        masked = img_t
                        for f in turned:
                            masked = mask_eyes(masked, f, how)
                        yield Case(f"{name} tilted {deg} {how} (review)", "photo", S.jpeg(masked, 85), set(), ("UNMASKED_EYES",))
            if n == 1 and faces:
                small = S.scale(img, 300 / max(img.shape[:2]))
                page = S.paste(S.render_html("<h1>身份证复印件</h1>", dpi=150), S.rotate_cw(small, 90), (0.25, 0.3))
                yield Case(f"{name} small, sideways on A4", "id_card_portrait", page, {"UNMASKED_EYES"}, ("UNMASKED_EYES",))
        # orientation: every picture whose upright way is known, turned each way
        if lab.get("upright") is True:
            for turn in (0, 90, 180, 270):
                slot = "photo" if "face" in lab["kind"] and "doc" not in lab["kind"] else "diploma"
                yield Case(f"{name} turned {turn}", slot, S.rotate_cw(img, turn), {"ROTATED"} if turn else set(), ("ROTATED",), track="initial_junior")
        # seals on an employer's appraisal form: the employer's own, another body's, masked
        for k, seal in enumerate(lab.get("seals", [])):
            if seal.get("uncertain") or seal["shape"] == "square":
                continue
            crop = _crop(img, seal["bbox_px"], 0.04)
            page = _paste_multiply(base, crop, (0.55, 0.7))
            text = _leading_han(seal.get("text") or "")
            if seal["legible"] and text and "…" not in text:
                yield Case(f"{name} seal {k}, the employer's", "annual_appraisal", page, {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",), applicant={"employer": text})
                yield Case(f"{name} seal {k}, another body's", "annual_appraisal", page, set(), ("UNMASKED_SEAL",))
                # the picture as it is, the seal in place among its document's print, as the employer's upload
                yield Case(f"{name} seal {k} in place, the employer's", "annual_appraisal", img, {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",), applicant={"employer": text})
            elif not seal["legible"]:
                yield Case(f"{name} seal {k}, illegible, on the employer's form", "annual_appraisal", page, {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",))
            h, w = page.shape[:2]
            ch, cw = crop.shape[:2]
            masked = S.mask_box(page, (0.55, 0.7, 0.55 + cw / w, 0.7 + ch / h))
            yield Case(f"{name} seal {k}, masked", "annual_appraisal", masked, set(), ("UNMASKED_SEAL",), applicant={"employer": text or EMPLOYER})
        # a real document with no seal, uploaded as the employer's: red print, a red table, stamps' absence
        if "doc" in lab["kind"] and not lab.get("seals"):
            yield Case(f"{name} as the employer's form, no seal", "annual_appraisal", img, set(), ("UNMASKED_SEAL",))
        if "doc" in lab["kind"]:  # a real document that is no application material, uploaded as the diploma
            yield Case(f"{name} as the diploma", "diploma", img, {"WRONG_DOCUMENT"}, ("WRONG_DOCUMENT",), track="initial_junior")
        # names and organisations on real documents
        for k, person in enumerate(lab.get("names_visible", [])):
            if not _is_han_name(person["text"]):
                continue
            yield Case(f"{name} name {person['text']}", "unit_publicity", img, {"UNMASKED_NAME"}, ("UNMASKED_NAME",), applicant={"name": person["text"]})
            masked = S.mask_box(img, _rel(person["bbox_px"], img, 0.01))
            yield Case(f"{name} name {person['text']} masked", "unit_publicity", masked, set(), ("UNMASKED_NAME",), applicant={"name": person["text"]})
        for k, org in enumerate(lab.get("orgs_visible", [])):
            text = org["text"]
            if len(text) < 4 or not _is_han(text[0]) or _inside_any(org["bbox_px"], [x["bbox_px"] for x in lab.get("seals", [])]):
                continue  # a name on a seal is the seal's finding (UNMASKED_SEAL subsumes it)
            yield Case(f"{name} org {text}", "unit_publicity", img, {"UNMASKED_EMPLOYER"}, ("UNMASKED_EMPLOYER",), applicant={"employer": text})
            masked = img
            for other in lab.get("orgs_visible", []):
                if other["text"] == text:
                    masked = S.mask_box(masked, _rel(other["bbox_px"], img, 0.01))
            yield Case(f"{name} org {text} masked", "unit_publicity", masked, set(), ("UNMASKED_EMPLOYER",), applicant={"employer": text})
        # blur on real documents
        if "doc" in lab["kind"] and lab.get("upright") is True and name != "doc_invoice_vehicle_blurred":
            yield Case(f"{name} as captured", "diploma", img, set(), ("BLURRY",), track="initial_junior")
            yield Case(f"{name} blurred hard", "diploma", S.blur(img, max(img.shape[:2]) / 250), {"BLURRY"}, ("BLURRY", "WRONG_DOCUMENT"), track="initial_junior")


def _crop(img: np.ndarray, box: list[int], pad: float) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    px, py = int(pad * (x1 - x0)), int(pad * (y1 - y0))
    return img[max(0, y0 - py) : min(h, y1 + py), max(0, x0 - px) : min(w, x1 + px)].copy()


def _paste_multiply(page: np.ndarray, patch: np.ndarray, at: tuple[float, float]) -> np.ndarray:
    """A seal's picture laid on a page as ink: darker wins (the picture's paper does not cover the page)."""
    out = page.copy()
    h, w = patch.shape[:2]
    x, y = int(at[0] * page.shape[1]), int(at[1] * page.shape[0])
    region = out[y : y + h, x : x + w]
    patch = patch[: region.shape[0], : region.shape[1]].astype(np.float32)
    paper = np.percentile(patch.reshape(-1, 3), 95, axis=0)
    ink = np.clip(patch / np.maximum(paper, 1) * 255, 0, 255)
    out[y : y + h, x : x + w] = (region.astype(np.float32) * ink / 255).astype(np.uint8)
    return out


def _rel(box: list[int], img: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    h, w = img.shape[:2]
    return (box[0] / w - pad, box[1] / h - pad, box[2] / w + pad, box[3] / h + pad)


def _leading_han(label: str) -> str:
    """The unit's name in a seal's label ("北京中导开源科技有限公司 — star in centre" -> the name)."""
    m = re.match(r"[\u4e00-\u9fff]+", label.strip())
    return m.group(0) if m else ""


def _inside_any(box: list[int], others: list[list[int]]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(o[0] <= cx <= o[2] and o[1] <= cy <= o[3] for o in others)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _is_han_name(text: str) -> bool:
    return 2 <= len(text) <= 12 and all(_is_han(c) or c in "·•" for c in text)


# ---------------------------------------------------------------- 3. other layouts


def other() -> Iterator[Case]:
    people = [O.Person("艾力·买买提", EMPLOYER), O.Person("李晓燕", "乌鲁木齐市天山区人民医院", sex="女"), O.Person("努尔兰·别克", "乌鲁木齐市水磨沟区第三小学", sex="男")]
    faces = ["song", "hei", "microhei", "kai"]
    k = 0
    for p in people:
        appl = {"name": p.name, "employer": p.employer}
        for face in faces[:3]:
            k += 1
            capture = (lambda im, s=k: O.photographed(im, s)) if k % 2 else (lambda im, s=k: O.photocopy(im, s))
            form, boxes = O.appraisal_form(p, 2024, face=face)
            yield Case(f"appraisal form/{p.name}/{face} open", "annual_appraisal", capture(form), {"UNMASKED_NAME", "UNMASKED_EMPLOYER"}, ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), applicant=appl)
            masked = O.mask_boxes(form, boxes.get("name", []) + boxes.get("employer", []))
            yield Case(f"appraisal form/{p.name}/{face} masked", "annual_appraisal", capture(masked), set(), ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), applicant=appl)
            pub, boxes = O.publicity_list(p, ["吐尔逊·买买提", "王建华", "古丽娜尔·艾力"], face=face)
            yield Case(f"publicity list/{p.name}/{face} open", "unit_publicity", capture(pub), {"UNMASKED_NAME", "UNMASKED_EMPLOYER"}, ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), applicant=appl)
            masked = O.mask_boxes(pub, boxes.get("name", []) + boxes.get("employer", []))
            yield Case(f"publicity list/{p.name}/{face} masked", "unit_publicity", capture(masked), set(), ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), applicant=appl)
            ce, boxes = O.ce_certificate(p, 2024, "公需科目", face=faces[(k + 1) % 4])
            yield Case(f"CE certificate/{p.name} open", "ce_certificate", capture(ce), {"UNMASKED_NAME", "UNMASKED_EMPLOYER"}, ("UNMASKED_NAME", "UNMASKED_EMPLOYER"), applicant=appl)
        for variant in range(3):
            k += 1
            dip, boxes = O.diploma(p, variant=variant, face=faces[variant])
            yield Case(f"diploma variant {variant}/{p.name} open", "diploma", O.photographed(dip, k), {"UNMASKED_NAME"}, ("UNMASKED_NAME", "UNMASKED_SEAL"), applicant=appl)
            masked = O.mask_boxes(dip, boxes.get("name", []))
            seal = E.stamp(masked, p.school + "学位专用章" if variant else p.school, E.engravings(7)[variant * 5], center=(0.72, 0.72), radius=0.07, seed=k)
            yield Case(f"diploma variant {variant}/{p.name} masked, school seal", "diploma", O.photographed(seal, k), set(), ("UNMASKED_NAME", "UNMASKED_SEAL"), applicant=appl)
    # seals on the other forms, photographed
    for i, how in enumerate(E.engravings(11)[:12]):
        p = people[i % 3]
        form, boxes = O.appraisal_form(p, 2023, face=faces[i % 4])
        form = O.mask_boxes(form, boxes.get("name", []) + boxes.get("employer", []))
        stamped = E.stamp(form, p.employer, how, center=(0.66, 0.55), radius=0.09 if how.oval == 1 else 0.11, seed=i)
        yield Case(f"employer seal on a photographed form/{how.font}", "annual_appraisal", O.photographed(stamped, 100 + i), {"UNMASKED_SEAL"}, ("UNMASKED_SEAL",), applicant={"name": p.name, "employer": p.employer})
        bureau = E.stamp(form, "乌鲁木齐市人力资源和社会保障局", how, center=(0.66, 0.55), radius=0.09 if how.oval == 1 else 0.11, seed=i)
        yield Case(f"bureau seal on a photographed form/{how.font}", "annual_appraisal", O.photographed(bureau, 200 + i), set(), ("UNMASKED_SEAL",), applicant={"name": p.name, "employer": p.employer})
    # turned, blurred
    form, boxes = O.appraisal_form(people[1], 2024)
    form = O.mask_boxes(form, boxes.get("name", []) + boxes.get("employer", []))
    for turn in (0, 90, 180, 270):
        yield Case(f"photographed form turned {turn}", "annual_appraisal", S.rotate_cw(O.photographed(form, 300 + turn), turn), {"ROTATED"} if turn else set(), ("ROTATED",))
    for sigma in (0, 2.5, 3.5, 6.0):
        yield Case(f"photographed form blurred {sigma} px", "annual_appraisal", S.blur(O.photographed(form, 400), sigma), {"BLURRY"} if sigma >= 2.5 else set(), ("BLURRY", "WRONG_DOCUMENT"))


SOURCES = {"generated": generated, "realdev": realdev, "other": other}


# ---------------------------------------------------------------- clean packets


def clean_packet(root: Path, source: str, k: int) -> None:
    """A review-track packet as a careful applicant uploads it: every required material, names,
    employer, the employer's seals and the photo's eyes masked; other bodies' seals left as they are."""
    rng = np.random.default_rng(k)
    person = [S.Person(name=NAME, employer=EMPLOYER), S.Person(name="李晓燕", employer="乌鲁木齐市天山区人民医院"), S.Person(name="努尔兰·别克", employer="乌鲁木齐市水磨沟区第三小学")][k % 3]
    b = S.PacketBuilder(root, application_id=f"CLEAN-{source}-{k}", track="review", person=person)
    font = S.available_fonts()[k % len(S.available_fonts())]
    capture = (lambda im: O.photographed(im, k)) if source == "other" and k % 2 else (lambda im: S.jpeg(S.noise(im, 3, seed=k), 80))
    how = ["bar", "mosaic", "white"][k % 3]
    if source == "realdev":
        portraits = [n for n in ("face_portrait_suit", "face_frontal_plain_bg", "face_older_man", "face_closeup_smile", "face_asian_woman_hand", "face_crop_collage_portrait") ]
        labels = json.loads((REALDEV / "labels.json").read_text())["images"]
        name = portraits[k % len(portraits)]
        photo = mask_eyes(cv2.imread(str(REALDEV / "images" / f"{name}.jpg")), labels[name]["faces"][0], how)
    else:
        photo = S.cover_eyes(S.face_photo(), how)
    b.add("photo", "photo.jpg", S.encode_image(S.jpeg(photo, 85), "jpeg"))

    def masked_page(html: str) -> np.ndarray:
        return _mask_all(S.render_html(html, dpi=150, font=font), html, font, person.name, person.employer)

    if source == "other":
        op = O.Person(person.name, person.employer)
        dip, boxes = O.diploma(op, variant=k % 3, graduated=(2016, 7))
        dip = E.stamp(O.mask_boxes(dip, boxes.get("name", [])), op.school, E.engravings(k)[k % 24], center=(0.72, 0.72), radius=0.07, seed=k)
        b.add("diploma", "diploma.jpg", S.encode_image(capture(dip), "jpeg"))
        form, boxes = O.appraisal_form(op, 2024, "合格")
        form = O.mask_boxes(form, boxes.get("name", []) + boxes.get("employer", []))
        b.add("annual_appraisal", "appraisal.jpg", S.encode_image(capture(form), "jpeg"))
        for cat in ("公需科目", "专业科目"):
            ce, boxes = O.ce_certificate(op, 2024, cat)
            b.add("ce_certificate", f"ce_{cat}.jpg", S.encode_image(capture(O.mask_boxes(ce, boxes.get("name", []) + boxes.get("employer", []))), "jpeg"))
        pub, boxes = O.publicity_list(op, ["王建华", "古丽娜尔·艾力"])
        b.add("unit_publicity", "publicity.jpg", S.encode_image(capture(O.mask_boxes(pub, boxes.get("name", []) + boxes.get("employer", []))), "jpeg"))
    else:
        html = S.diploma_html(person)
        dip = masked_page(html)
        dip = E.stamp(dip, person.school, E.engravings(k)[k % 24], center=(0.7, 0.86), radius=0.08, seed=k)
        b.add("diploma", "diploma.jpg", S.encode_image(capture(dip), "jpeg"))
        b.add("annual_appraisal", "appraisal.jpg", S.encode_image(capture(masked_page(S.appraisal_html(person, 2024, "合格"))), "jpeg"))
        for cat in ("公需科目", "专业科目"):
            b.add("ce_certificate", f"ce_{cat}.jpg", S.encode_image(capture(masked_page(S.ce_certificate_html(person, 2024, cat))), "jpeg"))
        b.add("unit_publicity", "publicity.jpg", S.encode_image(capture(masked_page(S.publicity_html(person))), "jpeg"))
    result = S.publicity_html(person, start="2025年5月12日", end="2025年5月16日").replace("推荐单位公示", "推荐单位公示结果").replace("现将有关情况予以公示", "公示期满无异议")
    result = result.replace("<p class='right'>2025年5月12日</p>", "<p class='right'>2025年5月19日</p>")
    b.add("publicity_result", "result.jpg", S.encode_image(capture(masked_page(result)), "jpeg"))
    opinion = "<h1>主管单位推荐意见</h1><p>经审核，该同志申报材料真实，符合申报条件，同意推荐。</p><p class='right'>乌鲁木齐市教育局</p><p class='right'>2025年5月20日</p>"
    sup = S.draw_seal(S.render_html(opinion, dpi=150, font=font), "乌鲁木齐市教育局", center=(0.7, 0.3))
    b.add("supervisor_opinion", "supervisor.jpg", S.encode_image(capture(sup), "jpeg"))
    if rng.random() < 0.5:  # half of them scanned one material sideways: a warning, not a flag
        pass
    b.write()


def clean_rate(source: str, n: int, notices, engines) -> tuple[int, int, list[str]]:
    flagged, notes = 0, []
    for k in range(n):
        with tempfile.TemporaryDirectory() as tmp:
            clean_packet(Path(tmp), source, k)
            report = screen_packet(load_packet(Path(tmp)), notices, engines, REGISTRY, PACKET_CHECKS).report
        if report.recommendation.value != "pass":
            flagged += 1
            notes.append(f"    flagged clean packet {source}#{k}: " + "; ".join(f"{f.code.value} {f.file or ''} {f.message[:60]}" for f in report.findings))
    return flagged, n, notes


def main() -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    (engines, options), notices = engines_and_options(), load_rules()
    every, keep, args = subset_args(sys.argv[1:])
    chosen = [a for a in args if a in SOURCES] or list(SOURCES)
    for source in chosen:
        tally, n, started = Tally(), 0, time.perf_counter()
        for i, case in enumerate(SOURCES[source]()):
            if not kept(i, case.label, every, keep):
                continue
            got = screen_case(case, notices, engines, options)
            tally.record(case.scored, case.expect, got, f"{source}: {case.label} -> {sorted(got)}")
            n += 1
        print(f"\n== {source}: {n} cases in {time.perf_counter() - started:.0f} s")
        print("\n".join(tally.lines([c for c in CODES if tally.tp[c] + tally.fp[c] + tally.fn[c]])))
        if "--no-clean" in args:
            continue
        flagged, total, notes = clean_rate(source, CLEAN_PACKETS, notices, engines)
        print(f"  clean packets flagged: {flagged}/{total} = {flagged / total:.3f}")
        print("\n".join(notes))


if __name__ == "__main__":
    main()
