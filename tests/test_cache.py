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
