"""Sign-in counters are claimed atomically, on SQLite and PostgreSQL: parallel attempts cannot all pass."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from storage import throttle
from storage.migrate import upgrade
from storage.reviewdb import ReviewDB, SignInThrottle

T = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    url = f"sqlite:///{tmp_path}/t.db" if request.param == "sqlite" else request.getfixturevalue("pg_database")
    upgrade(url)
    db = ReviewDB(url)
    yield db
    db.engine.dispose()


def test_backoff_is_free_for_typos_then_doubles_up_to_15_minutes():
    waits = [throttle.backoff(n).total_seconds() for n in range(1, 16)]
    assert waits[:3] == [0, 0, 0] and waits[3:8] == [1, 2, 4, 8, 16] and waits[-1] == 900 and max(waits) == 900


def _parallel(db: ReviewDB, names: list[str], address: str = "198.51.100.1") -> list[bool]:
    barrier, allowed = threading.Barrier(len(names)), []

    def attempt(name: str) -> None:
        barrier.wait()
        with db.session() as s:
            allowed.append(throttle.claim(s, name, address, T).allowed)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(allowed) == len(names)
    return allowed


def test_parallel_attempts_on_one_name_get_one_claim(db):
    assert sum(_parallel(db, ["li"] * 12)) == 1
    with db.session() as s:
        pair = s.get(SignInThrottle, ("198.51.100.1", "li"))
        assert pair.failures == 1 and pair.unreported_refused == 11
        throttle.succeeded(s, "li", "198.51.100.1", T)
    with db.session() as s:
        assert throttle.claim(s, "li", "198.51.100.1", T).allowed  # after the check finished, the next one may go


def test_parallel_attempts_from_one_address_stop_at_its_limit(db, monkeypatch):
    monkeypatch.setattr(throttle, "ADDRESS_LIMIT", 10)
    assert sum(_parallel(db, [f"user{i}" for i in range(24)])) == 10
    with db.session() as s:
        assert s.get(SignInThrottle, ("198.51.100.1", "")).failures == 10
        assert throttle.claim(s, "user0", "198.51.100.2", T).allowed  # another address is not limited


def test_successes_are_refunded_and_failures_summarised_once_per_period(db):
    with db.session() as s:
        for i in range(5):
            assert throttle.claim(s, f"a{i}", "203.0.113.1", T).allowed
            throttle.succeeded(s, f"a{i}", "203.0.113.1", T)
        assert s.get(SignInThrottle, ("203.0.113.1", "")).failures == 0  # an office signing in each morning uses nothing up
    with db.session() as s:
        throttle.claim(s, "x", "203.0.113.2", T)
        throttle.failed(s, "x", "203.0.113.2", T)
    with db.session() as s:
        assert throttle.summarise(s, T)
    with db.session() as s:
        throttle.claim(s, "y", "203.0.113.3", T + timedelta(minutes=1))
        throttle.failed(s, "y", "203.0.113.3", T + timedelta(minutes=1))
    with db.session() as s:
        assert not throttle.summarise(s, T + timedelta(minutes=5))
        assert throttle.pending(s) == throttle.Pending(failed=1, refused=0)
    with db.session() as s:
        assert throttle.summarise(s, T + timedelta(minutes=10))
        assert throttle.pending(s) == throttle.Pending(failed=0, refused=0)
    with db.session() as s:  # a day later, quiet rows are gone
        throttle.summarise(s, T + timedelta(days=2))
        assert s.query(SignInThrottle).count() == 0
