"""Statistics against a seeded database whose every figure is known: per Beijing day (a packet sent
at 00:30 in Beijing belongs to that day, not to the UTC day before), per track, the backlog carried
from before the range, reopened packets, findings per code with the dismissal rate, the median time
to a first decision; on SQLite and PostgreSQL. The page draws the same figures and lists them in tables."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from pipeline.models import FindingCode as C
from storage.migrate import upgrade
from storage.reviewdb import ReviewDB, counts_by_status
from storage.stats import season
from tests.reviewkit import login, make_app
from tests.seeding import Clock, applicant, bj, conclude, decide, finding, record, report

D1, D2, D3 = date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 4)


def seed(db: ReviewDB, clock: Clock) -> None:
    """Five packets over three days (see each line); expected figures are in the tests."""
    with db.session() as s:
        # A (review): in on D1 09:00, returned on D2 10:05 (25 h 05 min)
        a = record(s, clock, bj(2, 9, 5), report("A", "review", [finding(C.UNMASKED_NAME), finding(C.ROTATED, page=1, located=False)]), "a1", bj(2, 9))
        # E (fhj_three_year): in on D1 10:00, never decided
        record(s, clock, bj(2, 10, 10), report("E", "fhj_three_year", [finding(C.APPRAISAL_NOT_EXCELLENT, located=False)]), "e1", bj(2, 10))
        # B (review): in on D2 00:30 Beijing (D1 in UTC), escalated D2 12:00, passed by a lead D3 09:00 (32.5 h)
        b = record(s, clock, bj(3, 0, 40), report("B", "review", [finding(C.BLURRY)]), "b1", bj(3, 0, 30))
        # C (initial_junior): in on D2 08:00, returned D3 10:00 (26 h), a new upload on D3 15:00 reopens it
        c = record(s, clock, bj(3, 8, 10), report("C", "initial_junior", [finding(C.CE_INCOMPLETE, located=False), finding(C.ROTATED)]), "c1", bj(3, 8),
                   applicant("阿依古丽·买买提", "乌鲁木齐市第十中学"))  # fmt: skip
        decide(s, clock, bj(3, 10), "A", a[0], "confirmed", "a1")
        decide(s, clock, bj(3, 10, 1), "A", a[1], "dismissed", "a1")
        conclude(s, clock, bj(3, 10, 5), "A", "return", "a1")
        conclude(s, clock, bj(3, 12), "B", "escalate", "b1")
        decide(s, clock, bj(4, 8, 50), "B", b[0], "dismissed", "b1", who="wang")
        conclude(s, clock, bj(4, 9), "B", "pass", "b1", who="wang")
        decide(s, clock, bj(4, 9, 55), "C", c[0], "confirmed", "c1")
        conclude(s, clock, bj(4, 10), "C", "return", "c1")
        record(s, clock, bj(4, 15), report("C", "initial_junior", [finding(C.ROTATED)], sha="b" * 64), "c2", bj(3, 8))
        # D (initial_junior): in on D3 09:00, nothing found, awaiting review
        record(s, clock, bj(4, 9, 10), report("D", "initial_junior", []), "d1", bj(4, 9))


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/stats.db" if request.param == "sqlite" else request.getfixturevalue("pg_database")
    upgrade(url)
    db = ReviewDB(url)
    seed(db, Clock(monkeypatch))
    yield db
    db.engine.dispose()


@pytest.mark.parametrize(("peak", "top", "step"), [(0, 1, 1), (2, 2, 1), (7, 8, 2), (47, 60, 20), (1234, 1500, 500), (20000, 20000, 5000)])
def test_chart_axes_count_in_whole_numbers(peak, top, step):
    from review.charts import nice_ceiling

    assert nice_ceiling(peak) == (top, step)


def rows(days, *fields):  # noqa: ANN001, ANN002, ANN201
    return [tuple(getattr(d, f) for f in fields) for d in days]


def test_per_day_figures_and_the_backlog(seeded):
    with seeded.session() as s:
        data = season(s, D1, D3)
        assert counts_by_status(s) == {"awaiting_review": 3, "returned": 1, "passed": 1}
    assert [d.day for d in data.days] == [D1, D2, D3]
    fields = ("received", "screened", "passed", "returned", "escalated", "awaiting")
    assert rows(data.days, *fields) == [
        (2, 2, 0, 0, 0, 2),  # A, E in and screened (B arrived at 00:30 Beijing on D2)
        (2, 2, 0, 1, 1, 2),  # B, C in; A returned, B escalated
        (1, 1, 1, 1, 0, 3),  # D in; B passed (from escalated: the backlog keeps), C returned then reopened
    ]
    t = data.total
    assert (t.received, t.screened, t.passed, t.returned, t.escalated, t.awaiting) == (5, 5, 1, 2, 1, 3)
    # first pass or return: A 25 h 05 min, C 26 h, B 32.5 h (its escalation does not count)
    assert t.decided == 3 and t.median_hours == pytest.approx(26.0, abs=1e-3)


def test_per_track_and_a_range_that_starts_later(seeded):
    with seeded.session() as s:
        data = season(s, D2, D3)
    by = {r.track: r for r in data.tracks}
    assert (by["review"].received, by["review"].passed, by["review"].returned, by["review"].escalated, by["review"].awaiting) == (1, 1, 1, 1, 0)
    assert by["review"].median_hours == pytest.approx((25 + 5 / 60 + 32.5) / 2, abs=1e-3)
    assert (by["initial_junior"].received, by["initial_junior"].returned, by["initial_junior"].awaiting) == (2, 1, 2)
    assert (by["fhj_three_year"].received, by["fhj_three_year"].awaiting) == (0, 1)  # in before the range, still waiting
    assert rows(data.days, "awaiting") == [(2,), (3,)]  # the backlog carried from D1


def test_one_track(seeded):
    with seeded.session() as s:
        data = season(s, D1, D3, "initial_junior")
    assert rows(data.days, "received", "screened", "returned", "awaiting") == [(0, 0, 0, 0), (1, 1, 0, 1), (1, 1, 1, 2)]
    assert data.total.median_hours == pytest.approx(26.0, abs=1e-3) and data.total.decided == 1
    assert {c.code for c in data.codes} == {"ROTATED"}  # C's current report; its earlier CE finding is history


def test_findings_per_code_and_dismissal_rate(seeded):
    with seeded.session() as s:
        codes = {c.code: c for c in season(s, D1, D3).codes}
    assert set(codes) == {"ROTATED", "UNMASKED_NAME", "BLURRY", "APPRAISAL_NOT_EXCELLENT"}
    rotated = codes["ROTATED"]  # A's dismissed, C's new one undecided
    assert (rotated.findings, rotated.confirmed, rotated.dismissed, rotated.undecided, rotated.dismissal_rate) == (2, 0, 1, 1, 1.0)
    assert (codes["UNMASKED_NAME"].confirmed, codes["UNMASKED_NAME"].dismissal_rate) == (1, 0.0)
    assert codes["BLURRY"].dismissal_rate == 1.0
    assert codes["APPRAISAL_NOT_EXCELLENT"].dismissal_rate is None  # nothing decided: no rate


def test_finding_rows_carry_the_standing_decision(seeded, monkeypatch):
    """The copy on each finding row (what the statistics count) equals the decision on its fingerprint,
    on every version's rows, also after a re-screen that finds the same things."""
    from sqlalchemy import select

    from storage.reviewdb import Decision, FindingRow

    with seeded.session() as s:
        a_rows = s.scalars(select(FindingRow).filter_by(application_id="A")).all()
        record(s, Clock(monkeypatch), bj(5, 9), report("A", "review", [finding(C.UNMASKED_NAME), finding(C.ROTATED, page=1, located=False)]), "a2", bj(2, 9))
        standing = dict(s.execute(select(Decision.fingerprint, Decision.decision)).all())
        rows = s.scalars(select(FindingRow)).all()
        assert rows and all(r.decision == standing.get(r.fingerprint) for r in rows)
        assert sorted(r.decision for r in rows if r.application_id == "A" and r.version == "a2") == ["confirmed", "dismissed"]
        assert {r.decision for r in a_rows} == {"confirmed", "dismissed"}
        c_rows = {(r.version, r.code): r.decision for r in rows if r.application_id == "C"}
    assert c_rows == {("c1", "CE_INCOMPLETE"): "confirmed", ("c1", "ROTATED"): None, ("c2", "ROTATED"): None}


def test_statistics_page_draws_and_tabulates_the_same_figures(tmp_path, monkeypatch):
    app, _store, db = make_app(tmp_path)
    seed(db, Clock(monkeypatch))
    client = TestClient(app)
    login(client)
    page = client.get("/stats", params={"start": "2025-06-02", "end": "2025-06-04"})
    assert page.status_code == 200
    html = page.text
    daily = re.search(r'<table class="list figures-table" id="table-daily">(.*?)</table>', html, re.S).group(1)
    cells = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", daily, re.S)[1:]]
    assert cells == [
        ["2025-06-02", "2", "2", "0", "0", "0", "2"],
        ["2025-06-03", "2", "2", "0", "1", "1", "2"],
        ["2025-06-04", "1", "1", "1", "1", "0", "3"],
    ]
    assert 'id="median">26.0 小时' in html
    codes = re.search(r'id="table-codes">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'data-code="ROTATED"><td>方向不正</td><td class="muted">ROTATED</td><td>2</td><td>0</td><td>1</td><td>1</td><td>100.0%</td>', codes)
    # the charts: server-side SVG with the same numbers in their titles, Chinese labels, nothing inline
    for chart in ("chart-daily", "chart-backlog", "chart-tracks", "chart-codes"):
        assert f'id="{chart}"' in html
    assert "<title>2025-06-03 收到 2</title>" in html and "<title>2025-06-04 日终待审核 3</title>" in html
    assert "<title>方向不正 已排除 1</title>" in html and "排除率 100.0%" in html
    assert "<script" not in html and " style=" not in html
    # a bad date falls back to the default range with a note, never an error
    bad = client.get("/stats", params={"start": "2025-13-40", "end": "<x>"})
    assert bad.status_code == 200 and "日期格式应为" in bad.text
