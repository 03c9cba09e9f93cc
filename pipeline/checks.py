"""Running the checks: the page detectors the rules assign to a slot, and the packet-level rules.

A check that raises, or returns a finding whose code it did not declare in its spec, is
recorded as a ``SCREENING_ERROR`` for the auditor; the rest of the page or packet goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from pipeline.context import DetectorSpec, FileResult, PageContext, RuleSpec
from pipeline.errors import PrescreenError
from pipeline.manifest import Manifest
from pipeline.models import ChecklistItem, CheckResult, Finding, FindingCode, Page
from pipeline.rules import Notice

log = logging.getLogger(__name__)


class UndeclaredCodeError(PrescreenError):
    """A check returned a finding code its spec does not declare: a bug in the check or its spec."""


def declared(spec: DetectorSpec | RuleSpec, findings: Iterable[Finding]) -> list[Finding]:
    """The findings, if every code is one the spec declares; ``UndeclaredCodeError`` otherwise."""
    findings = list(findings)
    undeclared = sorted({f.code.value for f in findings} - {c.value for c in spec.codes})
    if undeclared:
        log.error("check %s raised undeclared code(s) %s", spec.name, undeclared, extra={"undeclared_codes": undeclared})
        raise UndeclaredCodeError(f"check {spec.name!r} raised {', '.join(undeclared)}, not declared in its spec")
    return findings


def without_subsumed(findings: list[Finding], subsumes: Mapping[FindingCode, tuple[FindingCode, ...]]) -> list[Finding]:
    """Drop a finding whose box lies inside the box of a finding that already says it (the
    employer's name read off an unmasked seal is that seal's finding, not a second one)."""

    def inside(inner: Finding, outer: Finding) -> bool:
        if inner.bbox is None or outer.bbox is None:
            return False
        cx, cy = (inner.bbox[0] + inner.bbox[2]) / 2, (inner.bbox[1] + inner.bbox[3]) / 2
        return outer.bbox[0] <= cx <= outer.bbox[2] and outer.bbox[1] <= cy <= outer.bbox[3]

    return [
        f for f in findings
        if not any(f.code in subsumes.get(g.code, ()) and inside(f, g) for g in findings if g is not f)
    ]


def detect_page(page: Page, ctx: PageContext, detectors: Mapping[str, DetectorSpec]) -> list[Finding]:
    """Run every detector the rules assign to this slot; one that fails is recorded, not fatal."""
    findings: list[Finding] = []
    for name in sorted(ctx.notice.checks_for(page.slot)):
        spec = detectors.get(name)
        if spec is None:  # the notice loader refuses unknown names; a caller may still pass fewer checks
            continue
        try:
            findings.extend(declared(spec, spec(page, ctx)))
        except Exception as exc:  # a detector bug must not lose the packet
            log.error("detector %s failed on %s page %d: %s", name, page.file, page.number, _one_line(exc), exc_info=_trace())
            findings.append(
                page.finding(
                    FindingCode.SCREENING_ERROR,
                    f"自动检查“{name}”在本页出错，请人工审核本页",
                    evidence={"detector": name, "error": type(exc).__name__},
                )
            )
    return without_subsumed(findings, ctx.notice.subsumes)


def check_packet(manifest: Manifest, notice: Notice, files: list[FileResult], rules: Iterable[RuleSpec]) -> CheckResult:
    """Run the packet-level rules; one that fails is recorded for the auditor, not fatal."""
    findings: list[Finding] = []
    checklist: list[ChecklistItem] = []
    for rule in rules:
        try:
            result = rule(manifest, notice, files)
            findings.extend(declared(rule, result.findings))
        except Exception as exc:
            log.error("packet check %s failed: %s", rule.name, _one_line(exc), exc_info=_trace())
            findings.append(
                Finding.of(FindingCode.SCREENING_ERROR, f"规则检查“{rule.name}”出错，请人工审核", evidence={"error": type(exc).__name__})
            )
            continue
        checklist.extend(result.checklist)
    return CheckResult(findings=tuple(findings), checklist=tuple(checklist))


def _one_line(exc: BaseException) -> str:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _trace() -> bool:
    """The traceback of a failed check goes to the log only when debugging (``prescreen -vv``):
    an auditor's terminal gets one line, the report a SCREENING_ERROR."""
    return log.isEnabledFor(logging.DEBUG)
