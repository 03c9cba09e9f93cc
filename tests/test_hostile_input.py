"""Hostile text in everything an outsider controls is shown as text, never as markup: every page of
the review app, the HTML report and the Prefect artifact, with markup in manifest names and
employer, file names and folders, OCR lines, seal text, failed usernames, comments, query strings."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.context import PageResult, ScreenResult
from pipeline.html import render_html
from pipeline.models import ChecklistItem, DocumentInfo, EngineInfo, Finding, FindingCode, PageInfo, Report
from pipeline.packet import load_packet
from pipeline.report import recommend
from pipeline.screen import screen_packet
from review.users import add_user
from storage.reviewdb import fingerprints
from tests.reviewkit import PASSWORD, csrf_of, login, make_app, page_image, publish

# a meta refresh, a planted form with a full-page button, an event handler, a style sheet, a script,
# an attribute break-out, a base element, and an unknown element that must appear only as text; a
# right-to-left override that would show the rest of its line reversed must not appear at all
RLO = "\u202e"
H = (
    '"\u202e><meta http-equiv="refresh" content="0;url=//evil.example"><base href="//evil.example/">'
    '<form id="evil" action="/packets/X/decision" method="post"><input name="decision" value="pass">'
    '<button formaction="/logout">x</button></form><img src=x onerror=alert(1)>'
    "<style>*{display:none}</style><script>alert(1)</script><x-evil>'"
)
MARKER = "<x-evil>"
NAME_H = '"><img src=x onerror=alert(1)><form id="evil"><x-evil>'  # no "/": a folder or a file name


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str, *, style_elements: int = 0, expect_text: bool = True) -> None:
    """No element or attribute of the payload made it into the document; the payload is there as text,
    in the order it was typed."""
    assert RLO not in html
    page = Tags()
    page.feed(html)
    names = [t for t, _ in page.tags]
    assert "x-evil" not in names and "script" not in names and "base" not in names
    assert names.count("style") == style_elements
    for tag, attrs in page.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "formaction" not in attrs and "http-equiv" not in attrs, (tag, attrs)
        assert attrs.get("id") != "evil" and attrs.get("src") != "x", (tag, attrs)
    if expect_text:
        assert MARKER in "".join(page.text) or any(MARKER in v for _, a in page.tags for v in a.values() if v), "the payload is not on the page"


def hostile_report(app_id: str = "2024-HX-0001") -> ScreenResult:
    folder_file = f"{H}/扫描{H}.jpg"
    findings = (
        Finding.of(
            FindingCode.UNMASKED_NAME,
            f"申请人姓名未遮盖（识别到“{H}”），请使用遮盖工具遮盖后重新上传",  # as names.py quotes the OCR line
            slot="diploma",
            file=folder_file,
            page=1,
            bbox=(0.1, 0.25, 0.6, 0.3),
            evidence={"text": H, "score": 0.9},
        ),
        Finding.of(
            FindingCode.UNMASKED_SEAL,
            f"单位公章未遮盖（印章文字“{H}”）",  # as seals.py quotes the ring text
            slot="diploma",
            file=folder_file,
            page=1,
            bbox=(0.6, 0.7, 0.8, 0.85),
            evidence={"text": H, "ocr_confidence": 0.9, "red": True, "score": 0.95},
        ),
        Finding.of(FindingCode.UNREADABLE_FILE, f"文件无法读取：{H}", slot="photo", file=H, evidence={"reason": H, "detail": H}),
        Finding.of(FindingCode.NOT_ELIGIBLE, f"不符合申报条件：单位“{H}”", evidence={"employer": H, "score": 1.0}),
    )
    info = PageInfo(page=1, sharpness=110.0, width=850, height=1200, text_source="ocr", error=H)
    report = Report(
        application_id=app_id,
        track="review",
        recommendation=recommend(findings),
        findings=findings,
        documents=(
            DocumentInfo(slot="diploma", file=folder_file, format="jpeg", page_count=1, sha256="c" * 64, pages=(info,)),
            DocumentInfo(slot="photo", file=H, format=None, page_count=0),
        ),
        generated_at=datetime(2025, 6, 2, 3, 0, tzinfo=UTC),
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="r", build="b"),
        checklist=(ChecklistItem(item=f"工作单位 {H}", state="problem", detail=H, codes=(FindingCode.NOT_ELIGIBLE,)),),
    )
    page = PageResult(slot="diploma", file=folder_file, info=info, thumbnail=page_image())
    return ScreenResult(report=report, pages=[page])


@pytest.fixture
def hostile_app(tmp_path):
    from tests.seeding import applicant

    app, store, db = make_app(tmp_path)
    result = hostile_report()
    version = publish(store, db, "uploads/2024-HX-0001", result, applicant=applicant(NAME_H, H[-128:]))
    with db.session() as s:
        add_user(s, "root", PASSWORD, H[-128:], role="admin")
    return app, db, result, version


def test_every_review_page_shows_hostile_text_as_text(hostile_app):
    app, db, result, version = hostile_app
    anonymous = TestClient(app)
    reflected = anonymous.get("/login", params={"next": "/" + H}).text  # before signing in
    assert_inert(reflected, expect_text=False)
    assert 'name="next" value="/"' in reflected  # a next that is not a plain path of the app is dropped
    failed = anonymous.post("/login", data={"username": H, "password": "x" * 12, "csrf": csrf_of(anonymous.get("/login").text), "next": "/" + H})
    assert failed.status_code == 401
    assert_inert(failed.text, expect_text=False)

    client = TestClient(app)
    assert login(client).status_code == 303
    token = csrf_of(client.get("/").text)
    name_fp, seal_fp, _unreadable_fp, _elig_fp = fingerprints(result.report)
    seen = {"csrf": token, "version": version}
    client.post(f"/packets/2024-HX-0001/findings/{name_fp}", data={"decision": "dismissed", "comment": H} | seen)
    client.post(f"/packets/2024-HX-0001/findings/{seal_fp}", data={"decision": "confirmed", "comment": H} | seen)
    flashed = client.post(f"/packets/2024-HX-0001/findings/{seal_fp}", data={"decision": H} | seen)  # an error message quoting it
    assert "未记录" in flashed.text
    assert_inert(flashed.text)
    r = client.post("/packets/2024-HX-0001/decision", data={"decision": "return", "comment": H} | seen)
    assert "已记录" in r.text

    admin = TestClient(app)
    assert login(admin, "root").status_code == 303
    pages = {
        "queue": client.get("/", params={"status": H, "track": H, "code": H, "page": "2"}),
        "queue (all)": client.get("/", params={"status": "all"}),  # the applicant's name and employer
        "search": client.get("/", params={"q": H}),
        "search by the hostile name": client.get("/", params={"q": NAME_H}),
        "packet": client.get("/packets/2024-HX-0001", params={"q": H, "status": H, "track": H, "code": H}),
        "viewer": client.get("/packets/2024-HX-0001/view/f1", params={"zoom": H, "q": H}),
        "audit": client.get("/audit"),
        "audit of one application": client.get("/audit", params={"application": H}),
        "statistics": client.get("/stats", params={"start": H, "end": H, "track": H}),
        "export form": client.get("/export"),
        "export refused": client.post("/export", data={"csrf": token, "start": H, "end": H, "track": H, "format": H}),
        "users": admin.get("/users"),  # an account whose display name is markup
    }
    for name, page in pages.items():
        assert page.status_code == (400 if name == "export refused" else 200), name
        assert_inert(page.text, expect_text=name not in ("queue", "search", "statistics", "export form", "export refused"))  # search: cut at 200 characters
    packet = pages["packet"].text
    assert packet.count("<form") == 2 + 4 + 1  # sign-out and search, one per finding, the packet decision: nothing planted
    assert 'id="evil"' not in packet and "&lt;x-evil&gt;" in packet
    assert "2024-HX-0001" in pages["queue (all)"].text and "2024-HX-0001" in pages["search by the hostile name"].text
    # the failed sign-in's username is in the summary entry, as text
    audit = pages["audit"].text
    assert "登录失败" in audit and "&lt;meta http-equiv=&#34;refresh&#34;" in audit and "&lt;x-evil&gt;" in audit


def test_html_report_shows_hostile_text_as_text():
    result = hostile_report()
    html = render_html(result.report, result.pages)
    assert_inert(html, style_elements=1)  # the report's own style sheet, nothing else
    assert html.count("&lt;x-evil&gt;") >= 6  # file names, folders, messages, evidence, checklist


def test_screened_packet_with_hostile_names_and_file_names(tmp_path, engines, notices):
    """The real pipeline on a packet whose manifest fields, folder and file names carry markup."""
    from samples import generate as S

    folder = tmp_path / "2024-HX-0002"
    builder = S.PacketBuilder(folder, application_id="2024-HX-0002", track="review", person=S.Person(name=H[:64], employer=H[:128]))
    (folder / NAME_H).mkdir(parents=True)
    builder.add("photo", f"{NAME_H}/照片{NAME_H}.jpg", S.encode_image(S.cover_eyes(S.face_photo(), "bar"), "jpeg"))
    builder.materials.setdefault("diploma", []).append(f"{NAME_H}.pdf")  # listed, never uploaded
    builder.write()
    result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS)
    files = {d.file for d in result.report.documents}
    assert f"{NAME_H}/照片{NAME_H}.jpg" in files and f"{NAME_H}.pdf" in files

    app, store, db = make_app(tmp_path)
    publish(store, db, "uploads/2024-HX-0002", result)
    client = TestClient(app)
    login(client)
    page = client.get("/packets/2024-HX-0002")
    assert page.status_code == 200
    assert_inert(page.text)
    assert_inert(render_html(result.report, result.pages), style_elements=1)


def test_prefect_artifact_markdown_is_text():
    from markdown_it import MarkdownIt

    from flows.artifacts import md, report_artifact

    result = hostile_report()
    text = report_artifact(result.report, "v1", "awaiting_review")
    link_payload = "[click](javascript:alert(1)) ![x](http://evil.example/p.png) http://evil.example | cell"
    text += "\n\n" + md(link_payload)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)  # raw HTML allowed: the worst case
    assert_inert(html)
    page = Tags()
    page.feed(html)
    links = [a.get("href") for t, a in page.tags if t == "a"]
    assert links == ["http://127.0.0.1:8080/packets/2024-HX-0001"]  # the review link only
    assert not any(t == "img" for t, _ in page.tags)
    rows = [t for t, _ in page.tags if t == "tr"]
    assert len(rows) == 1 + len(result.report.findings)  # no row or cell broken out of by a "|" or a line break


def test_no_template_can_turn_escaping_off():
    from review.web import TEMPLATE_DIR, TEMPLATES

    assert TEMPLATES.env.autoescape is True  # the HTML report's environment: test_html_report_shows_hostile_text_as_text
    templates = [*TEMPLATE_DIR.glob("*.j2"), *(Path(__file__).parents[1] / "pipeline" / "templates").glob("*.j2")]
    assert len(templates) >= 7
    for path in templates:
        text = path.read_text().replace(" ", "")
        assert "|safe" not in text and "autoescapefalse" not in text and "{%autoescape" not in text, path
    for path in (Path(__file__).parents[1] / "review").glob("*.py"):
        assert "Markup(" not in path.read_text(), path
