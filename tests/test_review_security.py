"""The review app against hostile users, through HTTP: each attack refused, the legitimate use still working.

Headers and the stylesheet; duplicate form fields; CSRF and bearer tokens of any bytes; sessions that
end on sign-out, a new password, a disabled account and after 8 h whatever the activity; decisions
bound to the report version seen; sign-in throttling an outsider cannot turn against an auditor.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.models import Finding, FindingCode
from review.users import add_user, disable_user
from storage import throttle
from storage.reviewdb import AuditEntry, Packet, Status, audit_trail, decisions, fingerprints
from tests.reviewkit import PASSWORD, csrf_of, login, make_app, publish, screened

APP = "2024-RV-0001"


@pytest.fixture
def setup(tmp_path):
    app, store, db = make_app(tmp_path)
    result = screened()
    version = publish(store, db, f"uploads/{APP}", result)
    return app, store, db, result, version


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.t = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
        for target in ("storage.throttle.now", "review.auth.now"):
            monkeypatch.setattr(target, lambda: self.t)

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in(app, address: str = "203.0.113.5") -> TestClient:  # noqa: ANN001
    client = TestClient(app, client=(address, 50000))
    assert login(client).status_code == 303
    return client


# ---------------------------------------------------------------- headers, stylesheet


def test_strict_csp_no_inline_style_and_the_stylesheet_is_served(setup):
    app, *_ = setup
    client = signed_in(app)
    for path in ("/", f"/packets/{APP}", f"/packets/{APP}/view/f1", f"/packets/{APP}/view/p0-1", "/stats", "/export", "/audit", "/login"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "base-uri 'none'" in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "script-src" not in csp, path  # default-src 'none' covers scripts
        assert not re.search(r"<style|\sstyle=", r.text), path
        assert '<link rel="stylesheet" href="/static/review.css">' in r.text
        assert "strict-transport-security" not in r.headers  # plain http: no HSTS
    css = TestClient(app).get("/static/review.css")  # served without signing in: it holds nothing personal
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ".marks rect.box" in css.text
    page = client.get(f"/packets/{APP}").text
    assert re.search(r'<rect class="box error" x="10\.00%" y="25\.00%" width="50\.00%" height="5\.00%"/>', page)


def test_https_review_url_means_secure_cookies_and_hsts(tmp_path):
    app, store, db = make_app(
        tmp_path, review_url="https://review.example", webhook_token=SecretStr("w" * 32), secret_key=SecretStr("s" * 48)
    )
    client = TestClient(app, base_url="https://testserver")
    r = client.get("/login")
    assert "secure" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert login(client).status_code == 303
    http_app, *_ = make_app(tmp_path / "plain")
    assert "secure" not in TestClient(http_app).get("/login").headers["set-cookie"].lower()


# ---------------------------------------------------------------- forms and tokens


def test_duplicate_form_fields_are_refused(setup):
    app, _store, db, result, version = setup
    client = signed_in(app)
    token = csrf_of(client.get("/").text)
    fp = fingerprints(result.report)[1]
    url = f"/packets/{APP}/findings/{fp}"
    for data in (
        {"decision": ["dismissed", "confirmed"], "comment": "x", "csrf": token, "version": version},
        {"decision": "confirmed", "csrf": [token, token], "version": version},
        {"decision": "confirmed", "csrf": token, "version": [version, version]},
    ):
        assert client.post(url, data=data, follow_redirects=False).status_code == 400
    planted = {"decision": ["return", "pass"], "comment": "", "csrf": token, "version": version}
    assert client.post(f"/packets/{APP}/decision", data=planted, follow_redirects=False).status_code == 400
    with db.session() as s:
        assert decisions(s, APP) == {} and s.get(Packet, APP).status == Status.awaiting_review
    # one of each: recorded
    assert client.post(url, data={"decision": "confirmed", "csrf": token, "version": version}, follow_redirects=False).status_code == 303
    with db.session() as s:
        assert decisions(s, APP)[fp].decision == "confirmed"
    fresh = TestClient(app)
    login_token = csrf_of(fresh.get("/login").text)
    form = {"username": "li", "password": PASSWORD, "csrf": login_token, "next": ["/", "/audit"]}
    assert fresh.post("/login", data=form, follow_redirects=False).status_code == 400


def test_csrf_tokens_of_any_bytes_are_refused_not_crashed(setup):
    app, _store, db, result, version = setup
    client = signed_in(app)
    fp = fingerprints(result.report)[1]
    url = f"/packets/{APP}/findings/{fp}"
    for token in ("", "forged", "令牌" * 20, "ÿ" * 43, "\u202e" + "a" * 42):
        r = client.post(url, data={"decision": "confirmed", "csrf": token, "version": version}, follow_redirects=False)
        assert r.status_code == 403, token
    raw = client.post(url, content=b"decision=confirmed&csrf=%FF%FE%00%80&version=" + version.encode(),
                      headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)  # fmt: skip
    assert raw.status_code == 403
    multipart = client.post(url, files={"csrf": ("t.txt", b"x")}, data={"decision": "confirmed"}, follow_redirects=False)
    assert multipart.status_code == 400
    with db.session() as s:
        assert decisions(s, APP) == {}


def test_bearer_tokens_of_any_bytes_are_refused_not_crashed(tmp_path):
    from tests.test_upload_nightly import minio_event

    queued = []
    app, *_ = make_app(tmp_path, trigger=lambda prefix, key, dep: queued.append(prefix) or "run-1")
    client = TestClient(app)
    event = minio_event("uploads/A/manifest.yaml")
    for header in (None, "Bearer", "Bearer wrong", "Basic aG9vay10b2tlbg==", "Bearer 令牌".encode(), "Bearer ÿÿ".encode("latin-1"), b"Bearer \xff\xfe"):
        headers = {"Authorization": header} if header is not None else {}
        assert client.post("/hooks/minio", json=event, headers=headers).status_code == 401, header
    assert queued == []
    assert client.post("/hooks/minio", json=event, headers={"Authorization": "bearer hook-token"}).status_code == 202
    assert queued == ["uploads/A"]


# ---------------------------------------------------------------- sessions


def test_a_replayed_cookie_after_sign_out_is_refused_and_every_session_ends(setup):
    app, *_ = setup
    a, b = signed_in(app), signed_in(app, "198.51.100.20")  # the same auditor on two machines
    cookie = a.cookies["prescreen_session"]
    assert a.get("/", follow_redirects=False).status_code == 200
    assert a.post("/logout", data={"csrf": csrf_of(a.get("/").text)}, follow_redirects=False).status_code == 303
    replay = TestClient(app)
    replay.cookies.set("prescreen_session", cookie)
    r = replay.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert b.get("/", follow_redirects=False).status_code == 303  # the other machine is signed out too
    assert signed_in(app).get("/").status_code == 200  # signing in again works


def test_a_forged_cookie_opens_nothing(setup):
    from itsdangerous import TimestampSigner

    app, *_ = setup
    import base64
    import json

    payload = base64.b64encode(json.dumps({"user": "li", "epoch": 0, "iat": int(time.time()), "csrf": "x"}).encode())
    for key in ("", "k" * 39, "another key of forty bytes, quite long!!"):
        forged = TestClient(app)
        forged.cookies.set("prescreen_session", TimestampSigner(key).sign(payload).decode())
        assert forged.get("/", follow_redirects=False).status_code == 303, key
    genuine = TestClient(app)
    genuine.cookies.set("prescreen_session", TimestampSigner("k" * 40).sign(payload).decode())  # the real key signs: accepted
    assert genuine.get("/", follow_redirects=False).status_code == 200


def test_a_new_password_or_a_disabled_account_ends_its_sessions(setup):
    app, _store, db, *_ = setup
    client = signed_in(app)
    with db.session() as s:
        add_user(s, "li", "a new password, long enough")
    assert client.get("/", follow_redirects=False).status_code == 303
    fresh = TestClient(app, client=("203.0.113.5", 1))
    assert login(fresh, password=PASSWORD).status_code == 401  # the old password is gone
    assert login(fresh, password="a new password, long enough").status_code == 303
    with db.session() as s:
        disable_user(s, "li")
    assert fresh.get("/", follow_redirects=False).status_code == 303
    assert login(TestClient(app, client=("203.0.113.6", 1)), password="a new password, long enough").status_code == 401
    with db.session() as s:
        assert {"user_password_changed", "user_disabled"} <= {e.action for e in audit_trail(s)}


def test_a_session_ends_8_hours_after_signing_in_however_busy(setup, monkeypatch):
    app, _store, db, result, version = setup
    t0 = time.time()
    monkeypatch.setattr(time, "time", lambda: t0)
    client = signed_in(app)
    token = csrf_of(client.get("/").text)
    fp = fingerprints(result.report)[1]
    for hours in (2, 4, 6, 7.9):  # busy all day: each decision renews the cookie itself
        monkeypatch.setattr(time, "time", lambda h=hours: t0 + h * 3600)
        r = client.post(f"/packets/{APP}/findings/{fp}", data={"decision": "confirmed", "csrf": token, "version": version})
        assert r.status_code == 200 and "已记录" in r.text, hours
    monkeypatch.setattr(time, "time", lambda: t0 + 8 * 3600 + 60)
    r = client.get("/", follow_redirects=False)  # the cookie was signed a few minutes ago, the session began 8 h ago
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


# ---------------------------------------------------------------- decisions


def test_a_decision_on_a_report_no_longer_latest_is_refused(setup):
    app, store, db, result, version_a = setup
    client = signed_in(app)
    page = client.get(f"/packets/{APP}").text
    assert f'name="version" value="{version_a}"' in page
    token = csrf_of(page)
    # meanwhile the applicant re-uploads and a new report is published, with a new finding
    newer = screened(sha="e" * 64)
    newer.report = newer.report.model_copy(
        update={"findings": (*newer.report.findings, Finding.of(FindingCode.BLURRY, "页面模糊", slot="diploma", file="diploma.jpg", page=1))}
    )
    version_b = publish(store, db, f"uploads/{APP}", newer)
    fp = fingerprints(newer.report)[1]
    r = client.post(f"/packets/{APP}/findings/{fp}", data={"decision": "confirmed", "csrf": token, "version": version_a})
    assert "未记录" in r.text and "重新加载" in r.text
    r = client.post(f"/packets/{APP}/decision", data={"decision": "escalate", "comment": "x", "csrf": token, "version": version_a})
    assert "未记录" in r.text and "重新加载" in r.text
    with db.session() as s:
        assert decisions(s, APP) == {} and s.get(Packet, APP).status == Status.awaiting_review
    r = client.post(f"/packets/{APP}/findings/{fp}", data={"decision": "confirmed", "csrf": token, "version": version_b})
    assert "已记录" in r.text


def test_pass_is_refused_while_an_error_finding_is_undecided(setup):
    app, _store, db, result, version = setup
    client = signed_in(app)
    token = csrf_of(client.get("/").text)
    seen = {"csrf": token, "version": version}
    name_fp, rot_fp, ce_fp = fingerprints(result.report)  # errors: name, CE; a warning: rotation
    r = client.post(f"/packets/{APP}/decision", data={"decision": "pass"} | seen)
    assert "未记录" in r.text and "不能审核通过" in r.text
    client.post(f"/packets/{APP}/findings/{name_fp}", data={"decision": "dismissed", "comment": "已遮盖"} | seen)
    r = client.post(f"/packets/{APP}/decision", data={"decision": "pass"} | seen)
    assert "不能审核通过" in r.text  # the CE finding is still open
    client.post(f"/packets/{APP}/findings/{ce_fp}", data={"decision": "dismissed", "comment": "已补交"} | seen)
    r = client.post(f"/packets/{APP}/decision", data={"decision": "pass"} | seen)  # the open warning does not block
    assert "已记录：审核通过" in r.text
    with db.session() as s:
        assert s.get(Packet, APP).status == Status.passed and rot_fp not in decisions(s, APP)


# ---------------------------------------------------------------- sign-in throttling


def test_guessing_from_elsewhere_never_locks_the_auditor_out(setup, clock):
    app, *_ = setup
    attacker = TestClient(app, client=("198.51.100.7", 40000))
    codes = [login(attacker, password=f"guess number {i}").status_code for i in range(12)]
    assert codes[:4] == [401] * 4 and set(codes[4:]) == {429}  # backs off after the fourth failure
    assert login(attacker).status_code == 429  # even the right password waits: no oracle while backing off
    auditor = TestClient(app, client=("203.0.113.5", 40000))
    assert login(auditor).status_code == 303  # the auditor, elsewhere, is not affected


def test_backoff_doubles_and_a_sign_in_resets_it(setup, clock):
    app, *_ = setup
    client = TestClient(app, client=("203.0.113.5", 1))
    for _ in range(4):
        assert login(client, password="mistyped password").status_code == 401
    r = login(client)
    assert r.status_code == 429 and r.headers["retry-after"] == "1" and "1 秒后再试" in r.text
    clock.advance(seconds=1)
    assert login(client, password="mistyped again!!").status_code == 401  # 5th failure: 2 s now
    clock.advance(seconds=1)
    assert login(client).status_code == 429
    clock.advance(seconds=1)
    assert login(client).status_code == 303
    again = TestClient(app, client=("203.0.113.5", 2))
    assert login(again, password="one typo, again").status_code == 401
    assert login(again).status_code == 303  # the count started again from zero


def test_an_address_is_limited_whatever_names_it_tries(setup, clock, monkeypatch):
    monkeypatch.setattr(throttle, "ADDRESS_LIMIT", 8)
    app, *_ = setup
    spray = TestClient(app, client=("198.51.100.9", 1))
    codes = [login(spray, username=f"user{i}", password="Password123").status_code for i in range(10)]
    assert codes == [401] * 8 + [429] * 2
    assert login(spray).status_code == 429  # a real account from that address waits for the window too
    assert login(TestClient(app, client=("198.51.100.10", 1))).status_code == 303  # other addresses are unaffected
    clock.advance(minutes=15)
    assert login(spray).status_code == 303


def test_failed_sign_ins_are_summarised_not_one_entry_each(setup, clock):
    app, _store, db, *_ = setup
    with db.session() as s:
        before = s.query(AuditEntry).count()
    for i in range(12):
        bot = TestClient(app, client=(f"198.51.100.{i}", 1))
        assert login(bot, username=f"<b>{i}</b>", password="wrong password").status_code == 401
        clock.advance(seconds=10)
    with db.session() as s:
        summaries = [e for e in audit_trail(s) if e.action == "login_failed"]
        assert s.query(AuditEntry).count() - before == len(summaries) == 1  # the first failure, summarised at once
        assert summaries[0].detail["failed"] == 1
    viewer = signed_in(app, "203.0.113.5")
    page = viewer.get("/audit").text
    assert "尚未汇总的登录失败 11 次" in page  # counted, waiting for the next summary
    clock.advance(minutes=10)
    page = viewer.get("/audit").text  # the summary is due: written when the log is looked at
    with db.session() as s:
        summaries = [e for e in audit_trail(s) if e.action == "login_failed"]
    assert len(summaries) == 2 and summaries[0].detail["failed"] == 11 and summaries[0].detail["addresses"] == 11
    assert len(summaries[0].detail["busiest"]) == 10 and "&lt;b&gt;" in page and "尚未汇总" not in page


def test_parallel_guesses_get_one_password_check(setup, monkeypatch):
    """Ten simultaneous attempts for one name from one address: one Argon2 check, nine refusals."""
    import threading

    import httpx

    from review import auth

    checks = []
    real = auth.check_password

    def slow_check(stored, password):  # noqa: ANN001, ANN202
        checks.append(password)
        time.sleep(0.5)  # a slow hash: the others arrive while it runs
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password", slow_check)
    import uvicorn

    app, *_ = setup
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        base = f"http://127.0.0.1:{port}"
        clients = [httpx.Client(base_url=base) for _ in range(10)]
        forms = [{"username": "li", "password": f"guess {i}", "csrf": csrf_of(c.get("/login").text), "next": "/"} for i, c in enumerate(clients)]
        barrier, codes = threading.Barrier(10), []

        def attempt(i: int) -> None:
            barrier.wait()
            codes.append(clients[i].post("/login", data=forms[i]).status_code)

        workers = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(30)
        assert len(checks) == 1 and sorted(codes) == [401] + [429] * 9
    finally:
        server.should_exit = True
        thread.join(10)
