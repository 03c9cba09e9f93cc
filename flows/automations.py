"""Prefect automations prescreen relies on: a flow run whose worker died stops sending heartbeats
and is marked Crashed (so it does not sit in Running forever; the nightly run then redoes the
packet, which has no new report). Workers must run with PREFECT_FLOWS_HEARTBEAT_FREQUENCY=60.

    python -m flows.automations      # once, against the Prefect server
"""

from __future__ import annotations

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

ZOMBIE = "prescreen: crash flow runs whose worker stopped"
HEARTBEAT_S = 60


def zombie_automation(missed_heartbeats: int = 3) -> Automation:
    return Automation(
        name=ZOMBIE,
        description="A screening run that sent no heartbeat and no final state for a while lost its worker.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=HEARTBEAT_S * missed_heartbeats),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message="no heartbeat from the worker: it was lost")],
    )


def ensure_automations() -> str:
    """Create the automation unless one of that name exists; returns its id."""
    try:
        existing = Automation.read(name=ZOMBIE)
    except ValueError:
        existing = None
    if existing is not None:
        return str(existing.id)
    return str(zombie_automation().create().id)


if __name__ == "__main__":
    print(ensure_automations())
