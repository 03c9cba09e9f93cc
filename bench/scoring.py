"""Precision/recall bookkeeping shared by the evaluations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


class Tally:
    def __init__(self) -> None:
        self.tp: dict[str, int] = defaultdict(int)
        self.fp: dict[str, int] = defaultdict(int)
        self.fn: dict[str, int] = defaultdict(int)
        self.errors: list[str] = []

    def record(self, codes: Iterable[str], expected: set[str], got: set[str], label: str) -> None:
        """Score one sample: for every code, was it expected, and was it found."""
        for code in codes:
            if code in got and code in expected:
                self.tp[code] += 1
            elif code in got:
                self.fp[code] += 1
                self.errors.append(f"false {code}: {label}")
            elif code in expected:
                self.fn[code] += 1
                self.errors.append(f"missed {code}: {label}")

    def lines(self, codes: Iterable[str]) -> list[str]:
        out = []
        for code in codes:
            tp, fp, fn = self.tp[code], self.fp[code], self.fn[code]
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            out.append(f"  {code:24} precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp}, fn {fn})")
        return out + [f"    {e}" for e in self.errors]


# ---------------------------------------------------------------- what the evaluations run with

EVERY_FLAG, KEEP_FLAG = "--every", "--keep"


def engines_and_options():  # noqa: ANN201 - (Engines, ScreenOptions)
    """The models and options an evaluation screens with: the defaults, or the OCR options in the
    environment (``PRESCREEN_OCR__BACKEND``, ``PRESCREEN_OCR__DET_SIDE_PX``, ...; ``bench_ocr.py`` sets
    them per configuration) and ``BENCH_READ_UNNEEDED_TEXT=1`` to OCR pages no check reads text from."""
    import os

    from pipeline.context import ScreenOptions
    from prescreen import runtime
    from prescreen.settings import Settings

    settings = Settings()
    options = runtime.options_for(settings).model_copy(update={"read_unneeded_text": os.environ.get("BENCH_READ_UNNEEDED_TEXT") == "1"})
    assert isinstance(options, ScreenOptions)
    return runtime.engines_for(settings), options


def subset_args(argv: list[str]) -> tuple[int, set[str], list[str]]:
    """``--every K`` keeps every K-th case, ``--keep FILE`` every case whose label is a line of FILE
    (the cases a full run got wrong: a subset never leaves out a known failure); the rest of argv."""
    every, keep, rest = 1, set(), []
    it = iter(argv)
    for a in it:
        if a == EVERY_FLAG:
            every = int(next(it))
        elif a == KEEP_FLAG:
            keep = {ln.strip() for ln in Path(next(it)).read_text(encoding="utf-8").splitlines() if ln.strip()}
        else:
            rest.append(a)
    return every, keep, rest


def kept(i: int, label: str, every: int, keep: set[str]) -> bool:
    return every <= 1 or i % every == 0 or label in keep
