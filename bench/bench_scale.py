"""Scale and resilience, measured side by side in one run.

1. Throughput with 1 and 2 worker processes (each one OCR thread, as deployed: one worker per
   core), screening the same packets; the scaling ratio; peak RSS of each worker process.
2. Re-screening an unchanged packet against its first screening (page cache).
3. A burst of N uploads through the deployment path: packets in an S3 server on loopback (moto),
   MinIO-format notifications (plus redeliveries) posted to the receiver, flow runs created on a
   local Prefect server, executed by process workers of a work pool under the deployment's
   concurrency limit. Reports packets completed, duplicates, losses, the most runs seen running at
   once, and wall time.

    python bench/bench_scale.py [--packets 6] [--pages 4] [--burst 200] [--skip-burst]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_pipeline import build_packet  # noqa: E402

# ---------------------------------------------------------------- 1. throughput


def _worker(folders: list[str], threads: int, out: mp.Queue) -> None:
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    from detectors import PACKET_CHECKS, REGISTRY
    from pipeline.packet import load_packet
    from pipeline.rules import load_rules
    from pipeline.screen import screen_packet
    from prescreen import runtime

    engines, notices = runtime.engines("rapidocr", threads), load_rules()
    engines.ocr.read(__import__("numpy").full((64, 256, 3), 255, "uint8"))  # models warm before the clock
    out.put(("ready", 0, 0.0))
    pages = 0
    for folder in folders:
        result = screen_packet(load_packet(Path(folder)), notices, engines, REGISTRY, PACKET_CHECKS)
        pages += len(result.pages)
    out.put(("done", pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def throughput(folders: list[str], workers: int, threads: int) -> tuple[float, list[float]]:
    """Pages per second with ``workers`` processes sharing the packets; peak RSS of each (MB)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    shares = [folders[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=_worker, args=(share, threads, out)) for share in shares]
    for p in procs:
        p.start()
    for _ in procs:
        assert out.get(timeout=300)[0] == "ready"
    # every worker has loaded its models; the clock starts when they are all ready
    start = time.perf_counter()
    pages, rss = 0, []
    for _ in procs:
        _, n, mb = out.get(timeout=3600)
        pages += n
        rss.append(mb)
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    return pages / wall, rss


# ---------------------------------------------------------------- 2. re-screen


def rescreen_ratio(folder: Path, tmp: Path) -> tuple[float, float]:
    from detectors import PACKET_CHECKS, REGISTRY
    from pipeline.packet import load_packet
    from pipeline.rules import load_rules
    from pipeline.screen import screen_packet
    from prescreen import runtime
    from storage.cache import StoreCache
    from storage.objectstore import LocalStore
    from storage.reports import publish_result

    store = LocalStore(tmp / "rescreen")
    engines, notices = runtime.engines(), load_rules()
    times = []
    for _ in range(2):
        t = time.perf_counter()
        result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS, cache=StoreCache(store))
        publish_result(store, "uploads/x", result)
        times.append(time.perf_counter() - t)
    return times[0], times[1]


# ---------------------------------------------------------------- 3. burst


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _small_packet(i: int) -> dict[str, bytes]:
    from samples import generate as S

    b = S.PacketBuilder(Path("/nonexistent"), application_id=f"BURST-{i:04d}", track="initial_junior")
    pdf = S.html_pdf([S.work_summary_html(chars=600)])
    b.materials = {"work_summary": ["summary.pdf"]}
    return {"summary.pdf": pdf, "manifest.yaml": json.dumps(b.manifest(), ensure_ascii=False).encode()}


def burst(n: int, duplicates: int, workers: int, limit: int, tmp: Path) -> dict:
    from moto.server import ThreadedMotoServer

    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, s3_port = s3.get_host_and_port()
    endpoint = f"{host}:{s3_port}"
    api_port = _free_port()
    api = f"http://127.0.0.1:{api_port}/api"
    home = tmp / "prefect-home"
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PRESCREEN_STORE": "minio",
        "PRESCREEN_MINIO_ENDPOINT": endpoint,
        "PRESCREEN_MINIO_BUCKET": "burst",
        "PRESCREEN_DATABASE_URL": f"sqlite:///{tmp}/burst-review.db",
        "PRESCREEN_OCR_THREADS": "1",
        "PRESCREEN_WEBHOOK_TOKEN": "bench-token",
        "PRESCREEN_SECRET_KEY": "b" * 40,
    }
    os.environ.update(env)
    from storage.migrate import upgrade

    upgrade(env["PRESCREEN_DATABASE_URL"])
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    from contextlib import ExitStack

    from tests import pg

    stack = ExitStack()
    if pg.available():  # Prefect's server on PostgreSQL, as a city deployment runs it (SQLite locks under bursts)
        address = stack.enter_context(pg.temporary_postgres())
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://postgres@{address}/postgres"
        os.environ.update(env)
    logs = open(os.environ.get("PRESCREEN_BURST_LOG", tmp / "burst.log"), "w")  # noqa: SIM115
    server = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(api_port)], env=env, stdout=logs, stderr=logs)
    procs = [server]
    try:
        import httpx

        for _ in range(240):
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        subprocess.run([prefect, "work-pool", "create", "bench", "--type", "process"], env=env, check=True, stdout=logs, stderr=logs)

        from prefect.client.schemas.objects import ConcurrencyLimitConfig

        from flows.screen import prescreen_application
        from storage.objectstore import MinioStore

        deployment = prescreen_application.to_deployment(
            name="screen-packet",
            work_pool_name="bench",
            job_variables={"working_dir": str(ROOT)},  # where the process worker runs the entrypoint
            concurrency_limit=ConcurrencyLimitConfig(limit=limit, collision_strategy="ENQUEUE"),
        )
        deployment.apply()
        for _ in range(workers):
            procs.append(
                subprocess.Popen([prefect, "worker", "start", "--pool", "bench", "--limit", str(limit)], cwd=ROOT, env=env, stdout=logs, stderr=logs)
            )
        store = MinioStore(endpoint, "k", "s", "burst", secure=False, create_bucket=True)
        template = _small_packet(0)
        etags = {}
        for i in range(n):
            files = template | {"manifest.yaml": template["manifest.yaml"].replace(b"BURST-0000", f"BURST-{i:04d}".encode())}
            for name in ("summary.pdf", "manifest.yaml"):
                store.put(f"uploads/BURST-{i:04d}/{name}", files[name])
            etags[i] = store.stat(f"uploads/BURST-{i:04d}/manifest.yaml").etag

        from fastapi.testclient import TestClient

        from prescreen.settings import Settings
        from review.app import create_app
        from tests.test_upload_nightly import minio_event

        client = TestClient(create_app(Settings(), store=store))
        order = list(range(n)) + list(range(0, n, max(1, n // max(1, duplicates))))[:duplicates]
        started = time.perf_counter()
        run_ids = []
        for i in order:
            event = minio_event(f"uploads/BURST-{i:04d}/manifest.yaml", etag=etags[i], bucket="burst")
            r = client.post("/hooks/minio", json=event, headers={"Authorization": "Bearer bench-token"})
            r.raise_for_status()
            run_ids.append(r.json()["queued"][0]["flow_run"])
        queued_s = time.perf_counter() - started

        import psutil
        from prefect import get_client
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
        from prefect.client.schemas.sorting import FlowRunSort

        max_running, peak_rss = 0, 0.0
        worker_procs = [psutil.Process(p.pid) for p in procs[1:]]
        with get_client(sync_client=True) as pc:
            dep_id = pc.read_deployment_by_name("prescreen-application/screen-packet").id
            while True:
                runs = []
                while True:  # the API pages by 200
                    page = pc.read_flow_runs(
                        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep_id])),
                        sort=FlowRunSort.ID_DESC,  # this client sends a null sort its own server refuses
                        limit=200,
                        offset=len(runs),
                    )
                    runs += page
                    if len(page) < 200:
                        break
                states = Counter(r.state.type.value for r in runs)
                max_running = max(max_running, states.get("RUNNING", 0))
                for w in worker_procs:  # each flow run is a child process of a worker
                    for child in w.children(recursive=True):
                        try:
                            peak_rss = max(peak_rss, child.memory_info().rss / 2**20)
                        except psutil.Error:
                            pass
                if len(runs) and all(r.state.is_final() for r in runs) and len(runs) >= len(set(run_ids)):
                    break
                if time.perf_counter() - started > 3600:
                    break
                time.sleep(0.5)
        wall = time.perf_counter() - started
        per_prefix = Counter(r.parameters["prefix"] for r in runs)
        completed = sum(r.state.is_completed() for r in runs)
        reported = sum(store.stat(f"uploads/BURST-{i:04d}/reports/latest.json") is not None for i in range(n))
        return {
            "packets": n,
            "notifications": len(order),
            "flow_runs": len(runs),
            "completed": completed,
            "reported": reported,
            "duplicates": sum(c - 1 for c in per_prefix.values()),
            "lost": n - reported,
            "max_running": max_running,
            "peak_run_rss_mb": peak_rss,
            "concurrency_limit": limit,
            "queue_s": queued_s,
            "wall_s": wall,
            "states": dict(states),
        }
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        s3.stop()
        logs.close()
        stack.close()


def report_throughput(folders: list[str], packets: int, pages_each: int, tmp: Path) -> None:
    one, rss1 = throughput(folders, 1, 1)
    two, rss2 = throughput(folders, 2, 1)
    all_threads, _ = throughput(folders, 1, 0)
    pages = packets * pages_each
    print(f"throughput, {pages} pages ({packets} packets x {pages_each}), models loaded before timing")
    print(f"  1 worker process  x 1 OCR thread   {one:.3f} pages/s   peak RSS {rss1[0]:.0f} MB")
    print(f"  2 worker processes x 1 OCR thread   {two:.3f} pages/s   peak RSS {', '.join(f'{r:.0f}' for r in rss2)} MB")
    print(f"  scaling 1 -> 2 workers              {two / one:.2f}x   (goal >= 1.7)")
    print(f"  (1 worker process x all cores      {all_threads:.3f} pages/s: 2 single-thread workers give {two / all_threads:.2f}x that)")
    print(f"  peak RSS per worker                 {max(rss1 + rss2):.0f} MB   (goal <= 1229 MB)")
    first, again = rescreen_ratio(Path(folders[0]), tmp)
    print(f"re-screen unchanged packet           first {first:.2f} s, again {again:.3f} s: {first / again:.0f}x faster (goal >= 20)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=6, help="packets for the throughput runs")
    ap.add_argument("--pages", type=int, default=4, help="pages per packet for the throughput runs")
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--duplicates", type=int, default=50, help="notifications delivered twice")
    ap.add_argument("--burst-workers", type=int, default=1)
    ap.add_argument("--burst-limit", type=int, default=2)
    ap.add_argument("--skip-burst", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        folders = [] if args.skip_throughput else [str(build_packet(tmp / f"p{i}", args.pages).parent) for i in range(args.packets)]

        if not args.skip_throughput:
            report_throughput(folders, args.packets, args.pages, tmp)
        if not args.skip_burst:
            b = burst(args.burst, args.duplicates, args.burst_workers, args.burst_limit, tmp)
            print(
                f"burst: {b['packets']} uploads, {b['notifications']} notifications ({b['notifications'] - b['packets']} redelivered) "
                f"-> {b['flow_runs']} flow runs, {b['completed']} completed, {b['reported']}/{b['packets']} reported, "
                f"{b['duplicates']} duplicates, {b['lost']} lost"
            )
            print(
                f"       queued in {b['queue_s']:.1f} s, all done in {b['wall_s']:.0f} s "
                f"({b['packets'] / b['wall_s']:.2f} packets/s); at most {b['max_running']} running at once "
                f"(limit {b['concurrency_limit']}); final states {b['states']}"
            )
            print(f"       peak RSS of a flow-run process (sampled): {b['peak_run_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
