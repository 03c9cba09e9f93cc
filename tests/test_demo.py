"""`prescreen demo` end to end: the sample packet's planted problems are found, and nothing else."""

from __future__ import annotations

import json

from prescreen.cli import main


def test_demo_finds_exactly_what_was_left_unmasked_or_unreadable(tmp_path, capsys):
    assert main(["demo", "--dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    found = sorted((f["code"], f["file"]) for f in report["findings"])
    assert found == [
        ("BLURRY", "ce_2024.png"),
        ("CE_INCOMPLETE", None),
        ("ROTATED", "appraisal_2023.jpg"),
        ("UNMASKED_EMPLOYER", "publicity_result.pdf"),  # the name is boxed over in the text layer, the employer is not
        ("UNMASKED_EYES", "diploma.pdf"),  # the photo printed on the diploma
        ("UNMASKED_SEAL", "appraisal_2023.jpg"),
    ]
    assert report["recommendation"] == "return_to_applicant"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count('class="crop"') >= 3  # evidence crops for the located findings
    assert "DEMO-2024-0001: return_to_applicant" in capsys.readouterr().out


def test_the_service_does_not_depend_on_the_sample_generator():
    """scikit-image comes with the "samples" extra only, and nothing the service runs imports it."""
    import subprocess
    import sys
    from importlib.metadata import requires

    runtime_deps = [r for r in requires("prescreen") if "extra ==" not in r]
    assert not any(r.startswith(("scikit-image", "scikit_image")) for r in runtime_deps)
    assert any(r.startswith("scikit-image") and 'extra == "samples"' in r for r in requires("prescreen"))
    probe = (
        "import sys, flows.screen, flows.nightly, review.app, prescreen.cli, pipeline.screen, detectors; "
        "print(sorted(m for m in ('samples', 'skimage') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
