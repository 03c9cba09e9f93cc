"""Which material a document is, from its words (title words weigh most), as data in
``data/document_types.yaml``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import RulesError
from pipeline.extract import normalize
from pipeline.manifest import Slot
from pipeline.models import TextLine

TYPES_FILE = Path(__file__).parent / "data" / "document_types.yaml"
STRONG, WEAK, TITLE_BONUS = 3.0, 1.0, 2.0


class Keywords(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()


@lru_cache(maxsize=2)
def load_types(path: Path = TYPES_FILE) -> dict[Slot, Keywords]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {Slot(k): Keywords.model_validate(v) for k, v in raw.items()}
    except (OSError, yaml.YAMLError, ValueError, ValidationError) as exc:
        raise RulesError(f"{path.name}: {str(exc).splitlines()[0]}") from None


@dataclass(frozen=True)
class Classification:
    type: Slot | None
    score: float
    scores: dict[Slot, float]
    titled: frozenset[Slot] = frozenset()  # types whose title words (strong keywords) appear
    hits: int = 0  # keywords found, of every type

    def score_of(self, slot: Slot) -> float:
        return self.scores.get(slot, 0.0)


def classify(lines: Sequence[TextLine], types: dict[Slot, Keywords] | None = None) -> Classification:
    """Score every material type on a page's lines; a strong word overrides many weak ones.

    A keyword that is part of a longer matched keyword of another type (公示 inside 公示结果)
    only counts for the longer one.
    """
    types = types or load_types()
    title_lines = [normalize(ln.text) for ln in lines if ln.bbox[1] < 0.25]
    title = "".join(title_lines)
    body = normalize("".join(ln.text for ln in lines))
    all_words = {w for k in types.values() for w in (*k.strong, *k.weak) if GAP not in w}
    scores: dict[Slot, float] = {}
    titled: set[Slot] = set()
    hits = 0
    for slot, kw in types.items():
        s = 0.0
        for weight, words in ((STRONG, kw.strong), (WEAK, kw.weak)):
            for w in words:
                if GAP in w:  # a title's words apart: within one line of the title
                    if any(_gapped(w).search(line) for line in title_lines):
                        s += weight * TITLE_BONUS
                        hits += 1
                        if weight == STRONG:
                            titled.add(slot)
                    continue
                if w in body and not _only_inside_longer(w, body, all_words):
                    s += weight * (TITLE_BONUS if w in title else 1.0)
                    hits += 1
                    if weight == STRONG:
                        titled.add(slot)
        if s:
            scores[slot] = s
    if not scores:
        return Classification(None, 0.0, {})
    best = max(scores, key=scores.get)
    return Classification(best, scores[best], scores, frozenset(titled), hits)


GAP = "…"
"""In a keyword, title words apart in one line of the title: "推荐…的报告" is "关于推荐XXX同志申报副高级
职称的报告" (at most 40 characters between them, no comma or full stop)."""


@lru_cache(maxsize=256)
def _gapped(word: str) -> re.Pattern[str]:
    return re.compile(r"[^，,。；;]{0,40}?".join(re.escape(part) for part in word.split(GAP)))


def _only_inside_longer(word: str, text: str, vocabulary: set[str]) -> bool:
    longer = [w for w in vocabulary if word in w and w != word and w in text]
    if not longer:
        return False
    spans = [(m, m + len(w)) for w in longer for m in _find_all(text, w)]
    return all(any(a <= i and i + len(word) <= b for a, b in spans) for i in _find_all(text, word))


def _find_all(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out
