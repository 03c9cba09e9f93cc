"""Screening without anyone starting it: a MinIO notification becomes a deployment run, and the
nightly run picks what changed and what awaits review (unchanged pages cost no OCR)."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote_plus

from fastapi.testclient import TestClient

from pipeline.models import EngineInfo
from storage.catalog import Reason, select
from storage.notifications import uploads
from storage.objectstore import LocalStore, MinioStore
from storage.reports import latest_pointer
from tests.factories import counting, review_packet
from tests.reviewkit import make_app, publish, screened


def minio_event(key: str, etag: str = "0f343b0931126a20f133d67c2b018a3b", bucket: str = "prescreen", name: str = "s3:ObjectCreated:Put") -> dict:
    """A bucket notification as MinIO's webhook target posts it (object keys URL-encoded)."""
    return {
        "EventName": name,
        "Key": f"{bucket}/{key}",
        "Records": [
            {
                "eventVersion": "2.0",
                "eventSource": "minio:s3",
                "eventTime": "2025-06-02T02:30:00.000Z",
                "eventName": name,
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "Config",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key), "size": 1024, "eTag": etag, "sequencer": "17A0B1C2D3E4F5A6"},
                },
            }
        ],
    }


def read_artifacts(key: str) -> list[dict]:
    """Artifacts by key, from the REST API (this Prefect client sends nulls its own server refuses)."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    body = {"artifacts": {"key": {"any_": [key]}}, "limit": 5, "offset": 0, "sort": "UPDATED_DESC"}
    r = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body, timeout=30)
    r.raise_for_status()
    return r.json()


# ---------------------------------------------------------------- notifications


def test_only_manifests_under_the_packets_prefix_announce_a_packet():
    assert [u.prefix for u in uploads(minio_event("uploads/2025 000123/manifest.yaml"), "uploads")] == ["uploads/2025 000123"]
    assert uploads(minio_event("uploads/2025-000123/diploma.jpg"), "uploads") == []
    assert uploads(minio_event("other/2025-000123/manifest.yaml"), "uploads") == []
    assert uploads(minio_event("uploads/x/manifest.yaml", name="s3:ObjectRemoved:Delete"), "uploads") == []
    assert uploads(minio_event("uploads/../etc/manifest.yaml"), "uploads") == []
    assert uploads({"Records": "junk"}) == [] and uploads({}) == []
    a, b = (uploads(minio_event("uploads/p/manifest.json", etag=e))[0].identity for e in ("e1", "e2"))
    assert a != b  # a new upload of the same packet is a new screening


def test_hook_needs_the_token_and_queues_each_upload_once(tmp_path):
    calls = []

    def trigger(prefix, key, deployment):
        calls.append((prefix, key, deployment))
        return f"run-{len(calls)}"

    app, *_ = make_app(tmp_path, trigger=trigger)
    client = TestClient(app)
    event = minio_event("uploads/2025-000123/manifest.yaml")
    assert client.post("/hooks/minio", json=event).status_code == 401
    assert client.post("/hooks/minio", json=event, headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": "Bearer hook-token"}
    r = client.post("/hooks/minio", json=event, headers=auth)
    assert r.status_code == 202 and r.json()["queued"][0]["prefix"] == "uploads/2025-000123"
    client.post("/hooks/minio", json=event, headers=auth)  # MinIO redelivers
    assert calls[0] == calls[1] and calls[0][2] == "prescreen-application/screen-packet"  # same idempotency key
    assert client.post("/hooks/minio", json=minio_event("uploads/2025-000123/photo.jpg"), headers=auth).json() == {"queued": []}
    assert client.post("/hooks/minio", content=b"{not json", headers=auth).status_code == 400


def test_hook_reports_a_failure_so_minio_retries(tmp_path):
    def trigger(prefix, key, deployment):
        raise ConnectionError("prefect server down")

    app, *_ = make_app(tmp_path, trigger=trigger)
    r = TestClient(app).post("/hooks/minio", json=minio_event("uploads/a/manifest.yaml"), headers={"Authorization": "Bearer hook-token"})
    assert r.status_code == 503


def test_notification_to_flow_run_to_report_on_loopback(harness, s3_server, tmp_path, monkeypatch):
    """MinIO event → the receiver → run_deployment on the Prefect server → the flow run → report in the bucket."""
    from prefect import get_client
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.flow_engine import run_flow

    from flows import screen as flow_module
    from prescreen.settings import Settings
    from review.app import create_app

    bucket = f"up{os.getpid()}"
    env = {"STORE": "minio", "MINIO_ENDPOINT": s3_server, "MINIO_BUCKET": bucket, "WEBHOOK_TOKEN": "t0ken", "SECRET_KEY": "s" * 40}
    for key, value in env.items():
        monkeypatch.setenv(f"PRESCREEN_{key}", value)
    flow_module.settings.cache_clear()
    store = MinioStore(s3_server, "k", "s", bucket, secure=False, create_bucket=True)
    folder = review_packet(tmp_path / "2024-RV-0100", "2024-RV-0100")
    names = sorted(p.name for p in folder.iterdir())
    for name in [n for n in names if n != "manifest.yaml"] + ["manifest.yaml"]:  # the manifest last, as the platform uploads
        store.put(f"uploads/2024-RV-0100/{name}", (folder / name).read_bytes())

    deployment = flow_module.prescreen_application.to_deployment(
        name="screen-packet", concurrency_limit=ConcurrencyLimitConfig(limit=2, collision_strategy="ENQUEUE")
    )
    deployment.apply()
    app = create_app(Settings(), store=store)
    etag = store.stat("uploads/2024-RV-0100/manifest.yaml").etag
    event = minio_event("uploads/2024-RV-0100/manifest.yaml", etag=etag, bucket=bucket)
    client = TestClient(app)
    first = client.post("/hooks/minio", json=event, headers={"Authorization": "Bearer t0ken"})
    again = client.post("/hooks/minio", json=event, headers={"Authorization": "Bearer t0ken"})
    assert first.status_code == 202
    run_id = first.json()["queued"][0]["flow_run"]
    assert again.json()["queued"][0]["flow_run"] == run_id  # a redelivered notification is the same run

    with get_client(sync_client=True) as pc:
        run = pc.read_flow_run(run_id)
        assert run.state.is_scheduled() and run.parameters == {"prefix": "uploads/2024-RV-0100"}
        assert "upload" in run.tags
    # what a worker of the pool does with the run: execute it
    out = run_flow(flow_module.prescreen_application, flow_run=run, parameters=run.parameters)
    assert out["application_id"] == "2024-RV-0100" and out["recommendation"] == "return_to_applicant"
    assert latest_pointer(store, "uploads/2024-RV-0100")["version"] == out["version"]
    with get_client(sync_client=True) as pc:
        assert pc.read_flow_run(run_id).state.is_completed()
    (artifact,) = read_artifacts("prescreen-2024-rv-0100")
    assert "姓名未遮盖" in artifact["data"] and "/packets/2024-RV-0100" in artifact["data"]
    # and the packet waits in the auditors' queue
    from prescreen import runtime
    from review.users import add_user
    from tests.reviewkit import login

    with runtime.review_db(Settings().database_url).session() as s:
        add_user(s, "li", "correct horse battery")
    login(client, "li", "correct horse battery")
    assert "2024-RV-0100" in client.get("/").text
    assert "2024-RV-0100" in client.get("/", params={"q": "阿依古丽买买提"}).text  # the manifest's name was recorded
    flow_module.settings.cache_clear()


# ---------------------------------------------------------------- nightly


ENGINE = EngineInfo(prescreen="t", ocr="t", orientation="t", rules="r", build="b")


def _current(rules="r", build="b"):
    return lambda track: ENGINE.model_copy(update={"rules": rules, "build": build}) if track == "review" else None


def test_nightly_selection_new_unchanged_changed_rules_engine_awaiting(tmp_path):
    store = LocalStore(tmp_path)
    app, _store, db = make_app(tmp_path / "app")
    for app_id in ("A", "B", "C"):
        (tmp_path / "uploads" / app_id).mkdir(parents=True)
        (tmp_path / "uploads" / app_id / "manifest.yaml").write_text("{}")
        (tmp_path / "uploads" / app_id / "d.jpg").write_bytes(b"x")
    time.sleep(0.02)
    for app_id in ("A", "B"):
        result = screened(app_id)
        result.report = result.report.model_copy(update={"engine": ENGINE})
        publish(store, db, f"uploads/{app_id}", result)
    got = {s.prefix: s.reason for s in select(store, "uploads", _current())}
    assert got == {"uploads/C": Reason.new}  # A and B unchanged since their reports
    assert {s.prefix: s.reason for s in select(store, "uploads", _current(), {"uploads/B"})}["uploads/B"] is Reason.awaiting_review
    time.sleep(0.02)
    (tmp_path / "uploads" / "A" / "d.jpg").write_bytes(b"new scan")
    got = {s.prefix: s.reason for s in select(store, "uploads", _current())}
    assert got == {"uploads/A": Reason.inputs, "uploads/C": Reason.new}
    assert {s.reason for s in select(store, "uploads", _current(rules="r2"))} == {Reason.inputs, Reason.rules, Reason.new}
    assert {s.prefix: s.reason for s in select(store, "uploads", _current(build="b2"))}["uploads/B"] is Reason.engine
    # a report that never reached the review database (it was down) is redone
    got = {s.prefix: s.reason for s in select(store, "uploads", _current(), registered={"uploads/A"})}
    assert got["uploads/B"] is Reason.unregistered


def test_nightly_rescreens_unchanged_awaiting_packet_without_ocr(harness, tmp_path, monkeypatch, engines):
    from flows.nightly import nightly_rescreen
    from prescreen import runtime

    root = tmp_path / "store"
    review_packet(root / "uploads" / "2024-RV-0200", "2024-RV-0200")
    first_spy = counting(engines)
    monkeypatch.setattr(runtime, "engines_for", lambda settings: first_spy)
    first = nightly_rescreen(root=str(root))
    assert first["selected"] == 1 and first["screened"] == 1 and first["new_reports"] == 1 and first["reasons"] == {"new": 1}
    assert first_spy.ocr.reads >= 3
    pointer = latest_pointer(LocalStore(root), "uploads/2024-RV-0200")

    second_spy = counting(engines)
    monkeypatch.setattr(runtime, "engines_for", lambda settings: second_spy)
    second = nightly_rescreen(root=str(root))
    assert second["reasons"] == {"awaiting_review": 1} and second["screened"] == 1
    assert second_spy.ocr.calls == 0 and second_spy.orientation.calls == 0  # every page from the cache
    assert second["new_reports"] == 0 and latest_pointer(LocalStore(root), "uploads/2024-RV-0200") == pointer
    assert second["codes"]["UNMASKED_NAME"] >= 1 and not second["failed"]
    from prescreen.settings import Settings
    from storage.reviewdb import Packet

    with runtime.review_db(Settings().database_url).session() as s:  # both paths record the manifest's applicant
        packet = s.get(Packet, "2024-RV-0200")
        assert (packet.applicant_name, packet.employer) == ("阿依古丽·买买提", "乌鲁木齐市第十中学")


def test_nightly_counts_a_failed_packet_and_goes_on(harness, tmp_path, engines, monkeypatch):
    from flows.nightly import nightly_rescreen
    from prescreen import runtime

    monkeypatch.setattr(runtime, "engines_for", lambda settings: engines)
    root = tmp_path / "store"
    bad = root / "uploads" / "broken"
    bad.mkdir(parents=True)
    (bad / "manifest.yaml").write_text("application_id: [unclosed")
    good = root / "uploads" / "2025-ok"
    from samples import generate as S

    b = S.PacketBuilder(good, application_id="2025-ok", track="initial_junior")
    b.add("work_summary", "s.pdf", S.html_pdf([S.work_summary_html(chars=300)]))
    b.write()
    out = nightly_rescreen(root=str(root))
    assert out["selected"] == 2 and out["screened"] == 1
    assert [f["prefix"] for f in out["failed"]] == ["uploads/broken"]
    (artifact,) = read_artifacts("prescreen-nightly")[:1]
    assert "夜间复检" in artifact["data"] and "uploads/broken" in artifact["data"]
    assert json.loads((good / "reports" / "latest.json").read_text())["version"]


def test_nightly_hands_packets_to_the_deployment_and_summarises_their_runs(harness, tmp_path, engines, monkeypatch):
    """dispatch="deployment": one run of the screening deployment per packet (here executed on the
    spot), idempotent per night; a run that crashed is reported as failed."""
    from flows import trigger
    from flows.nightly import nightly_rescreen
    from flows.screen import prescreen_application
    from prescreen import runtime

    monkeypatch.setattr(runtime, "engines_for", lambda settings: engines)
    root = tmp_path / "store"
    review_packet(root / "uploads" / "2024-RV-0400", "2024-RV-0400")
    (root / "uploads" / "2024-RV-0401").mkdir(parents=True)
    (root / "uploads" / "2024-RV-0401" / "manifest.yaml").write_text("{}")
    requested = []

    def request(prefix, key, deployment, tags=()):
        requested.append((prefix, key, deployment, tags))
        if prefix.endswith("0400"):
            prescreen_application(prefix=prefix, root=str(root))  # what a worker does with the run
        return f"run-{prefix[-4:]}"

    monkeypatch.setattr(trigger, "request_screening", request)
    monkeypatch.setattr(trigger, "wait_for_runs", lambda ids: {i: ("COMPLETED", "") if i.endswith("0400") else ("CRASHED", "worker lost") for i in ids})
    out = nightly_rescreen(root=str(root), dispatch="deployment")
    assert sorted(p for p, *_ in requested) == ["uploads/2024-RV-0400", "uploads/2024-RV-0401"]
    assert all(k.startswith(f"nightly:{out['date']}:") and d == "prescreen-application/screen-packet" and t == ("nightly",) for _, k, d, t in requested)
    assert out["screened"] == 1 and out["new_reports"] == 1 and out["recommendations"] == {"return_to_applicant": 1}
    assert out["failed"] == [{"prefix": "uploads/2024-RV-0401", "error": "CRASHED: worker lost"}]
