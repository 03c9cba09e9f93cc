"""OCR options (backend, detector size, recognition batch) and pages no check reads text from.

Every option is in the engine's fingerprint, so a reading made with other options is never taken
from the cache; the 2025 photo, which no check reads text from, is not OCR'd (unless text is found
on it: a document uploaded in its place) and still gets its face check and its place in the report.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.cache import MemoryCache, page_keys_for
from pipeline.context import PageContext, ScreenOptions, text_needed
from pipeline.documents import Document, ReadLimits
from pipeline.errors import EngineError
from pipeline.manifest import Slot, Track
from pipeline.ocr import OcrOptions, RapidOcrEngine
from pipeline.packet import load_packet
from pipeline.screen import screen_packet
from samples import generate as S
from tests.factories import counting


def _photo_packet(root: Path, photo: bytes, track: str = "initial_junior") -> Path:
    b = S.PacketBuilder(root, application_id="2025-000321", track=track, person=S.Person())
    b.add("photo", "photo.jpg", photo)
    b.add("diploma", "diploma.jpg", S.encode_image(S.render_html(S.diploma_html(S.Person()), dpi=100), "jpeg"))
    b.write()
    return root


@pytest.mark.parametrize(
    "change",
    [{"backend": "onnxruntime"}, {"det_side_px": 1280}, {"det_text_px": 16}, {"rec_batch": 16}],
    ids=lambda c: next(iter(c)),
)
def test_each_ocr_option_is_in_the_reading_key(engines, notices, tmp_path, change):
    packet = load_packet(_photo_packet(tmp_path, S.encode_image(S.face_photo(), "jpeg")))
    doc = Document(packet.source.read("diploma.jpg", 10**9), "diploma.jpg", ReadLimits())
    ctx = PageContext(packet.manifest, notices[packet.manifest.track], Slot.diploma)
    default = replace(engines, ocr=RapidOcrEngine(options=OcrOptions()))
    other = replace(engines, ocr=RapidOcrEngine(options=OcrOptions(**change)))  # models load on first use: nothing read here
    base = page_keys_for(doc, 1, ctx, default, ScreenOptions(), REGISTRY)
    keys = page_keys_for(doc, 1, ctx, other, ScreenOptions(), REGISTRY)
    assert other.ocr.fingerprint != default.ocr.fingerprint
    assert keys.reading != base.reading and keys.result != base.result


def test_whether_a_slot_needs_text_is_in_the_reading_key(engines, notices, tmp_path):
    """The same photo is read differently when a check on its slot reads text (the review track's names)."""
    packet = load_packet(_photo_packet(tmp_path, S.encode_image(S.face_photo(), "jpeg")))
    doc = Document(packet.source.read("photo.jpg", 10**9), "photo.jpg", ReadLimits())
    notice = notices[Track.initial_junior]
    ctx = PageContext(packet.manifest, notice, Slot.photo)
    assert not text_needed(ctx, REGISTRY)
    reads_names = notice.model_copy(update={"checks": notice.checks | {"names": ("*",)}})
    assert text_needed(replace(ctx, notice=reads_names), REGISTRY)
    base = page_keys_for(doc, 1, ctx, engines, ScreenOptions(), REGISTRY)
    keys = page_keys_for(doc, 1, replace(ctx, notice=reads_names), engines, ScreenOptions(), REGISTRY)
    assert keys.reading != base.reading
    assert page_keys_for(doc, 1, ctx, engines, ScreenOptions(read_unneeded_text=True), REGISTRY).reading != base.reading


def test_which_checks_read_text(notices, tmp_path):
    m = load_packet(_photo_packet(tmp_path, S.encode_image(S.face_photo(), "jpeg"))).manifest
    junior, review = notices[Track.initial_junior], notices[Track.review]
    assert not text_needed(PageContext(m, junior, Slot.photo), REGISTRY)  # orientation, clarity on a photo, the face
    assert text_needed(PageContext(m, junior, Slot.diploma), REGISTRY)  # clarity judges blur by the text
    assert text_needed(PageContext(m, review, Slot.photo), REGISTRY)  # names and employers on every page


def test_the_2025_photo_is_not_ocrd_and_still_checked(engines, notices, tmp_path):
    barred = S.encode_image(S.cover_eyes(S.face_photo(413, 579), "bar"), "jpeg")
    packet = load_packet(_photo_packet(tmp_path, barred))
    spy = counting(engines)
    result = screen_packet(packet, notices, spy, REGISTRY, PACKET_CHECKS, cache=MemoryCache())
    assert spy.ocr.reads == 1 and spy.ocr.probes == 1  # the diploma is read; the photo only looked at for text
    photo = [p for p in result.pages if p.file == "photo.jpg"]
    assert len(photo) == 1 and photo[0].lines == () and photo[0].thumbnail
    codes = {f.code.value for f in result.report.findings if f.file == "photo.jpg"}
    assert codes == {"PHOTO_FACE_MISSING"}  # its face check ran: the eyes are barred
    assert "photo.jpg" in {d.file for d in result.report.documents}

    everything = counting(engines)
    again = screen_packet(packet, notices, everything, REGISTRY, PACKET_CHECKS, options=ScreenOptions(read_unneeded_text=True))
    assert everything.ocr.reads == 2 and everything.ocr.probes == 0
    assert {f.code.value for f in again.report.findings if f.file == "photo.jpg"} == codes


def test_a_document_in_the_photo_slot_is_still_read(engines, notices, tmp_path):
    """No check reads the photo's text, but a document uploaded in its place has text on it: it is
    read, so the packet rules can tell what it is."""
    doc = S.encode_image(S.render_html(S.ce_certificate_html(S.Person()), dpi=150), "jpeg")
    spy = counting(engines)
    result = screen_packet(load_packet(_photo_packet(tmp_path, doc)), notices, spy, REGISTRY, PACKET_CHECKS)
    photo = next(p for p in result.pages if p.file == "photo.jpg")
    assert spy.ocr.probes == 1 and spy.ocr.reads == 2
    assert sum(len(ln.text) for ln in photo.lines) > 30
    assert {"WRONG_DOCUMENT", "PHOTO_FACE_MISSING"} <= {f.code.value for f in result.report.findings if f.file == "photo.jpg"}


def test_counting_lines_leaves_the_engine_reading(engines):
    """Options stick to a rapidocr engine object: a detection-only look must not turn later reads
    into detection-only ones, nor change the detector's size for them."""
    page = S.render_html(S.diploma_html(S.Person()), dpi=100)
    lines = engines.ocr.read(page)
    assert engines.ocr.count_lines(page) >= len(lines) > 3
    assert [ln.text for ln in engines.ocr.read(page)] == [ln.text for ln in lines]
    longest = max(lines, key=lambda ln: len(ln.text))
    h, w = page.shape[:2]
    x0, y0, x1, y1 = longest.bbox
    strip = page[int(y0 * h) - 4 : int(y1 * h) + 4, int(x0 * w) - 4 : int(x1 * w) + 4]
    assert engines.ocr.read_line(strip)[0].replace(" ", "") == longest.text.replace(" ", "")  # one line, same engine
    assert [ln.text for ln in engines.ocr.read(page)] == [ln.text for ln in lines]


def test_settings_choose_the_ocr_options(monkeypatch):
    from pydantic import ValidationError

    from prescreen.settings import Settings

    monkeypatch.setenv("PRESCREEN_OCR__BACKEND", "onnxruntime")
    monkeypatch.setenv("PRESCREEN_OCR__DET_SIDE_PX", "1280")
    assert Settings().ocr == OcrOptions(backend="onnxruntime", det_side_px=1280)
    monkeypatch.setenv("PRESCREEN_OCR__BACKEND", "tesseract")
    with pytest.raises(ValidationError, match="backend"):
        Settings()


def test_a_missing_backend_is_one_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_openvino(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name == "openvino":
            raise ImportError("No module named 'openvino'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openvino)
    with pytest.raises(EngineError, match="openvino"):
        RapidOcrEngine(options=OcrOptions(backend="openvino", rec_batch=7))


def test_the_openvino_backend_starts_without_usage_reporting(tmp_path):
    """Importing OpenVINO's model converter sends a usage event and writes ``~/intel``: the engine
    starts, and reads a page, without it (run in a fresh interpreter with its own home folder)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pipeline.ocr import OcrOptions, RapidOcrEngine\n"
        "from samples import generate as S\n"
        "engine = RapidOcrEngine(options=OcrOptions(backend='openvino'))\n"
        "lines = engine.read(S.render_html('<h1>毕业证书</h1>', dpi=100))\n"
        "print(''.join(line.text for line in lines))\n"
        "print(sorted(m for m, mod in sys.modules.items() if mod and ('telemetry' in m or m.startswith('openvino.tools'))))\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    text, modules = done.stdout.splitlines()[-2:]
    assert "毕业证书" in text
    assert modules == "[]"
    assert not (tmp_path / "intel").exists()
