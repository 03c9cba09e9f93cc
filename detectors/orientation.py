"""``ROTATED``: the page arrived sideways or upside down and was turned upright before screening."""

from __future__ import annotations

from pipeline.context import PageContext
from pipeline.models import Finding, FindingCode, Page

_NAMES = {90: "顺时针旋转90°", 180: "旋转180°", 270: "逆时针旋转90°"}


def detect(page: Page, ctx: PageContext) -> list[Finding]:
    if page.rotation == 0:
        return []
    return [
        page.finding(
            FindingCode.ROTATED,
            f"页面方向不正，已自动{_NAMES[page.rotation]}校正；请上传正向扫描件",
            evidence={"rotation": page.rotation, "score": round(page.metrics.orientation_score, 3)},
        )
    ]
