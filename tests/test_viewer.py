"""The large page viewer: a page with its finding boxes, the current one highlighted and scrolled to,
zoom levels, the previous and next finding and page by link and access key (each key once per page:
a browser takes one element per key whatever is hidden), deciding a finding without leaving it."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from pipeline.models import FindingCode as C
from storage.reviewdb import decisions
from tests.reviewkit import csrf_of, login, make_app
from tests.seeding import Clock, bj, finding, publish, report

APP = "2025-000009"


@pytest.fixture
def viewing(tmp_path, monkeypatch):
    app, store, db = make_app(tmp_path)
    r = report(APP, "initial_junior", [finding(C.UNMASKED_SEAL, "公章 1"), finding(C.LATE_SUBMISSION, located=False),
                                       finding(C.BLURRY, "模糊 3", page=2), finding(C.ROTATED, "方向 4", page=1)], pages=3)  # fmt: skip
    with db.session() as s:
        version = publish(store, s, Clock(monkeypatch), bj(2, 9), r, bj(2, 8))
    client = TestClient(app)
    login(client)
    return client, db, version


def access_keys(html: str) -> Counter:
    return Counter(re.findall(r'accesskey="([^"]+)"', html))


def link(html: str, key: str) -> str:
    m = re.search(rf'<a href="([^"]+)" accesskey="{re.escape(key)}"', html)
    return m.group(1).replace("&amp;", "&") if m else ""


def test_packet_page_opens_the_viewer(viewing):
    client, *_ = viewing
    page = client.get(f"/packets/{APP}").text
    assert link(page, "j") == f"/packets/{APP}/view/f1?status=awaiting_review#box"
    assert f'href="/packets/{APP}/view/p0-3?status=awaiting_review" title="打开大图"' in page  # each thumbnail
    assert f'href="/packets/{APP}/view/f4?status=awaiting_review#box">在大图中查看' in page
    assert max(access_keys(page).values()) == 1


def test_walk_the_findings_in_page_order_with_one_key(viewing):
    client, *_ = viewing
    url, seen = f"/packets/{APP}/view/f1?status=awaiting_review", []
    while url:
        r = client.get(url)
        assert r.status_code == 200 and "unsafe-inline" not in r.headers["content-security-policy"]
        html = r.text
        assert max(access_keys(html).values()) == 1 and " style=" not in html and "<script" not in html
        assert len(re.findall(r'<rect class="box [^"]*current"[^>]* id="box"/>', html)) == 1  # the current box, the scroll target
        seen.append(re.search(r"\[(\d+)\]", html).group(1))
        url = link(html, "j")
    assert seen == ["1", "4", "3"]  # page 1's findings, then page 2's; the packet-level finding has no box
    last = client.get(f"/packets/{APP}/view/f3").text
    assert link(last, "k").startswith(f"/packets/{APP}/view/f4?zoom=fit") and link(last, "j") == ""
    assert link(last, ".").startswith(f"/packets/{APP}/view/p0-3") and link(last, ",").startswith(f"/packets/{APP}/view/p0-1")
    first = client.get(f"/packets/{APP}/view/f1").text
    seal = re.search(r'id="f-([0-9a-f]+)" data-code="UNMASKED_SEAL"', client.get(f"/packets/{APP}").text).group(1)
    assert link(first, "k") == "" and link(first, "x") == f"/packets/{APP}?status=awaiting_review#f-{seal}"  # back to its card
    assert first.count('class="box ') == 2 and 'width="850" height="1200"' in first  # both boxes of page 1; the size known before loading


def test_pages_and_zoom(viewing):
    client, *_ = viewing
    page3 = client.get(f"/packets/{APP}/view/p0-3", params={"zoom": "200"}).text
    assert 'class="stage zoom-200"' in page3 and 'id="box"' not in page3 and 'class="box' not in page3
    assert link(page3, "k").startswith(f"/packets/{APP}/view/f3?zoom=200") and link(page3, "j") == ""
    assert link(page3, "=").startswith(f"/packets/{APP}/view/p0-3?zoom=300") and link(page3, "-").startswith(f"/packets/{APP}/view/p0-3?zoom=150")
    assert 'class="stage zoom-fit"' in client.get(f"/packets/{APP}/view/f1", params={"zoom": "<x>"}).text
    for bad in ("f9", "f0", "p9-1", "p0-9", "x1", "f1.jpg", "..%2Ff1"):
        assert client.get(f"/packets/{APP}/view/{bad}").status_code == 404, bad


def test_deciding_in_the_viewer_stays_there(viewing):
    client, db, version = viewing
    html = client.get(f"/packets/{APP}/view/f4", params={"zoom": "150", "status": "all"}).text
    action = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf"[^>]*>\s*<input type="hidden" name="version"', html).group(1)
    form = {"csrf": csrf_of(html), "version": version, "back": "status=all", "view": "f4", "zoom": "150", "decision": "dismissed", "comment": "已转正"}
    r = client.post(action, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/packets/{APP}/view/f4?zoom=150&status=all#box"
    after = client.get(r.headers["location"]).text
    assert "已记录：已排除" in after and 'class="box warning dismissed current"' in after
    with db.session() as s:
        assert [d.decision for d in decisions(s, APP).values()] == ["dismissed"]
    bad_view = client.post(action, data=form | {"view": "../../x"}, follow_redirects=False)
    assert bad_view.headers["location"].startswith(f"/packets/{APP}?status=all#f-")  # anything else: back to the packet page
