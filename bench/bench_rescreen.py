"""Re-screening an unchanged packet against screening it the first time, side by side in one run.

Two paths, each run cold (empty page cache) and then again on the same bytes:

- core: ``screen_packet`` with the store-backed page cache, then publishing the report;
- flow: the ``prescreen-application`` Prefect flow (temporary local server), as the nightly
  run calls it for a packet still awaiting review.

    python bench/bench_rescreen.py [--pages 12]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_pipeline import build_packet  # noqa: E402
from detectors import PACKET_CHECKS, REGISTRY  # noqa: E402
from pipeline.packet import load_packet  # noqa: E402
from pipeline.rules import load_rules  # noqa: E402
from pipeline.screen import screen_packet  # noqa: E402
from prescreen import runtime  # noqa: E402
from storage.cache import StoreCache  # noqa: E402
from storage.objectstore import LocalStore  # noqa: E402
from storage.reports import publish_result  # noqa: E402


def core_once(folder: Path, store: LocalStore, prefix: str) -> tuple[float, bool]:
    engines, notices = runtime.engines(), load_rules()
    t = time.perf_counter()
    result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS, cache=StoreCache(store))
    published = publish_result(store, prefix, result)
    return time.perf_counter() - t, published.new


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=12)
    args = ap.parse_args()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    runtime.engines()  # models loaded before any timer
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        folder = root / "uploads" / "BENCH-0001"
        build_packet(folder, args.pages)
        store = LocalStore(root)

        cold, new1 = core_once(folder, store, "uploads/BENCH-0001")
        warm, new2 = core_once(folder, store, "uploads/BENCH-0001")
        print(f"core  first screening {cold:7.2f} s   re-screen unchanged {warm:6.3f} s   ratio {cold / warm:6.1f}x"
              f"   (new report: {new1} then {new2})")

        os.environ["PRESCREEN_DATABASE_URL"] = f"sqlite:///{tmp}/review.db"
        from storage.migrate import upgrade

        upgrade(os.environ["PRESCREEN_DATABASE_URL"])
        from flows import screen as flow_module

        flow_module.settings.cache_clear()
        flow_root = Path(tmp) / "flowstore"
        build_packet(flow_root / "uploads" / "BENCH-0002", args.pages)
        t = time.perf_counter()
        first = flow_module.prescreen_application(prefix="uploads/BENCH-0002", root=str(flow_root))
        f_cold = time.perf_counter() - t
        t = time.perf_counter()
        again = flow_module.prescreen_application(prefix="uploads/BENCH-0002", root=str(flow_root))
        f_warm = time.perf_counter() - t
        print(f"flow  first screening {f_cold:7.2f} s   re-screen unchanged {f_warm:6.3f} s   ratio {f_cold / f_warm:6.1f}x"
              f"   (new report: {first['new_version']} then {again['new_version']})")
        print(f"pages {args.pages}; goal: re-screen at least 20x faster than the first screening")


if __name__ == "__main__":
    main()
