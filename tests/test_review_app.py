"""The auditors' app: nothing without signing in, CSRF on every form, no store paths, decisions recorded."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from storage.reviewdb import Packet, Status, audit_trail, decisions, fingerprints
from tests.reviewkit import PASSWORD, api_routes, csrf_of, login, make_app, publish, screened


@pytest.fixture
def setup(tmp_path):
    app, store, db = make_app(tmp_path)
    result = screened()
    version = publish(store, db, "uploads/2024-RV-0001", result)
    return app, store, db, result, version


def _concrete(path: str, version: str) -> str:
    return (
        path.replace("{app_id}", "2024-RV-0001")
        .replace("{version}", version)
        .replace("{folder}", "pages")
        .replace("{name}", "0-1.jpg")
        .replace("{fingerprint}", "x")
    )


def test_no_page_or_image_without_signing_in(setup):
    app, _store, _db, _result, version = setup
    client = TestClient(app)
    open_routes = {"/login", "/healthz", "/hooks/minio", "/static/review.css"}
    checked = 0
    for route in api_routes(app):
        if route.path in open_routes:
            continue
        for method in route.methods:
            r = client.request(method, _concrete(route.path, version), follow_redirects=False)
            if route.path.endswith("{name}"):
                assert r.status_code == 401, route.path
            elif method == "GET":
                assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), route.path
            else:  # a form post without a session fails its CSRF check or its sign-in, never acts
                assert r.status_code in (303, 403), (method, route.path, r.status_code)
            checked += 1
    assert checked >= 6
    assert "阿依古丽" not in client.get("/packets/2024-RV-0001").text


def test_sign_in_then_queue_packet_page_and_images(setup):
    app, _store, _db, _result, version = setup
    client = TestClient(app)
    assert login(client, password="wrong password!").status_code == 401
    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/"
    queue = client.get("/").text
    assert "2024-RV-0001" in queue and 'class="tag return_to_applicant"' in queue
    page = client.get("/packets/2024-RV-0001")
    assert page.status_code == 200 and "姓名未遮盖" in page.text and "class=\"box error\"" in page.text
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # images only through the app's own URLs, never store keys
    assert "uploads/" not in page.text and "reports/" not in page.text and "file://" not in page.text
    imgs = re.findall(r'src="(/packets/[^"]+)"', page.text)
    assert len(set(imgs)) == 2  # the page (thumbnail and large viewer) and the evidence crop of the located finding
    for src in set(imgs):
        got = client.get(src)
        assert got.status_code == 200 and got.content[:2] == b"\xff\xd8"
    for bad in (f"/packets/2024-RV-0001/v/{version}/pages/..%2Freport.json", "/packets/2024-RV-0001/v/other/pages/0-1.jpg",
                f"/packets/2024-RV-0001/v/{version}/raw/0-1.jpg", "/packets/..%2F..%2Fetc/v/x/pages/0-1.jpg"):
        assert client.get(bad).status_code == 404, bad


def test_forms_need_the_session_csrf_token(setup, tmp_path):
    app, _store, db, result, version = setup
    client = TestClient(app)
    login(client)
    fp = fingerprints(result.report)[1]
    url = f"/packets/2024-RV-0001/findings/{fp}"
    assert client.post(url, data={"decision": "confirmed"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"decision": "confirmed", "csrf": "forged"}, follow_redirects=False).status_code == 403
    other = TestClient(app)
    login(other)
    other_token = csrf_of(other.get("/").text)
    assert client.post(url, data={"decision": "confirmed", "csrf": other_token}, follow_redirects=False).status_code == 403
    with db.session() as s:
        assert decisions(s, "2024-RV-0001") == {}
    token = csrf_of(client.get("/").text)
    assert client.post(url, data={"decision": "confirmed", "csrf": token, "version": version}, follow_redirects=False).status_code == 303
    with db.session() as s:
        assert decisions(s, "2024-RV-0001")[fp].decision == "confirmed"
    # the sign-in form itself is protected
    assert TestClient(app).post("/login", data={"username": "li", "password": PASSWORD}, follow_redirects=False).status_code == 403


def test_dismiss_and_return_are_recorded_with_the_reasons(setup):
    app, _store, db, result, version = setup
    client = TestClient(app)
    login(client)
    token = csrf_of(client.get("/").text)
    name_fp, rot_fp, ce_fp = fingerprints(result.report)
    seen = {"csrf": token, "version": version}
    refused = client.post(f"/packets/2024-RV-0001/findings/{name_fp}", data={"decision": "dismissed", "comment": ""} | seen)
    assert "未记录" in refused.text  # a dismissal needs a reason (the flash on the page redirected to)
    client.post(f"/packets/2024-RV-0001/findings/{name_fp}", data={"decision": "dismissed", "comment": "已遮盖"} | seen)
    client.post(f"/packets/2024-RV-0001/findings/{ce_fp}", data={"decision": "confirmed"} | seen)
    page = client.get("/packets/2024-RV-0001").text
    assert "box error dismissed" in page and "继续教育不完整：缺少2024年度专业科目学时" in page
    r = client.post("/packets/2024-RV-0001/decision", data={"decision": "return", "comment": "请补充"} | seen, follow_redirects=False)
    assert r.status_code == 303
    with db.session() as s:
        trail = audit_trail(s, "2024-RV-0001")
        assert trail[0].action == "packet_return" and trail[0].actor == "li" and trail[0].report_version == version
        assert trail[0].detail["reasons"] == ["继续教育不完整：缺少2024年度专业科目学时"]
        assert {e.action for e in trail} >= {"finding_dismissed", "finding_confirmed", "report_published"}
    assert "已退回申请人" in client.get("/packets/2024-RV-0001").text
    assert "2024-RV-0001" not in client.get("/").text  # out of the queue of packets awaiting review
    assert "2024-RV-0001" in client.get("/?status=returned").text
    assert "操作记录" in client.get("/audit").text
    assert rot_fp not in {d for d in decisions_of(db)}  # undecided findings stay undecided


def decisions_of(db):
    with db.session() as s:
        return decisions(s, "2024-RV-0001")


def test_dismissal_survives_an_identical_rescreen_in_the_app(setup):
    app, store, db, result, version = setup
    client = TestClient(app)
    login(client)
    token = csrf_of(client.get("/").text)
    name_fp = fingerprints(result.report)[0]
    client.post(f"/packets/2024-RV-0001/findings/{name_fp}", data={"decision": "dismissed", "comment": "误报", "csrf": token, "version": version})
    again = screened()
    again.report = again.report.model_copy(update={"generated_at": again.report.generated_at.replace(day=3)})
    publish(store, db, "uploads/2024-RV-0001", again)
    page = client.get("/packets/2024-RV-0001").text
    assert page.count('<span class="state dismissed">已排除') == 1 and "误报" in page
    changed = screened(sha="d" * 64)  # the applicant uploaded the file again
    publish(store, db, "uploads/2024-RV-0001", changed)
    page = client.get("/packets/2024-RV-0001").text
    assert 'class="state dismissed"' not in page and page.count("待处理</span>") == 3


@pytest.mark.parametrize(("target", "lands"), [
    ("/packets/2024-RV-0001", "/packets/2024-RV-0001"),
    ("/audit?application=2024-RV-0001", "/audit?application=2024-RV-0001"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ('/"><meta http-equiv="refresh" content="0">', "/"),
    ("/%0d%0aSet-Cookie:%20x=1", "/%0d%0aSet-Cookie:%20x=1"),  # stays encoded: a path, not a header
])  # fmt: skip
def test_next_never_leaves_the_app(setup, target, lands):
    app, *_ = setup
    client = TestClient(app)
    token = csrf_of(client.get("/login", params={"next": target}).text)
    r = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf": token, "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == lands


def test_signing_out_ends_the_session(setup):
    app, _store, db, *_ = setup
    client = TestClient(app)
    login(client)
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    with db.session() as s:
        assert s.get(Packet, "2024-RV-0001").status == Status.awaiting_review  # signing out decides nothing


def test_every_packet_decision_has_a_label():
    from review.web import PACKET_DECISION_LABELS
    from storage.reviewdb import PACKET_DECISIONS

    assert set(PACKET_DECISION_LABELS) == set(PACKET_DECISIONS)
