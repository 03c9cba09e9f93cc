"""Precision/recall bookkeeping shared by the evaluations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


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
