"""Start a screening run on the deployment: what an upload notification and the nightly run call.

Prefect queues the run (the deployment's concurrency limit holds bursts back) and the
idempotency key makes a repeated notification of the same upload return the same run.
"""

from __future__ import annotations

from prefect.deployments import run_deployment


def request_screening(prefix: str, idempotency_key: str, deployment: str, tags: tuple[str, ...] = ("upload",)) -> str:
    """Create (or find) the flow run screening ``prefix``; returns its id without waiting for it."""
    run = run_deployment(
        name=deployment,
        parameters={"prefix": prefix},
        timeout=0,
        idempotency_key=idempotency_key,
        tags=list(tags),
        as_subflow=False,
    )
    return str(run.id)
