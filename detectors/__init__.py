"""Page detectors: pure functions ``(page, context) -> list[Finding]``, one module per concern.

``REGISTRY`` maps the names the rules files use under ``checks:`` to each detector's spec: the
function, the config model it reads from ``detector_config:`` and the finding codes it may raise.
Which detector runs on which slot of which track is data (``pipeline/rules/*.yaml``), not code;
the notice loader refuses a name or a config no spec accepts.
``PACKET_CHECKS`` are the rules over the whole packet: ``(manifest, notice, files) -> CheckResult``,
declared the same way.
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
from pipeline.context import DetectorSpec, RuleSpec
from pipeline.models import FindingCode as F


def _codes(*codes: F) -> frozenset[F]:
    return frozenset(codes)


REGISTRY: dict[str, DetectorSpec] = {
    spec.name: spec
    for spec in (
        DetectorSpec("orientation", orientation.detect, _codes(F.ROTATED), reads_text=False),
        DetectorSpec(
            "clarity",
            clarity.detect,
            _codes(F.WRONG_DOCUMENT, F.LOW_RESOLUTION, F.BLURRY, F.POOR_EXPOSURE),
            clarity.ClarityConfig,
            reads_text=clarity.reads_text,
        ),
        DetectorSpec("names", names.detect_name, _codes(F.UNMASKED_NAME)),
        DetectorSpec("employers", names.detect_employer, _codes(F.UNMASKED_EMPLOYER)),
        DetectorSpec("seals", seals.detect, _codes(F.UNMASKED_SEAL, F.UNMASKED_NAME), seals.SealConfig),
        DetectorSpec("eyes", faces.detect_eyes, _codes(F.UNMASKED_EYES), faces.FaceConfig, "faces", reads_text=False),
        DetectorSpec("photo_face", faces.detect_photo, _codes(F.PHOTO_FACE_MISSING), faces.FaceConfig, "faces", reads_text=False),
    )
}

# Packet-level rules, in the order their findings and checklist items appear in the report.
PACKET_CHECKS: tuple[RuleSpec, ...] = (
    RuleSpec("submission", submission.check, _codes(F.LATE_SUBMISSION, F.TOO_MANY_ATTEMPTS)),
    RuleSpec("materials", materials.check, _codes(F.MISSING_MATERIAL, F.WRONG_DOCUMENT)),
    RuleSpec("eligibility", eligibility.check, _codes(F.NOT_ELIGIBLE)),
    RuleSpec("appraisal", appraisal.check, _codes(F.APPRAISAL_YEAR_MISSING, F.APPRAISAL_NOT_EXCELLENT, F.NOT_ELIGIBLE)),
    RuleSpec("continuing_education", continuing_education.check, _codes(F.CE_INCOMPLETE)),
    RuleSpec(
        "unit_documents",
        unit_documents.check,
        _codes(F.PUBLICITY_TOO_SHORT, F.UNSIGNED, F.WORK_SUMMARY_LENGTH, F.SCREENING_ERROR),
    ),
    # across documents: readings already made, compared with each other and with the manifest
    RuleSpec("holder_names", holder_names.check, _codes(F.NAME_MISMATCH)),
    RuleSpec("id_card", id_card.check, _codes(F.ID_EXPIRED)),
    RuleSpec("duplicates", duplicates.check, _codes(F.DUPLICATE_UPLOAD)),
    RuleSpec("document_dates", document_dates.check, _codes(F.DATE_INCONSISTENT)),
)
