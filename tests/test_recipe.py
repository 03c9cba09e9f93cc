"""One recipe, any executor: a plain loop, 4 page threads and a Dask cluster of 2 processes x 2
threads give the identical report on a many-page PDF and a multi-page TIFF (no MuPDF document or
Pillow image is shared unsafely between page tasks); models load once however many threads ask."""

from __future__ import annotations

import threading

import pytest

from detectors import PACKET_CHECKS, REGISTRY
from pipeline import screen as recipe
from pipeline.packet import load_packet
from pipeline.reading import DOCUMENTS
from samples import generate as S


def _merged(pdfs: list[bytes]) -> bytes:
    import pymupdf

    out = pymupdf.open()
    for data in pdfs:
        out.insert_pdf(pymupdf.open(stream=data, filetype="pdf"))
    return out.tobytes(garbage=3)


@pytest.fixture(scope="module")
def packet(tmp_path_factory):
    """Review track, so every page check runs: a 7-page PDF (text pages and scanned ones), a 5-frame
    TIFF with a page turned and a seal, and a photo."""
    p = S.Person()
    b = S.PacketBuilder(tmp_path_factory.mktemp("recipe") / "2024-RV-0700", application_id="2024-RV-0700", track="review", person=p)
    text_pages = [S.appraisal_html(p, 2024), *S.work_summary_pages(p, chars=1800, per_page=600)]
    scans = [S.render_html(S.ce_certificate_html(p, y), dpi=100) for y in (2022, 2023, 2024)]
    pdf = _merged([S.html_pdf(text_pages[:2]), S.images_pdf(scans, dpi=100), S.html_pdf(text_pages[2:])])
    b.add("annual_appraisal", "forms.pdf", pdf)
    frames = [S.render_html(S.publicity_html(p), dpi=100), S.render_html(S.diploma_html(p), dpi=100)]
    frames.append(S.rotate_cw(S.draw_seal(S.render_html(S.appraisal_html(p, 2023), dpi=100), p.employer, center=(0.7, 0.5)), 90))
    frames += [S.render_html(S.degree_html(p), dpi=100), S.render_html(S.promise_letter_html(p), dpi=100)]
    b.add("unit_publicity", "scan.tif", S.multipage_tiff(frames))
    b.add("photo", "photo.jpg", S.encode_image(S.cover_eyes(S.face_photo(), "bar"), "jpeg"))
    return load_packet(b.write())


def _screen(packet, engines, notices, run):
    DOCUMENTS.clear()  # each run opens its uploads afresh
    return recipe.screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, run=run)


def _same(a, b) -> None:
    assert a.report.model_dump(exclude={"generated_at"}) == b.report.model_dump(exclude={"generated_at"})
    assert [p.thumbnail for p in a.pages] == [p.thumbnail for p in b.pages]


def test_threads_and_dask_give_the_serial_report(packet, engines, notices):
    from distributed import Client, LocalCluster

    serial = _screen(packet, engines, notices, recipe.serial)
    pages = {d.file: len(d.pages) for d in serial.report.documents}
    assert pages == {"forms.pdf": 7, "scan.tif": 5, "photo.jpg": 1}
    assert {(f.code.value, f.file) for f in serial.report.findings} >= {("ROTATED", "scan.tif"), ("UNMASKED_NAME", "forms.pdf")}

    _same(serial, _screen(packet, engines, notices, recipe.threads(4)))

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        dasked = _screen(packet, engines, notices, recipe.dask(client))
        assert len(cluster.scheduler_info["workers"]) == 2
    _same(serial, dasked)


def test_pages_of_one_document_decoded_on_threads_are_each_their_own(packet):
    """The same TIFF frames and PDF pages, decoded by 4 threads at once, in every order, are the
    pages decoded one by one."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.documents import Document, ReadLimits

    for name in ("scan.tif", "forms.pdf"):
        doc = Document(packet.source.read(name, 10**9), name, ReadLimits())
        alone = [doc.page(n) for n in range(1, doc.page_count + 1)]
        order = [n for _ in range(3) for n in range(doc.page_count, 0, -1)]
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(doc.page, order))
        for n, page in zip(order, together, strict=True):
            assert (page.image == alone[n - 1].image).all() and page.words == alone[n - 1].words


def test_models_load_once_however_many_threads_ask(monkeypatch):
    from pipeline import orientation

    built = []

    class Counting(orientation.OrientationModel):
        def __init__(self, threads: int = 0) -> None:
            built.append(threads)
            super().__init__(threads)

    monkeypatch.setattr(orientation, "OrientationModel", Counting)
    orientation._load.cache_clear()
    barrier = threading.Barrier(4)
    got = []

    def ask() -> None:
        barrier.wait()
        got.append(orientation.get_orientation_model(3))

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    orientation._load.cache_clear()
    assert built == [3] and len({id(m) for m in got}) == 1

