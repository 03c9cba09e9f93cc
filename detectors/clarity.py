"""``BLURRY``, ``LOW_RESOLUTION``, ``POOR_EXPOSURE`` and blank pages (``WRONG_DOCUMENT``).

The measures come from ``pipeline.quality`` and are recorded on the page; this module only
decides. The blur threshold was calibrated on rendered certificate pages at 100-300 DPI with
Gaussian blur of 0-5.5 pt (``bench/calibrate_clarity.py``): blur of 2.8 pt or more measures 2.6+
at every DPI. Blur of 1.6-2.0 pt is plain to an auditor although the OCR (its detector at 960 px)
still reads most of such a page: that band is told by two edge measures together, the page's own
(scaled to 1600 px) and its text's (scaled to 32-px lines), neither of which depends on what the
OCR left unread.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pipeline.context import PageContext
from pipeline.models import Finding, FindingCode, Page, PageMetrics


class ClarityConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_blur_px: float = Field(
        2.3, description="edge blur (sigma, px) at 32-px text lines; readable <= 1.9, unreadable >= 2.6"
    )
    min_dpi: float = Field(90, description="scan resolution below which small print is lost (contract: ~100 DPI)")
    min_text_px: float = Field(
        16,
        description="OCR line-box height (25th percentile) in original pixels below which text is too small in any "
        "font; 11 pt text measures 22-25 px at 100 DPI in Hei/Song/Ming faces and 18 px in a Kai face",
    )
    a4_aspect_tolerance: float = Field(0.02, description="a page within this of sqrt(2) is taken as a whole A4 sheet")
    a4_text_px: float = Field(24, description="on such a sheet below min_dpi, text smaller than this confirms it")
    min_long_side_px: int = Field(600, description="a whole page with no readable text smaller than this is unusable")
    min_photo_side_px: int = Field(120, description="short side of an ID photo: a one-inch photo at ~100 DPI")
    max_paper_dark: float = Field(110, description="90th-percentile grey (0-255) below which paper reads as dark")
    min_contrast: float = Field(70, description="paper minus ink grey levels below which text is washed out")
    max_glare_fraction: float = Field(0.02, description="share of the page blown out by a hot spot")
    blank_structure: float = Field(
        15.0, description="largest smoothed local grey change on a blank sheet; text, even blurred, gives 30+"
    )
    page_blur_px: float = Field(
        2.0,
        description="edge blur (sigma, px) with the page scaled to a 1600-px long side, whatever its text; counts with "
        "unread_ink. Rendered pages read correctly with text left unread measure <= 2.0 (1.2 pt of blur), forms blurred "
        "by 1.6-2.0 pt at 200-300 DPI 2.04-2.76; real scans and phone photos read well 0.8-2.3",
    )
    soft_text_blur_px: float = Field(
        1.5,
        description="edge blur (sigma, px) at 32-px text lines above which, on a page softer than page_blur_px, the "
        "text itself is soft (1.6-2.0 pt of blur): forms, certificates and summaries blurred 1.6-2.0 pt at 100-300 DPI "
        "measure 1.56-2.63 here with page_blur_px 2.04-2.82; 1.2 pt 1.32-1.95 with 1.68-2.03; clean real scans and "
        "photos 0.89-1.40, and the only real page softer than page_blur_px (a vertical book page, 2.33) 0.93",
    )
    unread_ink: float = Field(
        0.15,
        description="share of the page's letter-sized ink outside every line read with confidence, above which (on a "
        "page softer than page_blur_px) the text OCR still reads is only part of it: forms blurred by 1.6-2.0 pt at "
        "150-300 DPI measure 0.30-0.84; generated pages read correctly <= 0.03; clean real documents 0-0.42, but none "
        "of them softer than 2.0 with more than 0.04 (margins: 0.15 below the blurred, 0.11 above the clean)",
    )
    photo_slots: frozenset[str] = Field(
        frozenset({"photo"}), description="slots holding a photograph, judged by the face checks, not by text"
    )


def reads_text(ctx: PageContext) -> bool:
    """Text decides blur, legibility and blank pages, except on a photograph (judged by its size alone)."""
    return ctx.slot not in ctx.config_for("clarity", ClarityConfig).photo_slots


def detect(page: Page, ctx: PageContext, config: ClarityConfig | None = None) -> list[Finding]:
    cfg = config or ctx.config_for("clarity", ClarityConfig)
    m = page.metrics
    is_photo = page.slot in cfg.photo_slots
    if not is_photo and m.structure < cfg.blank_structure and not page.lines and not page.unread:
        return [
            page.finding(
                FindingCode.WRONG_DOCUMENT,
                "空白页：页面上没有可辨认的内容",
                evidence={"structure": round(m.structure, 2), "threshold": cfg.blank_structure, "score": 0.9},
            )
        ]
    out: list[Finding] = []
    low_res = _low_resolution(page, cfg, is_photo)
    if low_res:
        out.append(page.finding(FindingCode.LOW_RESOLUTION, low_res[0], evidence=low_res[1]))
    blur = m.blur_px
    # the text OCR still reads can be a large title: text left unread on a soft page is blur too
    soft = m.page_blur_px > cfg.page_blur_px
    unread_blur = soft and m.unread_ink > cfg.unread_ink
    # 1.6-2.0 pt: the page and its text both soft (text height known from at least two lines read)
    soft_text = soft and m.small_text_px is not None and blur > cfg.soft_text_blur_px
    if not is_photo and (blur > cfg.max_blur_px or unread_blur or soft_text) and not low_res:
        out.append(
            page.finding(
                FindingCode.BLURRY,
                "页面模糊，文字无法清晰辨认；请重新扫描上传",
                evidence={
                    "blur_px": None if blur == float("inf") else round(blur, 2),
                    "threshold": cfg.max_blur_px,
                    "ocr_confidence": round(m.ocr_confidence, 3),
                    "unread_ink": round(m.unread_ink, 2),
                    "page_blur_px": round(m.page_blur_px, 2),
                    "page_threshold": cfg.page_blur_px,
                    "text_threshold": cfg.soft_text_blur_px,
                    "score": 0.95 if blur > cfg.max_blur_px * 1.2 else 0.7,
                },
            )
        )
    # blur and down-sampling wash text out too: that page is already reported for its real cause
    explained = bool(out)
    exposure = None if m.born_digital or is_photo else _exposure_problem(m, cfg, explained)  # glare over text: a photo has none
    if exposure:
        out.append(page.finding(FindingCode.POOR_EXPOSURE, exposure, evidence=_round(m, "paper_level", "contrast", "glare_fraction")))
    return out


def _low_resolution(page: Page, cfg: ClarityConfig, is_photo: bool) -> tuple[str, dict] | None:
    m = page.metrics
    w, h = m.orig_width, m.orig_height
    if is_photo:
        if min(w, h) < cfg.min_photo_side_px:
            return "照片分辨率过低", {"width": int(w), "height": int(h), "min_side_px": cfg.min_photo_side_px}
        return None
    if page.dpi is not None and page.dpi < cfg.min_dpi:
        return f"扫描分辨率过低（约{page.dpi:.0f} DPI），小字无法辨认", {"dpi": round(page.dpi, 1), "min_dpi": cfg.min_dpi}
    small = m.small_text_px
    if small is not None and small < cfg.min_text_px:
        return (
            "图像分辨率过低，文字过小无法辨认",
            {"text_height_px": round(small, 1), "min_text_px": cfg.min_text_px},
        )
    a4_dpi = max(w, h) / 11.69
    if abs(max(w, h) / max(1.0, min(w, h)) - 2**0.5) < cfg.a4_aspect_tolerance * 2**0.5 and a4_dpi < cfg.min_dpi:
        if small is None or small < cfg.a4_text_px:
            return f"整页扫描分辨率过低（约{a4_dpi:.0f} DPI）", {"dpi_estimate": round(a4_dpi, 1), "min_dpi": cfg.min_dpi}
    if small is None and max(w, h) < cfg.min_long_side_px:
        return "图像尺寸过小，无法辨认内容", {"width": int(w), "height": int(h)}
    return None


def _exposure_problem(m: PageMetrics, cfg: ClarityConfig, low_contrast_explained: bool) -> str | None:
    if m.paper_level < cfg.max_paper_dark:
        return "页面过暗，请在光线充足处重新拍摄或扫描"
    if m.contrast < cfg.min_contrast and not low_contrast_explained:
        return "页面发白、对比度过低，文字不清"
    if m.glare_fraction > cfg.max_glare_fraction:
        return "页面有反光，部分文字被遮挡"
    return None


def _round(m: PageMetrics, *keys: str) -> dict[str, float]:
    return {k: round(getattr(m, k), 3) for k in keys}
