"""Sign-in throttling that an outsider cannot turn against a real auditor.

Attempts are counted per (client address, username) and per address, in the database, each
counted before the password is checked (``claim``) and in a transaction that locks its row, so
parallel attempts cannot all get a password check:

- while a pair's attempt is being checked, the pair's other attempts are refused (one password
  check at a time per address and name);
- after three consecutive failures a pair backs off exponentially (1 s, 2 s, 4 s … 15 min), for
  that address and name only: someone guessing elsewhere does not lock the auditor out;
- an address may make ``ADDRESS_LIMIT`` attempts a window (successful sign-ins are refunded);
- refused attempts cost no password check.

Failed and refused attempts are not audit entries one by one: ``summarise`` writes at most one
``login_failed`` entry every ``REPORT_EVERY`` with the counts and the busiest addresses and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.auditchain import clean_text
from storage.reviewdb import SignInReport, SignInThrottle, audit, now

FREE_FAILURES = 3  # typos: the first three failures cost no wait
IN_FLIGHT = timedelta(seconds=10)  # longer than any password check; a crashed check costs this much
MAX_BACKOFF = timedelta(minutes=15)
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 50
REPORT_EVERY = timedelta(minutes=10)
KEEP = timedelta(days=1)  # quiet rows older than this are dropped


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failures: none for the first three, then 1 s, 2 s, 4 s, … at most 15 minutes."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(failures - FREE_FAILURES - 1, 20)))


@dataclass(frozen=True)
class Claim:
    allowed: bool
    retry_at: datetime | None = None  # when refused: the earliest next attempt


def _row(s: Session, address: str, username: str, at: datetime) -> SignInThrottle:
    """The row, created if missing, locked until the transaction ends (PostgreSQL: FOR UPDATE;
    SQLite: every transaction holds the write lock)."""
    values = dict(address=address, username=username, failures=0, window_start=at, next_at=at,
                  unreported_failed=0, unreported_refused=0, updated_at=at)  # fmt: skip
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(insert(SignInThrottle).values(**values).on_conflict_do_nothing())
    q = select(SignInThrottle).filter_by(address=address, username=username).with_for_update().execution_options(populate_existing=True)
    return s.scalars(q).one()


def normal_name(username: str) -> str:
    return clean_text(username.strip(), 64)


def claim(s: Session, username: str, address: str, at: datetime | None = None) -> Claim:
    """Count an attempt before its password is checked; refuse it when the address or the pair waits.
    Commit before checking the password, so that parallel attempts see the claim."""
    at = at or now()
    address, username = clean_text(address, 64), normal_name(username)
    per_address = _row(s, address, "", at)
    if per_address.window_start <= at - ADDRESS_WINDOW:
        per_address.failures, per_address.window_start = 0, at
    per_address.updated_at = at
    if per_address.failures >= ADDRESS_LIMIT:
        per_address.unreported_refused += 1
        return Claim(False, per_address.window_start + ADDRESS_WINDOW)
    pair = _row(s, address, username, at)
    pair.updated_at = at
    if pair.next_at > at:
        pair.unreported_refused += 1
        return Claim(False, pair.next_at)
    pair.failures += 1  # counted as failed until it succeeds
    pair.next_at = at + IN_FLIGHT  # parallel attempts of the pair are refused while this one is checked
    per_address.failures += 1
    return Claim(True)


def succeeded(s: Session, username: str, address: str, at: datetime | None = None) -> None:
    at = at or now()
    address, username = clean_text(address, 64), normal_name(username)
    per_address = _row(s, address, "", at)  # rows are always locked address first, then the pair
    per_address.failures = max(0, per_address.failures - 1)  # a sign-in that worked does not use up the address
    pair = _row(s, address, username, at)
    pair.failures, pair.next_at, pair.updated_at = 0, at, at


def failed(s: Session, username: str, address: str, at: datetime | None = None) -> None:
    at = at or now()
    pair = _row(s, clean_text(address, 64), normal_name(username), at)
    pair.next_at = at + backoff(pair.failures)
    pair.unreported_failed += 1
    pair.updated_at = at


@dataclass(frozen=True)
class Pending:
    failed: int
    refused: int


def pending(s: Session) -> Pending:
    """Failed and refused attempts not yet summarised in the audit log."""
    f, r = s.execute(select(func.coalesce(func.sum(SignInThrottle.unreported_failed), 0),
                            func.coalesce(func.sum(SignInThrottle.unreported_refused), 0))).one()  # fmt: skip
    return Pending(int(f), int(r))


def summarise(s: Session, at: datetime | None = None, top: int = 10) -> bool:
    """One ``login_failed`` audit entry for everything unreported, unless one was written less than
    ``REPORT_EVERY`` ago. Returns whether an entry was written. Run it in its own unit of work."""
    at = at or now()
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(insert(SignInReport).values(id=1, reported_at=at - REPORT_EVERY).on_conflict_do_nothing())
    state = s.scalars(select(SignInReport).filter_by(id=1).with_for_update().execution_options(populate_existing=True)).one()
    if state.reported_at > at - REPORT_EVERY:
        return False
    rows = list(
        s.scalars(
            select(SignInThrottle)
            .where((SignInThrottle.unreported_failed > 0) | (SignInThrottle.unreported_refused > 0))
            .order_by(SignInThrottle.address, SignInThrottle.username)  # the order claim() locks them in
            .with_for_update()
        )
    )
    written = bool(rows)
    if rows:
        busiest = sorted(rows, key=lambda r: -(r.unreported_failed + r.unreported_refused))[:top]
        audit(
            s,
            "system",
            "login_failed",
            failed=sum(r.unreported_failed for r in rows),
            refused=sum(r.unreported_refused for r in rows),
            addresses=len({r.address for r in rows}),
            busiest=[
                {"address": r.address, "username": r.username, "failed": r.unreported_failed, "refused": r.unreported_refused}
                for r in busiest
            ],
        )
        for r in rows:
            r.unreported_failed = r.unreported_refused = 0
        state.reported_at = at
    s.execute(
        delete(SignInThrottle).where(
            SignInThrottle.updated_at < at - KEEP, SignInThrottle.unreported_failed == 0, SignInThrottle.unreported_refused == 0
        )
    )
    return written
