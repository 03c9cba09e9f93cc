"""Checks are declared by specs: the notice loader refuses what no spec accepts, at start-up, in one
line naming the file and the key; a check that raises a code it did not declare is a recorded fault."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.checks import check_packet, detect_page
from pipeline.context import DetectorSpec, RuleSpec
from pipeline.errors import RulesError
from pipeline.manifest import Slot
from pipeline.models import CheckResult, Finding, FindingCode, Page
from pipeline.rules import RULES_DIR, load_rules
from prescreen.cli import main
from tests.factories import manifest


def _rules_with(tmp_path: Path, old: str, new: str) -> Path:
    """The project's rules folder with one edit to the 2024 review notice."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "2024-review.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("  names: [\"*\"]", "  nmaes: [\"*\"]", "checks.nmaes: no such check"),
        ("subsumes:", "detector_config:\n  clarity: {max_blur: 3.0}\n\nsubsumes:", "detector_config.clarity.max_blur: Extra inputs"),
        ("subsumes:", "detector_config:\n  clarity: {max_blur_px: sharp}\n\nsubsumes:", "detector_config.clarity.max_blur_px:"),
        ("subsumes:", "detector_config:\n  faces: {uniform_std: many}\n\nsubsumes:", "detector_config.faces.uniform_std:"),
        ("subsumes:", "detector_config:\n  clarty: {}\n\nsubsumes:", "detector_config.clarty: no check reads it"),
    ],
)
def test_the_loader_refuses_unknown_checks_and_bad_configs(tmp_path, old, new, where):
    folder = _rules_with(tmp_path, old, new)
    load_rules(folder)  # the file itself is valid YAML of a notice: only the checks in use can tell
    with pytest.raises(RulesError) as exc:
        load_rules(folder, REGISTRY, PACKET_CHECKS)
    message = str(exc.value)
    assert message.startswith("rules file 2024-review.yaml: ") and where in message
    assert "\n" not in message


def test_a_good_config_is_accepted_and_reaches_the_detector(tmp_path):
    folder = _rules_with(tmp_path, "subsumes:", "detector_config:\n  clarity: {max_blur_px: 9.5}\n\nsubsumes:")
    notices = load_rules(folder, REGISTRY, PACKET_CHECKS)
    from detectors.clarity import ClarityConfig
    from pipeline.context import PageContext

    m = manifest("review")
    assert PageContext(m, notices[m.track], Slot.diploma).config_for("clarity", ClarityConfig).max_blur_px == 9.5


def test_the_command_line_stops_on_a_bad_rules_file_with_one_line(tmp_path, monkeypatch, capsys):
    from tests.factories import review_packet

    folder = _rules_with(tmp_path, "  seals: [\"*\"]", "  seal: [\"*\"]")
    monkeypatch.setenv("PRESCREEN_RULES_DIR", str(folder))
    packet = review_packet(tmp_path / "packet")
    assert main(["check", str(packet), "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "2024-review.yaml" in err and "checks.seal" in err
    assert not (tmp_path / "r.json").exists()


def test_every_spec_declares_real_codes_and_strict_configs():
    for spec in (*REGISTRY.values(), *PACKET_CHECKS):
        assert spec.codes and spec.codes <= set(FindingCode), spec.name
        if spec.config is not None:
            assert spec.config.model_config.get("extra") == "forbid", spec.name
    assert set(REGISTRY) == {name for notice in load_rules().values() for name in notice.checks}


def _page() -> Page:
    return Page(slot=Slot.diploma, file="d.pdf", number=1, image=np.full((50, 50, 3), 255, np.uint8), lines=())


def test_a_detector_raising_an_undeclared_code_is_a_recorded_fault(context, caplog):
    def lying(page, ctx):
        return [page.finding(FindingCode.UNMASKED_SEAL, "印章未遮盖")]

    spec = DetectorSpec("orientation", lying, frozenset({FindingCode.ROTATED}))
    with caplog.at_level(logging.ERROR):
        found = detect_page(_page(), context(Slot.diploma), {"orientation": spec})
    assert [(f.code, f.evidence) for f in found] == [
        (FindingCode.SCREENING_ERROR, {"detector": "orientation", "error": "UndeclaredCodeError"})
    ]
    assert any(getattr(r, "undeclared_codes", None) == ["UNMASKED_SEAL"] for r in caplog.records)
    caplog.clear()  # this test's undeclared code is on purpose (see conftest: any other fails its test)

    honest = replace(spec, codes=frozenset({FindingCode.ROTATED, FindingCode.UNMASKED_SEAL}))
    assert [f.code for f in detect_page(_page(), context(Slot.diploma), {"orientation": honest})] == [FindingCode.UNMASKED_SEAL]


def test_a_packet_rule_raising_an_undeclared_code_is_a_recorded_fault(notices, caplog):
    m = manifest("review")

    def rule(m, notice, files):
        return CheckResult(findings=(Finding.of(FindingCode.CE_INCOMPLETE, "继续教育不全"),))

    result = check_packet(m, notices[m.track], [], (RuleSpec("late", rule, frozenset({FindingCode.LATE_SUBMISSION})),))
    assert [f.code for f in result.findings] == [FindingCode.SCREENING_ERROR]
    caplog.clear()


def test_a_config_model_refuses_unknown_keys():
    for spec in REGISTRY.values():
        if spec.config is not None:
            with pytest.raises(ValueError):
                spec.config.model_validate({"no_such_threshold": 1})
            assert isinstance(spec.config(), BaseModel)
