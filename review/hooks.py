"""``POST /hooks/minio``: MinIO's bucket notification (webhook target) becomes a screening run.

MinIO is configured with ``auth_token``, which it sends as ``Authorization: Bearer <token>``;
without a configured token the endpoint refuses everything.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from prescreen.settings import Settings
from storage.notifications import uploads

log = logging.getLogger(__name__)
MAX_EVENT_BYTES = 1 << 20

Trigger = Callable[[str, str, str], str]  # (prefix, idempotency key, deployment) -> flow run id


def default_trigger(prefix: str, key: str, deployment: str) -> str:
    from flows.trigger import request_screening

    return request_screening(prefix, key, deployment)


def router(settings: Settings, trigger: Trigger | None = None) -> APIRouter:
    trigger = trigger or default_trigger
    r = APIRouter()

    @r.post("/hooks/minio")
    async def minio_event(request: Request) -> JSONResponse:
        token = settings.webhook_token.get_secret_value().encode("utf-8") if settings.webhook_token else b""
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        # headers arrive as latin-1 text: back to their bytes, compared in constant time
        if not token or scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode("latin-1", "replace"), token):
            raise HTTPException(401, "bad token")
        body = await request.body()
        if len(body) > MAX_EVENT_BYTES:
            raise HTTPException(413, "event too large")
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            raise HTTPException(400, "not JSON") from None
        if not isinstance(event, dict):
            raise HTTPException(400, "not an S3 event")
        runs = []
        for up in uploads(event, settings.packets_prefix):
            try:
                run_id = await run_in_threadpool(trigger, up.prefix, f"upload:{up.identity}", settings.deployment)
            except Exception as exc:  # noqa: BLE001 - MinIO retries a failed delivery; the nightly run is the backstop
                log.exception("could not start screening of %s", up.prefix)
                raise HTTPException(503, f"could not queue {up.prefix}: {type(exc).__name__}") from None
            log.info("upload %s queued as flow run %s", up.identity, run_id)
            runs.append({"prefix": up.prefix, "flow_run": run_id})
        return JSONResponse({"queued": runs}, status_code=202 if runs else 200)

    return r
