"""OCR cost, side by side in one run: the backend (onnxruntime, today's, against OpenVINO), the text
detector's input size (long side 960/1280/1600 px, or derived from the page's own text height),
the recognition batch, and not OCR-ing pages no check reads text from (the 2025 photo).

Part 1, time: every page of the benchmark packet (bench_pipeline's, 20 scanned pages) and of a
40-page mixed 2025 packet (scans, phone photos, a photocopy, pages turned, the photo, the ID card,
a PDF) is decoded once and read by every configuration in turn, the order rotating from page to
page (the machine is shared: interleaving spreads its noise over all of them). The time is the
reading stage (orientation model, its second opinion on unsure pages, OCR): what the options
change. Printed: median and mean seconds per page, and the mean over today's.

Part 2 (``--recall``), what each configuration finds: the text-based findings of the evaluations
(``eval_masking``, ``eval_rules``, ``eval_sources generated``), each run in a child process with the
configuration in its environment. Today's configuration runs first on the whole sets; the others
on a subset (``--every K``) that always includes every case today's got wrong, so a subset's
figures never leave a known failure out; ``--full`` runs every configuration on the whole sets.

    python bench/bench_ocr.py                       # the time table
    python bench/bench_ocr.py --recall --every 4    # and the recall table
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from packets import benchmark_packet, mixed_packet  # noqa: E402

from detectors import REGISTRY  # noqa: E402
from pipeline.context import PageContext, ScreenOptions, text_needed  # noqa: E402
from pipeline.documents import Document, ReadLimits  # noqa: E402
from pipeline.manifest import Slot  # noqa: E402
from pipeline.ocr import OcrOptions  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.reading import read_page  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from prescreen import runtime  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True)
class Config:
    name: str
    ocr: OcrOptions
    read_all: bool = True  # OCR every page (today); False: not a page no check reads text from, unless text is found on it

    def env(self) -> dict[str, str]:
        return {
            "PRESCREEN_OCR__BACKEND": self.ocr.backend,
            "PRESCREEN_OCR__DET_SIDE_PX": str(self.ocr.det_side_px),
            "PRESCREEN_OCR__DET_TEXT_PX": str(self.ocr.det_text_px),
            "PRESCREEN_OCR__REC_BATCH": str(self.ocr.rec_batch),
            "BENCH_READ_UNNEEDED_TEXT": "1" if self.read_all else "0",
        }


ORT, OV = "onnxruntime", "openvino"
TODAY = Config("onnxruntime (today)", OcrOptions(backend=ORT, det_side_px=0, rec_batch=6))
CONFIGS = [
    TODAY,
    Config("openvino", OcrOptions(backend=OV, det_side_px=0)),
    Config("openvino det 960", OcrOptions(backend=OV, det_side_px=960)),
    Config("openvino det 1280", OcrOptions(backend=OV, det_side_px=1280)),
    Config("openvino det 1600", OcrOptions(backend=OV, det_side_px=1600)),
    Config("openvino det text 16px", OcrOptions(backend=OV, det_text_px=16)),
    Config("openvino batch 16", OcrOptions(backend=OV, rec_batch=16)),
    Config("openvino batch 32", OcrOptions(backend=OV, rec_batch=32)),
    Config("default, every page read", OcrOptions()),
    Config("default (chosen)", OcrOptions(), read_all=False),
]


# ---------------------------------------------------------------- 1. time


def time_packet(packet_dir: Path, configs: list[Config]) -> dict[str, list[float]]:
    """Seconds of the reading stage per page, per configuration, interleaved page by page."""
    packet = load_packet(packet_dir)
    notices = load_rules()
    m = packet.manifest
    engines = {c.name: runtime.engines(ocr=c.ocr) for c in configs}
    options = {c.name: ScreenOptions(read_unneeded_text=c.read_all) for c in configs}
    times: dict[str, list[float]] = {c.name: [] for c in configs}
    k = 0
    for slot, file in m.files():
        doc = Document(packet.source.read(file, 10**9), file, ReadLimits())
        text = text_needed(PageContext(m, notices[m.track], slot), REGISTRY)
        for n in range(1, doc.page_count + 1):
            src = doc.page(n)
            order = configs[k % len(configs) :] + configs[: k % len(configs)]
            k += 1
            for c in order:
                start = time.perf_counter()
                read_page(src, engines[c.name], options[c.name], photo=slot is Slot.photo, text=text)
                times[c.name].append(time.perf_counter() - start)
            del src
        doc.close()
    return times


def print_times(title: str, times: dict[str, list[float]]) -> None:
    base = statistics.fmean(times[TODAY.name])
    n = len(next(iter(times.values())))
    print(f"\n{title}: {n} pages, reading stage (orientation + OCR), seconds per page")
    print(f"  {'configuration':28} {'median':>7} {'mean':>7} {'/today':>7}")
    for name, ts in times.items():
        print(f"  {name:28} {statistics.median(ts):7.3f} {statistics.fmean(ts):7.3f} {statistics.fmean(ts) / base:7.2f}")


# ---------------------------------------------------------------- 2. recall

EVALS = {
    "masking": ["eval_masking.py"],
    "rules": ["eval_rules.py"],
    "sources": ["eval_sources.py", "generated", "--no-clean"],
}
TEXT_CODES = (
    "UNMASKED_NAME", "UNMASKED_EMPLOYER", "UNMASKED_SEAL", "WRONG_DOCUMENT", "BLURRY", "ROTATED",
    "APPRAISAL_NOT_EXCELLENT", "APPRAISAL_YEAR_MISSING", "CE_INCOMPLETE", "PUBLICITY_TOO_SHORT", "UNSIGNED",
    "WORK_SUMMARY_LENGTH", "NOT_ELIGIBLE", "PHOTO_FACE_MISSING",
)
LINE = re.compile(r"^\s+(\w+)\s+precision ([\d.]+)\s+recall ([\d.]+)\s+\(tp (\d+), fp (\d+), fn (\d+)\)")
EXACT = re.compile(r"^appraisal extraction: (\d+)/(\d+) forms")


def run_eval(name: str, config: Config, extra: list[str], log_dir: Path) -> tuple[str, float]:
    env = os.environ | config.env()
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(BENCH / EVALS[name][0]), *EVALS[name][1:], *extra],
        env=env, capture_output=True, text=True, cwd=ROOT, check=False,
    )
    seconds = time.perf_counter() - start
    text = out.stdout + ("\n" + out.stderr[-2000:] if out.returncode else "")
    (log_dir / f"{name}-{re.sub(r'[^a-z0-9]+', '_', config.name.lower())}.txt").write_text(text, encoding="utf-8")
    return text, seconds


def failures(output: str) -> set[str]:
    """Labels of the cases an evaluation got wrong (missed or false findings, appraisal forms misread)."""
    out = set()
    for ln in output.splitlines():
        ln = ln.strip()
        if m := re.match(r"^(missed|false) \w+: (.*)$", ln):
            label = m.group(2)
            if label.startswith("generated: "):
                label = label.removeprefix("generated: ").rsplit(" -> ", 1)[0]
            out.add(label)
        elif ln.startswith("wrong form: "):
            out.add(ln.removeprefix("wrong form: "))
    return out


def counts(output: str) -> dict[str, tuple[int, int, int]]:
    got = {}
    for ln in output.splitlines():
        if m := LINE.match(ln):
            got[m.group(1)] = tuple(int(x) for x in m.group(4, 5, 6))
        elif m := EXACT.match(ln):
            got["appraisal forms exact"] = (int(m.group(1)), 0, int(m.group(2)) - int(m.group(1)))
    return got


def recall_table(configs: list[Config], every: int, full: bool, log_dir: Path, today_whole: bool = True) -> None:
    keep_file = log_dir / "known_failures.txt"
    results: dict[str, dict[str, tuple[int, int, int]]] = {}
    cases: dict[str, str] = {}
    for c in configs:
        whole = full or (c is TODAY and today_whole)
        extra = [] if whole else ["--every", str(every), "--keep", str(keep_file)]
        merged: dict[str, tuple[int, int, int]] = {}
        spent = 0.0
        for name in EVALS:
            text, seconds = run_eval(name, c, extra, log_dir)
            spent += seconds
            if c is TODAY:
                with keep_file.open("a", encoding="utf-8") as f:
                    f.write("".join(f"{label}\n" for label in sorted(failures(text))))
            for code, (tp, fp, fn) in counts(text).items():
                a = merged.get(code, (0, 0, 0))
                merged[code] = (a[0] + tp, a[1] + fp, a[2] + fn)
        results[c.name] = merged
        cases[c.name] = "all" if whole else f"1/{every}+fails"
        print(f"  evaluated {c.name} on {cases[c.name]} in {spent:.0f} s", flush=True)
    codes = [k for k in (*TEXT_CODES, "appraisal forms exact") if any(k in r for r in results.values())]
    print("\nrecall of text-based findings (tp/(tp+fn); precision in brackets) per configuration")
    print(f"  {'code':26}" + "".join(f"{c.name[:22]:>24}" for c in configs))
    print(f"  {'cases':26}" + "".join(f"{cases[c.name]:>24}" for c in configs))
    for code in codes:
        row = ""
        for c in configs:
            tp, fp, fn = results[c.name].get(code, (0, 0, 0))
            r = tp / (tp + fn) if tp + fn else 1.0
            p = tp / (tp + fp) if tp + fp else 1.0
            row += f"{f'{r:.3f} ({p:.2f}) {tp}/{tp + fn}':>24}"
        print(f"  {code:26}{row}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20, help="pages of the benchmark packet")
    ap.add_argument("--mixed", type=int, default=40, help="pages of the mixed packet")
    ap.add_argument("--recall", action="store_true", help="also run the evaluations per configuration")
    ap.add_argument("--no-time", action="store_true", help="only the recall table")
    ap.add_argument("--every", type=int, default=4, help="recall on every K-th case (plus today's failures)")
    ap.add_argument("--full", action="store_true", help="recall on every case for every configuration")
    ap.add_argument("--only", nargs="*", help="configurations by name (today's always runs)")
    ap.add_argument("--logs", type=Path, default=None, help="keep each evaluation's output here")
    ap.add_argument(
        "--known-failures", type=Path, default=None,
        help="labels of the cases today's configuration got wrong on the whole sets (from an earlier full run): "
        "every configuration, today's too, then runs on the same subset, which includes them",
    )
    ap.add_argument("--evals", nargs="*", default=list(EVALS), help=f"which evaluations ({', '.join(EVALS)})")
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    configs = [c for c in CONFIGS if not args.only or c is TODAY or c.name in args.only]
    print("default OCR options:", OcrOptions().model_dump_json())
    if not args.no_time:
        with tempfile.TemporaryDirectory() as tmp:
            bench = benchmark_packet(Path(tmp) / "bench" / "packet", args.pages)
            mixed = mixed_packet(Path(tmp) / "mixed", args.mixed)
            for c in configs:  # every model loaded and warmed before any timer
                runtime.engines(ocr=c.ocr).ocr.read(Document((mixed / "photo.jpg").read_bytes(), "w.jpg", ReadLimits()).page(1).image)
            print_times("benchmark packet", time_packet(bench, configs))
            print_times("mixed packet", time_packet(mixed, configs))
    if args.recall:
        log_dir = args.logs or Path(tempfile.mkdtemp(prefix="bench_ocr_"))
        log_dir.mkdir(parents=True, exist_ok=True)
        known = args.known_failures.read_text(encoding="utf-8") if args.known_failures else ""
        (log_dir / "known_failures.txt").write_text(known, encoding="utf-8")
        for name in [e for e in EVALS if e not in args.evals]:
            del EVALS[name]
        print(f"\nevaluation outputs in {log_dir}; evaluations: {', '.join(EVALS)}")
        recall_table(configs, args.every, args.full, log_dir, today_whole=args.known_failures is None)


if __name__ == "__main__":
    main()
