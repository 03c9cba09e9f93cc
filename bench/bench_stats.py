"""The statistics page (and the queue, a search, an export) on a season-sized review database:
20,000 packets and 200,000 findings, on SQLite and on PostgreSQL (a throwaway cluster).

The database is filled in bulk with a generated season (60 days; 1–3 report versions a packet;
about 8 findings a version; ~70 % of packets decided, most of their findings confirmed or
dismissed; escalations, returns and reopenings; the audit log hash-chained as the app writes
it). Then each page is requested through the app in-process (FastAPI's TestClient, a lead signed
in): the wall time of the whole request — queries, charts, template — cold once, then the
median and the slowest of ``--runs`` more, and the median CPU time a request costs (this
process, plus every PostgreSQL server process on PostgreSQL), with the 1-minute load average
when the page's runs began: on a machine shared with other work the wall time grows with the
load, the CPU time much less. PostgreSQL is ANALYZEd after the bulk load, as autovacuum would;
SQLite is used as loaded.

    python bench/bench_stats.py [--packets 20000] [--findings 200000] [--runs 7] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from pipeline.models import FindingCode, severity_of  # noqa: E402
from storage.auditchain import GENESIS, entry_hash  # noqa: E402
from storage.reviewdb import AuditEntry, Decision, FindingRow, Packet, ReportVersion, ReviewDB  # noqa: E402

BJ = timezone(timedelta(hours=8))
SEASON_START = datetime(2025, 6, 1, 8, 0, tzinfo=BJ)
DAYS = 60
TRACKS = [("review", 40), ("initial_junior", 20), ("initial_intermediate", 10), ("grant_intermediate", 12),
          ("grant_associate_senior", 6), ("grant_senior", 2), ("fhj_three_year", 10)]  # fmt: skip
CODES = [(c, w) for c, w in zip(FindingCode, [5, 4, 3, 8, 6, 7, 12, 9, 5, 8, 6, 3, 4, 6, 3, 2, 2, 1, 2, 1, 1, 1, 1], strict=False)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def pick(rng: random.Random, table: list) -> object:
    return rng.choices([x for x, _ in table], weights=[w for _, w in table])[0]


class Season:
    """Rows for a season, generated deterministically and inserted in bulk."""

    def __init__(self, packets: int, findings: int, seed: int = 14) -> None:
        self.rng = random.Random(seed)
        self.packets, self.findings_target = packets, findings
        self.rows: dict[str, list[dict]] = {"packets": [], "versions": [], "findings": [], "decisions": []}
        self.audit: list[tuple[datetime, str, str, str | None, str | None, dict]] = []

    def make(self) -> None:
        rng = self.rng
        plan = [rng.choices((1, 2, 3), weights=(80, 15, 5))[0] for _ in range(self.packets)]
        versions = sum(plan)
        per_version = [rng.randint(0, 16) for _ in range(versions)]
        scale = self.findings_target / max(1, sum(per_version))
        per_version = [round(n * scale) for n in per_version]
        while (gap := self.findings_target - sum(per_version)) != 0:  # exactly the target, no version below 0
            k = rng.randrange(versions)
            per_version[k] = max(0, per_version[k] + (1 if gap > 0 else -1))
        counts = iter(per_version)
        for i, n_versions in enumerate(plan):
            self._packet(i, n_versions, counts)

    def _packet(self, i: int, n_versions: int, counts) -> None:  # noqa: ANN001
        rng = self.rng
        app = f"2025-{i:06d}"
        track = pick(rng, TRACKS)
        received = SEASON_START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        t = received + timedelta(minutes=rng.uniform(2, 90))
        status, prints, previous_prints = "awaiting_review", [], []
        first_finding = len(self.rows["findings"])
        decided_prints: dict[str, str] = {}
        for v in range(n_versions):
            version = f"v{v + 1}-{i}"
            n = max(0, next(counts))
            keep = previous_prints[: rng.randint(0, len(previous_prints))] if v else []
            prints = (keep + [f"{rng.getrandbits(128):032x}" for _ in range(max(0, n - len(keep)))])[:n]
            codes = [pick(rng, CODES) for _ in prints]
            worst = min((0 if severity_of(c).value == "error" else 1 for c in codes), default=2)
            rec = ("return_to_applicant", "needs_review", "pass")[worst]
            if v == 0:
                self.rows["packets"].append(dict(application_id=app, prefix=f"uploads/{app}", track=track, received_at=received, latest_version=version,
                    recommendation=rec, rank=worst, status=status, inputs="x", updated_at=t,
                    applicant_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), employer=f"乌鲁木齐市第{rng.randint(1, 400)}中学"))  # fmt: skip
            self.rows["versions"].append(dict(application_id=app, version=version, recommendation=rec, generated_at=t, inputs="x", recorded_at=t))
            for pos, (fp, code) in enumerate(zip(prints, codes, strict=True)):
                self.rows["findings"].append(dict(application_id=app, version=version, position=pos, fingerprint=fp, code=code.value,
                                                  severity=severity_of(code).value, slot="diploma", page=1, message=f"{code.value} 示例"))  # fmt: skip
            self.audit.append((t, "system", "report_published", app, version, {"findings": n, "recommendation": rec}))
            if v and status != "awaiting_review":
                self.audit.append((t + timedelta(seconds=1), "system", "reopened", app, version, {"previous": status, "reason": "files_changed"}))
                status = "awaiting_review"
            last = (version, rec, worst)
            if rng.random() < 0.72:  # decided (findings first, then the packet)
                t = t + timedelta(hours=rng.uniform(0.5, 120))
                for fp, code in zip(prints, codes, strict=True):
                    if fp in decided_prints or rng.random() < 0.08:
                        continue
                    rate = 0.45 if code in (FindingCode.ROTATED, FindingCode.POOR_EXPOSURE, FindingCode.UNMASKED_SEAL) else 0.15
                    d = "dismissed" if rng.random() < rate else "confirmed"
                    decided_prints[fp] = d
                    t += timedelta(seconds=rng.uniform(10, 120))
                    self.audit.append((t, "li", f"finding_{d}", app, version, {"fingerprint": fp, "comment": "", "previous": None}))
                decision = rng.choices(("pass", "return", "escalate"), weights=(55, 35, 10))[0]
                t += timedelta(seconds=30)
                self.audit.append((t, "li", f"packet_{decision}", app, version, {"comment": "", "reasons": [], "previous": status}))
                status = {"pass": "passed", "return": "returned", "escalate": "escalated"}[decision]
                if decision == "escalate" and rng.random() < 0.7:
                    t += timedelta(hours=rng.uniform(2, 48))
                    self.audit.append((t, "wang", "packet_pass", app, version, {"comment": "", "reasons": [], "previous": status}))
                    status = "passed"
            if v + 1 < n_versions:
                t = t + timedelta(days=rng.uniform(0.5, 3))
                previous_prints = prints
        version, rec, worst = last
        self.rows["packets"][-1].update(latest_version=version, recommendation=rec, rank=worst, status=status)
        for row in self.rows["findings"][first_finding:]:  # the standing decision, as decide_finding copies it
            row["decision"] = decided_prints.get(row["fingerprint"])
        for fp, d in decided_prints.items():
            self.rows["decisions"].append(dict(application_id=app, fingerprint=fp, decision=d, comment="", auditor="li", version=version, decided_at=t))

    def insert(self, db: ReviewDB) -> None:
        chain, prev = [], GENESIS
        for at, actor, action, app, version, detail in sorted(self.audit, key=lambda e: e[0]):
            at = at.astimezone(UTC)
            h = entry_hash(prev, at, actor, action, app, version, detail)
            chain.append(dict(at=at, actor=actor, action=action, application_id=app, report_version=version, detail=detail, prev_hash=prev, hash=h))
            prev = h
        with db.engine.begin() as conn:
            for model, rows in ((Packet, self.rows["packets"]), (ReportVersion, self.rows["versions"]), (FindingRow, self.rows["findings"]),
                                (Decision, self.rows["decisions"]), (AuditEntry, chain)):  # fmt: skip
                for k in range(0, len(rows), 5000):
                    conn.execute(insert(model), rows[k : k + 5000])
        self.counts = {name: len(rows) for name, rows in self.rows.items()} | {"audit_log": len(chain)}


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds used so far by this cluster's server processes (the postmaster and its children)."""
    import psutil

    if postmaster is None:
        return 0.0
    total = 0.0
    root = psutil.Process(postmaster)
    for proc in (root, *root.children(recursive=True)):
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def timed(client, url: str, runs: int, postmaster: int | None) -> dict[str, float]:  # noqa: ANN001
    """Wall time and CPU time (this process, plus the PostgreSQL server's) of requests of ``url``:
    the first (cold) and the median and slowest of ``runs`` more."""
    walls, cpus = [], []
    for _ in range(runs + 1):
        cpu0, srv0, t = time.process_time(), server_cpu(postmaster), time.perf_counter()
        r = client.get(url)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - cpu0 + server_cpu(postmaster) - srv0)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return {"cold": walls[0], "median": statistics.median(walls[1:]), "slowest": max(walls[1:]),
            "cpu": statistics.median(cpus[1:]), "size": len(r.content)}  # fmt: skip


def measure(url: str, name: str, args: argparse.Namespace, tmp: Path) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from prescreen.settings import Settings
    from review.app import create_app
    from review.users import add_user
    from storage.migrate import upgrade
    from storage.objectstore import LocalStore

    upgrade(url)
    db = ReviewDB(url)
    season = Season(args.packets, args.findings)
    t = time.perf_counter()
    season.make()
    season.insert(db)
    load = time.perf_counter() - t
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with db.session() as s:
        add_user(s, "li", "bench password 1", "李组长", role="lead")
    settings = Settings(database_url=url, local_root=tmp / "store", secret_key=SecretStr("k" * 40))
    client = TestClient(create_app(settings, store=LocalStore(tmp / "store"), db=db))
    token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": "li", "password": "bench password 1", "csrf": token, "next": "/"})
    print(f"\n{name}: {season.counts} loaded in {load:.1f} s")
    pages = {
        "statistics, last 30 days (default)": "/stats",
        "statistics, whole season (61 days)": "/stats?start=2025-06-01&end=2025-07-31",
        "statistics, one track, whole season": "/stats?start=2025-06-01&end=2025-07-31&track=review",
        "queue, page 1 (awaiting review)": "/",
        "queue, page 40 (all)": "/?status=all&page=40",
        "search by a name": "/?q=%E7%8E%8B%E4%BC%9F",
    }
    postmaster = None
    if db.engine.dialect.name == "postgresql":
        import psutil

        with db.engine.connect() as conn:
            postmaster = psutil.Process(conn.scalar(text("SELECT pg_backend_pid()"))).ppid()
    print(f"  {'page':40s} {'cold':>7s} {'median':>7s} {'slowest':>7s} {'CPU':>7s}   size    load")
    for label, path in pages.items():
        load1 = os.getloadavg()[0]
        m = timed(client, path, args.runs, postmaster)
        print(f"  {label:40s} {m['cold'] * 1000:5.0f}ms {m['median'] * 1000:5.0f}ms {m['slowest'] * 1000:5.0f}ms {m['cpu'] * 1000:5.0f}ms"
              f"  {int(m['size']) // 1024:3d} KiB  {load1:4.1f}")  # fmt: skip
    for fmt in ("csv", "xlsx"):
        token = client.get("/export").text.split('name="csrf" value="')[1].split('"')[0]
        cpu0, srv0, t = time.process_time(), server_cpu(postmaster), time.perf_counter()
        r = client.post("/export", data={"csrf": token, "start": "2025-06-01", "end": "2025-07-31", "latest": "1", "format": fmt})
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu0 + server_cpu(postmaster) - srv0
        assert r.status_code == 200, r.text[:300]
        if fmt == "xlsx":
            rows = sum(1 for _ in load_workbook(io.BytesIO(r.content), read_only=True)["审核结论"].iter_rows(min_row=2))
        else:
            rows = r.content.count(b"\r\n") - 1
        print(f"  export .{fmt}, whole season, latest decisions: {wall:.1f} s wall, {cpu:.1f} s CPU, {rows} decisions, {len(r.content) // 1024} KiB")
    db.engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=20_000)
    ap.add_argument("--findings", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        measure(f"sqlite:///{tmp}/review.db", "SQLite", args, tmp)
        if not args.skip_postgres:
            from sqlalchemy import create_engine

            from tests import pg

            if not pg.available():
                print("\nPostgreSQL: no server binaries (initdb, pg_ctl) on this machine; skipped")
                return
            address = stack.enter_context(pg.temporary_postgres())
            admin = create_engine(f"postgresql+psycopg://postgres@{address}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench"))
            admin.dispose()
            measure(f"postgresql+psycopg://postgres@{address}/bench", "PostgreSQL", args, tmp)


if __name__ == "__main__":
    main()
