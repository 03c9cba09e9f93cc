"""Documents laid out unlike the project's own templates, for the third evaluation source.

The project's generator lays pages out as HTML through PyMuPDF with one set of wordings. These are
drawn instead with Pillow, straight onto a canvas: other fonts (Noto Serif/Sans CJK, WenQuanYi Micro
Hei, AR PL Kai), other wordings and orders (the birth date before, after or without the study
period; dates in words or digits; a registration form with ruled cells; a publicity list of several
colleagues), decorated borders, landscape certificates; then captured as a phone or a copier would
(perspective, uneven light, shadow, JPEG, grey photocopies).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from samples.engrave import font

A4 = (1240, 1754)  # 150 DPI
LANDSCAPE = (1754, 1240)


@dataclass(frozen=True)
class Person:
    name: str
    employer: str
    school: str = "新疆大学"
    born: str = "一九八八年三月十二日"
    born_digits: str = "1988年3月12日"
    sex: str = "女"


class Canvas:
    def __init__(self, size: tuple[int, int] = A4, face: str = "song") -> None:
        self.img = Image.new("RGB", size, (252, 251, 248))
        self.draw = ImageDraw.Draw(self.img)
        self.face = face
        self.boxes: dict[str, list[tuple[float, float, float, float]]] = {}

    def text(self, xy: tuple[float, float], s: str, size: int, *, track: dict[str, str] | None = None, fill=(20, 20, 20), face: str | None = None) -> float:
        """Draw ``s`` at ``xy`` (pixels); remember where each tracked substring lands. Returns the x after it."""
        f = font(face or self.face, size)
        x, y = xy
        self.draw.text((x, y), s, font=f, fill=fill)
        for key, sub in (track or {}).items():
            i = s.find(sub)
            while i >= 0:
                x0 = x + self.draw.textlength(s[:i], font=f)
                x1 = x + self.draw.textlength(s[: i + len(sub)], font=f)
                w, h = self.img.size
                self.boxes.setdefault(key, []).append(((x0 - 2) / w, (y - 2) / h, (x1 + 2) / w, (y + size * 1.25) / h))
                i = s.find(sub, i + 1)
        return x + self.draw.textlength(s, font=f)

    def centered(self, y: float, s: str, size: int, **kw) -> None:
        f = font(kw.get("face") or self.face, size)
        w = self.draw.textlength(s, font=f)
        self.text(((self.img.size[0] - w) / 2, y), s, size, **kw)

    def paragraph(self, xy: tuple[float, float], s: str, size: int, width: float, *, track: dict[str, str] | None = None, leading: float = 1.8) -> float:
        """Wrap ``s`` into lines of ``width`` pixels; tracked substrings are kept on one line."""
        f = font(self.face, size)
        x, y = xy
        line = ""
        keep = list((track or {}).values())
        i = 0
        while i < len(s):
            word = next((k for k in keep if s.startswith(k, i)), s[i])
            if self.draw.textlength(line + word, font=f) > width and line:
                self.text((x, y), line, size, track=track)
                y += size * leading
                line = ""
            line += word
            i += len(word)
        if line:
            self.text((x, y), line, size, track=track)
            y += size * leading
        return y

    def border(self, ornate: bool = True) -> None:
        w, h = self.img.size
        c = (150, 40, 40) if ornate else (40, 40, 40)
        for k, wd in ((30, 6), (46, 2)) if ornate else ((40, 2),):
            self.draw.rectangle([k, k, w - k, h - k], outline=c, width=wd)

    def table(self, x: float, y: float, widths: list[float], rows: list[list[str]], size: int, *, track: dict[str, str] | None = None, row_h: float = 0) -> float:
        row_h = row_h or size * 2.4
        for r in rows:
            cx = x
            for wd, cell in zip(widths, r, strict=False):
                self.draw.rectangle([cx, y, cx + wd, y + row_h], outline=(30, 30, 30), width=2)
                self.text((cx + 10, y + (row_h - size * 1.2) / 2), cell, size, track=track)
                cx += wd
            y += row_h
        return y

    def array(self) -> np.ndarray:
        return cv2.cvtColor(np.asarray(self.img), cv2.COLOR_RGB2BGR)


def diploma(p: Person, *, variant: int, face: str = "song", graduated: tuple[int, int] = (2010, 7)) -> tuple[np.ndarray, dict]:
    """A landscape diploma; the sentence puts the birth date before, after or not at all near the study period."""
    c = Canvas(LANDSCAPE, face)
    c.border()
    c.centered(120, "毕 业 证 书", 84, face="song-bold" if face == "song" else face)
    y0 = graduated[0] - 4
    cn = {2010: "二〇一〇", 2006: "二〇〇六", 2016: "二〇一六", 2012: "二〇一二"}.get(graduated[0], str(graduated[0]))
    months = "七" if graduated[1] == 7 else str(graduated[1])
    track = {"name": p.name}
    if variant == 0:  # birth date first, study period in words
        body = f"学生{p.name}，性别{p.sex}，{p.born}生，于二〇{str(y0)[2:]}年九月至{cn}年{months}月在本校计算机科学与技术专业四年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。"
        body = body.replace("二〇06", "二〇〇六").replace("二〇12", "二〇一二").replace("二〇02", "二〇〇二")
    elif variant == 1:  # study period first, birth after the name in digits
        body = f"{p.name}，{p.sex}，{p.born_digits}出生，自{y0}年9月至{graduated[0]}年{graduated[1]}月在我校土木工程专业学习，学制四年，修业期满，成绩合格，准予毕业。"
    else:  # no study period: only the birth date in the sentence, the date of graduation under the seal
        body = f"兹证明{p.name}同志（{p.sex}，{p.born}生）在我校护理学专业完成全部学业，经考核成绩合格，准予毕业。"
    c.paragraph((200, 300), body, 42, LANDSCAPE[0] - 400, track=track)
    c.text((200, 760), f"校    长：李国华", 36)
    c.text((200, 830), f"证书编号：1075512{graduated[0]}0{variant}1234", 32)
    c.text((1100, 930), f"{cn}年{months}月一日" if variant != 1 else f"{graduated[0]}年{graduated[1]}月1日", 36)
    c.text((1100, 860), p.school, 40, track={"school": p.school})
    return c.array(), c.boxes


def appraisal_form(p: Person, year: int, rating: str = "优秀", *, face: str = "hei") -> tuple[np.ndarray, dict]:
    """A registration form with ruled cells; the rating ticked in its cell."""
    c = Canvas(A4, face)
    c.centered(110, f"{year}年度事业单位工作人员年度考核登记表", 44)
    boxes = ["优秀", "合格", "基本合格", "不合格"]
    ticks = "  ".join(("☑" if r == rating else "□") + r for r in boxes)
    track = {"name": p.name, "employer": p.employer}
    y = c.table(100, 240, [200, 340, 200, 300], [["姓  名", p.name, "性  别", p.sex], ["单  位", p.employer, "职  务", "教师"]], 28, track=track)
    y = c.table(100, y, [300, 740], [["现任专业技术职务", "中学一级教师"], ["个人总结", "本年度认真履行岗位职责，完成各项教学任务。"]], 28, track=track)
    y = c.table(100, y, [300, 740], [["考核等次", ticks]], 28, track=track)
    c.text((700, y + 160), f"{p.employer}（盖章）", 30, track=track)
    c.text((760, y + 220), f"{year + 1}年1月12日", 30)
    return c.array(), c.boxes


def publicity_list(p: Person, colleagues: list[str], *, face: str = "microhei", start=(2025, 5, 12), end=(2025, 5, 16)) -> tuple[np.ndarray, dict]:
    """A unit's publicity notice listing several people, the applicant among them."""
    c = Canvas(A4, face)
    c.centered(120, "关于2025年度专业技术职务任职资格推荐人选的公示", 38)
    track = {"name": p.name, "employer": p.employer}
    y = c.paragraph((110, 240), f"经{p.employer}职称推荐工作小组研究，拟推荐以下同志参加职称评审，现予公示：", 30, 1020, track=track)
    rows = [["序号", "姓名", "申报系列", "申报级别"]]
    for i, n in enumerate([p.name, *colleagues], start=1):
        rows.append([str(i), n, "中小学教师", "中级"])
    y = c.table(110, y + 20, [100, 360, 300, 260], rows, 28, track=track)
    y = c.paragraph((110, y + 30), f"公示期：{start[0]}年{start[1]}月{start[2]}日至{end[0]}年{end[1]}月{end[2]}日。如有异议，请向单位纪检部门反映。", 30, 1020)
    c.text((700, y + 120), p.employer, 30, track=track)
    c.text((760, y + 180), f"{start[0]}年{start[1]}月{start[2]}日", 30)
    return c.array(), c.boxes


def ce_certificate(p: Person, year: int, category: str, *, face: str = "kai") -> tuple[np.ndarray, dict]:
    c = Canvas(LANDSCAPE, face)
    c.border(ornate=False)
    c.centered(140, "专业技术人员继续教育证书", 64)
    track = {"name": p.name, "employer": p.employer}
    c.paragraph((220, 330), f"{p.name}（单位：{p.employer}）参加{year}年度{category}培训，累计完成学时30学时，经考核合格。", 40, LANDSCAPE[0] - 440, track=track)
    c.text((1050, 900), "新疆专业技术人员继续教育基地", 34)
    c.text((1150, 960), f"{year}年11月30日", 34)
    return c.array(), c.boxes


# ---------------------------------------------------------------- capture


def photographed(img: np.ndarray, seed: int, *, strength: float = 1.0) -> np.ndarray:
    """As a phone captures a sheet on a desk: perspective, uneven light and a shadow, JPEG."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    pad = int(0.06 * max(h, w))
    canvas = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(70, 80, 90))
    H, W = canvas.shape[:2]
    j = 0.035 * strength
    src = np.float32([[pad, pad], [W - pad, pad], [W - pad, H - pad], [pad, H - pad]])
    dst = (src + rng.uniform(-j, j, (4, 2)) * [W, H]).astype(np.float32)
    warped = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(src, dst), (W, H), borderValue=(70, 80, 90))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    light = 1.0 - 0.18 * strength * (0.5 + 0.5 * (gx * (xx / W - 0.5) + gy * (yy / H - 0.5)))
    shadow_x = rng.uniform(0.2, 0.8) * W
    light *= np.where(xx < shadow_x, 1.0, 1.0 - 0.12 * strength)
    out = np.clip(warped.astype(np.float32) * light[..., None] + rng.normal(0, 3, warped.shape), 0, 255).astype(np.uint8)
    out = cv2.GaussianBlur(out, (0, 0), 0.6)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 90))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def photocopy(img: np.ndarray, seed: int) -> np.ndarray:
    """A grey photocopy: colour gone, contrast pushed, toner speckle."""
    rng = np.random.default_rng(seed)
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    g = np.clip((g - 40) * 1.25, 0, 255) + rng.normal(0, 5, g.shape)
    return cv2.cvtColor(np.clip(g, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def mask_boxes(img: np.ndarray, boxes: list[tuple[float, float, float, float]], colour: int = 0) -> np.ndarray:
    out = img.copy()
    h, w = out.shape[:2]
    for x0, y0, x1, y1 in boxes:
        out[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)] = colour
    return out
