"""What failed on documents the project did not draw, one test per class: real seals, faces and
documents from ``../shared/realdev`` and seals in other engravings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors import faces, seals
from pipeline import facefind
from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Page, iou
from pipeline.orientation import choose, turn
from samples import engrave as E
from samples.engrave import mask_eyes
from samples import generate as S

REALDEV = Path(__file__).resolve().parents[2] / "shared" / "realdev"
LABELS = json.loads((REALDEV / "labels.json").read_text())["images"]


def real(name: str) -> np.ndarray:
    img = cv2.imread(str(REALDEV / "images" / f"{name}.jpg"))
    assert img is not None, name
    return img


def seal_findings(img, slot, context, engines, employer, lines=()):
    ctx = context(slot, Track.review)
    ctx = replace(ctx, manifest=ctx.manifest.model_copy(update={"applicant": ctx.manifest.applicant.model_copy(update={"employer": employer})}), ocr=engines.ocr)
    return seals.detect(Page(slot=slot, file="f.jpg", number=1, image=img, lines=tuple(lines)), ctx)


FORM = S.render_html(S.appraisal_html(S.Person(name="████", employer="██████")), dpi=150)


def paste_seal(page: np.ndarray, name: str, k: int = 0) -> np.ndarray:
    """A real seal picture laid on a page as ink (its paper does not cover the page)."""
    x0, y0, x1, y1 = LABELS[name]["seals"][k]["bbox_px"]
    patch = real(name)[y0:y1, x0:x1].astype(np.float32)
    paper = np.percentile(patch.reshape(-1, 3), 95, axis=0)
    out = page.copy()
    h, w = patch.shape[:2]
    y, x = int(0.65 * page.shape[0]), int(0.55 * page.shape[1])
    out[y : y + h, x : x + w] = (out[y : y + h, x : x + w].astype(np.float32) * np.clip(patch / paper, 0, 1)).astype(np.uint8)
    return out


# ---------------------------------------------------------------- seals


@pytest.mark.parametrize(("name", "text"), [("seal_closeup_b", "郑州市退役军人事务局机关工会委员会"), ("seal_closeup_c", "河南省莱科澳森机电科技有限责任公司"), ("seal_three_impressions", "北京中导开源科技有限公司")])
def test_real_seals_are_read(engines, name, text):
    from detectors.names import _edit_distance

    img = real(name)
    found = seals.find_seals(img, seals.SealConfig())
    assert found
    reading = seals.read_ring(img, found[0], engines.ocr)
    assert _edit_distance(text, reading.text, 9) <= 2, reading.text


@pytest.mark.parametrize("name", ["seal_closeup_b", "seal_three_impressions"])
def test_a_real_seal_naming_the_employer_is_found_and_another_bodys_is_not(context, engines, name):
    page = paste_seal(FORM, name)
    employer = LABELS[name]["seals"][0]["text"].split("/")[0].split("—")[0].strip()
    assert [f.code for f in seal_findings(page, Slot.annual_appraisal, context, engines, employer)] == [FindingCode.UNMASKED_SEAL]
    assert seal_findings(page, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学") == []


@pytest.mark.parametrize("bureau", ["乌鲁木齐市文化体育广电和旅游局", "乌鲁木齐市人力资源和社会保障局"])
def test_a_bureaus_seal_is_not_the_employers_for_sharing_the_city(context, engines, bureau):
    page = S.draw_seal(FORM, bureau, center=(0.68, 0.78))
    for employer in ("乌鲁木齐市文化馆", "乌鲁木齐市人民医院", "乌鲁木齐市第十中学"):
        assert seal_findings(page, Slot.annual_appraisal, context, engines, employer) == [], employer


def test_a_circle_without_lettering_is_not_a_seal(context, engines):
    page = cv2.cvtColor(cv2.cvtColor(FORM, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    cv2.circle(page, (800, 1300), 110, (30, 30, 30), 4)  # a round emblem: a ring and a star, no text
    pts = np.array([[800 + 40 * np.cos(a), 1300 + 40 * np.sin(a)] for a in np.linspace(-np.pi / 2, 1.5 * np.pi, 6)[:-1]], np.int32)
    cv2.fillPoly(page, [pts[[0, 2, 4, 1, 3]]], (30, 30, 30))
    assert seal_findings(page, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学") == []


@pytest.mark.parametrize("quality", [None, 75])
def test_a_photographed_ticket_has_no_seal(context, engines, quality):
    """A train ticket on a red wooden table: its red serial number (K051971) fits rings with ink
    inside them, no larger than the ticket's own letters, and the table's edges fit ellipses with no
    red inside; as an employer's upload it has no seal, as taken or saved again as JPEG."""
    img = real("doc_train_ticket") if quality is None else S.jpeg(real("doc_train_ticket"), quality)
    lines = [ln for ln in engines.ocr.read(img) if ln.text]
    assert len(lines) >= 3
    assert seals.find_seals(img, seals.SealConfig())  # the digits do fit rings
    assert seal_findings(img, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学", lines) == []
    # a real seal on a page of print is kept: the Tianjin invoice's seller seal, read with the invoice's lines
    invoice = real("doc_invoice_e_tianjin")
    lines = [ln for ln in engines.ocr.read(invoice) if ln.text]
    found = seal_findings(invoice, Slot.annual_appraisal, context, engines, "天津瑞佳讯贸易有限公司", lines)
    assert any("瑞佳讯贸易" in f.evidence["text"] for f in found), [f.evidence for f in found]


@pytest.mark.parametrize("i", [1, 9, 13, 15, 20])
def test_employer_seals_in_other_engravings_are_found(context, engines, i):
    how = E.engravings(1)[i]
    page = E.stamp(FORM, "乌鲁木齐市第十中学", how, center=(0.68, 0.78), radius=0.09 if how.oval == 1 else 0.11, seed=i)
    assert [f.code for f in seal_findings(S.jpeg(page, 85), Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学")] == [FindingCode.UNMASKED_SEAL]


def test_a_faint_seal_saved_twice_as_jpeg_keeps_its_lettering(context, engines):
    """Thin strokes of faint pink ink lose half their colour to JPEG's chroma subsampling: saved
    twice, the lettering fell below the red mask and the ring was taken for an empty circle."""
    how = E.engravings(3)[14]
    page = E.stamp(FORM, "乌鲁木齐市第十中学", how, center=(0.68, 0.78), radius=0.09, seed=14)
    twice = S.jpeg(S.jpeg(page, 85), 90)
    assert [f.code for f in seal_findings(twice, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学")] == [FindingCode.UNMASKED_SEAL]


@pytest.mark.parametrize("i", [0, 4])
def test_an_oval_seal_on_a_grey_photocopy_is_found(context, engines, i):
    """Colour gone and the seal an oval: no circle for Hough to find; its outline is fitted instead."""
    how = replace(E.engravings(3)[i], oval=0.78)
    page = E.stamp(FORM, "乌鲁木齐市第十中学", how, center=(0.68, 0.78), radius=0.11, seed=i)
    grey = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    copy = np.clip((grey.astype(np.float32) - 40) * 1.25, 0, 255).astype(np.uint8)
    assert [f.code for f in seal_findings(S.jpeg(copy, 80), Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学")] == [FindingCode.UNMASKED_SEAL]


def test_a_grey_photocopied_employer_seal_is_found(context, engines):
    page = S.draw_seal(FORM, "乌鲁木齐市第十中学", center=(0.68, 0.78), opacity=0.6)
    grey = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert [f.code for f in seal_findings(S.jpeg(grey, 70), Slot.unit_publicity, context, engines, "乌鲁木齐市第十中学")] == [FindingCode.UNMASKED_SEAL]


def test_a_head_on_a_grey_copy_is_not_a_seal():
    """A portrait copied in grey: the head's outline is as round as a ring and has dark inside it
    all the way in, where a seal's ring has paper before its lettering."""
    grey = cv2.cvtColor(cv2.cvtColor(real("face_portrait_suit"), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert seals.find_seals(grey, seals.SealConfig()) == []


@pytest.mark.parametrize("radius", [0.07, 0.15])
def test_small_and_large_grey_seals_on_a_dense_page_are_found(radius):
    """Rings up to 48 px (at the grey search size) are voted for on the page itself, larger ones on
    the page at half size; both kinds are found over a work summary's dense text."""
    summary = S.render_html(S.work_summary_html(S.Person(name="████", employer="██████"), 1200), dpi=150)
    page = E.stamp(summary, "乌鲁木齐市第十中学", E.engravings(3)[10], center=(0.4, 0.6), radius=radius, seed=10)
    grey = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    h, w = grey.shape[:2]
    found = [(s.center[0] / s.scale, s.center[1] / s.scale, max(s.axes) / s.scale) for s in seals.find_seals(grey, seals.SealConfig())]
    assert any(abs(x - 0.4 * w) < 0.1 * radius * w and abs(y - 0.6 * h) < 0.1 * radius * w and abs(r - radius * w) < 0.1 * radius * w for x, y, r in found)


def test_an_unreadable_verdict_says_why(context, engines):
    page = S.blur(S.draw_seal(FORM, "乌鲁木齐市第十中学", center=(0.68, 0.78)), 4.0)
    found = seal_findings(page, Slot.annual_appraisal, context, engines, "乌鲁木齐市第一中学")
    assert [f.code for f in found] == [FindingCode.UNMASKED_SEAL]
    assert found[0].evidence["unreadable"] == "印迹模糊"
    # the supervising department's seal on its own opinion is not the employer's
    assert seal_findings(page, Slot.supervisor_opinion, context, engines, "乌鲁木齐市第一中学") == []


# ---------------------------------------------------------------- faces and orientation


def test_a_ring_read_from_the_middle_of_the_name_still_names_the_employer(context, engines):
    """A ring has no first character: the close-up's ring is read starting inside the name
    (研究院…郑州市政工程勘测设计), and still names 郑州市市政工程勘测设计研究院."""
    img = real("seal_closeup_a")
    assert [f.code for f in seal_findings(img, Slot.annual_appraisal, context, engines, "郑州市市政工程勘测设计研究院")] == [FindingCode.UNMASKED_SEAL]
    assert seal_findings(img, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学") == []


def test_names_employer_reads_a_ring_from_any_point():
    cfg = seals.SealConfig()
    assert seals.names_employer("研究院出与华郑州市政工程勘测设计", "郑州市市政工程勘测设计研究院", cfg)
    assert seals.names_employer("中学乌鲁木齐市第十", "乌鲁木齐市第十中学", cfg)
    assert not seals.names_employer("局乌鲁木齐市人力资源和社会保障", "乌鲁木齐市第十中学", cfg)
    # a company by its trade name: the 有限公司 every company ends in is not what tells it apart
    assert seals.names_employer("北京中导开源技を服", "北京中导开源科技有限公司", cfg)
    assert not seals.names_employer("北京中科开元电子有限公司", "北京中导开源科技有限公司", cfg)


def test_a_ring_read_in_part_names_the_employer_by_a_run_of_its_own_characters():
    cfg = seals.SealConfig()
    # the pale 成都 seal's ring, read with a third of its letters wrong or lost
    assert seals.names_employer("我都网证互限务有限公司", "成都网证互联网信息服务有限公司", cfg)
    # runs of the words thousands of names share, or too short for the name, name no one
    assert not seals.names_employer("某某信息服务有限公司", "成都网证互联网信息服务有限公司", cfg)
    assert not seals.names_employer("网证科技有限公司", "成都网证互联网信息服务有限公司", cfg)


@pytest.mark.parametrize(("name", "k"), [("doc_invoice_photo_sichuan", 1), ("doc_invoice_e_tianjin", 1)])
def test_a_real_invoice_seal_pasted_on_the_employers_form_is_found(context, engines, name, k):
    """The pale 成都 impression's ring comes out as three red arcs no closing joins; the small 天津
    seal has a line across its middle that reaches the ring and hides where the name ends."""
    page = S.jpeg(paste_seal(FORM, name, k), 85)
    employer = LABELS[name]["seals"][k]["text"].split("/")[0].strip()
    assert [f.code for f in seal_findings(page, Slot.annual_appraisal, context, engines, employer)] == [FindingCode.UNMASKED_SEAL]
    assert seal_findings(page, Slot.annual_appraisal, context, engines, "乌鲁木齐市第十中学") == []


def name_seal_findings(img, context, engines, name):
    ctx = context(Slot.annual_appraisal, Track.review)
    ctx = replace(ctx, manifest=ctx.manifest.model_copy(update={"applicant": ctx.manifest.applicant.model_copy(update={"name": name})}), ocr=engines.ocr)
    return [f for f in seals.detect(Page(slot=Slot.annual_appraisal, file="f.jpg", number=1, image=img, lines=()), ctx) if f.code == FindingCode.UNMASKED_NAME]


def test_a_personal_name_seal_shows_the_applicants_name(context, engines):
    """李国庆印, four seal-script characters in a square (rows read right to left): no OCR line holds
    the name, but the seal does."""
    img = S.jpeg(real("seal_three_impressions"), 85)
    found = name_seal_findings(img, context, engines, "李国庆")
    assert len(found) == 1 and found[0].evidence["text"] == "李国庆印"
    x0, y0, x1, y1 = LABELS["seal_three_impressions"]["seals"][2]["bbox_px"]
    assert found[0].bbox is not None and iou(found[0].bbox, (x0 / img.shape[1], y0 / img.shape[0], x1 / img.shape[1], y1 / img.shape[0])) > 0.7
    assert name_seal_findings(img, context, engines, "王建华") == []
    masked = S.mask_box(img, (x0 / img.shape[1] - 0.01, y0 / img.shape[0] - 0.01, x1 / img.shape[1] + 0.01, y1 / img.shape[0] + 0.01))
    assert name_seal_findings(masked, context, engines, "李国庆") == []


def test_round_seals_and_red_boxes_are_not_name_seals():
    cfg = seals.SealConfig()
    assert seals.square_seals(real("seal_closeup_b"), cfg) == []
    page = FORM.copy()
    cv2.rectangle(page, (200, 300), (700, 420), (40, 40, 210), 3)  # a red table box: too wide for a seal
    cv2.rectangle(page, (900, 900), (1000, 1000), (40, 40, 210), -1)  # a solid red block: no frame, no lettering
    assert seals.square_seals(page, cfg) == []


PORTRAITS = ["face_portrait_suit", "face_frontal_plain_bg", "face_older_man", "face_glasses_smile", "face_closeup_smile", "face_asian_woman_hand"]


def eyes_found(img, context):
    ctx = context(Slot.photo, Track.review)
    return [f.code for f in faces.detect_eyes(Page(slot=Slot.photo, file="p.jpg", number=1, image=img, lines=()), ctx)]


@pytest.mark.parametrize("how", ["bar", "mosaic", "lenses"])
def test_masked_real_portraits_pass(context, how):
    wrong = []
    for name in PORTRAITS:
        face = LABELS[name]["faces"][0]
        if eyes_found(S.jpeg(mask_eyes(real(name), face, how), 80), context):
            wrong.append(name)
    assert wrong == []


@pytest.mark.parametrize("name", ["face_group_dinner", "face_crop_collage_portrait", *PORTRAITS[:3]])
def test_real_eyes_blurred_over_pass_and_the_same_faces_open_are_flagged(context, name):
    """A blurred eye keeps detail from JPEG's blocks but loses the lid, iris and pupil, an open face's
    sharpest edges: it is smeared, not open (saved at 80 and then 75, as an upload is re-encoded)."""
    img = real(name)
    for face in LABELS[name]["faces"]:
        if face.get("left_eye") and face.get("right_eye"):
            img = mask_eyes(img, face, "blur")
    assert eyes_found(S.jpeg(S.jpeg(img, 80), 75), context) == []
    assert set(eyes_found(S.jpeg(S.jpeg(real(name), 80), 75), context)) == {FindingCode.UNMASKED_EYES}


@pytest.mark.parametrize(("name", "how"), [("face_group_six", "bar"), ("face_group_dinner", "lenses")])
def test_a_group_whose_eyes_are_painted_over_passes_where_a_landmark_falls_on_the_paints_edge(context, name, how):
    """The detector's eye landmark can fall at the edge of the bar or lens that covers the eye; the
    eye's core, flat paint far from the skin, is not an eye."""
    img = real(name)
    for face in LABELS[name]["faces"]:
        img = mask_eyes(img, face, how)
    assert eyes_found(S.jpeg(img, 80), context) == []
    unmasked = eyes_found(real(name), context)
    assert unmasked and set(unmasked) == {FindingCode.UNMASKED_EYES}


@pytest.mark.parametrize("how", ["open", "bar", "mosaic", "lenses"])
def test_a_group_of_small_faces_is_flagged_open_and_passes_masked(context, how):
    """Eyes 10-15 px apart: too small to judge an eye alone, but plainly open both eyes are."""
    name = "face_group_elderly_family"
    img = real(name)
    for face in LABELS[name]["faces"] if how != "open" else []:
        img = mask_eyes(img, face, how)
    found = eyes_found(S.jpeg(img, 80), context)
    assert (found != []) == (how == "open") and set(found) <= {FindingCode.UNMASKED_EYES}


def test_open_real_portraits_are_flagged(context):
    assert [n for n in PORTRAITS if eyes_found(real(n), context) != [FindingCode.UNMASKED_EYES]] == []


@pytest.mark.parametrize(("name", "deg", "how"), [("face_frontal_plain_bg", 25, "bar"), ("face_lowres_150px", 25, "lenses"), ("face_frontal_plain_bg", -25, "bar"), ("face_lowres_150px", -25, "bar"), ("face_older_man", -25, "lenses"), ("face_older_man", 25, "bar")])
def test_a_tilted_face_masked_along_its_eyes_passes_and_open_is_flagged(context, name, deg, how):
    """The detector places a tilted face's landmarks as if it were upright, beside a bar or lenses laid
    along the real eyes: the face is looked at again turned, and judged level."""
    img, turned = E.tilt_photo(real(name), LABELS[name]["faces"], deg)
    masked = img
    for face in turned:
        masked = mask_eyes(masked, face, how)
    assert eyes_found(S.jpeg(masked, 90), context) == []
    assert eyes_found(S.jpeg(img, 90), context) == [FindingCode.UNMASKED_EYES]


@pytest.mark.parametrize(("name", "deg"), [("face_man_woman", 25), ("face_two_women", 25), ("face_group_women", 25), ("face_group_dinner", -25)])
def test_tilted_faces_behind_dark_lenses_pass_when_their_tilt_is_in_doubt(context, name, deg):
    """The detector is as sure of these faces level as turned 24 degrees: the level view's landmarks
    fall beside the lenses, on skin and brows. An eye counts open only where both views see one."""
    img, turned = E.tilt_photo(real(name), LABELS[name]["faces"], deg)
    masked = img
    for face in turned:
        masked = mask_eyes(masked, face, "lenses")
    assert eyes_found(S.jpeg(masked, 85), context) == []
    found = eyes_found(S.jpeg(img, 85), context)
    assert found and set(found) == {FindingCode.UNMASKED_EYES}


@pytest.mark.parametrize("name", ["face_asian_woman_hand", "face_glasses_smile"])
def test_an_open_face_the_detector_finds_only_turned_is_flagged(context, name):
    """Tilted 25 degrees, these faces are not found upright at all: the photo is searched turned 30
    degrees each way as well."""
    img, _ = E.tilt_photo(real(name), LABELS[name]["faces"], 25)
    assert eyes_found(S.jpeg(img, 85), context) == [FindingCode.UNMASKED_EYES]


def test_an_open_face_cut_by_the_frame_is_found_among_masked_ones(context):
    """A selfie: the labelled faces masked, the faces cut by the picture's edges left open (one of
    them found only turned)."""
    name = "face_selfie_group"
    img = real(name)
    for face in LABELS[name]["faces"]:
        if face["left_eye"] and face["right_eye"]:  # the two faces with one eye in the picture stay open
            img = mask_eyes(img, face, "bar")
    found = eyes_found(S.jpeg(img, 80), context)
    assert found and set(found) == {FindingCode.UNMASKED_EYES}


@pytest.mark.parametrize("turned", [90, 270])
def test_a_small_photo_scanned_sideways_onto_a4_is_found(context, turned):
    photo = S.scale(real("face_frontal_plain_bg"), 0.6)
    page = S.paste(S.render_html("<h1>身份证复印件</h1>", dpi=150), S.rotate_cw(photo, turned), (0.3, 0.3))
    assert eyes_found(page, context) == [FindingCode.UNMASKED_EYES]


@pytest.mark.parametrize("name", PORTRAITS[:4])
def test_an_upright_real_portrait_is_left_upright_and_a_turned_one_is_turned_back(engines, name):
    img = real(name)
    assert choose(img, engines.orientation, photo=True)[0].rotation == 0
    for t in (90, 180, 270):
        assert choose(turn(img, t), engines.orientation, photo=True)[0].rotation == (360 - t) % 360


def test_faces_every_which_way_do_not_turn_a_photo(engines):
    assert facefind.upright_turn(real("face_children_rotated")) is None


def test_an_id_card_photographed_upside_down_is_turned(engines):
    card = S.render_html(S.id_card_portrait_html(), size_pt=S.ID_CARD_PT, dpi=300, margin=10)
    card = S.paste(card, S.face_photo(180, 240), (0.62, 0.12))
    photo = S.jpeg(S.rotate_cw(cv2.copyMakeBorder(card, 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=(90, 100, 110)), 180), 75)
    assert choose(photo, engines.orientation, read=lambda im: engines.ocr.read(im, keep_unread=True))[0].rotation == 180


# ---------------------------------------------------------------- whole packets


def _screen(builder, notices, engines):
    from detectors import PACKET_CHECKS, REGISTRY
    from pipeline.packet import load_packet
    from pipeline.screen import screen_packet

    builder.write()
    return screen_packet(load_packet(builder.root), notices, engines, REGISTRY, PACKET_CHECKS).report


@pytest.mark.parametrize("container", ["pdf", "tiff"])
def test_a_name_left_on_page_3_of_4_is_found(builder, notices, engines, container):
    """Every page of a scanned multi-page file is searched: the applicant masked on three CE
    certificates and left readable on the third."""
    p = builder.person
    pages = []
    for k in range(4):
        html = S.ce_certificate_html(p, year=2021 + k)
        img = S.render_html(html, dpi=150)
        pages.append(img if k == 2 else S.masked(img, html, p.name, p.employer))
    data = S.images_pdf(pages) if container == "pdf" else S.multipage_tiff(pages)
    builder.add("ce_certificate", f"ce.{container}", data)
    report = _screen(builder, notices, engines)
    names = [f for f in report.findings if f.code is FindingCode.UNMASKED_NAME]
    assert [(f.file, f.page) for f in names] == [(f"ce.{container}", 3)]


def test_a_diploma_blurred_past_reading_is_blurry_not_another_document(builder, notices, engines):
    """No text left to read: the page is reported for its blur, not as a document of the wrong kind."""
    diploma = S.render_html(S.diploma_html(builder.person), dpi=200)
    builder.add("diploma", "diploma.jpg", S.encode_image(S.blur(diploma, 5.0 * 200 / 72), "jpeg"))
    report = _screen(builder, notices, engines)
    codes = {f.code for f in report.findings if f.file == "diploma.jpg"}
    assert FindingCode.BLURRY in codes and FindingCode.WRONG_DOCUMENT not in codes
