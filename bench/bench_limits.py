"""Hostile uploads end as findings or a one-line error, in bounded time and memory.

Each case is a packet screened by ``prescreen check`` in a fresh process under
``/usr/bin/time -v`` (wall time, peak RSS of the process); ``--flow`` screens the heavy cases
through the Prefect flow as well. The cases:

- a PDF whose one page is 1,000,000 x 1,000,000 pt (526 bytes of PDF);
- a 2,000-page PDF, every page a scanned A4 sheet (one image, drawn on every page);
- a 400-frame TIFF of A4 scans;
- a packet of 5,000 one-page files;
- a 50 MB manifest;
- a TIFF of 100,000 one-pixel frames (10 MB);
- a 16-bit grey PNG of 120 Mpx and a 1-bit TIFF of 120 Mpx (a few hundred KB each);
- a 40 KB PDF whose one page's drawing instructions inflate to 40 MB;
- a truncated JPEG.

    python bench/bench_limits.py [--flow] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pymupdf  # noqa: E402
from PIL import Image  # noqa: E402

from samples import generate as S  # noqa: E402

BUDGET_S, RSS_GB = 180, 1.5


def huge_page(root: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=1_000_000, height=1_000_000)
    page.insert_text((100, 100), "x", fontsize=12)
    return _packet(root, "diploma", "diploma.pdf", doc.tobytes(garbage=3, deflate=True))


def pdf_2000_pages(root: Path) -> Path:
    scan = S.encode_image(S.render_html(S.appraisal_html(S.Person(), 2024), dpi=150), "jpeg")
    doc = pymupdf.open()
    xref = 0
    for _ in range(2000):
        page = doc.new_page(width=595, height=842)
        xref = page.insert_image(page.rect, stream=scan, xref=xref) if not xref else page.insert_image(page.rect, xref=xref)
    return _packet(root, "annual_appraisal", "appraisals.pdf", doc.tobytes(garbage=3, deflate=True))


def tiff_400_frames(root: Path) -> Path:
    page = S.render_html(S.ce_certificate_html(S.Person(), 2024), dpi=150)
    frame = Image.fromarray(page[:, :, 0])  # grey, as scanners send multi-page TIFFs
    buf = io.BytesIO()
    frame.save(buf, format="TIFF", save_all=True, append_images=[frame] * 399, compression="tiff_deflate", dpi=(150, 150))
    return _packet(root, "ce_certificate", "ce.tif", buf.getvalue())


def files_5000(root: Path) -> Path:
    b = S.PacketBuilder(root / "packet", application_id="HOSTILE-FILES", track="review")
    small = S.encode_image(np.full((64, 64, 3), 255, np.uint8), "png")
    for i in range(5000):
        b.add("annual_appraisal", f"page_{i:04d}.png", small)
    return b.write().parent


def manifest_50mb(root: Path) -> Path:
    b = S.PacketBuilder(root / "packet", application_id="HOSTILE-MANIFEST", track="review")
    b.add("diploma", "diploma.jpg", S.encode_image(S.render_html(S.diploma_html(), dpi=100), "jpeg"))
    manifest = b.write()
    with manifest.open("a", encoding="utf-8") as fh:
        line = "# " + "x" * 1021 + "\n"
        for _ in range(50 * 1024):
            fh.write(line)
    return manifest.parent


def tiff_100k_frames(root: Path) -> Path:
    """Written by hand: Pillow's own writer takes minutes on this many frames. Every frame is one
    white grey pixel, all pointing at the same byte."""
    n, entries = 100_000, 7
    ifd_size = 2 + 12 * entries + 4
    pixel = 8
    out = bytearray(b"II*\x00" + struct.pack("<I", 16) + b"\xff" + b"\x00" * 7)
    for i in range(n):
        at = 16 + i * ifd_size
        nxt = at + ifd_size if i < n - 1 else 0
        tags = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (262, 3, 1), (273, 4, pixel), (278, 3, 1), (279, 4, 1)]
        out += struct.pack("<H", entries) + b"".join(struct.pack("<HHII", t, k, 1, v) for t, k, v in tags) + struct.pack("<I", nxt)
    return _packet(root, "ce_certificate", "ce.tif", bytes(out))


def _large_scan() -> np.ndarray:
    """A 12,600 x 9,500 page (120 Mpx, just under the pixel limit): a 150-DPI appraisal drawn large."""
    page = S.render_html(S.appraisal_html(S.Person(), 2024), dpi=150)[:, :, 0]
    return np.asarray(Image.fromarray(page).resize((9_500, 12_600), Image.Resampling.NEAREST))


def png_16bit_120mpx(root: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray(_large_scan().astype(np.uint16) * 257).save(buf, format="PNG")
    return _packet(root, "annual_appraisal", "appraisal.png", buf.getvalue())


def tiff_1bit_120mpx(root: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray(_large_scan() > 128).save(buf, format="TIFF", compression="group4", dpi=(600, 600))
    return _packet(root, "annual_appraisal", "appraisal.tif", buf.getvalue())


def pdf_inflating_40mb(root: Path) -> Path:
    doc = pymupdf.open(stream=S.html_pdf([S.work_summary_html(S.Person())]), filetype="pdf")
    doc.subset_fonts()
    xref = doc[0].get_contents()[0]
    doc.update_stream(xref, doc.xref_stream(xref) + b"\n" + b"q Q " * (10 * 2**20))
    return _packet(root, "work_summary", "summary.pdf", doc.tobytes(garbage=3, deflate=True))


def truncated_jpeg(root: Path) -> Path:
    data = S.encode_image(S.render_html(S.diploma_html(), dpi=150), "jpeg")
    return _packet(root, "diploma", "diploma.jpg", data[: len(data) // 3])


CASES = {
    "page-1e6-pt": huge_page,
    "pdf-2000-pages": pdf_2000_pages,
    "tiff-400-frames": tiff_400_frames,
    "packet-5000-files": files_5000,
    "manifest-50MB": manifest_50mb,
    "tiff-100k-frames": tiff_100k_frames,
    "png-16bit-120Mpx": png_16bit_120mpx,
    "tiff-1bit-120Mpx": tiff_1bit_120mpx,
    "pdf-inflating-40MB": pdf_inflating_40mb,
    "truncated-jpeg": truncated_jpeg,
}
HEAVY = ("pdf-2000-pages", "tiff-400-frames")


def _packet(root: Path, slot: str, name: str, data: bytes) -> Path:
    b = S.PacketBuilder(root / "packet", application_id="HOSTILE-0001", track="review")
    b.add(slot, name, data)
    return b.write().parent


def run(folder: Path, out: Path, flow: bool) -> dict:
    cmd = ["/usr/bin/time", "-v", str(ROOT / ".venv/bin/prescreen"), "check", str(folder), "--out", str(out)]
    if flow:
        cmd.append("--flow")
    env = os.environ | {"PRESCREEN_LOCAL_ROOT": str(out.parent / "store"), "PRESCREEN_DATABASE_URL": f"sqlite:///{out.parent}/r.db"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    wall = time.perf_counter() - started
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("prescreen:")]
    outcome = errors[0] if errors else ""
    if out.exists():
        report = json.loads(out.read_text())
        codes = Counter(f["code"] for f in report["findings"])
        pages = sum(len(d["pages"]) for d in report["documents"])
        outcome = f"{pages} pages screened; " + ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))
    return {"exit": proc.returncode, "wall_s": wall, "rss_gb": rss_kb / 2**20, "outcome": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", action="store_true", help="also screen the heavy cases through the Prefect flow")
    parser.add_argument("--only", nargs="+", choices=list(CASES), help="run these cases only")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; budget {BUDGET_S} s and {RSS_GB} GB per case")
    print(f"{'case':<18} {'how':<5} {'input':>9} {'exit':>4} {'wall s':>7} {'peak RSS GB':>11} {'ok':>3}  outcome")
    for name in args.only or list(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            folder = CASES[name](Path(tmp))
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            for how in ("cli", "flow") if args.flow and name in HEAVY else ("cli",):
                r = run(folder, Path(tmp) / f"{how}.json", how == "flow")
                ok = r["exit"] in (0, 2) and r["wall_s"] <= BUDGET_S and r["rss_gb"] <= RSS_GB
                print(
                    f"{name:<18} {how:<5} {size / 2**20:>7.1f}MB {r['exit']:>4} {r['wall_s']:>7.1f} {r['rss_gb']:>11.2f} "
                    f"{'yes' if ok else 'NO':>3}  {r['outcome'][:150]}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
