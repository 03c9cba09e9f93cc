"""Page detectors: pure functions ``(page, context) -> list[Finding]``, one module per concern.

``REGISTRY`` maps the names the rules files use to the detector callables; which detector
runs on which slot of which track is data (``pipeline/rules/*.yaml``), not code.
``PACKET_CHECKS`` are the rules over the whole packet: ``(manifest, notice, files) -> CheckResult``.
"""

from __future__ import annotations

from detectors import (
    appraisal,
    clarity,
    continuing_education,
    document_dates,
    duplicates,
    eligibility,
    faces,
    holder_names,
    id_card,
    materials,
    names,
    orientation,
    seals,
    submission,
    unit_documents,
)
from pipeline.screen import Detector, PacketCheck

REGISTRY: dict[str, Detector] = {
    "orientation": orientation.detect,
    "clarity": clarity.detect,
    "names": names.detect_name,
    "employers": names.detect_employer,
    "seals": seals.detect,
    "eyes": faces.detect_eyes,
    "photo_face": faces.detect_photo,
}

# Packet-level rules, in the order their findings and checklist items appear in the report.
PACKET_CHECKS: tuple[PacketCheck, ...] = (
    submission.check,
    materials.check,
    eligibility.check,
    appraisal.check,
    continuing_education.check,
    unit_documents.check,
    # across documents: readings already made, compared with each other and with the manifest
    holder_names.check,
    id_card.check,
    duplicates.check,
    document_dates.check,
)
