"""The four speed and memory targets, printed as ratios in one run:

1. packet time <= 0.5x that of the naive program (``packets.Naive``: decode, orientation model, one
   full-page OCR with rapidocr as it ships; also shown without its line classifier);
2. pipeline time <= 1.0x our own bare OCR (the same OCR engine reading the same pages, decoded and
   turned upright beforehand, outside the timer);
3. re-screening an unchanged packet >= 200x faster than screening it first (the store-backed page
   cache, then publishing the report, as the nightly run does);
4. peak RSS per worker <= 1.0 GB screening 200-DPI A4 pages and 12-megapixel phone photos: each
   measured in a fresh child process per configuration (the default OCR options, OpenVINO with the
   detector at 960 px, and onnxruntime at rapidocr's own sizes, the default until OpenVINO's buffers
   were held down by the smaller detector input).

Timed parts are interleaved (naive, pipeline, bare OCR, in rotating order) and medians reported:
the machine is shared.

    python bench/bench_targets.py [--pages 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import bare_ocr_seconds  # noqa: E402
from packets import Naive, a4_packet, benchmark_packet, phone_packet  # noqa: E402

from detectors import PACKET_CHECKS, REGISTRY  # noqa: E402
from pipeline.html import render_html  # noqa: E402
from pipeline.ocr import OcrOptions  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import screen_packet, serial, threads  # noqa: E402
from prescreen import runtime  # noqa: E402
from storage.cache import StoreCache  # noqa: E402
from storage.objectstore import LocalStore  # noqa: E402
from storage.reports import publish_result  # noqa: E402

ONNXRUNTIME = OcrOptions(backend="onnxruntime", det_side_px=0, rec_batch=6)


def pipeline_seconds(packet_dir: Path, engines, notices, run=serial) -> float:  # noqa: ANN001
    start = time.perf_counter()
    result = screen_packet(load_packet(packet_dir), notices, engines, REGISTRY, PACKET_CHECKS, run=run)
    render_html(result.report, result.pages)
    return time.perf_counter() - start


def rescreen(packet_pages: int, engines, notices, tmp: Path) -> tuple[float, float]:  # noqa: ANN001
    """First screening and the median of three re-screens of the same bytes, through the store."""
    root = tmp / "store"
    folder = root / "uploads" / "BENCH-0001"
    benchmark_packet(folder, packet_pages)
    store = LocalStore(root)

    def once() -> float:
        t = time.perf_counter()
        result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS, cache=StoreCache(store))
        publish_result(store, "uploads/BENCH-0001", result)
        return time.perf_counter() - t

    first = once()
    return first, statistics.median(once() for _ in range(3))


def high_water_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: on Linux a child starts with its
    parent's, kept across exec, so a worker spawned by a large parent would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_child(folder: Path, ocr: OcrOptions, queue) -> None:  # noqa: ANN001
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    before = high_water_mb()
    engines, notices = runtime.engines(ocr=ocr), load_rules()
    result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS)
    render_html(result.report, result.pages)
    queue.put((before, high_water_mb(), len(result.pages)))


def peak_rss(folder: Path, ocr: OcrOptions) -> tuple[float, float, int]:
    """(MB after imports, peak MB, pages) of a fresh worker process screening the packet in ``folder``."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_child, args=(folder, ocr, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-rss", action="store_true")
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    print("default OCR options:", OcrOptions().model_dump_json())
    notices = load_rules()
    engines = runtime.engines()
    with tempfile.TemporaryDirectory() as tmp:
        packet_dir = benchmark_packet(Path(tmp) / "bench" / "packet", args.pages)
        naive, strict = Naive(classifier=True), Naive(classifier=False)
        # every model loaded and warmed before any timer
        naive.screen(packet_dir)
        strict.screen(packet_dir)
        pipeline_seconds(packet_dir, engines, notices)
        runs: dict[str, list[float]] = {
            "naive": [], "naive, no line classifier": [], "pipeline": [], "pipeline, 2 page threads": [], "bare OCR": []
        }
        n = 0
        steps = [
            ("naive", lambda: naive.seconds(packet_dir)[0]),
            ("naive, no line classifier", lambda: strict.seconds(packet_dir)[0]),
            ("pipeline", lambda: pipeline_seconds(packet_dir, engines, notices)),
            ("pipeline, 2 page threads", lambda: pipeline_seconds(packet_dir, engines, notices, threads(2))),
            ("bare OCR", lambda: bare_ocr_seconds(packet_dir, engines)[0]),
        ]
        for r in range(args.repeat):
            for name, step in steps[r % len(steps) :] + steps[: r % len(steps)]:
                runs[name].append(step())
        n = bare_ocr_seconds(packet_dir, engines)[1]
        first, again = rescreen(args.pages, engines, notices, Path(tmp))

    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"\nbenchmark packet: {n} pages, medians of {args.repeat} interleaved runs")
    for k, v in med.items():
        print(f"  {k:28} {v:7.2f} s   {v / n:6.3f} s/page   (runs: {', '.join(f'{x:.1f}' for x in runs[k])})")
    print("\ntargets")
    r1, r1s = med["pipeline"] / med["naive"], med["pipeline"] / med["naive, no line classifier"]
    r2 = med["pipeline"] / med["bare OCR"]
    r2t = med["pipeline, 2 page threads"] / med["bare OCR"]
    r3 = first / again
    print(f"  1. packet time / naive              {r1:6.3f}  (without its line classifier {r1s:.3f})  target <= 0.5  {'met' if max(r1, r1s) <= 0.5 else 'NOT met'}")
    print(f"  2. pipeline / own bare OCR          {r2:6.3f}  (2 page threads {r2t:.3f})  target <= 1.0  {'met' if r2 <= 1.0 else 'NOT met'}")
    print(f"  3. first screening / re-screen      {r3:6.0f}x (first {first:.2f} s, re-screen {again * 1000:.0f} ms)  target >= 200x  {'met' if r3 >= 200 else 'NOT met'}")
    if args.no_rss:
        return
    with tempfile.TemporaryDirectory() as tmp:
        packets = {
            "6 A4 pages at 200 DPI": a4_packet(Path(tmp) / "a4"),
            "4 phone photos, 12 Mpx": phone_packet(Path(tmp) / "phone"),
        }
        for what, folder in packets.items():
            for label, ocr in (("default (OpenVINO, 960 px)", OcrOptions()), ("onnxruntime, 2000 px", ONNXRUNTIME)):
                base, peak, pages = peak_rss(folder, ocr)
                print(f"  4. peak RSS {what:24} {label:20} {peak / 1024:5.2f} GB  (after imports {base:.0f} MB; {pages} pages)  "
                      f"target <= 1.0 GB  {'met' if peak <= 1024 else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()
