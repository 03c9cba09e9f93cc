"""Page detectors: pure functions ``(page, context) -> list[Finding]``, one module per concern.

``REGISTRY`` maps the names the rules files use to the detector callables; which detector
runs on which slot of which track is data (``pipeline/rules/*.yaml``), not code.
"""

from __future__ import annotations

from detectors import clarity, orientation
from pipeline.screen import Detector

REGISTRY: dict[str, Detector] = {
    "orientation": orientation.detect,
    "clarity": clarity.detect,
}
