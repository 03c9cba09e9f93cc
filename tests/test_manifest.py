"""Intake: a bad manifest or a path escaping the packet is one line on stderr and exit code 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.manifest import Slot, Track, parse_manifest
from pipeline.packet import load_packet
from prescreen.cli import main
from samples.generate import PacketBuilder


def _manifest(**changes) -> dict:
    m = PacketBuilder(Path("x")).manifest()
    m["materials"] = [{"slot": "diploma", "files": ["diploma.pdf"]}]
    for key, value in changes.items():
        m[key] = value
    return m


def _applicant(**changes) -> dict:
    applicant = PacketBuilder(Path("x")).manifest()["applicant"]
    return {"applicant": applicant | changes}


def test_valid_manifest_yaml_with_native_dates():
    text = """
application_id: "2025-000123"
track: fhj_three_year
applicant:
  name: 阿依古丽·买买提
  employer: 乌鲁木齐市第十中学
  employer_type: public_institution
  education: {level: bachelor, full_time: true, foreign: false, graduated_on: 2016-07-01}
  work_started_on: 2016-08-01
  current_title: {level: intermediate, obtained_on: 2019-12-31}
submission: {submitted_at: 2025-06-02T10:30:00+08:00, attempt: 1, returned_at: null}
materials:
  - slot: annual_appraisal
    files: [appraisal_2022.pdf, appraisal_2023.pdf]
"""
    m = parse_manifest(text, source="manifest.yaml")
    assert m.track is Track.fhj_three_year
    assert m.files() == [(Slot.annual_appraisal, "appraisal_2022.pdf"), (Slot.annual_appraisal, "appraisal_2023.pdf")]
    assert m.submission.submitted_at.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    ("changes", "expect"),
    [
        ({"track": "fast_track"}, "track"),
        ({"application_id": "bad id!"}, "application_id"),
        ({"application_id": "x" * 65}, "application_id"),
        ({"materials": [{"slot": "passport", "files": ["a.pdf"]}]}, "materials.0.slot"),
        ({"materials": [{"slot": "diploma", "files": ["../other/a.pdf"]}]}, "escapes the packet"),
        ({"materials": [{"slot": "diploma", "files": ["/etc/passwd"]}]}, "escapes the packet"),
        ({"materials": [{"slot": "diploma", "files": ["C:\\\\x.pdf"]}]}, "escapes the packet"),
        ({"submission": {"attempt": 1}}, "submission.submitted_at"),
        ({"applicant": {"name": "张三"}}, "applicant"),
        # a year that cannot be compared in Beijing time, or a typing error: refused, not a traceback
        ({"submission": {"submitted_at": "9999-12-31T23:59:59+14:00"}}, "submission.submitted_at"),
        (_applicant(work_started_on="0001-01-01"), "applicant.work_started_on"),
        (_applicant(education={"level": "bachelor", "graduated_on": "2999-07-01"}), "applicant.education.graduated_on"),
        # a name no page can be searched for
        (_applicant(name="\u200b\u200d "), "applicant.name"),
        (_applicant(employer="\u202e"), "applicant.employer"),
    ],
)
def test_invalid_manifest_exits_2_with_one_line(tmp_path, capsys, changes, expect):
    packet = tmp_path / "p"
    packet.mkdir()
    (packet / "manifest.json").write_text(json.dumps(_manifest(**changes), ensure_ascii=False), encoding="utf-8")
    code = main(["check", str(packet), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("prescreen: error:")
    assert expect in err
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("text", ["::: not yaml [", "- just\n- a list\n", ""])
def test_unparseable_manifest(tmp_path, text):
    (tmp_path / "manifest.yaml").write_text(text)
    with pytest.raises(InputError):
        load_packet(tmp_path)


def test_symlink_out_of_packet_is_refused(tmp_path, capsys):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4")
    packet = tmp_path / "p"
    packet.mkdir()
    os.symlink(outside, packet / "diploma.pdf")
    (packet / "manifest.json").write_text(json.dumps(_manifest(), ensure_ascii=False))
    assert main(["check", str(packet), "--out", str(tmp_path / "r.json")]) == 2
    assert "escapes the packet" in capsys.readouterr().err


def test_invisible_characters_are_taken_out_of_names():
    m = parse_manifest(json.dumps(_manifest(**_applicant(name=" 张\u200b三\u200d", employer="乌鲁木齐市\u200b第十中学"))), source="m.json")
    assert (m.applicant.name, m.applicant.employer) == ("张三", "乌鲁木齐市第十中学")


def test_a_manifest_linking_out_of_its_folder_is_refused(tmp_path, capsys):
    outside = tmp_path / "other" / "manifest.json"
    outside.parent.mkdir()
    outside.write_text(json.dumps(_manifest(), ensure_ascii=False))
    packet = tmp_path / "p"
    packet.mkdir()
    os.symlink(outside, packet / "manifest.json")
    assert main(["check", str(packet), "--out", str(tmp_path / "r.json")]) == 2
    assert "links outside the packet folder" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_no_manifest(tmp_path, capsys):
    assert main(["check", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    assert "no manifest" in capsys.readouterr().err
