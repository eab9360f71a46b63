"""The fan-out with its participants held back: what the fan-out costs on its own.

A client interceptor gives every ParticipantWorkflow start the fan-out makes a
start delay of an hour, so no participant runs while the fan-out is still
starting the rest; nothing else differs from the product run. Set beside it,
this separates the fan-out's own cost (pages, payloads, search attributes, the
POST) from the cost of sharing the machine with thousands of participants that
all have work due. The delayed workflows never run: the server is thrown away
first.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)

HOLD = timedelta(hours=1)


class _HoldParticipants(Interceptor):
    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Hold(next)


class _Hold(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        if input.workflow == "ParticipantWorkflow":
            input = replace(input, start_delay=HOLD)
        return await super().start_workflow(input)


def held_back(client: Client) -> Client:
    """The same connection, with every participant start delayed by ``HOLD``."""
    config = client.config()
    config["interceptors"] = [*config["interceptors"], _HoldParticipants()]
    return Client(**config)
