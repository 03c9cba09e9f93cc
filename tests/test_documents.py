"""Every accepted file type decodes to pages; every unreadable case is a finding, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pymupdf
import pytest
from PIL import Image

from pipeline.documents import Document, FileFormat, ReadLimits, sniff
from pipeline.errors import UnreadableFileError
from pipeline.manifest import Slot
from pipeline.models import FindingCode
from pipeline.packet import load_packet
from pipeline.reading import open_file
from samples import generate as S

LIMITS = ReadLimits()


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return S.render_html(S.diploma_html(), dpi=100)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "bmp", "webp", "tiff"])
def test_image_formats(page, fmt):
    doc = Document(S.encode_image(page, fmt), f"x.{ 'jpg' if fmt == 'jpeg' else fmt}", LIMITS)
    assert doc.format is FileFormat(fmt)
    assert doc.page_count == 1 and not doc.mislabelled
    p = doc.page(1)
    assert p.image.shape == page.shape
    assert p.image.dtype == np.uint8
    # lossless formats decode to the same pixels, colour order included
    if fmt in ("png", "bmp", "tiff"):
        assert np.array_equal(p.image, page)


def test_multipage_tiff(page):
    doc = Document(S.multipage_tiff([page, S.rotate_cw(page, 90), page[:400]]), "scan.tif", LIMITS)
    assert doc.page_count == 3
    shapes = [p.image.shape for p in doc.pages()]
    assert shapes == [page.shape, (page.shape[1], page.shape[0], 3), (400, page.shape[1], 3)]


def test_exif_orientation_is_honoured(page):
    # EXIF 6 = the camera was turned: the stored pixels must be turned 90 degrees clockwise to display
    stored = S.rotate_cw(page, 270)
    doc = Document(S.encode_image(stored, "jpeg", exif_orientation=6), "phone.jpg", LIMITS)
    img = doc.page(1).image
    assert img.shape == page.shape
    assert np.abs(img.astype(int) - page.astype(int)).mean() < 8


def test_grey_and_alpha_images(page):
    grey = Image.fromarray(page[:, :, 0])
    rgba = Image.fromarray(page[:, :, ::-1]).convert("RGBA")
    for im in (grey, rgba, grey.convert("P")):
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        assert Document(buf.getvalue(), "x.png", LIMITS).page(1).image.shape == page.shape


def test_scanned_pdf_has_dpi_and_no_text_layer(page):
    doc = Document(S.images_pdf([page, page], dpi=100), "scan.pdf", LIMITS)
    assert doc.page_count == 2
    p = doc.page(2)
    assert p.words == ()
    assert p.raster_fraction > 0.95
    assert p.dpi == pytest.approx(100, rel=0.05)


def test_text_pdf_words_with_positions():
    doc = Document(S.html_pdf([S.diploma_html()]), "e-cert.pdf", LIMITS)
    p = doc.page(1)
    text = "".join(w.text for w in p.words)
    assert "毕业证书" in text and "阿依古丽·买买提" in text
    title = next(w for w in p.words if "毕业证书" in w.text)
    x0, y0, x1, y1 = title.bbox
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 < 0.2  # the title sits at the top
    assert p.raster_fraction == 0


def test_rotated_pdf_page_text_boxes_follow_the_rendering():
    pdf = pymupdf.open(stream=S.html_pdf([S.diploma_html()]), filetype="pdf")
    pdf[0].set_rotation(90)
    doc = Document(pdf.tobytes(), "r.pdf", LIMITS)
    p = doc.page(1)
    assert p.image.shape[1] > p.image.shape[0]  # landscape rendering
    first = next(w for w in p.words if w.text.startswith("毕"))
    # turned clockwise, the title at the top of the page lands at the right edge
    assert first.bbox[0] > 0.8


def _encrypted_pdf() -> bytes:
    doc = pymupdf.open(stream=S.html_pdf(["<p>密</p>"]), filetype="pdf")
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")


def _bomb_png(w: int = 50_000, h: int = 50_000) -> bytes:
    """A tiny PNG whose header claims 2.5 gigapixels."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.pdf", lambda: b"", "空文件"),
        ("corrupt.pdf", lambda: b"%PDF-1.7\n" + b"\x00garbage" * 50, "PDF"),
        ("encrypted.pdf", _encrypted_pdf, "加密"),
        ("truncated.jpg", lambda: S.encode_image(S.render_html("<p>x</p>", dpi=72), "jpeg")[:2000], "损坏"),
        ("notes.docx", lambda: b"PK\x03\x04" + b"\x00" * 200, "不支持"),
        ("notes.pdf", lambda: "这是一个文本文件".encode(), "不支持"),
        ("bomb.png", _bomb_png, "过大"),
    ],
)
def test_unreadable_files(name, make, reason):
    with pytest.raises(UnreadableFileError) as exc:
        doc = Document(make(), name, LIMITS)
        doc.page(1)  # a file may open and still fail when its page is decoded
    assert reason in exc.value.reason


def test_unreadable_file_becomes_finding_and_rest_is_screened(builder):
    builder.add(Slot.diploma, "diploma.pdf", b"%PDF-1.7 broken")
    builder.add(Slot.photo, "photo.jpg", S.encode_image(S.face_photo(), "jpeg"))
    packet = load_packet(builder.write())
    doc, findings = open_file(packet.source, Slot.diploma, "diploma.pdf", LIMITS)
    assert doc is None
    assert [f.code for f in findings] == [FindingCode.UNREADABLE_FILE]
    assert findings[0].severity == "error" and findings[0].file == "diploma.pdf"
    doc, findings = open_file(packet.source, Slot.photo, "photo.jpg", LIMITS)
    assert doc is not None and findings == []


def test_missing_file_is_a_finding(builder):
    builder.materials["diploma"] = ["not-uploaded.pdf"]
    packet = load_packet(builder.write())
    doc, findings = open_file(packet.source, Slot.diploma, "not-uploaded.pdf", LIMITS)
    assert doc is None and "不存在" in findings[0].message


def test_mislabelled_file_is_reported_and_still_read(builder):
    builder.add(Slot.diploma, "diploma.jpg", S.encode_image(S.render_html("<p>x</p>", dpi=72), "png"))
    packet = load_packet(builder.write())
    doc, findings = open_file(packet.source, Slot.diploma, "diploma.jpg", LIMITS)
    assert doc is not None and doc.format is FileFormat.png
    assert [f.code for f in findings] == [FindingCode.UNREADABLE_FILE]
    assert "PNG" in findings[0].message


def test_too_many_pages_is_capped_and_reported(builder):
    pdf = pymupdf.open()
    for _ in range(30):
        pdf.new_page()
    builder.add(Slot.work_summary, "long.pdf", pdf.tobytes())
    packet = load_packet(builder.write())
    doc, findings = open_file(packet.source, Slot.work_summary, "long.pdf", ReadLimits(max_pages=5))
    assert doc.page_count == 30 and doc.pages_to_read == 5
    assert [f.code for f in findings] == [FindingCode.TOO_MANY_PAGES]


def test_oversized_file_is_refused_unread(builder):
    builder.add(Slot.diploma, "big.pdf", b"%PDF-" + b"0" * 5000)
    packet = load_packet(builder.write())
    doc, findings = open_file(packet.source, Slot.diploma, "big.pdf", ReadLimits(max_file_bytes=1000))
    assert doc is None and "过大" in findings[0].message


@pytest.mark.parametrize("size_in", [(16.54, 11.69), (11.69, 16.54), (24.0, 36.0), (8.27, 11.69)])  # A3 both ways, a poster, A4
def test_pdf_pages_of_any_size_render_within_the_working_size(size_in):
    w_in, h_in = size_in
    img = np.full((int(h_in * 100), int(w_in * 100), 3), 255, np.uint8)
    data = S.images_pdf([img], dpi=100)
    limits = ReadLimits()
    page = Document(data, "big.pdf", limits).page(1)
    assert max(page.image.shape[:2]) <= limits.max_side_px
    assert max(page.image.shape[:2]) >= min(limits.max_side_px, max(w_in, h_in) * limits.render_dpi) - 30


def test_huge_image_is_downscaled_to_the_working_size():
    big = np.full((6000, 4500, 3), 255, np.uint8)
    doc = Document(S.encode_image(big, "jpeg"), "phone.jpg", ReadLimits(max_side_px=2000))
    p = doc.page(1)
    assert max(p.image.shape[:2]) == 2000
    assert p.scale == pytest.approx(2000 / 6000, rel=0.01)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [(b"%PDF-1.4", "pdf"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"II*\x00", "tiff"),
     (b"BM\x00\x00", "bmp"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"), (b"GIF89a", None), (b"<html>", None)],
)
def test_sniff(data, fmt):
    assert sniff(data) == (FileFormat(fmt) if fmt else None)


def test_a_tiff_of_more_frames_than_a_file_may_hold_is_refused_before_they_are_walked():
    from pipeline.documents import MAX_FRAMES

    frames = [Image.new("L", (1, 1), 255) for _ in range(MAX_FRAMES + 1)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(UnreadableFileError) as exc:
        Document(buf.getvalue(), "scan.tif", LIMITS)
    assert "页数过多" in exc.value.reason
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:MAX_FRAMES])
    assert Document(buf.getvalue(), "scan.tif", LIMITS).page_count == MAX_FRAMES


@pytest.mark.parametrize("mode", ["I;16", "1", "RGBA"])
def test_deep_bitonal_and_transparent_scans_are_reduced_to_the_working_size(mode):
    """A large scan is made smaller before it is made 8-bit RGB (never copied at full size as RGB
    or as floats), and keeps its page: ink where the ink was, paper white."""
    limits = ReadLimits(max_side_px=600)
    w, h = 3000, 2400
    ink = np.zeros((h, w), bool)
    ink[600:1200, 900:2100] = True  # a block of ink in the page's upper middle
    if mode == "I;16":
        img = Image.fromarray(np.where(ink, 1000, 60000).astype(np.uint16))
    elif mode == "1":
        img = Image.fromarray(~ink).convert("1")
    else:  # dark ink on a transparent page: the page is white
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[ink] = (20, 20, 20, 255)
        img = Image.fromarray(rgba, "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG" if mode != "1" else "TIFF")
    p = Document(buf.getvalue(), "scan.png" if mode != "1" else "scan.tif", limits).page(1)
    assert max(p.image.shape[:2]) == 600 and p.image.shape[2] == 3
    grey = p.image.mean(axis=2)
    assert grey[150:230, 190:410].max() < 40  # inside the block: ink
    assert grey[20:100].min() > 235 and grey[260:].min() > 235  # above and below it: paper


def _content_bomb_pdf(inflated: int, where: str = "page") -> bytes:
    """A page of real text whose drawing instructions (the page's own, or those of the form it
    draws) are padded to ``inflated`` bytes of blanks, which deflate to almost nothing: a small file
    the text layer's parser takes minutes on."""
    doc = pymupdf.open(stream=S.html_pdf([S.diploma_html()]), filetype="pdf")
    doc.subset_fonts()
    page = doc[0]
    xref = page.get_contents()[0] if where == "page" else max(x[0] for x in page.get_xobjects())
    doc.update_stream(xref, doc.xref_stream(xref) + b"\n" + b" " * inflated)
    return doc.tobytes(deflate=True, garbage=3)


@pytest.mark.parametrize("where", ["page", "form"])
def test_a_page_whose_instructions_inflate_past_the_limit_is_read_by_ocr_not_parsed(where):
    data = _content_bomb_pdf(5 * 2**20, where)
    assert len(data) < 100_000
    p = Document(data, "e-cert.pdf", LIMITS).page(1)
    assert p.words == ()  # the text layer is not parsed: the page is read like a scan
    assert (p.image < 128).any()  # and it is drawn
    small = Document(_content_bomb_pdf(2**20, where), "e-cert.pdf", LIMITS).page(1)
    assert "毕业证书" in "".join(w.text for w in small.words)  # under the limit, the text layer is read


def _raw_pdf(contents: bytes, *extra: bytes, resources: bytes = b"<< /Font << /F1 5 0 R >> >>") -> bytes:
    """A one-page PDF written object by object (page contents: object 4; ``extra`` from object 6 on)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " + contents + b" /Resources " + resources + b" >>",
        _stream(b"BT /F1 24 Tf 72 720 Td (Hello world) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def test_a_form_drawn_many_times_counts_every_time_it_is_drawn():
    """A small file may draw one form of text a thousand times: the text-layer parser reads it each
    time, so the limit counts it each time."""
    limits = ReadLimits(max_text_layer_bytes=100_000)
    form = b"".join(b"BT /F1 9 Tf %d %d Td (Wd) Tj ET\n" % (72 + i % 400, 72 + i % 600) for i in range(300))  # ~9 KB

    def drawing(times: int) -> bytes:
        form_obj = _stream(zlib.compress(form), b"/Filter /FlateDecode /Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                           b"/Resources << /Font << /F1 5 0 R >> >>")
        page = _stream(zlib.compress(b"q /Fm0 Do Q\n" * times), b"/Filter /FlateDecode")
        return _raw_pdf(b"[4 0 R 7 0 R]", form_obj, page, resources=b"<< /Font << /F1 5 0 R >> /XObject << /Fm0 6 0 R >> >>")

    assert Document(drawing(5), "x.pdf", limits).page(1).words  # 45 KB of text: its text layer is read
    many = Document(drawing(50), "x.pdf", limits).page(1)  # 450 KB in a file of 2 KB
    assert many.words == () and (many.image < 128).any()


def test_a_missing_object_among_a_pages_contents_is_passed_over_as_mupdf_does():
    p = Document(_raw_pdf(b"[4 0 R 99 0 R]"), "x.pdf", LIMITS).page(1)
    assert [w.text for w in p.words] == ["Hello world"]
