"""``nightly_rescreen``: at 02:00 Beijing time, screen again what changed and what awaits review.

Unchanged pages come from the page cache, so a packet re-screened only because it awaits
review costs no OCR, and no new report version is written when nothing changed. The run ends
with a summary artifact in the Prefect UI: packets per reason and recommendation, findings per
code, and the packets whose screening failed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel

from flows.artifacts import md
from flows.screen import prescreen_application, settings, store_at
from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS
from pipeline.models import EngineInfo, FindingCode, Recommendation
from pipeline.report import engine_info
from pipeline.screen import screen_packet
from prescreen import runtime
from storage.catalog import Reason, Selected, select
from storage.reports import latest_pointer, latest_report
from storage.reviewdb import awaiting_review, registered

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_jitter_factor=0.3)


class Outcome(BaseModel):
    prefix: str
    ok: bool
    error: str = ""
    recommendation: str = ""
    codes: dict[str, int] = {}
    new_version: bool = False


@task(task_run_name="select packets", **IO_RETRIES)
def select_packets(root: str | None) -> list[Selected]:
    config = settings()
    notices = runtime.notices(config)
    engines = runtime.engines_for(config)

    def current(track: str) -> EngineInfo | None:
        notice = next((n for t, n in notices.items() if t.value == track), None)
        return engine_info(engines, notice) if notice else None

    with runtime.review_db(config.database_url).session() as s:
        pending, known = awaiting_review(s), registered(s)
    return select(store_at(root), config.packets_prefix, current, pending, known)


def summary_markdown(summary: dict) -> str:
    lines = [
        f"### 夜间复检 {summary['date']}",
        f"检查申报 {summary['selected']} 份，完成 {summary['screened']} 份，生成新报告 {summary['new_reports']} 份，失败 {len(summary['failed'])} 份。",
        "",
        "| 原因 | 份数 |",
        "|---|---|",
        *[f"| {md(k)} | {v} |" for k, v in summary["reasons"].items()],
        "",
        "| 预审建议 | 份数 |",
        "|---|---|",
        *[f"| {md(RECOMMENDATION_LABELS.get(Recommendation(k), k))} | {v} |" for k, v in summary["recommendations"].items()],
        "",
        "| 问题 | 项数 |",
        "|---|---|",
        *[f"| {md(CODE_LABELS.get(FindingCode(k), k))} | {v} |" for k, v in summary["codes"].items()],
    ]
    if summary["failed"]:
        lines += ["", "**失败：**", *[f"- {md(f['prefix'])}: {md(f['error'])}" for f in summary["failed"]]]
    return "\n".join(lines)


def screen_inline(selected: list[Selected], root: str | None) -> list[Outcome]:
    """Each packet as a subflow of this run, one after the other (one machine, or a test)."""
    outcomes = []
    for sel in selected:
        state = prescreen_application(prefix=sel.prefix, root=root, return_state=True)
        if not state.is_completed():
            outcomes.append(Outcome(prefix=sel.prefix, ok=False, error=(state.message or state.name)[:200]))
            continue
        out = state.result()
        outcomes.append(
            Outcome(prefix=sel.prefix, ok=True, recommendation=out["recommendation"], codes=out["codes"], new_version=out["new_version"])
        )
    return outcomes


CHUNK = 50


@task(task_run_name="from the cache ({prefixes[0]} …)", **IO_RETRIES)
def rescreen_cached(prefixes: list[str], root: str | None) -> list[Outcome]:
    """Packets whose files, rules and engine are unchanged: screened by the core straight from the
    page cache (no subflow, no page decoded), a batch per task. A packet that fails is an outcome."""
    from storage.cache import StoreCache
    from storage.packets import load_store_packet
    from storage.reports import publish_result
    from storage.reviewdb import record_report

    config = settings()
    store, notices = store_at(root), runtime.notices(config)
    engines, options = runtime.engines_for(config), runtime.options_for(config)
    outcomes = []
    for prefix in prefixes:
        try:
            packet = load_store_packet(store, prefix, config.limits)
            result = screen_packet(
                packet, notices, engines, runtime.detectors(), runtime.packet_checks(), options, cache=StoreCache(store)
            )
            published = publish_result(store, prefix, result)
            with runtime.review_db(config.database_url).session() as s:
                record_report(
                    s, prefix, result.report, published.version,
                    received_at=packet.manifest.submission.submitted_at, applicant=packet.manifest.applicant,
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - one packet must not stop the batch
            outcomes.append(Outcome(prefix=prefix, ok=False, error=f"{type(exc).__name__}: {exc}"[:200]))
            continue
        report = result.report
        outcomes.append(
            Outcome(
                prefix=prefix,
                ok=True,
                recommendation=report.recommendation.value,
                codes=dict(Counter(f.code.value for f in report.findings)),
                new_version=published.new,
            )
        )
    return outcomes


def screen_from_cache(selected: list[Selected], root: str | None) -> list[Outcome]:
    prefixes = [s.prefix for s in selected]
    futures = [rescreen_cached.submit(prefixes[i : i + CHUNK], root) for i in range(0, len(prefixes), CHUNK)]
    return [o for f in futures for o in f.result()]


def screen_on_deployment(selected: list[Selected], root: str | None, day: str) -> list[Outcome]:
    """Each packet as a run of the screening deployment: the work pool's workers, on every machine,
    share them under the deployment's concurrency limit. Waits for all, then reads their reports."""
    from flows.trigger import request_screening, wait_for_runs

    store = store_at(root)
    before = {sel.prefix: (latest_pointer(store, sel.prefix) or {}).get("version") for sel in selected}
    runs = {
        request_screening(sel.prefix, f"nightly:{day}:{sel.prefix}", settings().deployment, tags=("nightly",)): sel.prefix
        for sel in selected
    }
    outcomes = []
    for run_id, (state, message) in wait_for_runs(list(runs)).items():
        prefix = runs[run_id]
        if state != "COMPLETED":
            outcomes.append(Outcome(prefix=prefix, ok=False, error=f"{state}: {message}"[:200]))
            continue
        report = latest_report(store, prefix)
        pointer = latest_pointer(store, prefix) or {}
        outcomes.append(
            Outcome(
                prefix=prefix,
                ok=report is not None,
                recommendation=report.recommendation.value if report else "",
                codes=dict(Counter(f.code.value for f in report.findings)) if report else {},
                new_version=pointer.get("version") != before[prefix],
            )
        )
    return outcomes


@flow(name="prescreen-nightly", log_prints=False)
def nightly_rescreen(root: str | None = None, dispatch: Literal["inline", "deployment"] = "inline") -> dict:
    """Re-screen every selected packet (a failure is counted, never stops the others) and publish a summary.

    ``dispatch="deployment"`` (what the 02:00 deployment uses) hands each packet that needs reading
    to the screening deployment, so every worker of the pool takes part, and re-screens the ones
    merely awaiting review here from the cache; ``inline`` screens them all in this run.
    """
    logger = get_run_logger()
    day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    selected = select_packets(root)
    reasons = Counter(s.reason.value for s in selected)
    # packets selected only because they await review (or never reached the queue) come from the
    # page cache in milliseconds: batched here, not a flow run (~1 s) or a worker process (~7 s) each
    cached = [s for s in selected if s.reason in (Reason.awaiting_review, Reason.unregistered)]
    rest = [s for s in selected if s not in cached]
    outcomes = screen_from_cache(cached, root)
    outcomes += screen_on_deployment(rest, root, day) if dispatch == "deployment" else screen_inline(rest, root)
    recommendations = Counter(o.recommendation for o in outcomes if o.ok)
    codes: Counter[str] = Counter()
    for o in outcomes:
        codes.update(o.codes)
    failed = [{"prefix": o.prefix, "error": o.error} for o in outcomes if not o.ok]
    screened = sum(o.ok for o in outcomes)
    new_reports = sum(o.new_version for o in outcomes if o.ok)
    summary = {
        "date": day,
        "selected": len(selected),
        "screened": screened,
        "new_reports": new_reports,
        "reasons": dict(reasons),
        "recommendations": dict(recommendations),
        "codes": dict(codes.most_common()),
        "failed": failed,
    }
    create_markdown_artifact(key="prescreen-nightly", markdown=summary_markdown(summary), description="prescreen nightly re-screen")
    logger.info("nightly: %d selected, %d screened, %d failed", len(selected), screened, len(failed))
    return summary
