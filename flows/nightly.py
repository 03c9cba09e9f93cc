"""``nightly_rescreen``: at 02:00 Beijing time, screen again what changed and what awaits review.

Unchanged pages come from the page cache, so a packet re-screened only because it awaits
review costs no OCR, and no new report version is written when nothing changed. The run ends
with a summary artifact in the Prefect UI: packets per reason and recommendation, findings per
code, and the packets whose screening failed.
"""

from __future__ import annotations

from collections import Counter

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.screen import _settings, _store, prescreen_application
from pipeline.labels import CODE_LABELS, RECOMMENDATION_LABELS
from pipeline.models import EngineInfo, FindingCode, Recommendation
from pipeline.rules import load_rules
from pipeline.screen import engine_info
from prescreen import runtime
from storage.catalog import Selected, select
from storage.reviewdb import awaiting_review

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_jitter_factor=0.3)


@task(task_run_name="select packets", **IO_RETRIES)
def select_packets(root: str | None) -> list[Selected]:
    settings = _settings()
    notices = load_rules(settings.rules_dir)
    engines = runtime.engines_for(settings)

    def current(track: str) -> EngineInfo | None:
        notice = next((n for t, n in notices.items() if t.value == track), None)
        return engine_info(engines, notice) if notice else None

    with runtime.review_db(settings.database_url).session() as s:
        pending = awaiting_review(s)
    return select(_store(root), settings.packets_prefix, current, pending)


def summary_markdown(summary: dict) -> str:
    lines = [
        f"### 夜间复检 {summary['date']}",
        f"检查申报 {summary['selected']} 份，完成 {summary['screened']} 份，生成新报告 {summary['new_reports']} 份，失败 {len(summary['failed'])} 份。",
        "",
        "| 原因 | 份数 |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["reasons"].items()],
        "",
        "| 预审建议 | 份数 |",
        "|---|---|",
        *[f"| {RECOMMENDATION_LABELS.get(Recommendation(k), k)} | {v} |" for k, v in summary["recommendations"].items()],
        "",
        "| 问题 | 项数 |",
        "|---|---|",
        *[f"| {CODE_LABELS.get(FindingCode(k), k)} | {v} |" for k, v in summary["codes"].items()],
    ]
    if summary["failed"]:
        lines += ["", "**失败：**", *[f"- `{f['prefix']}`: {f['error']}" for f in summary["failed"]]]
    return "\n".join(lines)


@flow(name="prescreen-nightly", log_prints=False)
def nightly_rescreen(root: str | None = None) -> dict:
    """Re-screen every selected packet (a failure is counted, never stops the others) and publish a summary."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    logger = get_run_logger()
    selected = select_packets(root)
    reasons = Counter(s.reason.value for s in selected)
    recommendations: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    failed, screened, new_reports = [], 0, 0
    for sel in selected:
        state = prescreen_application(prefix=sel.prefix, root=root, return_state=True)
        if not state.is_completed():
            failed.append({"prefix": sel.prefix, "error": (state.message or state.name)[:200]})
            continue
        out = state.result()
        screened += 1
        new_reports += bool(out["new_version"])
        recommendations[out["recommendation"]] += 1
        codes.update(out["codes"])
    summary = {
        "date": datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d"),
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
