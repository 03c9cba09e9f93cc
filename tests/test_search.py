"""Finding a packet: by application id, applicant name (with or without the name's middle dot, on
``review`` too, where the scans mask it), employer, track and status; 50 to a page in the queue's
order; the previous and next packet of the queue from a packet's page, by link and access key."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pipeline.models import FindingCode as C
from storage.reviewdb import PacketFilter, find_packets, neighbours, queue
from tests.reviewkit import csrf_of, login, make_app
from tests.seeding import Clock, applicant, bj, finding, publish, record, report

TRACKS = ("review", "initial_junior", "fhj_three_year")


def seed(db, clock: Clock, n: int = 120) -> list[str]:  # noqa: ANN001
    """``n`` packets P000…; every third is a return (an error finding), the rest needs review; one
    submission an hour. Names: 阿依古丽·买买提 for P007, 王小明 for P042, 张三<n> for the others."""
    ids = []
    with db.session() as s:
        for i in range(n):
            app = f"P{i:03d}"
            name = {7: "阿依古丽·买买提", 42: "王小明"}.get(i, f"张三{i}")
            employer = "乌鲁木齐市第十中学" if i % 10 == 0 else f"新疆第{i % 7}医院"
            findings = [finding(C.BLURRY)] if i % 3 == 0 else [finding(C.ROTATED)]
            when = bj(2, 0) + timedelta(hours=i)
            record(s, clock, when, report(app, TRACKS[i % 3], findings), "v1", when, applicant(name, employer))
            ids.append(app)
    return ids


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    app, store, db = make_app(tmp_path)
    clock = Clock(monkeypatch)
    ids = seed(db, clock)
    with db.session() as s:  # P003's report in the store too, so its page opens
        publish(store, s, clock, bj(9, 0), report("P003", "review", [finding(C.BLURRY)]), bj(2, 3), applicant("张三3", "新疆第3医院"))
    return app, db, ids


def found(db, f: PacketFilter, page: int = 1) -> list[str]:  # noqa: ANN001
    with db.session() as s:
        return [r.packet.application_id for r in find_packets(s, f, page=page).rows]


def test_queue_pages_fifty_in_the_queues_order(app_db):
    _app, db, ids = app_db
    returns = [i for n, i in enumerate(ids) if n % 3 == 0]  # returns first, oldest first
    others = [i for n, i in enumerate(ids) if n % 3]
    order = returns + others
    with db.session() as s:
        first = find_packets(s, PacketFilter(), page=1)
        third = find_packets(s, PacketFilter(), page=3)
        beyond = find_packets(s, PacketFilter(), page=99)
        assert [r.packet.application_id for r in queue(s, limit=500)] == order
    assert (first.total, first.pages, len(first.rows)) == (120, 3, 50)
    assert [r.packet.application_id for r in first.rows] == order[:50]
    assert [r.packet.application_id for r in third.rows] == order[100:]
    assert beyond.page == 3 and [r.packet.application_id for r in beyond.rows] == order[100:]
    assert first.rows[0].findings == 1 and first.rows[0].undecided == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("P007", ["P007"]),
    ("p04", [f"P04{i}" for i in range(10)]),                      # part of an id, any case
    ("阿依古丽·买买提", ["P007"]),
    ("阿依古丽买买提", ["P007"]),                                   # without the middle dot
    ("阿依古丽.买买提", ["P007"]),
    ("买买提", ["P007"]),
    ("王小明", ["P042"]),                                          # a review-track applicant: masked in the scans, known here
    ("第十中学", [f"P{i:03d}" for i in range(0, 120, 10)]),
    ("第十中学 P03", ["P030"]),                                    # every word must match
    ("%", []), ("_", []),                                         # no LIKE wildcards
    ("张三1", ["P001", "P010", "P011", "P012", "P013", "P014", "P015", "P016", "P017", "P018", "P019",
              "P100", "P101", "P102", "P103", "P104", "P105", "P106", "P107", "P108", "P109", "P110",
              "P111", "P112", "P113", "P114", "P115", "P116", "P117", "P118", "P119"]),
])  # fmt: skip
def test_search_by_id_name_and_employer(app_db, text, expected):
    _app, db, _ids = app_db
    assert sorted(found(db, PacketFilter(text=text, status=None))) == expected


def test_search_with_track_and_status(app_db):
    _app, db, _ids = app_db
    assert found(db, PacketFilter(text="第十中学", status=None, track="review")) == ["P000", "P030", "P060", "P090"]
    assert found(db, PacketFilter(text="第十中学", status="passed")) == []
    assert found(db, PacketFilter(status=None, track="fhj_three_year", code="BLURRY")) == []
    assert len(found(db, PacketFilter(status=None, track="review", code="BLURRY"))) == 40


def test_previous_and_next_in_the_queues_order(app_db):
    _app, db, ids = app_db
    order = [i for n, i in enumerate(ids) if n % 3 == 0] + [i for n, i in enumerate(ids) if n % 3]
    with db.session() as s:
        head = neighbours(s, PacketFilter(), order[0])
        edge = neighbours(s, PacketFilter(), order[49])  # the last of page 1: its next is the first of page 2
        tail = neighbours(s, PacketFilter(), order[-1])
        in_track = neighbours(s, PacketFilter(track="review"), "P003")
    assert (head.previous, head.next, head.position, head.total) == (None, order[1], 1, 120)
    assert (edge.previous, edge.next, edge.position) == (order[48], order[50], 50)
    assert (tail.next, tail.position) == (None, 120)
    assert (in_track.previous, in_track.next) == ("P000", "P006")


def test_queue_and_packet_pages_carry_the_selection(app_db):
    app, db, ids = app_db
    client = TestClient(app)
    login(client)
    page2 = client.get("/", params={"page": 2})
    assert page2.status_code == 200 and "共 120 份，第 51–100 份" in page2.text
    assert 'accesskey="p" id="prev-page"' in page2.text and 'accesskey="n" id="next-page"' in page2.text
    assert page2.text.count('<tr>\n      <td><a href="/packets/') == 50
    # a search from the navigation box: every status, the name shown, links that keep the search
    hit = client.get("/", params={"q": "阿依古丽买买提"})
    assert "共 1 份" in hit.text and "阿依古丽·买买提" in hit.text and "新疆第0医院" in hit.text
    assert 'href="/packets/P007?q=%E9%98%BF' in hit.text
    # on a packet page of the review-track queue: previous and next of that queue, with access keys
    packet = client.get("/packets/P003", params={"status": "awaiting_review", "track": "review"})
    assert 'href="/packets/P000?status=awaiting_review&amp;track=review" accesskey="p"' in packet.text
    assert 'href="/packets/P006?status=awaiting_review&amp;track=review" accesskey="n"' in packet.text
    assert "第 2 / 40 份" in packet.text
    # a decision sends the auditor back to the packet within the same selection
    token = csrf_of(packet.text)
    version = re.search(r'name="version" value="([^"]+)"', packet.text).group(1)
    r = client.post("/packets/P003/decision", data={"csrf": token, "version": version, "decision": "escalate", "comment": "请组长复核",
                                                    "back": "status=awaiting_review&track=review&evil=1"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/packets/P003?status=awaiting_review&track=review"
    after = client.get(r.headers["location"]).text
    assert "已不在当前列表中" in after  # decided: out of the queue, yet its neighbours still follow
    assert 'href="/packets/P006?status=awaiting_review&amp;track=review" accesskey="n"' in after
