"""The school's plans: the list, a plan's steps in words, and an editor that saves a new
plan or a new version of one of the school's own (CPD leads only).

The editor works without JavaScript: adding or removing a step is a submit that shows
the editor again with what was typed. Nothing is saved until it is valid; each of the
validator's messages is shown next to the field it is about.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.deps import DbDep, ViewerDep
from api.pages import page
from api.routes.dashboard.base import LeadDep, dashboard_router
from cpd.db import Db
from cpd.plans import Plan, Step, StepKind
from services import plan_library
from services.errors import Conflict, Invalid, NotFound
from services.plan_library import SchoolPlanIn

router = dashboard_router()

KIND_WORDS = {
    StepKind.ACTION_PLAN: "Action plan",
    StepKind.CUE: "Cue (a short nudge)",
    StepKind.PRACTICE_CHECKIN: "Practice check-in",
    StepKind.EVIDENCE: "Evidence of practice",
    StepKind.IMPACT_CHECK: "Impact check (a rating from 1 to 5)",
    StepKind.LEADER_CHECK: "Time and resources check (asked of CPD leads too)",
    StepKind.REFLECTION: "Reflection",
    StepKind.PEER_OBSERVATION: "Peer observation (done / planned / not yet)",
}
GUSKEY_WORDS = {
    1: "Level 1: participants' reactions",
    2: "Level 2: participants' learning",
    3: "Level 3: the school's support",
    4: "Level 4: use of new knowledge and skills",
    5: "Level 5: pupils' learning outcomes",
}
# The editor's fields for one step, as the form names them (steps-<n>-<field>).
STEP_FIELDS = (
    "id",
    "kind",
    "title",
    "offset_days",
    "send_time",
    "prompt",
    "answer_window_working_days",
    "max_reminders",
    "every_working_days",
    "guskey_level",
)
MOST_STEPS = 40


def when_words(step: Step) -> str:
    days = step.offset_days
    if days == 0:
        after = "On the day of the event"
    elif days % 7 == 0:
        weeks = days // 7
        after = f"{weeks} week{'s' if weeks > 1 else ''} after the event"
    else:
        after = f"{days} day{'s' if days > 1 else ''} after the event"
    return f"{after}, at {step.send_time.strftime('%H:%M')}"


def reminder_words(step: Step) -> str:
    if not step.expects_answer:
        return "No answer awaited, so no reminders"
    r = step.reminders
    if not r.max_reminders:
        return "No reminders"
    times = "once" if r.max_reminders == 1 else f"up to {r.max_reminders} times"
    return (
        f"If unanswered, reminded {times}, every {r.every_working_days} working days, "
        "while answers are open"
    )


WORDS: dict[str, Any] = {
    "kind_words": KIND_WORDS,
    "guskey_words": GUSKEY_WORDS,
    "when_words": when_words,
    "reminder_words": reminder_words,
}


def _form_steps(plan: Plan) -> list[dict[str, str]]:
    """A plan's steps as the editor's fields hold them: text."""
    return [
        {
            "id": s.id,
            "kind": s.kind.value,
            "title": s.title,
            "offset_days": str(s.offset_days),
            "send_time": s.send_time.strftime("%H:%M"),
            "prompt": s.prompt,
            "answer_window_working_days": str(s.answer_window_working_days),
            "max_reminders": str(s.reminders.max_reminders),
            "every_working_days": str(s.reminders.every_working_days),
            "guskey_level": str(s.guskey_level or ""),
        }
        for s in plan.steps
    ]


def _read_steps(form: FormData) -> list[dict[str, str]]:
    try:
        count = min(int(str(form.get("count", "0"))), MOST_STEPS)
    except ValueError:
        count = 0
    return [
        {f: str(form.get(f"steps-{i}-{f}", "")).strip() for f in STEP_FIELDS} for i in range(count)
    ]


def _unique_id(steps: list[dict[str, str]], kind: str) -> str:
    taken = {s["id"] for s in steps}
    n = 1
    while f"{kind.replace('_', '-')}-{n}" in taken:
        n += 1
    return f"{kind.replace('_', '-')}-{n}"


def _as_body(key: str | None, name: str, stream: str, steps: list[dict[str, str]]) -> Any:
    """The editor's fields as SchoolPlanIn takes them (empty optional numbers are None)."""
    return {
        "key": key,
        "name": name,
        "stream": stream or "custom",
        "steps": [
            {
                "id": s["id"] or _unique_id(steps, s["kind"] or "step"),
                "kind": s["kind"],
                "title": s["title"],
                "offset_days": s["offset_days"],
                "send_time": s["send_time"],
                "prompt": s["prompt"],
                "answer_window_working_days": s["answer_window_working_days"],
                "reminders": {
                    "max_reminders": s["max_reminders"],
                    "every_working_days": s["every_working_days"],
                },
                "guskey_level": s["guskey_level"] or None,
            }
            for s in steps
        ],
    }


def _field_of(loc: tuple[Any, ...], message: str) -> str:
    """The editor field a validator's message is about: ('steps', 2, 'offset_days') is
    step 3's days; a whole step's rule goes to the field it is about."""
    if loc[:1] == ("steps",) and len(loc) >= 2 and isinstance(loc[1], int):
        n, rest = loc[1], [p for p in loc[2:] if p != "reminders"]
        if rest and rest[0] in STEP_FIELDS:
            return f"steps-{n}-{rest[0]}"
        if "guskey" in message.lower():
            return f"steps-{n}-guskey_level"
        if "reminders" in message:
            return f"steps-{n}-max_reminders"
        return f"steps-{n}-kind"
    if loc[:1] == ("name",):
        return "name"
    return ""


def _out_of_order(steps: list[dict[str, str]]) -> str:
    """The first step due before the one above it (the plan's order rule, placed)."""
    last = -1
    for n, s in enumerate(steps):
        try:
            days = int(s["offset_days"])
        except ValueError:
            return ""
        if days < last:
            return f"steps-{n}-offset_days"
        last = days
    return ""


OUT_OF_ORDER = "Due before the step above it: steps go in order of their timing"


def _errors(exc: ValidationError, steps: list[dict[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in exc.errors():
        message = e["msg"].removeprefix("Value error, ")
        field = _field_of(tuple(e["loc"]), message)
        if "order of offset_days" in message:
            continue  # placed below, by the step it is about
        found.setdefault(field, message)
    # The plan's order rule runs only once every step is valid: check it here too, so
    # all the problems are shown at once.
    late = _out_of_order(steps)
    if late:
        found.setdefault(late, OUT_OF_ORDER)
    return found


def _labels(steps: list[dict[str, str]]) -> dict[str, str]:
    """Each field's name in words, for the summary of problems at the top."""
    names = {
        "kind": "kind",
        "title": "title",
        "offset_days": "days after the event",
        "send_time": "send time",
        "prompt": "question",
        "answer_window_working_days": "working days to answer",
        "max_reminders": "reminders",
        "every_working_days": "working days between reminders",
        "guskey_level": "Guskey level",
    }
    labels = {"name": "Plan name", "": "The plan"}
    for n in range(len(steps)):
        for f, words in names.items():
            labels[f"steps-{n}-{f}"] = f"Step {n + 1}, {words}"
    return labels


def _editor(
    request: Request,
    who: Any,
    *,
    base: plan_library.PlanChoice | None,
    name: str,
    stream: str,
    steps: list[dict[str, str]],
    save_as: str = "new",
    next_version: int = 1,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "dashboard/plan_edit.html",
        status=status,
        who=who,
        base=base,
        plan_name=name,
        stream=stream,
        steps=steps,
        save_as=save_as,
        next_version=next_version,
        errors=errors or {},
        labels=_labels(steps),
        kinds=KIND_WORDS,
        levels=GUSKEY_WORDS,
        most_steps=MOST_STEPS,
    )


async def _next_version(db: Db, school_id: str, base: plan_library.PlanChoice | None) -> int:
    """The version saving the editor as a version of its school plan would make."""
    if base is None or base.builtin:
        return 1
    return (await plan_library.versions(db, school_id, base.key))[0].version + 1


@router.get("/plans", response_model=None)
async def plans_page(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    """Built-in plans and the school's own (latest version of each)."""
    viewer, school = found
    plans = await plan_library.choices(db, school.id)
    return page(request, "dashboard/plans.html", who=viewer, school=school, plans=plans)


@router.get("/plans/{plan_id}", response_model=None)
async def plan_page(
    request: Request, plan_id: str, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """A plan's steps in words: when each is sent, what it asks, reminders, Guskey level."""
    viewer, school = found
    choice = await plan_library.plan_by_id(db, school.id, plan_id)
    older = [] if choice.builtin else await plan_library.versions(db, school.id, choice.key)
    return page(
        request,
        "dashboard/plan.html",
        who=viewer,
        choice=choice,
        versions=older,
        saved=request.query_params.get("saved"),
        **WORDS,
    )


@router.get("/plans/{plan_id}/edit", response_model=None)
async def edit_page(
    request: Request, plan_id: str, db: DbDep, who: ViewerDep, found: LeadDep
) -> Response:
    """The editor, filled in from this plan."""
    viewer, school = found
    base = await plan_library.plan_by_id(db, school.id, plan_id)
    name = base.name if not base.builtin else f"{base.name} (our version)"
    return _editor(
        request,
        viewer,
        base=base,
        name=name,
        stream=base.plan.stream,
        steps=_form_steps(base.plan),
        save_as="new" if base.builtin else "version",
        next_version=await _next_version(db, school.id, base),
    )


@router.post("/plans/edit", response_model=None)
async def edit_submit(request: Request, db: DbDep, who: ViewerDep, found: LeadDep) -> Response:
    """Add or remove a step (the editor again, as typed), or save."""
    viewer, school = found
    form = await request.form()
    base_id = str(form.get("base", ""))
    try:
        base = await plan_library.plan_by_id(db, school.id, base_id) if base_id else None
    except NotFound:
        base = None
    name, stream = str(form.get("name", "")), str(form.get("stream", ""))
    steps = _read_steps(form)
    save_as = "version" if form.get("save_as") == "version" and base and not base.builtin else "new"
    action = str(form.get("action", "save"))
    next_version = await _next_version(db, school.id, base)

    def again(errors: dict[str, str] | None = None, status: int = 200) -> Response:
        return _editor(
            request,
            viewer,
            base=base,
            name=name,
            stream=stream,
            steps=steps,
            save_as=save_as,
            next_version=next_version,
            errors=errors,
            status=status,
        )

    if action == "add":
        if len(steps) < MOST_STEPS:
            last = steps[-1] if steps else {}
            new = dict.fromkeys(STEP_FIELDS, "")
            kind = "practice_checkin"
            new.update(
                kind=kind,
                id=_unique_id(steps, kind),
                offset_days=last.get("offset_days", "0") or "0",
                send_time="08:00",
                answer_window_working_days="5",
                max_reminders="2",
                every_working_days="2",
            )
            steps.append(new)
        return again()
    if action.startswith("remove-"):
        n = action.removeprefix("remove-")
        if n.isdigit() and int(n) < len(steps) and len(steps) > 1:
            del steps[int(n)]
        return again()

    key = base.key if save_as == "version" and base else None
    try:
        body = SchoolPlanIn.model_validate(_as_body(key, name, stream, steps))
    except ValidationError as exc:
        return again(_errors(exc, steps), status=422)
    try:
        saved = await plan_library.save(db, school.id, body, by=viewer.email or "dashboard")
    except (Invalid, Conflict) as exc:
        return again({"": exc.detail}, status=422 if isinstance(exc, Invalid) else 409)
    return RedirectResponse(f"/dashboard/plans/{saved.id}?saved=1", status_code=303)
