"""Names shared by the API, the worker and the tests, defined once."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

# Search attributes carry ids only: never a teacher's name or email.
SA_SCHOOL_ID = SearchAttributeKey.for_keyword("CpdSchoolId")
SA_EVENT_ID = SearchAttributeKey.for_keyword("CpdEventId")
SA_STAGE = SearchAttributeKey.for_keyword("CpdStage")
SEARCH_ATTRIBUTES = (SA_SCHOOL_ID, SA_EVENT_ID, SA_STAGE)


# Workflow type names, as recorded in every history: never change them.
PARTICIPANT_WORKFLOW = "ParticipantWorkflow"
FANOUT_WORKFLOW = "EventFanoutWorkflow"


def participant_workflow_id(event_id: str, participant_id: str) -> str:
    return f"cpd-{event_id}-{participant_id}"


def fanout_workflow_id(event_id: str, batch: int = 0) -> str:
    return f"cpd-fanout-{event_id}" if batch == 0 else f"cpd-fanout-{event_id}-b{batch}"


def cancel_workflow_id(event_id: str) -> str:
    return f"cpd-cancel-{event_id}"


def event_signal_workflow_id(event_id: str, action: str, request_id: str) -> str:
    # Pause and resume may repeat over an event's life: one fan-out per request.
    return f"cpd-{action}-{event_id}-{request_id}"


def school_signal_workflow_id(school_id: str, action: str, request_id: str) -> str:
    # A calendar saved for the whole school: one fan-out per save.
    return f"cpd-{action}-school-{school_id}-{request_id}"


def fanout_queue(task_queue: str) -> str:
    """Fan-outs get a lane of their own: pages of starts never queue behind the very
    participants they started (thousands of first steps all due at once)."""
    return f"{task_queue}-fanout"
