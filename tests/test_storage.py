"""One contract for every object store: the local folder and MinIO (against an S3 server on loopback)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.errors import StorageError
from pipeline.manifest import Track
from pipeline.models import EngineInfo, Recommendation, Report
from storage.objectstore import LocalStore, MinioStore, MissingObject
from storage.packets import load_store_packet
from storage.reports import latest_report, publish_report, report_versions


@pytest.fixture(params=["local", "minio"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_server")
    bucket = f"t{abs(hash(request.node.name)) % 10**8}"
    return MinioStore(endpoint, "test", "test", bucket, secure=False, create_bucket=True)


def test_put_get_stat_list(store):
    store.put("a/b/one.txt", b"1")
    store.put("a/two.bin", b"22")
    store.put("c/three", b"333")
    assert store.get("a/b/one.txt") == b"1"
    info = store.stat("a/two.bin")
    assert info.size == 2 and info.etag
    assert store.stat("a/none") is None
    assert sorted(o.key for o in store.list("a/")) == ["a/b/one.txt", "a/two.bin"]
    assert [o.key for o in store.list("c")] == ["c/three"]


def test_missing_object(store):
    with pytest.raises(MissingObject):
        store.get("nope/nothing")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", ""])
def test_bad_keys_are_refused(store, key):
    with pytest.raises(StorageError):
        store.put(key, b"x")


def _report(rec=Recommendation.pass_) -> Report:
    return Report(
        application_id="A-1",
        track=Track.review,
        recommendation=rec,
        findings=(),
        documents=(),
        generated_at=datetime.now(UTC),
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="t"),
    )


def test_reports_are_versioned_never_overwritten(store):
    v1 = publish_report(store, "pk/A-1", _report(), "<html>1</html>", {"001-BLURRY.jpg": b"\xff\xd8"})
    v2 = publish_report(store, "pk/A-1", _report(Recommendation.needs_review), "<html>2</html>")
    assert v1 != v2
    assert report_versions(store, "pk/A-1") == sorted([v1, v2])
    assert store.get(f"pk/A-1/reports/{v1}/report.html") == b"<html>1</html>"
    assert store.get(f"pk/A-1/reports/{v1}/evidence/001-BLURRY.jpg") == b"\xff\xd8"
    assert latest_report(store, "pk/A-1").recommendation == Recommendation.needs_review
    assert json.loads(store.get("pk/A-1/reports/latest.json"))["version"] == v2


def test_packet_from_store(store, builder):
    from samples import generate as S

    builder.add("diploma", "diploma.png", S.encode_image(S.render_html("<p>x</p>", dpi=50), "png"))
    builder.write()
    for path in builder.root.iterdir():
        store.put(f"uploads/{builder.application_id}/{path.name}", path.read_bytes())
    packet = load_store_packet(store, f"uploads/{builder.application_id}")
    assert packet.manifest.application_id == builder.application_id
    assert packet.source.read("diploma.png", 10**6)[:4] == b"\x89PNG"


def test_unreachable_minio_is_a_storage_error():
    store = MinioStore("127.0.0.1:9", "k", "s", "bucket", secure=False)  # nothing listens on port 9
    with pytest.raises(StorageError):
        store.get("x")


def test_invalid_bucket_name_is_a_storage_error():
    with pytest.raises(StorageError):
        MinioStore("127.0.0.1:9", "k", "s", "b", secure=False).get("x")
