"""A review app over a local store and SQLite, with a published report (no OCR needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.models import DocumentInfo, EngineInfo, Finding, FindingCode, PageInfo, Report
from pipeline.context import PageResult, ScreenResult
from pipeline.report import recommend
from prescreen.settings import Settings
from review.app import create_app
from review.users import add_user
from storage.migrate import upgrade
from storage.objectstore import LocalStore
from storage.reports import publish_result
from storage.reviewdb import ReviewDB, record_report

PASSWORD = "correct horse battery"


def page_image() -> bytes:
    img = np.full((1200, 850, 3), 250, np.uint8)
    cv2.putText(img, "DIPLOMA", (250, 200), cv2.FONT_HERSHEY_SIMPLEX, 2, (20, 20, 20), 4)
    cv2.rectangle(img, (100, 300), (500, 360), (40, 40, 40), -1)
    return cv2.imencode(".jpg", img)[1].tobytes()


def screened(app_id: str = "2024-RV-0001", sha: str = "c" * 64) -> ScreenResult:
    findings = (
        Finding.of(FindingCode.UNMASKED_NAME, "姓名“阿依古丽·买买提”未遮盖", slot="diploma", file="diploma.jpg", page=1, bbox=(0.1, 0.25, 0.6, 0.3)),
        Finding.of(FindingCode.ROTATED, "页面方向不正（已旋转90°识别）", slot="diploma", file="diploma.jpg", page=1),
        Finding.of(FindingCode.CE_INCOMPLETE, "缺少2024年度专业科目学时"),
    )
    info = PageInfo(page=1, sharpness=110.0, width=1240, height=1754, text_source="ocr")
    report = Report(
        application_id=app_id,
        track="review",
        recommendation=recommend(findings),
        findings=findings,
        documents=(DocumentInfo(slot="diploma", file="diploma.jpg", format="jpeg", page_count=1, sha256=sha, pages=(info,)),),
        generated_at=datetime(2025, 6, 2, 3, 0, tzinfo=UTC),
        engine=EngineInfo(prescreen="t", ocr="t", orientation="t", rules="r", build="b"),
    )
    page = PageResult(slot="diploma", file="diploma.jpg", info=info, thumbnail=page_image())
    return ScreenResult(report=report, pages=[page])


def publish(store: LocalStore, db: ReviewDB, prefix: str, result: ScreenResult, applicant=None) -> str:  # noqa: ANN001
    version = publish_result(store, prefix, result).version
    with db.session() as s:
        record_report(s, prefix, result.report, version, received_at=datetime(2025, 6, 2, 2, 30, tzinfo=UTC), applicant=applicant)
    return version


def make_app(tmp: Path, trigger=None, role: str = "lead", **overrides):  # noqa: ANN001, ANN003, ANN201
    """The app, its store and database, and one account ``li`` (a lead unless ``role`` says otherwise:
    a lead may use every page of the packets, the statistics, exports and the audit log)."""
    settings = Settings(
        **{
            "database_url": f"sqlite:///{tmp}/review.db",
            "local_root": tmp / "store",
            "secret_key": SecretStr("k" * 40),
            "webhook_token": SecretStr("hook-token"),
        }
        | overrides
    )
    upgrade(settings.database_url)  # nothing to do when the test's database is the migrated copy already
    store, db = LocalStore(tmp / "store"), ReviewDB(settings.database_url)
    with db.session() as s:
        add_user(s, "li", PASSWORD, "李审核", role=role)
    return create_app(settings, store=store, db=db, trigger=trigger), store, db


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(client: TestClient, username: str = "li", password: str = PASSWORD):  # noqa: ANN201
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"}, follow_redirects=False)


def api_routes(app) -> list:  # noqa: ANN001
    """Every route of the app, those of included routers too (none of them has a prefix)."""
    from fastapi.routing import APIRoute

    out, todo = [], list(app.routes)
    while todo:
        route = todo.pop(0)
        if isinstance(route, APIRoute):
            out.append(route)
        elif (inner := getattr(route, "original_router", None)) is not None:
            todo.extend(inner.routes)
    return out
