"""Where a teacher's answer enters: the links in their emails.

A GET never changes anything (mail scanners such as Outlook Safe Links fetch
every link before the person does): it shows a prefilled confirm page. The
POST sends the answer to the teacher's workflow (services/answers.py), and the
page says "recorded" only once the workflow has accepted it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from api.deps import DbDep, LinkPagesLimit, ResourcesDep
from api.forms import read_upload
from api.pages import page, problem
from cpd.i18n import N_
from cpd.plans import ACTION_PLAN_FIELDS, StepKind, choices_for
from emails.content import SUPPORT_CHECK_CHOICES, choice_label, headline_for
from services import answers, links, support
from services.answers import NOT_CONFIRMED, AnswerNotConfirmed, AnswerRefused, LinkAnswer

# Authorised by the unguessable signed token in each path: no session, so no CSRF token
# either (a forger would need the token, and with it could simply follow the link).
CHOOSE_HELPED = N_("Please choose whether the support helped.")

router = APIRouter(tags=["teacher links"], include_in_schema=False, dependencies=[LinkPagesLimit])


@router.get("/a/{token}", response_class=HTMLResponse)
async def answer_page(
    token: str, request: Request, db: DbDep, res: ResourcesDep, choice: str = ""
) -> HTMLResponse:
    asked = await answers.question(db, res.signer, token)
    choices = choices_for(asked.step.kind)
    lang = await links.language(db, asked.person)
    return page(
        request,
        "answer.html",
        language=lang,
        event=asked.event,
        person=asked.person,
        step=asked.step,
        headline=headline_for(asked.step.kind, lang),
        plan_fields=ACTION_PLAN_FIELDS.items() if asked.step.kind is StepKind.ACTION_PLAN else [],
        choices=[(c, choice_label(c, asked.step.kind, lang)) for c in choices],
        chosen=choice if choice in choices else "",
        said=asked.said,
        max_mb=res.settings.evidence_max_bytes // (1024 * 1024),
    )


@router.post("/a/{token}", response_class=HTMLResponse)
async def answer_submit(
    token: str,
    request: Request,
    db: DbDep,
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
    asked = await answers.question(db, res.signer, token)
    lang = await links.language(db, asked.person)
    form = LinkAnswer(
        choice=choice,
        text=text,
        plan={
            "context": context,
            "class_name": class_name,
            "frequency": frequency,
            "duration": duration,
        },
        link=link,
        share=share == "yes",
        upload=await read_upload(file, res.settings.evidence_max_bytes),
    )
    try:
        receipt = await answers.answer_by_link(res.client, res.settings, db, asked, form)
    except AnswerRefused as exc:
        if exc.invalid:
            return problem(request, exc.reason, 422, language=lang)
        # Ended, or not asked yet: what they wrote so far is in their portfolio.
        return problem(request, exc.reason, 409, language=lang, fresh_link=True)
    except AnswerNotConfirmed:
        response = page(
            request,
            "not_confirmed.html",
            status=503,
            language=lang,
            message=NOT_CONFIRMED,
            again=request.url.path,  # the same link's question, to send the answer again
        )
        response.headers["Retry-After"] = "60"
        return response
    return page(
        request,
        "recorded.html",
        language=lang,
        event=asked.event,
        step=asked.step,
        receipt=receipt,
        # What stands: after a second tap, the first answer's choice, not this one.
        choice_label=choice_label(receipt.choice, asked.step.kind, lang) if receipt.choice else "",
    )


@router.get("/u/{token}", response_class=HTMLResponse)
async def manage_page(token: str, request: Request, db: DbDep, res: ResourcesDep) -> HTMLResponse:
    _, person, event = await answers.linked(db, res.signer, token, "pause")
    lang = await links.language(db, person)
    return page(request, "manage.html", language=lang, event=event, person=person)


@router.post("/u/{token}", response_class=HTMLResponse)
async def manage_submit(
    token: str,
    request: Request,
    db: DbDep,
    res: ResourcesDep,
    action: Annotated[str, Form()] = "",
    list_unsubscribe: Annotated[str, Form(alias="List-Unsubscribe")] = "",
) -> HTMLResponse:
    # RFC 8058: a mail client's one-click unsubscribe POSTs "List-Unsubscribe=One-Click".
    if list_unsubscribe == "One-Click":
        action = "opt_out"
    lang = await links.link_language(db, res.signer, token, "pause")
    try:
        event = await answers.manage_by_link(res.client, db, res.signer, token, action)
    except AnswerRefused as exc:
        return problem(request, exc.reason, 422 if exc.invalid else 409, language=lang)
    return page(request, "managed.html", language=lang, event=event, action=action)


@router.get("/s/{token}", response_class=HTMLResponse)
async def support_check_page(
    token: str, request: Request, db: DbDep, res: ResourcesDep, helped: str = ""
) -> HTMLResponse:
    """Did the support help? Asked in the step email after a lead marked it given."""
    asked = await support.followup(db, res.signer, token)
    return page(
        request,
        "support_check.html",
        language=await links.language(db, asked.person),
        event=asked.event,
        choices=SUPPORT_CHECK_CHOICES,
        chosen=helped if helped in ("yes", "no") else "",
    )


@router.post("/s/{token}", response_class=HTMLResponse)
async def support_check_submit(
    token: str,
    request: Request,
    db: DbDep,
    res: ResourcesDep,
    helped: Annotated[str, Form(max_length=3)] = "",
) -> HTMLResponse:
    asked = await support.followup(db, res.signer, token)
    lang = await links.language(db, asked.person)
    if helped not in ("yes", "no"):
        return problem(request, CHOOSE_HELPED, 422, language=lang)
    first = await support.record_helped(res.client, db, asked, helped == "yes")
    return page(
        request,
        "support_check.html",
        language=lang,
        event=asked.event,
        done=True,
        first=first,
        helped=helped == "yes",
        lead_told=await support.has_cpd_lead(db, asked.person.school_id),
    )
