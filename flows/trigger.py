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


def wait_for_runs(run_ids: list[str], poll_s: float = 10.0, timeout_s: float = 20 * 3600) -> dict[str, tuple[str, str]]:
    """Wait until every run is final; returns run id -> (state type, message)."""
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    pending, done = set(run_ids), {}
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while pending and time.monotonic() < deadline:
            chunk = list(pending)[:200]
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=chunk)), sort=FlowRunSort.ID_DESC, limit=len(chunk)
            )
            for run in runs:
                if run.state and run.state.is_final():
                    done[str(run.id)] = (run.state.type.value, run.state.message or "")
                    pending.discard(str(run.id))
            if pending:
                time.sleep(poll_s)
    done.update({rid: ("TIMED_OUT", "still not finished when the nightly run stopped waiting") for rid in pending})
    return done
