"""``prescreen check | demo | schema | serve | user | db | audit | nightly``: the command line.

``check`` runs the screening core in this process: the same steps the Prefect flow wraps,
without starting an orchestration server a one-packet run does not need (a temporary
Prefect server costs ~9 s per process). ``--flow`` runs it through the Prefect flow instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from pipeline.context import PageResult, ScreenResult
from pipeline.errors import PrescreenError
from pipeline.html import render_html
from pipeline.labels import RECOMMENDATION_LABELS
from pipeline.models import Report
from pipeline.packet import load_packet
from pipeline.screen import screen_packet, threads

log = logging.getLogger("prescreen")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except PrescreenError as exc:
        print(f"prescreen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("prescreen: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("PRESCREEN_DEBUG"):
            raise
        print(f"prescreen: internal error: {type(exc).__name__}: {exc} (set PRESCREEN_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prescreen", description="职称申报材料预审 — pre-screening of title application packets")
    p.add_argument("-v", "--verbose", action="count", default=0)
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="screen one packet folder (or manifest) and write the report")
    c.add_argument("packet", type=Path, help="packet folder or its manifest.yaml / manifest.json")
    c.add_argument("--out", type=Path, required=True, help="report JSON to write")
    c.add_argument("--html", type=Path, help="also write the auditor's HTML report here")
    c.add_argument("--flow", action="store_true", help="run through the Prefect flow (starts a temporary server)")
    c.set_defaults(func=cmd_check)

    d = sub.add_parser("demo", help="generate a sample packet, screen it, write report.json and report.html")
    d.add_argument("--dir", type=Path, default=Path("prescreen-demo"), help="where to put the packet and reports")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("schema", help="print the report's JSON Schema")
    s.add_argument("--out", type=Path, help="write it to a file instead")
    s.set_defaults(func=cmd_schema)

    v = sub.add_parser("serve", help="run the auditors' review app (and the MinIO notification endpoint)")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8080)
    v.set_defaults(func=cmd_serve)

    roles = ["auditor", "lead", "admin"]
    u = sub.add_parser("user", help="manage review app accounts").add_subparsers(dest="user_command", required=True)
    a = u.add_parser("add", help="add an account, or set a new password (and with --role, the role) for one")
    a.add_argument("username")
    a.add_argument("--name", default="", help="display name")
    a.add_argument("--role", choices=roles, help="auditor: decides packets; lead: also escalations, statistics, exports; "
                   "admin: accounts and the audit log only (default for a new account: auditor)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.set_defaults(func=cmd_user_add)
    r = u.add_parser("role", help="give an account another role (applies from its next request)")
    r.add_argument("username")
    r.add_argument("role", choices=roles)
    r.set_defaults(func=cmd_user_role)
    x = u.add_parser("disable", help="stop an auditor from signing in and end the auditor's open sessions")
    x.add_argument("username")
    x.set_defaults(func=cmd_user_disable)
    u.add_parser("list", help="list auditor accounts").set_defaults(func=cmd_user_list)

    db = sub.add_parser("db", help="the review database's schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the review database to this release's schema (creates it if empty)")
    up.add_argument("--url", help="database URL (default: PRESCREEN_DATABASE_OWNER_URL, else PRESCREEN_DATABASE_URL)")
    up.add_argument("--grant", metavar="ROLE", help="then grant ROLE the app's privileges (PostgreSQL)")
    up.set_defaults(func=cmd_db_upgrade)
    g = db.add_parser("grant", help="grant a PostgreSQL role the app's privileges: SELECT and INSERT only on the audit log")
    g.add_argument("role")
    g.add_argument("--url", help="the owner's database URL (default: PRESCREEN_DATABASE_OWNER_URL, else PRESCREEN_DATABASE_URL)")
    g.set_defaults(func=cmd_db_grant)

    b = db.add_parser("backfill-applicants", help="give packets recorded before names were kept their applicant's name and "
                      "employer, read from each packet's manifest in the store")
    b.set_defaults(func=cmd_db_backfill)

    au = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    au.add_parser("verify", help="check the audit log's hash chain; report the first broken link").set_defaults(func=cmd_audit_verify)

    n = sub.add_parser("nightly", help="re-screen what changed and what awaits review, now (what the 02:00 deployment runs)")
    n.add_argument("--root", type=Path, help="a local store folder instead of the configured store")
    n.set_defaults(func=cmd_nightly)
    return p


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)


# ---------------------------------------------------------------- commands


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from review.app import create_app

    uvicorn.run(create_app(), host=args.host, port=args.port, proxy_headers=True, log_level="info")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    import getpass

    from prescreen import runtime
    from prescreen.settings import Settings
    from review.users import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再次输入 / again: ") != password:
            raise PrescreenError("the two passwords differ")
    with runtime.review_db(Settings().database_url).session() as s:
        user = add_user(s, args.username, password, args.name, actor=os.environ.get("USER", "admin"), role=args.role)
        role = user.role
    print(f"{args.username} ({role}) can sign in")
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    from prescreen import runtime
    from prescreen.settings import Settings
    from review.users import set_role

    with runtime.review_db(Settings().database_url).session() as s:
        set_role(s, args.username, args.role, actor=os.environ.get("USER", "admin"))
    print(f"{args.username} is now {args.role}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from prescreen import runtime
    from prescreen.settings import Settings
    from review.users import disable_user

    with runtime.review_db(Settings().database_url).session() as s:
        disable_user(s, args.username, actor=os.environ.get("USER", "admin"))
    print(f"{args.username} disabled; every open session of the account has ended")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from prescreen import runtime
    from prescreen.settings import Settings
    from review.users import list_users

    with runtime.review_db(Settings().database_url).session() as s:
        accounts = list_users(s)
    for a in accounts:
        print(f"{a.username}\t{a.display_name}\t{'active' if a.active else 'disabled'}\t{a.role}\t{a.created_at:%Y-%m-%d}")
    return 0


def _owner_url(args: argparse.Namespace) -> str:
    from prescreen.settings import Settings

    settings = Settings()
    return args.url or settings.database_owner_url or settings.database_url


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import grant_app_role, upgrade

    url = _owner_url(args)
    done = upgrade(url)
    if done.adopted:
        before = "a database made before migrations (adopted as revision 0001)"
    else:
        before = "an empty database" if done.before is None else f"revision {done.before}"
    print(f"review database: {before} -> {done.after}")
    if args.grant:
        grant_app_role(url, args.grant)
        print(f"granted {args.grant} the app's privileges (audit log: SELECT, INSERT)")
    return 0


def cmd_db_grant(args: argparse.Namespace) -> int:
    from storage.migrate import grant_app_role

    for sql in grant_app_role(_owner_url(args), args.role):
        print(sql)
    return 0


def cmd_db_backfill(args: argparse.Namespace) -> int:
    """Names and employers from the manifests in the store; a packet whose manifest is missing or
    invalid is reported on one line and skipped."""
    from prescreen import runtime
    from prescreen.settings import Settings
    from storage.packets import load_store_packet
    from storage.reviewdb import backfill_applicant, without_applicant

    settings = Settings()
    db, store = runtime.review_db(settings.database_url), runtime.store_for(settings)
    with db.session() as s:
        todo = without_applicant(s)
    done = skipped = 0
    for app, prefix in todo:
        try:
            applicant = load_store_packet(store, prefix, settings.limits).manifest.applicant  # the manifest only, within the limits
        except PrescreenError as exc:
            print(f"{app}: skipped: {str(exc).splitlines()[0][:200]}", file=sys.stderr)
            skipped += 1
            continue
        with db.session() as s:
            done += backfill_applicant(s, app, applicant)
    print(f"applicants recorded for {done} packets; {skipped} skipped; {len(todo) - done - skipped} had them meanwhile")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from prescreen import runtime
    from prescreen.settings import Settings
    from storage.reviewdb import verify_audit_log

    with runtime.review_db(Settings().database_url).session() as s:
        check = verify_audit_log(s)
    if check.broken_at is not None:
        print(f"audit log BROKEN at entry {check.broken_at}: {check.reason} ({check.entries} entries before it verified)", file=sys.stderr)
        return 1
    print(f"audit log intact: {check.entries} entries, last hash {check.last_hash}")
    return 0


def cmd_nightly(args: argparse.Namespace) -> int:
    from flows.nightly import nightly_rescreen

    summary = nightly_rescreen(root=str(args.root.resolve()) if args.root else None)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if summary.get("failed") else 0


def cmd_check(args: argparse.Namespace) -> int:
    result = run_check(args.packet, use_flow=args.flow)
    write_outputs(result, args.out, args.html)
    _summary(result.report, args.out, args.html)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    try:  # the generator and its face photo (scikit-image) come with the "samples" extra, not the service
        import skimage  # noqa: F401

        from samples.generate import demo_packet
    except ImportError as exc:
        raise PrescreenError(f"the sample generator needs {exc.name}: pip install 'prescreen[samples]'") from None
    folder: Path = args.dir
    packet_dir = folder / "packet"
    if (packet_dir / "manifest.yaml").exists():
        print(f"using the sample packet already in {packet_dir}", file=sys.stderr)
    else:
        print(f"writing a sample packet to {packet_dir} ...", file=sys.stderr)
        demo_packet(packet_dir)
    result = run_check(packet_dir)
    out, html = folder / "report.json", folder / "report.html"
    write_outputs(result, out, html)
    _summary(result.report, out, html)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(Report.model_json_schema(mode="validation"), ensure_ascii=False, indent=2)
    if args.out:
        write_file(args.out, text.encode("utf-8"))
    else:
        print(text)
    return 0


# ---------------------------------------------------------------- helpers


def run_check(packet_path: Path, use_flow: bool = False) -> ScreenResult:
    from prescreen import runtime
    from prescreen.settings import Settings

    settings = Settings()
    packet = load_packet(packet_path, settings.limits)  # InputError (exit 2) before any model is loaded
    notices = runtime.notices(settings)  # a rules file naming an unknown check: exit 2, one line
    if use_flow:
        from flows.screen import check_local_packet

        return check_local_packet(str(packet_path))
    with _Progress(len(packet.manifest.files())) as progress:
        # the packet's time budget holds here too: pages not started by then are reported unread
        return screen_packet(
            packet,
            notices,
            runtime.engines_for(settings),
            runtime.detectors(),
            packet_checks=runtime.packet_checks(),
            options=runtime.options_for(settings),
            on_page=progress.page,
            run=threads(settings.page_threads),
            deadline=time.time() + settings.limits.packet_seconds,
        )


def write_outputs(result: ScreenResult, out: Path, html: Path | None) -> None:
    write_file(out, result.report.to_json().encode("utf-8"))
    if html:
        write_file(html, render_html(result.report, result.pages).encode("utf-8"))


def write_file(path: Path, data: bytes) -> None:
    """Write atomically; an earlier file at ``path`` is kept beside it, never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if path.read_bytes() == data:
            return
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%dT%H%M%S")
        keep = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
        n = 1
        while keep.exists():
            keep = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
            n += 1
        path.rename(keep)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _summary(report: Report, out: Path, html: Path | None) -> None:
    print(f"{report.application_id}: {report.recommendation.value} — {RECOMMENDATION_LABELS[report.recommendation]}")
    for f in report.findings:
        where = " ".join(x for x in (f.slot.value if f.slot else "", f.file or "", f"p{f.page}" if f.page else "") if x)
        print(f"  [{f.severity.value:7}] {f.code.value:24} {where}  {f.message}")
    print(f"report: {out}" + (f"  html: {html}" if html else ""))


class _Progress:
    """A progress line on a terminal; silent when output is piped."""

    def __init__(self, files: int) -> None:
        self.files = files
        self.enabled = sys.stderr.isatty()
        self._progress = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("screening", total=None)
        return self

    def page(self, result: PageResult) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=f"{result.file} p{result.info.page}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


if __name__ == "__main__":
    raise SystemExit(main())
