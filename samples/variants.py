"""More sample documents, written as other issuers write them: diplomas with the birth date before,
after or without the study period and dates in words or digits, continuing-education certificates
in other layouts, ID cards' emblem side, title, teacher and Mandarin certificates, postdoc and
foreign-degree certificates, publicity notices listing colleagues, recommendation reports signed
by a superior, dated promise letters and publicity results; every font installed here; the same page
captured again (re-encoded, rescaled, cropped, shifted, turned, rescanned).

Built on ``samples.generate`` and imported by nothing in the screening code: tests and benchmarks
only. Every generator is deterministic for its arguments.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from samples import generate as S
from samples.generate import A4_PT, CERT_CSS, Person

EXTRA_FONTS = {  # Debian fonts-noto-cjk, fonts-wqy-microhei
    "noto-sans": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "noto-serif": Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    "microhei": Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
}


def all_fonts() -> list[str]:
    """Every CJK font a page can be rendered in here: samples' own plus Noto Sans/Serif CJK and WQY Micro Hei."""
    return S.available_fonts() + [name for name, path in EXTRA_FONTS.items() if path.is_file()]


def render(html: str, *, font: str = "china-s", dpi: int = 150, size_pt: tuple[float, float] = A4_PT) -> np.ndarray:
    """``samples.render_html`` in any font of ``all_fonts()``."""
    if font not in EXTRA_FONTS:
        return S.render_html(html, dpi=dpi, font=font, size_pt=size_pt)
    return _raster(_page(pymupdf.open(), html, font, size_pt), dpi)


def pdf(pages_html: list[str], *, font: str = "china-s") -> bytes:
    """A PDF with a text layer, in any font of ``all_fonts()``."""
    if font not in EXTRA_FONTS:
        return S.html_pdf(pages_html, font=font)
    doc = pymupdf.open()
    for html in pages_html:
        _page(doc, html, font, A4_PT)
    return doc.tobytes()


def _page(doc: pymupdf.Document, html: str, font: str, size_pt: tuple[float, float]) -> pymupdf.Page:
    path = EXTRA_FONTS[font]
    page = doc.new_page(width=size_pt[0], height=size_pt[1])
    css = f"@font-face {{font-family: f; src: url({path.name});}}\n" + CERT_CSS.replace("china-s", "f")
    archive = pymupdf.Archive()
    archive.add(str(path.parent))
    kai = S.SYSTEM_FONTS["kai"]
    if kai.is_file():
        css = f"@font-face {{font-family: hand; src: url({kai.name});}}\n" + css
        archive.add(str(kai.parent))
    css += "\n.hand { font-family: hand, f; font-size: 20px; }"
    page.insert_htmlbox(pymupdf.Rect(56, 56, size_pt[0] - 56, size_pt[1] - 56), html, css=css, archive=archive)
    return page


def _raster(page: pymupdf.Page, dpi: int) -> np.ndarray:
    pix = page.get_pixmap(dpi=dpi)
    img = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3]
    return cv2.cvtColor(img, cv2.COLOR_RGB2BGR)


# ---------------------------------------------------------------- dates as certificates write them

_CN = "〇一二三四五六七八九"


def _cn_digits(n: int) -> str:
    return "".join(_CN[int(c)] for c in str(n))


def _cn_small(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[units] if units else "")


def written(d: date, words: bool, day: bool = True) -> str:
    """2016年7月1日 or 二〇一六年七月一日 (month only when not ``day``)."""
    if words:
        return f"{_cn_digits(d.year)}年{_cn_small(d.month)}月" + (f"{_cn_small(d.day)}日" if day else "")
    return f"{d.year}年{d.month}月" + (f"{d.day}日" if day else "")


# ---------------------------------------------------------------- people

PEOPLE = (
    Person(),
    Person(name="努尔兰·别克", employer="乌鲁木齐市第六十八中学", born="一九九〇年八月二日", cert_no="107621201307004321"),
    Person(name="张晓明", employer="乌鲁木齐市天山区第一小学", born="一九八九年十二月五日", cert_no="106941201206008765"),
    Person(name="迪丽努尔·艾尔肯", employer="乌鲁木齐市第一人民医院", born="一九九二年五月二十日", cert_no="107551201406002468"),
    Person(name="刘洋", employer="乌鲁木齐市水磨沟区城建局", born="一九八七年一月十八日", cert_no="102001200906001357"),
)
OTHERS = ("王建华", "阿依古丽·吐尔逊", "李静", "买买提·艾力", "古丽娜尔·哈力克", "陈志强")


def name_forms(name: str) -> list[str]:
    """How a document may write the applicant's own name: as given, without its dot, with spaces."""
    forms = [name]
    if "·" in name:
        forms += [name.replace("·", ""), name.replace("·", " · "), name.replace("·", "．")]
    else:
        forms.append(" ".join(name))
    return forms


# ---------------------------------------------------------------- diplomas and degrees


def diploma_variant_html(
    p: Person,
    born: date,
    started: date,
    graduated: date,
    *,
    birth: str = "before",
    words: bool = True,
    template: int = 0,
    issued: date | None = None,
    name: str | None = None,
) -> str:
    """A diploma as other schools word it. ``birth``: before | after | none (the birth date's place
    relative to the study period, or no birth date); ``template`` 0-3: 学生…于…至…学习 (0),
    …入学，…毕业 (1), a form with labelled fields (2), no study period at all (3); dates in
    words or digits; ``issued`` the date at the foot (default: the graduation date)."""
    n = name or p.name
    b, s, g = written(born, words), written(started, words, day=False), written(graduated, words, day=False)
    foot = written(issued or graduated, words)
    birth_text = f"{b}生，" if birth == "before" else ""
    after = f"<p>该生{b}生。</p>" if birth == "after" else ""
    if template == 0:
        body = f"<p>学生 {n}，性别女，{birth_text}于{s}至{g}在本校{p.major}专业四年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。</p>"
    elif template == 1:
        body = f"<p>{n}，女，{birth_text}{s}入学，在本校{p.major}专业学习，学制四年，{g}毕业。</p>"
    elif template == 2:
        born_row = f"<tr><td>出生日期</td><td>{b}</td></tr>" if birth != "none" else ""
        body = (
            f"<table><tr><td>姓名</td><td>{n}</td></tr><tr><td>性别</td><td>女</td></tr>{born_row}"
            f"<tr><td>入学时间</td><td>{s}</td></tr><tr><td>毕业时间</td><td>{g}</td></tr>"
            f"<tr><td>专业</td><td>{p.major}</td></tr></table><p>修完教学计划规定的全部课程，成绩合格，准予毕业。</p>"
        )
        after = ""
    else:
        body = f"<p>学生 {n}，性别女，{birth_text}在本校{p.major}专业四年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。</p>"
    return (
        "<h1>毕业证书</h1>" + body + after + f"<p>校名：{p.school}</p><p>校（院）长：王建国</p>"
        f"<p>证书编号：{p.cert_no}</p><p class='right'>{foot}</p>"
    )


def degree_variant_html(p: Person, born: date, graduated: date, *, words: bool = True, name: str | None = None) -> str:
    return (
        "<h1>学士学位证书</h1>"
        f"<p>{name or p.name}，女，{written(born, words)}生。在{p.school}{p.major}专业完成了本科学习计划，"
        "业已毕业，经审核符合《中华人民共和国学位条例》的规定，授予文学学士学位。</p>"
        f"<p>{p.school}学位评定委员会主席：李明</p><p class='right'>{written(graduated, words)}</p>"
    )


# ---------------------------------------------------------------- continuing education


def ce_variant_html(
    p: Person,
    year: int,
    category: str = "公需科目",
    hours: int = 30,
    *,
    template: int = 0,
    words: bool = False,
    issued: date | None = None,
    name: str | None = None,
) -> str:
    """A continuing-education certificate as other centres print it: a sentence (0), a table of
    labelled fields (1), "公需课/专业课" wording with a certificate number (2); the year in words
    or digits; ``issued`` its date (default 20 December of its year)."""
    n = name or p.name
    y = f"{_cn_digits(year)}" if words else str(year)
    when = written(issued or date(year, 12, 20), words)
    if template == 1:
        return (
            "<h1>专业技术人员继续教育证书</h1>"
            f"<table><tr><td>姓名</td><td>{n}</td></tr><tr><td>工作单位</td><td>{p.employer}</td></tr>"
            f"<tr><td>年度</td><td>{y}</td></tr><tr><td>类别</td><td>{category}</td></tr>"
            f"<tr><td>学时</td><td>{hours}学时</td></tr></table>"
            f"<p class='right'>乌鲁木齐市继续教育和职称评价管理中心</p><p class='right'>发证日期：{when}</p>"
        )
    if template == 2:
        course = category.replace("科目", "课")
        return (
            "<h1>继续教育培训证书</h1>"
            f"<p>证书编号：JX{year}{hours:03d}{abs(hash(n)) % 10000:04d}</p>"
            f"<p>{n} 同志参加{y}年度专业技术人员继续教育{course}培训，完成{hours}学时，经考核合格。</p>"
            f"<p class='right'>新疆专业技术人员继续教育基地</p><p class='right'>{when}</p>"
        )
    return (
        "<h1>继续教育合格证书</h1>"
        f"<p>{n} 同志于{y}年度参加专业技术人员继续教育{category}学习，完成{hours}学时，考核合格，特发此证。</p>"
        f"<p>工作单位：{p.employer}</p>"
        f"<p class='right'>乌鲁木齐市继续教育和职称评价管理中心</p><p class='right'>{when}</p>"
    )


# ---------------------------------------------------------------- identity and titles


def id_emblem_html(start: date, end: date | None, *, dots: bool = True) -> str:
    """The emblem side of an ID card (as scanned onto A4): issuing office and 有效期限; ``end`` None is 长期."""
    fmt = (lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}") if dots else (lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日")
    until = "长期" if end is None else fmt(end)
    return (
        "<div style='border:1px solid #999; width:330px; padding:14px'>"
        "<p style='font-size:20px'>中华人民共和国</p><p style='font-size:22px'>居民身份证</p>"
        "<p>签发机关 乌鲁木齐市公安局天山分局</p>"
        f"<p>有效期限 {fmt(start)}-{until}</p></div>"
    )


def id_portrait_html(p: Person, name: str | None = None, born: str = "1994年3月12日") -> str:
    return (
        "<div style='border:1px solid #999; width:330px; padding:14px'>"
        f"<p>姓名 {name or p.name}</p><p>性别 女　民族 维吾尔</p><p>出生 {born}</p>"
        "<p>住址 新疆乌鲁木齐市天山区</p><p>公民身份号码 650102199403121234</p></div>"
    )


def title_certificate_html(p: Person, obtained: date, name: str | None = None, words: bool = False) -> str:
    return (
        "<h1>专业技术职务任职资格证书</h1>"
        f"<table><tr><td>姓名</td><td>{name or p.name}</td></tr><tr><td>工作单位</td><td>{p.employer}</td></tr>"
        "<tr><td>资格名称</td><td>中学一级教师</td></tr><tr><td>评审委员会</td><td>乌鲁木齐市中小学教师中级职称评审委员会</td></tr></table>"
        f"<p class='right'>批准日期：{written(obtained, words)}</p>"
    )


def teacher_qualification_html(p: Person, name: str | None = None, issued: date = date(2016, 9, 1)) -> str:
    return (
        "<h1>教师资格证书</h1>"
        f"<p>姓名：{name or p.name}　性别：女</p><p>身份证件号码：650102199403121234</p>"
        "<p>资格种类：高级中学教师资格</p><p>任教学科：语文</p><p>证书号码：20166510042001234</p>"
        f"<p class='right'>乌鲁木齐市教育局</p><p class='right'>{written(issued, False)}</p>"
    )


def mandarin_certificate_html(p: Person, name: str | None = None, tested: date = date(2015, 11, 20)) -> str:
    return (
        "<h1>普通话水平测试等级证书</h1>"
        f"<table><tr><td>姓名</td><td>{name or p.name}</td><td>性别</td><td>女</td></tr>"
        "<tr><td>等级</td><td colspan='3'>二级甲等</td></tr><tr><td>证书编号</td><td colspan='3'>6501152000123</td></tr></table>"
        f"<p class='right'>新疆维吾尔自治区语言文字工作委员会</p><p class='right'>{written(tested, False)}</p>"
    )


def postdoc_certificate_html(p: Person, name: str | None = None, out: date = date(2023, 9, 1)) -> str:
    return (
        "<h1>博士后研究人员出站证明</h1>"
        f"<p>兹证明{name or p.name}同志于2021年9月进入新疆大学化学博士后科研流动站从事博士后研究工作，"
        f"{written(out, False, day=False)}期满出站。</p>"
        f"<p class='right'>全国博士后管理委员会办公室</p><p class='right'>{written(out, False)}</p>"
    )


def foreign_degree_html(p: Person, name: str | None = None, issued: date = date(2015, 3, 10)) -> str:
    return (
        "<h1>国外学历学位认证书</h1>"
        f"<p>{name or p.name}，女，1990年8月2日出生，于2014年11月获得英国利兹大学授予的理学硕士学位。</p>"
        "<p>经审核，该学位证书真实有效。</p>"
        f"<p class='right'>教育部留学服务中心</p><p class='right'>{written(issued, False)}</p>"
    )


# ---------------------------------------------------------------- the unit's documents


def publicity_colleagues_html(people: list[str], start: str, end: str, employer: str = "乌鲁木齐市第十中学") -> str:
    """A unit's publicity of several candidates at once (colleagues are no holders)."""
    rows = "".join(f"<tr><td>{n}</td><td>中小学教师系列中级</td></tr>" for n in people)
    return (
        "<h1>推荐单位公示</h1>"
        f"<p>经本单位审核，拟推荐以下同志申报职称，现予以公示：</p><table><tr><td>姓名</td><td>申报资格</td></tr>{rows}</table>"
        f"<p>公示时间：{start}至{end}。</p><p>公示期间如有异议，请以书面形式向本单位人事部门反映。</p>"
        f"<p class='right'>{employer}</p><p class='right'>{start}</p>"
    )


def recommendation_report_html(p: Person, superior: str = "王建华") -> str:
    return (
        "<h1>推荐报告</h1>"
        f"<p>{p.name}同志自参加工作以来，政治立场坚定，工作认真负责，业务能力突出，经单位研究，同意推荐。</p>"
        f"<p>单位负责人（签字）：{superior}</p><p class='right'>{p.employer}</p><p class='right'>2025年5月20日</p>"
    )


def promise_letter_dated_html(p: Person, dated: date) -> str:
    return (
        "<h1>个人承诺书</h1>"
        "<p>本人郑重承诺：所提供的申报材料真实有效，如有弄虚作假，本人愿承担一切责任。</p>"
        f"<p>承诺人（签名）：<span class='hand'>{p.name}</span></p>"
        f"<p>承诺时间：<span class='hand'>{written(dated, False)}</span></p>"
    )


def appraisal_dated_html(p: Person, year: int, dated: date, rating: str = "优秀", name: str | None = None) -> str:
    """``samples.appraisal_html`` with its 落款 date given."""
    html = S.appraisal_html(replace(p, name=name or p.name), year, rating)
    return html.replace(f"{year + 1}年1月10日", written(dated, False))


# ---------------------------------------------------------------- the same page captured again

RECAPTURES = ("jpeg", "scale", "crop", "shift", "turn", "rescan")


def recapture(img: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """The same page captured again: re-encoded (JPEG 40-80), rescaled (0.6-1.3), cropped by
    0.5-2.5 %, shifted by up to 2 %, turned by up to 1 degree, or rescanned (a little of each,
    with exposure, noise and blur)."""
    r = random.Random(seed)
    h, w = img.shape[:2]
    if kind == "jpeg":
        return S.jpeg(img, r.choice([40, 60, 80]))
    if kind == "scale":
        return S.scale(img, r.choice([0.6, 0.8, 1.3]))
    if kind == "crop":
        f = r.uniform(0.005, 0.025)
        return img[int(h * f) : h - int(h * f * 0.5), int(w * f * 0.7) : w - int(w * f)]
    if kind == "shift":
        dx, dy = int(r.uniform(-0.02, 0.02) * w), int(r.uniform(-0.02, 0.02) * h)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))
    if kind == "turn":
        return S.skew(img, r.uniform(-1.0, 1.0))
    if kind == "rescan":
        out = S.skew(img, r.uniform(-0.8, 0.8))
        out = S.exposure(out, r.uniform(0.88, 1.05), r.uniform(-12, 8))
        out = S.blur(S.noise(out, 4, seed=r.randint(0, 999)), r.uniform(0, 0.8))
        out = S.scale(out, r.uniform(0.75, 1.15))
        f = r.uniform(0, 0.015)
        hh, ww = out.shape[:2]
        return S.jpeg(out[int(hh * f) :, int(ww * f) :], r.choice([55, 70, 90]))
    raise ValueError(f"unknown recapture {kind!r}")


def phone_photo(img: np.ndarray, seed: int = 0) -> np.ndarray:
    """A page photographed with a phone: the sheet a little askew in perspective on a darker table,
    lit unevenly, slightly soft, JPEG-compressed."""
    r = random.Random(seed)
    h, w = img.shape[:2]
    pad = int(0.06 * max(h, w))
    canvas = np.full((h + 2 * pad, w + 2 * pad, 3), r.randint(70, 130), np.uint8)
    canvas[pad : pad + h, pad : pad + w] = img
    H, W = canvas.shape[:2]
    j = 0.045
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    dst = src + np.float32([[r.uniform(-j, j) * w, r.uniform(-j, j) * h] for _ in range(4)])
    out = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(src, dst), (W, H), borderValue=(90, 90, 90))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 0.82 + 0.18 * (xx / W * r.uniform(0.3, 1) + yy / H * r.uniform(0.3, 1)) / 2
    out = (out.astype(np.float32) * light[..., None]).clip(0, 255).astype(np.uint8)
    return S.jpeg(S.blur(S.noise(out, 3, seed=seed), 0.8), 60)


@lru_cache(maxsize=64)
def rendered(html: str, font: str = "china-s", dpi: int = 150) -> np.ndarray:
    """``render`` cached (the evaluation renders the same page for several cases)."""
    img = render(html, font=font, dpi=dpi)
    img.setflags(write=False)
    return img
