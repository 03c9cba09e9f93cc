"""Roles: every route of the app against every role (a route nobody classified fails the test), what
a refused request leaves behind (nothing), escalated packets decided by leads only, the navigation
each role sees, and ``prescreen user add --role`` / ``prescreen user role``."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from prescreen.cli import main
from review.users import add_user
from storage.reviewdb import Packet, Status, User, audit_trail, decisions, fingerprints
from tests.reviewkit import PASSWORD, api_routes, csrf_of, login, make_app, publish, screened

APP = "2024-RV-0001"
R, L, A = "auditor", "lead", "admin"
REVIEWERS = {R, L}
# who may use each route; the test fails on a route missing here
EXPECTED = {
    ("GET", "/"): REVIEWERS,
    ("GET", "/packets/{app_id}"): REVIEWERS,
    ("GET", "/packets/{app_id}/view/{stop}"): REVIEWERS,
    ("GET", "/packets/{app_id}/v/{version}/{folder}/{name}"): REVIEWERS,
    ("POST", "/packets/{app_id}/findings/{fingerprint}"): REVIEWERS,
    ("POST", "/packets/{app_id}/decision"): REVIEWERS,
    ("GET", "/stats"): {L},
    ("GET", "/export"): {L},
    ("POST", "/export"): {L},
    ("GET", "/audit"): {L, A},
    ("GET", "/users"): {A},
    ("POST", "/users"): {A},
    ("POST", "/users/{username}/role"): {A},
    ("POST", "/users/{username}/disable"): {A},
}
OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/healthz"), ("POST", "/hooks/minio"), ("GET", "/static/review.css")}


@pytest.fixture
def setup(tmp_path):
    app, store, db = make_app(tmp_path, role=L)
    result = screened()
    version = publish(store, db, f"uploads/{APP}", result)
    with db.session() as s:
        add_user(s, "zhang", PASSWORD, "张审核", role=R)
        add_user(s, "root", PASSWORD, "管理员", role=A)
        add_user(s, "target", PASSWORD, "被操作账户", role=R)
    return app, db, result, version


def signed_in(app, name: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    assert login(client, name).status_code == 303
    return client


def concrete(path: str, version: str, fp: str) -> str:
    for k, v in {"{app_id}": APP, "{version}": version, "{folder}": "pages", "{name}": "0-1.jpg", "{fingerprint}": fp,
                 "{stop}": "f1", "{username}": "target"}.items():  # fmt: skip
        path = path.replace(k, v)
    return path


def test_every_route_against_every_role(setup):
    app, db, result, version = setup
    fp = fingerprints(result.report)[1]
    routes = {(m, r.path) for r in api_routes(app) for m in r.methods}
    assert routes - OPEN == set(EXPECTED), "a route without a rule in EXPECTED (or a rule without its route)"
    for role, name in ((R, "zhang"), (L, "li"), (A, "root")):
        client = signed_in(app, name)
        token = csrf_of(client.get("/login").text)
        for method, path in sorted(EXPECTED):
            url = concrete(path, version, fp)
            form = {"csrf": token, "version": "not-the-version", "decision": "no-such-decision", "role": "nobody",
                    "username": "x", "password": "short", "start": "x", "end": "x"}  # fmt: skip
            r = client.request(method, url, data=form if method == "POST" else None, follow_redirects=False)
            where = (role, method, path, r.status_code)
            if role in EXPECTED[(method, path)]:
                assert r.status_code not in (401, 403) and "/login" not in r.headers.get("location", ""), where
            else:
                assert r.status_code == 403, where
    with db.session() as s:  # refused posts left nothing; allowed ones with bad fields were refused by their own checks
        assert decisions(s, APP) == {} and s.get(Packet, APP).status == Status.awaiting_review
        assert s.query(User).filter_by(username="x").count() == 0 and s.query(User).filter_by(username="target").one().role == R
        changes = [(e.actor, e.action) for e in audit_trail(s) if e.action in ("export", "user_role_changed", "user_disabled")]
        assert changes == [("root", "user_disabled")]  # the admin's own, allowed, disabling of "target"


def test_navigation_shows_each_role_its_pages(setup):
    app, *_ = setup
    pages = {"待审队列": "/", "统计": "/stats", "导出": "/export", "操作记录": "/audit", "用户管理": "/users"}
    expect = {"zhang": {"待审队列"}, "li": {"待审队列", "统计", "导出", "操作记录"}, "root": {"操作记录", "用户管理"}}
    for name, shown in expect.items():
        client = TestClient(app)
        landing = login(client, name).headers["location"]
        assert landing == ("/users" if name == "root" else "/")
        html = client.get(landing).text
        assert {label for label, href in pages.items() if f'<a href="{href}">{label}</a>' in html} == shown, name


def test_escalated_packets_are_decided_by_leads(setup):
    app, db, result, version = setup
    auditor, lead = signed_in(app, "zhang"), signed_in(app, "li")
    name_fp, rot_fp, ce_fp = fingerprints(result.report)
    token = csrf_of(auditor.get("/").text)
    auditor.post(f"/packets/{APP}/decision", data={"csrf": token, "version": version, "decision": "escalate", "comment": "看不清，请组长定"})
    with db.session() as s:
        assert s.get(Packet, APP).status == Status.escalated
    page = auditor.get(f"/packets/{APP}").text
    assert 'id="locked"' in page and 'action="/packets/2024-RV-0001/decision"' not in page
    refused = auditor.post(f"/packets/{APP}/findings/{rot_fp}", data={"csrf": token, "version": version, "decision": "confirmed"})
    assert "须由审核组长决定" in refused.text
    refused = auditor.post(f"/packets/{APP}/decision", data={"csrf": token, "version": version, "decision": "return", "comment": "x"})
    assert "须由审核组长决定" in refused.text
    with db.session() as s:
        assert s.get(Packet, APP).status == Status.escalated and decisions(s, APP) == {}
    token = csrf_of(lead.get("/").text)
    for fp in (name_fp, ce_fp):
        lead.post(f"/packets/{APP}/findings/{fp}", data={"csrf": token, "version": version, "decision": "confirmed"})
    lead.post(f"/packets/{APP}/decision", data={"csrf": token, "version": version, "decision": "return", "comment": "请补正"})
    with db.session() as s:
        assert s.get(Packet, APP).status == Status.returned
        assert [(e.actor, e.action) for e in audit_trail(s, APP)][0] == ("li", "packet_return")


def test_admin_manages_accounts_but_not_itself(setup):
    app, db, *_ = setup
    admin = signed_in(app, "root")
    token = csrf_of(admin.get("/users").text)
    r = admin.post("/users", data={"csrf": token, "username": "wu", "display_name": "吴组长", "role": "lead", "password": "a long password"})
    assert r.status_code == 200 and "已保存账户 wu（审核组长）" in r.text
    assert "已将 target 设为审核组长" in admin.post("/users/target/role", data={"csrf": token, "role": "lead"}).text
    assert "不能更改自己账户的角色" in admin.post("/users/root/role", data={"csrf": token, "role": "auditor"}).text
    assert "不能停用自己的账户" in admin.post("/users/root/disable", data={"csrf": token}).text
    assert "未知角色" in admin.post("/users/target/role", data={"csrf": token, "role": "owner"}).text
    wu = TestClient(app)
    assert login(wu, "wu", "a long password").status_code == 303 and wu.get("/stats").status_code == 200
    target = signed_in(app, "target")
    assert target.get("/stats").status_code == 200
    assert "已停用 target" in admin.post("/users/target/disable", data={"csrf": token}).text
    assert target.get("/stats", follow_redirects=False).status_code == 303  # its session ended
    with db.session() as s:
        actions = [(e.actor, e.action, e.detail.get("user")) for e in reversed(audit_trail(s)) if e.action.startswith("user_")]
    assert actions[-3:] == [("root", "user_added", "wu"), ("root", "user_role_changed", "target"), ("root", "user_disabled", "target")]


def test_cli_roles(setup, monkeypatch, capsys):
    app, db, *_ = setup
    monkeypatch.setattr("sys.stdin", io.StringIO("another good password\n"))
    assert main(["user", "add", "chen", "--name", "陈组长", "--role", "lead", "--password-stdin"]) == 0
    assert "chen (lead) can sign in" in capsys.readouterr().out
    assert main(["user", "role", "chen", "admin"]) == 0
    assert main(["user", "list"]) == 0
    assert "chen\t陈组长\tactive\tadmin\t" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["user", "role", "chen", "superuser"])  # argparse refuses an unknown role
    assert main(["user", "role", "nobody", "lead"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err
    chen = TestClient(app)
    assert login(chen, "chen", "another good password").headers["location"] == "/users"
    assert chen.get("/").status_code == 403
