"""The Prefect flow end to end: same report as the core, published as a new version next to the packet."""

from __future__ import annotations

import json

import pytest

from pipeline.packet import load_packet
from pipeline.screen import screen_packet
from samples import generate as S
from storage.objectstore import LocalStore, MinioStore
from storage.reports import latest_report, report_versions

P = S.Person()


@pytest.fixture
def packet_dir(tmp_path):
    b = S.PacketBuilder(tmp_path / "uploads" / "2025-000900", application_id="2025-000900", track="fhj_three_year")
    b.add("diploma", "diploma.jpg", S.encode_image(S.rotate_cw(S.render_html(S.diploma_html(P), dpi=110), 180), "jpeg"))
    b.add("annual_appraisal", "a.pdf", S.html_pdf([S.appraisal_html(P, 2024), S.appraisal_html(P, 2023)]))
    b.add("ce_certificate", "broken.png", b"\x89PNG\r\n\x1a\nbroken")
    b.write()
    return b.root


def _summary(report):
    return sorted((f.code.value, f.file, f.page) for f in report.findings), [
        (d.file, [(p.page, p.rotation) for p in d.pages]) for d in report.documents
    ]


def test_flow_on_folder_store_matches_the_core(harness, packet_dir, engines, notices):
    from detectors import PACKET_CHECKS, REGISTRY
    from flows.screen import prescreen_application

    out = prescreen_application(prefix="2025-000900", root=str(packet_dir.parent))
    assert out["application_id"] == "2025-000900"
    store = LocalStore(packet_dir.parent)
    flow_report = latest_report(store, "2025-000900")
    core_report = screen_packet(load_packet(packet_dir), notices, engines, REGISTRY, PACKET_CHECKS).report
    assert _summary(flow_report) == _summary(core_report)
    assert ("ROTATED", "diploma.jpg", 1) in _summary(flow_report)[0]
    assert report_versions(store, "2025-000900") == [out["version"]]
    assert (packet_dir / "reports" / out["version"] / "report.html").is_file()

    again = prescreen_application(prefix="2025-000900", root=str(packet_dir.parent))
    assert again["version"] == out["version"] and not again["new_version"]  # same findings: no new version
    assert report_versions(store, "2025-000900") == [out["version"]]


def test_flow_against_minio(harness, packet_dir, monkeypatch):
    from moto.server import ThreadedMotoServer

    from flows import screen as flow_module

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        store = MinioStore(f"{host}:{port}", "k", "s", "prescreen", secure=False, create_bucket=True)
        for path in packet_dir.iterdir():
            store.put(f"uploads/2025-000900/{path.name}", path.read_bytes())
        for key, value in {"STORE": "minio", "MINIO_ENDPOINT": f"{host}:{port}", "MINIO_BUCKET": "prescreen"}.items():
            monkeypatch.setenv(f"PRESCREEN_{key}", value)
        flow_module.settings.cache_clear()
        out = flow_module.prescreen_application(prefix="uploads/2025-000900")
        pointer = json.loads(store.get("uploads/2025-000900/reports/latest.json"))
        assert pointer["version"] == out["version"]
        assert latest_report(store, "uploads/2025-000900").application_id == "2025-000900"
        assert store.stat(f"uploads/2025-000900/reports/{out['version']}/report.html").size > 1000
    finally:
        flow_module.settings.cache_clear()
        server.stop()


def test_cli_flow_option_gives_the_same_report(harness, packet_dir, tmp_path):
    from prescreen.cli import main

    assert main(["check", str(packet_dir), "--out", str(tmp_path / "core.json")]) == 0
    assert main(["check", str(packet_dir), "--out", str(tmp_path / "flow.json"), "--flow"]) == 0
    core, flow = (json.loads((tmp_path / n).read_text()) for n in ("core.json", "flow.json"))
    for r in (core, flow):
        r.pop("generated_at")
    assert core == flow
    assert not (packet_dir / "reports").exists()  # --flow publishes nothing into the upload folder


def test_prefect_yaml_is_valid_and_points_at_the_flow():
    from pathlib import Path

    import yaml
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.flows import Flow, load_flow_from_entrypoint

    root = Path(__file__).resolve().parents[1]
    model = PrefectYamlModel.model_validate(yaml.safe_load((root / "prefect.yaml").read_text()))
    screen, nightly = model.deployments
    assert screen.concurrency_limit.limit >= 1 and screen.concurrency_limit.collision_strategy == "ENQUEUE"
    flow = load_flow_from_entrypoint(str(root / screen.entrypoint))
    assert isinstance(flow, Flow) and flow.name == "prescreen-application"
    from flows.screen import settings

    assert f"{flow.name}/{screen.name}" == settings().deployment  # what upload notifications start
    (schedule,) = nightly.schedules
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert load_flow_from_entrypoint(str(root / nightly.entrypoint)).name == "prescreen-nightly"


def test_both_flows_screen_pages_on_the_same_bounded_task_runner():
    """`prescreen check --flow` screens as many pages at once as a worker does (PRESCREEN_PAGE_THREADS),
    not every page of the packet at once (which held 40 decoded pages and their OCR buffers)."""
    from flows.screen import check_local_packet, prescreen_application, settings

    for f in (check_local_packet, prescreen_application):
        assert type(f.task_runner).__name__ == "ThreadPoolTaskRunner"
        assert f.task_runner._max_workers == settings().page_threads
