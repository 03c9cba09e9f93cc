"""Per-page cache: an unchanged packet is re-screened without OCR and gives the same report;
new rules re-use what was read; a damaged cache entry is recomputed, never trusted."""

from __future__ import annotations

import pytest

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.cache import MemoryCache
from pipeline.packet import load_packet
from pipeline.screen import screen_packet
from storage.cache import StoreCache
from storage.objectstore import LocalStore
from tests.factories import counting, review_packet


@pytest.fixture(scope="module")
def packet(tmp_path_factory):
    return load_packet(review_packet(tmp_path_factory.mktemp("cache") / "2024-RV-0001"))


def _same(a, b):
    return a.model_dump(exclude={"generated_at"}) == b.model_dump(exclude={"generated_at"})


def test_unchanged_packet_is_rescreened_from_the_cache_without_ocr(packet, engines, notices):
    cache = MemoryCache()
    first_engines = counting(engines)
    first = screen_packet(packet, notices, first_engines, REGISTRY, PACKET_CHECKS, cache=cache)
    assert first_engines.ocr.calls >= 4 and first_engines.orientation.calls == 4
    assert {f.code.value for f in first.report.findings} >= {"UNMASKED_NAME", "ROTATED"}

    again_engines = counting(engines)
    again = screen_packet(packet, notices, again_engines, REGISTRY, PACKET_CHECKS, cache=cache)
    assert again_engines.ocr.calls == 0 and again_engines.orientation.calls == 0
    assert _same(first.report, again.report)
    assert [p.thumbnail for p in again.pages] == [p.thumbnail for p in first.pages]


def test_new_rules_reuse_what_was_read_but_run_the_checks_again(packet, engines, notices):
    cache = MemoryCache()
    screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=cache)
    review = notices[packet.manifest.track]
    changed = dict(notices) | {packet.manifest.track: review.model_copy(update={"version": review.version + "-amended"})}
    spy = counting(engines)
    result = screen_packet(packet, changed, spy, REGISTRY, PACKET_CHECKS, cache=cache)
    assert spy.orientation.calls == 0
    assert spy.ocr.reads == 0  # no page is read again (detectors may still re-read a seal's ring)
    assert result.report.engine.rules.endswith("-amended")
    assert "UNMASKED_NAME" in {f.code.value for f in result.report.findings}


def test_another_file_content_misses_the_cache(packet, engines, notices, tmp_path):
    cache = MemoryCache()
    screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=cache)
    folder = tmp_path / "p"
    review_packet(folder)
    (folder / "photo.jpg").write_bytes((folder / "photo.jpg").read_bytes() + b"\0")  # same picture, other bytes
    spy = counting(engines)
    screen_packet(load_packet(folder), notices, spy, REGISTRY, PACKET_CHECKS, cache=cache)
    assert spy.orientation.calls == 1  # only the changed photo is read again


def test_damaged_or_failing_cache_is_recomputed(packet, engines, notices):
    cache = MemoryCache()
    first = screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=cache)
    for key in cache.data:
        cache.data[key] = b"{not json"
    spy = counting(engines)
    again = screen_packet(packet, notices, spy, REGISTRY, PACKET_CHECKS, cache=cache)
    assert spy.orientation.calls == 4 and _same(first.report, again.report)

    class Broken:
        def load(self, key):
            raise OSError("disk gone")

        def save(self, key, data):
            raise OSError("disk gone")

    third = screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=Broken())
    assert _same(first.report, third.report)


def test_store_cache_round_trip(tmp_path):
    cache = StoreCache(LocalStore(tmp_path))
    assert cache.load("page/ab/x/1-y") is None
    cache.save("page/ab/x/1-y", b"{}")
    assert cache.load("page/ab/x/1-y") == b"{}"
    assert (tmp_path / "cache" / "page" / "ab" / "x" / "1-y").is_file()


def test_report_records_file_digests_and_build(packet, engines, notices):
    report = screen_packet(packet, notices, engines, {}, ()).report
    assert all(d.sha256 and len(d.sha256) == 64 for d in report.documents)
    assert report.engine.build and len(report.engine.build) == 16


# ---------------------------------------------------------------- keys that cannot go stale


def _keys(packet, notices, engines, *, doc=None, number=1, options=None, detectors=None, slot=None, manifest=None, notice=None):
    from pipeline.cache import page_keys_for
    from pipeline.context import PageContext, ScreenOptions
    from pipeline.documents import Document, ReadLimits

    m = manifest or packet.manifest
    doc = doc or Document(packet.source.read("diploma.jpg", 10**9), "diploma.jpg", ReadLimits())
    ctx = PageContext(m, notice or notices[m.track], slot or packet.manifest.materials[1].slot)
    return page_keys_for(doc, number, ctx, engines, options or ScreenOptions(), REGISTRY if detectors is None else detectors)


def _reading_changes(packet, engines):
    """Each input that shapes a reading, changed on its own."""
    from dataclasses import replace

    from pipeline.context import ScreenOptions
    from pipeline.documents import Document, ReadLimits

    other_bytes = Document(packet.source.read("diploma.jpg", 10**9) + b"\0", "diploma.jpg", ReadLimits())

    class Renamed:
        def __init__(self, inner, fingerprint):
            self.inner, self.name, self.fingerprint = inner, inner.name, fingerprint

    limits = ReadLimits()
    return {
        "file bytes": dict(doc=other_bytes),
        "page number": dict(number=2),
        "OCR model": dict(engines=replace(engines, ocr=Renamed(engines.ocr, engines.ocr.fingerprint + "|other model"))),
        "orientation model": dict(
            engines=replace(engines, orientation=Renamed(engines.orientation, engines.orientation.fingerprint + "|v2"))
        ),
        "orientation threshold": dict(engines=replace(engines, min_orientation_score=0.6)),
        "render DPI": dict(options=ScreenOptions(limits=limits.model_copy(update={"render_dpi": 300}))),
        "working size": dict(options=ScreenOptions(limits=limits.model_copy(update={"max_side_px": 2000}))),
        "page size limit": dict(options=ScreenOptions(limits=limits.model_copy(update={"max_page_pt": 5000}))),
        "image pixel limit": dict(options=ScreenOptions(limits=limits.model_copy(update={"max_image_pixels": 10**7}))),
        "text layer chars": dict(options=ScreenOptions(text_layer_min_chars=20)),
        "text layer raster": dict(options=ScreenOptions(text_layer_max_raster=0.5)),
    }


def test_every_input_of_a_reading_is_in_its_key(packet, engines, notices):
    base = _keys(packet, notices, engines)
    for what, change in _reading_changes(packet, engines).items():
        eng = change.pop("engines", engines)
        keys = _keys(packet, notices, eng, **change)
        assert keys.reading != base.reading, what
        assert keys.result != base.result, what


def test_the_reading_code_is_found_wherever_it_lives(packet, engines, notices, monkeypatch):
    """The key covers the source of every module the reading runs through, found from the functions
    themselves; a change to any of them is a miss."""
    from pathlib import Path

    from pipeline import build, cache, documents, models, orientation, reading

    files = {p.name for p in build.source_files(reading.read_page, documents.Document, orientation.turn, cache.PageReading)}
    assert files == {"reading.py", "documents.py", "orientation.py", "cache.py"}
    assert Path(models.__file__).name in {p.name for p in build.source_files(models.TextLine)}
    base = _keys(packet, notices, engines)
    monkeypatch.setattr(cache, "reading_code", lambda: "changed source")
    assert _keys(packet, notices, engines).reading != base.reading
    # and the engines' own code is in their fingerprints
    assert "|" in engines.ocr.fingerprint and "|" in engines.orientation.fingerprint


def test_what_only_shapes_findings_keeps_the_reading(packet, engines, notices):
    from dataclasses import replace

    from pipeline.context import ScreenOptions
    from pipeline.documents import ReadLimits
    from pipeline.manifest import Slot

    base = _keys(packet, notices, engines)
    notice = notices[packet.manifest.track]
    changes = {
        "manifest": dict(manifest=packet.manifest.model_copy(update={"application_id": "2024-RV-0002"})),
        "slot": dict(slot=Slot.degree_certificate),
        "notice": dict(notice=notice.model_copy(update={"version": notice.version + "-b"})),
        "checks": dict(detectors={k: v for k, v in REGISTRY.items() if k != "seals"}),
        "a check's function": dict(detectors=REGISTRY | {"seals": replace(REGISTRY["seals"], fn=REGISTRY["names"].fn)}),
        "thumbnail": dict(options=ScreenOptions(thumbnail_px=800)),
        "page limit": dict(options=ScreenOptions(limits=ReadLimits(max_pages=3))),
    }
    for what, change in changes.items():
        keys = _keys(packet, notices, engines, **change)
        assert keys.reading == base.reading, what  # no OCR again
        assert keys.result != base.result, what


def test_a_cache_hit_decodes_nothing(packet, engines, notices, monkeypatch):
    from pipeline.documents import Document

    cache = MemoryCache()
    screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=cache)
    decoded = []
    original = Document.page
    monkeypatch.setattr(Document, "page", lambda self, n: decoded.append(n) or original(self, n))
    again = screen_packet(packet, notices, engines, REGISTRY, PACKET_CHECKS, cache=cache)
    assert decoded == [] and len(again.pages) == 4
