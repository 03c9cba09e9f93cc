"""Generated sample documents: rendered Chinese pages, drawn seals, a real face photo.

Used by ``prescreen demo``, the tests and the benchmarks, so nothing binary has to be
committed. Every generator is deterministic for a given seed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFont

A4_PT = (595.0, 842.0)
ID_CARD_PT = (242.6, 153.0)  # 85.6 mm x 54 mm

CERT_CSS = """
* { font-family: china-s; color: #111; }
h1 { text-align: center; font-size: 30px; letter-spacing: 6px; margin: 0 0 18px 0; }
h2 { text-align: center; font-size: 20px; margin: 0 0 12px 0; }
p { font-size: 15px; line-height: 1.7; margin: 6px 0; }
td { font-size: 14px; border: 1px solid #333; padding: 5px; }
table { border-collapse: collapse; width: 100%; }
.right { text-align: right; }
"""


@lru_cache(maxsize=4)
def _font_bytes(name: str = "china-s") -> bytes:
    return pymupdf.Font(name).buffer


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """A CJK font PIL can draw with: the one PyMuPDF carries, so nothing has to be installed."""
    return ImageFont.truetype(io.BytesIO(_font_bytes()), size)


# ---------------------------------------------------------------- pages


SYSTEM_FONTS = {  # Debian fonts-arphic-ukai / -uming / fonts-wqy-zenhei, used when installed
    "kai": Path("/usr/share/fonts/truetype/arphic/ukai.ttc"),
    "ming": Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    "zenhei": Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
}


def available_fonts() -> list[str]:
    """``china-s`` (carried by PyMuPDF) plus whichever system CJK fonts are installed."""
    return ["china-s"] + [name for name, path in SYSTEM_FONTS.items() if path.is_file()]


def _html_page(doc: pymupdf.Document, html: str, size_pt: tuple[float, float], margin: float, font: str) -> pymupdf.Page:
    """Lay ``html`` out on a new page of ``doc`` (the one layout both renderings share)."""
    page = doc.new_page(width=size_pt[0], height=size_pt[1])
    rect = pymupdf.Rect(margin, margin, size_pt[0] - margin, size_pt[1] - margin)
    css = CERT_CSS if font == "china-s" else CERT_CSS.replace("china-s", "f")
    faces = {"f": SYSTEM_FONTS.get(font), "hand": SYSTEM_FONTS["kai"] if SYSTEM_FONTS["kai"].is_file() else None}
    archive = pymupdf.Archive()
    for family, path in faces.items():
        if path is not None and path.is_file():
            css = f"@font-face {{font-family: {family}; src: url({path.name});}}\n" + css
            archive.add(str(path.parent))
    css += "\n.hand { font-family: hand, china-s; font-size: 20px; }"
    page.insert_htmlbox(rect, html, css=css, archive=archive)
    return page


def render_html(
    html: str, *, size_pt: tuple[float, float] = A4_PT, dpi: int = 150, margin: float = 56, font: str = "china-s"
) -> np.ndarray:
    """Render an HTML fragment onto a page and rasterise it to a BGR image."""
    page = _html_page(pymupdf.open(), html, size_pt, margin, font)
    pix = page.get_pixmap(dpi=dpi)
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3]
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR)


def text_box(html: str, text: str, *, font: str = "china-s", pad: float = 0.004) -> tuple[float, float, float, float]:
    """Where ``text`` lands on render_html(html, font=font), as a relative box (for drawing masks)."""
    page = _html_page(pymupdf.open(), html, A4_PT, 56, font)
    hits = page.search_for(text)
    if not hits:
        raise ValueError(f"{text!r} is not on the page")
    r = hits[0]
    for extra in hits[1:]:
        if abs(extra.y0 - r.y0) < 2:  # the same line, split by the search
            r |= extra
    w, h = page.rect.width, page.rect.height
    return (r.x0 / w - pad, r.y0 / h - pad, r.x1 / w + pad, r.y1 / h + pad)


def html_pdf(
    pages_html: Sequence[str], *, size_pt: tuple[float, float] = A4_PT, font: str = "china-s", mask_texts: Sequence[str] = ()
) -> bytes:
    """A PDF with a real text layer (as an office export or e-certificate would have); ``mask_texts``
    get a black box drawn over them, the text staying in the layer underneath (as a masking tool does)."""
    doc = pymupdf.open()
    for html in pages_html:
        page = _html_page(doc, html, size_pt, 56, font)
        for text in mask_texts:
            for r in page.search_for(text):
                page.draw_rect(r + (-1, -1, 1, 1), color=(0, 0, 0), fill=(0, 0, 0))
    return doc.tobytes()


def images_pdf(images: Sequence[np.ndarray], *, dpi: int = 150, jpeg_quality: int = 85) -> bytes:
    """A scanned PDF: one image per page, no text layer."""
    doc = pymupdf.open()
    for img in images:
        h, w = img.shape[:2]
        page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        assert ok
        page.insert_image(page.rect, stream=buf.tobytes())
    return doc.tobytes()


@dataclass(frozen=True)
class Person:
    name: str = "阿依古丽·买买提"
    employer: str = "乌鲁木齐市第十中学"
    school: str = "新疆师范大学"
    born: str = "一九九四年三月十二日"
    major: str = "汉语言文学"
    cert_no: str = "107621201605001234"


def diploma_html(p: Person = Person(), year: int = 2016) -> str:
    return (
        "<h1>毕业证书</h1>"
        f"<p>学生 {p.name}，性别女，{p.born}生，于{year - 4}年9月至{year}年7月在本校"
        f"{p.major}专业四年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。</p>"
        f"<p>校名：{p.school}</p><p>校（院）长：王建国</p>"
        f"<p>证书编号：{p.cert_no}</p><p class='right'>{year}年7月1日</p>"
    )


def degree_html(p: Person = Person(), year: int = 2016) -> str:
    return (
        "<h1>学士学位证书</h1>"
        f"<p>{p.name}，女，{p.born}生。在{p.school}{p.major}专业完成了本科学习计划，"
        "业已毕业，经审核符合《中华人民共和国学位条例》的规定，授予文学学士学位。</p>"
        f"<p>{p.school}学位评定委员会主席：李明</p><p class='right'>{year}年7月1日</p>"
    )


def ce_certificate_html(p: Person = Person(), year: int = 2024, category: str = "公需科目", hours: int = 30) -> str:
    return (
        "<h1>继续教育合格证书</h1>"
        f"<p>{p.name} 同志于{year}年度参加专业技术人员继续教育{category}学习，"
        f"完成{hours}学时，考核合格，特发此证。</p>"
        f"<p>工作单位：{p.employer}</p>"
        f"<p class='right'>乌鲁木齐市继续教育和职称评价管理中心</p><p class='right'>{year}年12月20日</p>"
    )


def appraisal_html(p: Person = Person(), year: int = 2024, rating: str = "优秀") -> str:
    ratings = "".join(("☑ " if r == rating else "□ ") + r + "　" for r in ("优秀", "合格", "基本合格", "不合格"))
    return (
        "<h1>自治区驻村工作干部年度考核登记表</h1>"
        f"<p>（{year}年度）</p>"
        f"<table><tr><td>姓名</td><td>{p.name}</td><td>工作单位</td><td>{p.employer}</td></tr>"
        "<tr><td>驻村地点</td><td colspan='3'>和田地区墨玉县萨依巴格乡</td></tr>"
        "<tr><td>本人总结</td><td colspan='3'>一年来认真履行驻村工作职责，深入开展走访入户，"
        "积极为群众办实事解难事，较好地完成了各项工作任务。</td></tr>"
        f"<tr><td>考核等次</td><td colspan='3'>{ratings}</td></tr></table>"
        f"<p class='right'>{p.employer}（盖章）</p><p class='right'>{year + 1}年1月10日</p>"
    )


def appraisal_letter_html(p: Person = Person(), year: int = 2024, rating: str = "优秀", hand: bool = False) -> str:
    """A unit's certificate of one year's appraisal, the rating written in by hand when ``hand``."""
    r = f"<span class='hand'>{rating}</span>" if hand else rating
    return (
        "<h1>年度考核证明</h1>"
        f"<p>兹证明 {p.name} 同志系我单位在职专业技术人员，{year}年度考核结果为{r}。</p>"
        "<p>特此证明。</p>"
        f"<p class='right'>{p.employer}</p><p class='right'>{year + 1}年1月15日</p>"
    )


def appraisal_table_html(p: Person = Person(), ratings: dict[int, str] | None = None) -> str:
    """One form covering several years: a row per year."""
    ratings = ratings or {2022: "优秀", 2023: "优秀", 2024: "优秀"}
    rows = "".join(f"<tr><td>{y}年度</td><td>{r}</td><td>{p.employer}</td></tr>" for y, r in sorted(ratings.items()))
    last = max(ratings)
    return (
        "<h1>近三年年度考核情况登记表</h1>"
        f"<p>姓名：{p.name}　　工作单位：{p.employer}</p>"
        f"<table><tr><td>年度</td><td>考核等次</td><td>考核单位</td></tr>{rows}</table>"
        f"<p class='right'>{p.employer}人事科</p><p class='right'>{last + 1}年2月1日</p>"
    )


def promise_letter_html(p: Person = Person(), signed: bool = True, dated: bool = True) -> str:
    sign = f"<span class='hand'>{p.name}</span>" if signed else ""
    day = "<span class='hand'>2025年5月20日</span>" if dated else "　　年　　月　　日"
    return (
        "<h1>个人承诺书</h1>"
        "<p>本人郑重承诺：所提供的申报材料真实有效，如有弄虚作假，本人愿承担一切责任。</p>"
        f"<p>承诺人（签名）：{sign}</p><p>承诺时间：{day}</p>"
    )


def publicity_html(p: Person = Person(), start: str = "2025年5月12日", end: str = "2025年5月16日") -> str:
    return (
        "<h1>推荐单位公示</h1>"
        f"<p>根据职称申报工作要求，经本单位审核，拟推荐 {p.name} 同志申报"
        "中小学教师系列中级职称，现将有关情况予以公示。</p>"
        f"<p>公示时间：{start}至{end}。</p>"
        "<p>公示期间如有异议，请以书面形式向本单位人事部门反映。联系电话：0991-1234567</p>"
        f"<p class='right'>{p.employer}</p><p class='right'>{start}</p>"
    )


def publicity_result_html(
    p: Person = Person(), start: str = "2025年5月12日", end: str = "2025年5月16日", dated: str = "2025年5月19日"
) -> str:
    """The unit's certificate that the publicity ran its course, dated after it ended."""
    return (
        "<h1>推荐单位公示结果</h1>"
        f"<p>我单位于{start}至{end}对拟推荐 {p.name} 同志申报中小学教师系列中级职称的有关情况进行了公示，"
        "公示期满，未收到任何异议。</p><p>特此证明。</p>"
        f"<p class='right'>{p.employer}</p><p class='right'>{dated}</p>"
    )


def work_summary_pages(p: Person = Person(), chars: int = 2400, per_page: int = 900) -> list[str]:
    """A work summary of about ``chars`` 汉字 (title and signature included), split over pages."""
    base = "本人任职以来坚持政治理论学习认真履行岗位职责积极参加教研活动不断提高业务能力教学成绩突出"
    body_chars = max(0, chars - 4 - len(p.name.replace("·", "")))
    body = (base * (body_chars // len(base) + 1))[:body_chars]
    chunks = [body[i : i + per_page] for i in range(0, len(body), per_page)] or [""]
    pages = [f"<p>{c}。</p>" for c in chunks]
    pages[0] = "<h1>工作小结</h1>" + pages[0]
    pages[-1] += f"<p class='right'>{p.name}</p>"
    return pages


def work_summary_html(p: Person = Person(), chars: int = 600) -> str:
    return work_summary_pages(p, chars, per_page=10**6)[0]


def id_card_portrait_html(p: Person = Person()) -> str:
    return (
        f"<p style='font-size:9px'>姓名 {p.name}</p><p style='font-size:9px'>性别 女 民族 维吾尔</p>"
        "<p style='font-size:9px'>出生 1994年3月12日</p><p style='font-size:9px'>住址 新疆乌鲁木齐市天山区</p>"
        "<p style='font-size:9px'>公民身份号码 650102199403121234</p>"
    )


# ---------------------------------------------------------------- marks on pages


def face_photo(width: int = 295, height: int = 413) -> np.ndarray:
    """A one-inch ID photo (BGR) cut from the astronaut portrait that ships with scikit-image."""
    from skimage import data

    rgb = data.astronaut()
    crop = rgb[10:300, 90:300]  # head and shoulders
    img = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2BGR)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


FACE_EYES = ((0.532, 0.322), (0.742, 0.327))  # eye centres in face_photo(), as fractions of its size


def cover_eyes(photo: np.ndarray, how: str = "bar", which: str = "both") -> np.ndarray:
    """What an applicant's masking does to a face_photo(): a black or white bar, a mosaic, a blur;
    ``which="left"`` covers one eye only."""
    h, w = photo.shape[:2]
    (lx, ly), (rx, ry) = ((x * w, y * h) for x, y in FACE_EYES)
    d = rx - lx
    x0, x1 = int(lx - 0.5 * d), int(rx + 0.5 * d) if which == "both" else int((lx + rx) / 2)
    y0, y1 = int(min(ly, ry) - 0.35 * d), int(max(ly, ry) + 0.35 * d)
    out = photo.copy()
    roi = out[y0:y1, x0:x1]
    if how == "bar":
        roi[:] = 0
    elif how == "white":
        roi[:] = 255
    elif how == "mosaic":
        bs = max(2, int(d / 6))
        small = cv2.resize(roi, (max(1, roi.shape[1] // bs), max(1, roi.shape[0] // bs)), interpolation=cv2.INTER_AREA)
        roi[:] = cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_NEAREST)
    elif how == "blur":
        roi[:] = cv2.GaussianBlur(roi, (0, 0), max(2.0, d / 8))
    return out


def paste(page: np.ndarray, patch: np.ndarray, at: tuple[float, float]) -> np.ndarray:
    """Paste ``patch`` with its top-left corner at relative position ``at``."""
    out = page.copy()
    h, w = patch.shape[:2]
    x, y = int(at[0] * page.shape[1]), int(at[1] * page.shape[0])
    out[y : y + h, x : x + w] = patch[: out.shape[0] - y, : out.shape[1] - x]
    return out


def draw_seal(
    page: np.ndarray,
    text: str,
    *,
    center: tuple[float, float] = (0.72, 0.80),
    radius: float = 0.09,
    color_bgr: tuple[int, int, int] = (40, 30, 210),
    opacity: float = 0.85,
    oval: float = 1.0,
) -> np.ndarray:
    """Stamp a round (or oval) red seal: ring, five-pointed star and curved text."""
    h, w = page.shape[:2]
    r = int(radius * w)
    size = 2 * r + 8
    layer = Image.new("L", (size, int(size * oval) + 8), 0)
    draw = ImageDraw.Draw(layer)
    cx, cy = size / 2, layer.height / 2
    ry = r * oval
    draw.ellipse([cx - r, cy - ry, cx + r, cy + ry], outline=255, width=max(3, r // 18))
    star = []
    for k in range(10):
        rr = r * (0.28 if k % 2 == 0 else 0.11)
        a = -np.pi / 2 + k * np.pi / 5
        star.append((cx + rr * np.cos(a), cy + rr * np.sin(a)))
    draw.polygon(star, fill=255)
    font = cjk_font(max(10, int(r * 0.27)))
    n = len(text)
    span = min(np.pi * 1.35, n * 0.34)
    for i, ch in enumerate(text):
        a = -np.pi / 2 - span / 2 + span * (i + 0.5) / n
        glyph = Image.new("L", (font.size + 6, font.size + 6), 0)
        ImageDraw.Draw(glyph).text((3, 0), ch, fill=255, font=font)
        glyph = glyph.rotate(-np.degrees(a) - 90, resample=Image.BICUBIC, expand=True)
        gx = cx + (r * 0.74) * np.cos(a) - glyph.width / 2
        gy = cy + (ry * 0.74) * np.sin(a) - glyph.height / 2
        layer.paste(255, (int(gx), int(gy)), glyph)
    mask = np.asarray(layer, np.float32) / 255.0 * opacity
    out = page.astype(np.float32)
    x0, y0 = int(center[0] * w - layer.width / 2), int(center[1] * h - layer.height / 2)
    x1, y1 = min(w, x0 + layer.width), min(h, y0 + layer.height)
    m = mask[: y1 - y0, : x1 - x0, None]
    region = out[y0:y1, x0:x1]
    # ink multiplies with what is underneath, as stamp ink does
    ink = region * (np.array(color_bgr, np.float32) / 255.0)
    out[y0:y1, x0:x1] = region * (1 - m) + ink * m
    return out.clip(0, 255).astype(np.uint8)


def mask_box(page: np.ndarray, box: tuple[float, float, float, float], color: int = 0) -> np.ndarray:
    """An opaque box over a relative region, as the platform's masking tool draws."""
    out = page.copy()
    h, w = page.shape[:2]
    x0, y0, x1, y1 = (int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))
    out[y0:y1, x0:x1] = color
    return out


# ---------------------------------------------------------------- degradations


def rotate_cw(img: np.ndarray, degrees: int) -> np.ndarray:
    """Turn an image clockwise by 0/90/180/270 degrees (how a sideways scan arrives)."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return img if degrees % 360 == 0 else cv2.rotate(img, codes[degrees % 360])


def skew(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return img if sigma <= 0 else cv2.GaussianBlur(img, (0, 0), sigma)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def noise(img: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (img.astype(np.float32) + rng.normal(0, sigma, img.shape)).clip(0, 255).astype(np.uint8)


def scale(img: np.ndarray, factor: float) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA)


def exposure(img: np.ndarray, gain: float = 1.0, offset: float = 0.0) -> np.ndarray:
    return (img.astype(np.float32) * gain + offset).clip(0, 255).astype(np.uint8)


def glare(img: np.ndarray, center: tuple[float, float] = (0.5, 0.4), radius: float = 0.22) -> np.ndarray:
    """A phone-flash hot spot: text under it is washed out to white."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot((xx - center[0] * w) / w, (yy - center[1] * h) / w) / radius
    lift = np.clip(1.25 - d, 0, 1)[..., None] ** 0.6
    out = img.astype(np.float32) + lift * 255 * 1.2
    return out.clip(0, 255).astype(np.uint8)


# ---------------------------------------------------------------- files


def encode_image(img: np.ndarray, fmt: str, *, exif_orientation: int | None = None, dpi: int = 150) -> bytes:
    """Encode a BGR image as jpeg/png/bmp/webp/tiff bytes (optionally with an EXIF orientation tag)."""
    pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    buf = io.BytesIO()
    kwargs: dict = {"dpi": (dpi, dpi)} if fmt in ("jpeg", "png", "tiff") else {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    pil.save(buf, format=fmt.upper(), **kwargs)
    return buf.getvalue()


def multipage_tiff(images: Sequence[np.ndarray]) -> bytes:
    pils = [Image.fromarray(cv2.cvtColor(i, cv2.COLOR_BGR2RGB)) for i in images]
    buf = io.BytesIO()
    pils[0].save(buf, format="TIFF", save_all=True, append_images=pils[1:], compression="tiff_deflate")
    return buf.getvalue()


@dataclass
class PacketBuilder:
    """Writes a packet folder: files plus ``manifest.yaml`` (as JSON, a YAML subset)."""

    root: Path
    application_id: str = "2025-000123"
    track: str = "review"
    person: Person = field(default_factory=Person)
    materials: dict[str, list[str]] = field(default_factory=dict)
    applicant_extra: dict = field(default_factory=dict)
    submission: dict = field(default_factory=dict)

    def add(self, slot: str, name: str, data: bytes) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        path.write_bytes(data)
        self.materials.setdefault(slot, []).append(name)
        return path

    def manifest(self) -> dict:
        applicant = {
            "name": self.person.name,
            "employer": self.person.employer,
            "employer_type": "public_institution",
            "series": "中小学教师",
            "teacher": True,
            "township_unit": False,
            "education": {"level": "bachelor", "full_time": True, "foreign": False, "graduated_on": "2016-07-01"},
            "work_started_on": "2016-08-01",
            "current_title": {"level": "intermediate", "obtained_on": "2019-12-31"},
        } | self.applicant_extra
        return {
            "application_id": self.application_id,
            "track": self.track,
            "applicant": applicant,
            "submission": {"submitted_at": "2025-06-02T10:30:00+08:00", "attempt": 1, "returned_at": None}
            | self.submission,
            "materials": [{"slot": s, "files": f} for s, f in self.materials.items()],
        }

    def write(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "manifest.yaml"
        path.write_text(json.dumps(self.manifest(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path


def masked(img: np.ndarray, html: str, *texts: str) -> np.ndarray:
    """Black boxes over every occurrence of ``texts`` on render_html(html), as the masking tool draws."""
    page = _html_page(pymupdf.open(), html, A4_PT, 56, "china-s")
    w, h = page.rect.width, page.rect.height
    for text in texts:
        for r in page.search_for(text):
            img = mask_box(img, (r.x0 / w - 0.004, r.y0 / h - 0.004, r.x1 / w + 0.004, r.y1 / h + 0.004))
    return img


def demo_packet(root: Path) -> Path:
    """A review-track packet as applicants really upload them: mostly masked, a few things missed.

    Left for the screening to find: the eyes of the photo printed on the diploma, the employer's
    seal on the sideways 2023 appraisal, the employer's name on the publicity result, a blurred
    continuing-education certificate (of one category only).
    """
    p = Person()
    b = PacketBuilder(root, application_id="DEMO-2024-0001", track="review", person=p)
    b.add("photo", "photo.jpg", encode_image(cover_eyes(face_photo(), "bar"), "jpeg"))
    html = diploma_html(p)
    diploma = paste(masked(render_html(html), html, p.name), face_photo(118, 165), (0.70, 0.55))
    diploma = draw_seal(diploma, p.school + "专用章", center=(0.70, 0.86))
    b.add("diploma", "diploma.pdf", images_pdf([jpeg(noise(diploma, 3), 80)]))
    for y in (2022, 2023, 2024):
        html = appraisal_html(p, y)
        page = draw_seal(render_html(html), p.employer, center=(0.70, 0.55))
        page = masked(page, html, p.name, p.employer)
        if y == 2023:
            page = rotate_cw(page, 90)
        else:
            page = mask_box(page, (0.57, 0.46, 0.83, 0.64))  # the seal
        b.add("annual_appraisal", f"appraisal_{y}.jpg", encode_image(jpeg(page, 85), "jpeg"))
    html = ce_certificate_html(p)
    b.add("ce_certificate", "ce_2024.png", encode_image(blur(masked(render_html(html), html, p.name, p.employer), 4.0), "png"))
    html = publicity_html(p)
    pub = mask_box(draw_seal(masked(render_html(html), html, p.name, p.employer), p.employer, center=(0.70, 0.40)), (0.57, 0.31, 0.83, 0.49))
    b.add("unit_publicity", "publicity.pdf", images_pdf([pub]))
    b.add("publicity_result", "publicity_result.pdf", html_pdf([publicity_result_html(p)], mask_texts=[p.name]))
    b.add("supervisor_opinion", "supervisor.pdf", html_pdf(["<h1>主管单位推荐意见</h1><p>同意推荐。</p>"]))
    return b.write()
