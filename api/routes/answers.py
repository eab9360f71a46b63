"""Where a teacher's answer enters: the links in their emails.

A GET never changes anything (mail scanners such as Outlook Safe Links fetch
every link before the person does): it shows a prefilled confirm page. The
POST sends the answer to the teacher's workflow as an Update, and the page
says "recorded" only once the workflow has accepted it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Resources, ResourcesDep, SessionDep
from cpd.models import Event, Evidence, Participant
from cpd.plans import ACTION_PLAN_FIELDS, Plan, Step, StepKind, choices_for
from cpd.security import LinkClaims, LinkError
from emails.content import HEADLINES, choice_label
from services.answers import REASONS, AnswerRefused, submit_answer
from services.evidence import forget_file, take_evidence
from workflows.participant import ParticipantWorkflow
from workflows.types import AnswerIn, AnswerReceipt

router = APIRouter(tags=["teacher links"], include_in_schema=False)


def page(
    res: Resources, request: Request, name: str, status: int = 200, **ctx: Any
) -> HTMLResponse:
    return res.templates.TemplateResponse(request, name, ctx, status_code=status)


def problem(res: Resources, request: Request, message: str, status: int) -> HTMLResponse:
    return page(res, request, "problem.html", status=status, message=message)


async def _load(
    res: Resources, session: SessionDep, token: str, purpose: str
) -> tuple[LinkClaims, Participant, Event, Plan]:
    """The link's teacher, event and plan; a LinkError becomes a clear page (api/app.py)."""
    claims = res.signer.verify(token, purpose)
    person = await session.get(Participant, claims.participant_id)
    event = await session.get(Event, person.event_id) if person else None
    if person is None or event is None:
        raise LinkError("This follow-through no longer exists.")
    return claims, person, event, Plan.model_validate_json(event.plan_json)


async def _question(
    res: Resources, session: SessionDep, token: str
) -> tuple[Participant, Event, Step]:
    claims, person, event, plan = await _load(res, session, token, "answer")
    step = plan.step(claims.step_id)
    if step is None:
        raise LinkError("This link does not match a question.")
    return person, event, step


@router.get("/a/{token}", response_class=HTMLResponse)
async def answer_page(
    token: str, request: Request, session: SessionDep, res: ResourcesDep, choice: str = ""
) -> HTMLResponse:
    person, event, step = await _question(res, session, token)
    choices = choices_for(step.kind)
    return page(
        res,
        request,
        "answer.html",
        event=event,
        person=person,
        step=step,
        headline=HEADLINES[step.kind],
        plan_fields=ACTION_PLAN_FIELDS.items() if step.kind is StepKind.ACTION_PLAN else [],
        choices=[(c, choice_label(c)) for c in choices],
        chosen=choice if choice in choices else "",
        max_mb=res.settings.evidence_max_bytes // (1024 * 1024),
    )


@router.post("/a/{token}", response_class=HTMLResponse)
async def answer_submit(
    token: str,
    request: Request,
    session: SessionDep,
    res: ResourcesDep,
    choice: Annotated[str, Form(max_length=40)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
    context: Annotated[str, Form(max_length=300)] = "",
    class_name: Annotated[str, Form(max_length=300)] = "",
    frequency: Annotated[str, Form(max_length=300)] = "",
    duration: Annotated[str, Form(max_length=300)] = "",
    link: Annotated[str, Form(max_length=2000)] = "",
    share: Annotated[str, Form(max_length=3)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    person, event, step = await _question(res, session, token)
    evidence = None
    if step.kind is StepKind.EVIDENCE:
        evidence = await take_evidence(res.settings, session, person, step.id, text, link, file)
        # Written before the Update: if the workflow refuses, both are undone below.
        await session.commit()
        text = evidence.note or evidence.link or f"File: {evidence.filename}"
    parts = {
        "context": context,
        "class_name": class_name,
        "frequency": frequency,
        "duration": duration,
    }
    plan_fields = {k: " ".join(v.split()) for k, v in parts.items() if v.strip()}
    if evidence is not None:
        plan_fields = {"evidence_id": evidence.id, "link": evidence.link}
    if step.kind is StepKind.REFLECTION:
        plan_fields = {"share": "yes" if share == "yes" else "no"}
    answer = AnswerIn(step_id=step.id, choice=choice, text=text.strip(), fields=plan_fields)
    try:
        receipt = await submit_answer(res.client, session, person, answer)
    except AnswerRefused as exc:
        if evidence is not None:
            await _undo(res, session, evidence)
        return problem(res, request, exc.reason, 422 if exc.invalid else 409)
    return _recorded(res, request, event, step, receipt, choice)


def _recorded(
    res: Resources, request: Request, event: Event, step: Step, receipt: AnswerReceipt, choice: str
) -> HTMLResponse:
    label = choice_label(choice) if choice else ""
    return page(
        res, request, "recorded.html", event=event, step=step, receipt=receipt, choice_label=label
    )


async def _undo(res: Resources, session: AsyncSession, evidence: Evidence) -> None:
    await session.delete(evidence)
    await session.commit()
    forget_file(res.settings, evidence)


@router.get("/u/{token}", response_class=HTMLResponse)
async def manage_page(
    token: str, request: Request, session: SessionDep, res: ResourcesDep
) -> HTMLResponse:
    _, person, event, _ = await _load(res, session, token, "pause")
    return page(res, request, "manage.html", event=event, person=person)


@router.post("/u/{token}", response_class=HTMLResponse)
async def manage_submit(
    token: str,
    request: Request,
    session: SessionDep,
    res: ResourcesDep,
    action: Annotated[str, Form()] = "",
    list_unsubscribe: Annotated[str, Form(alias="List-Unsubscribe")] = "",
) -> HTMLResponse:
    _, person, event, _ = await _load(res, session, token, "pause")
    # RFC 8058: a mail client's one-click unsubscribe POSTs "List-Unsubscribe=One-Click".
    if list_unsubscribe == "One-Click":
        action = "opt_out"
    handle = res.client.get_workflow_handle_for(ParticipantWorkflow.run, person.workflow_id)
    try:
        if action == "pause":
            await handle.signal(ParticipantWorkflow.pause, "paused by teacher")
        elif action == "resume":
            await handle.signal(ParticipantWorkflow.resume)
        elif action == "opt_out":
            await handle.signal(ParticipantWorkflow.withdraw, "opted_out")
        else:
            return problem(res, request, "Choose pause, resume or stop.", 422)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return problem(res, request, REASONS["Withdrawn"], 409)
        raise
    return page(res, request, "managed.html", event=event, action=action)
