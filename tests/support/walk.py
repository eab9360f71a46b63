"""Walk a teacher through months of follow-through on the time-skipping server.

Time moves a day at a time; after each day the walker reads what arrived at
the real SMTP server and answers through the real answer links, as the
teacher would, following a per-step policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from temporalio.testing import WorkflowEnvironment

from tests.support.calendars import LONDON
from tests.support.inbox import links_of, sent_at
from tests.support.stack import Stack


@dataclass
class Received:
    step_id: str | None  # None for a support email (it carries no answer link)
    purpose: str  # initial | reminder | support | follow_up
    at: datetime  # local time in London
    message: EmailMessage


# Given what arrived, the form data to POST to its answer link, or None to ignore it.
Policy = Callable[[Received], dict[str, str] | None]


@dataclass
class Walker:
    env: WorkflowEnvironment
    stack: Stack
    to: str
    received: list[Received] = field(default_factory=list)
    answered: dict[str, datetime] = field(
        default_factory=dict
    )  # step id -> when the answer went in

    def __post_init__(self) -> None:
        # Only what arrives from now on: an earlier walk may have used the same inbox.
        self._already_there = len(self.stack.smtp.inbox.to(self.to))

    def read(self, message: EmailMessage) -> Received:
        subject = " ".join(str(message["Subject"]).split())  # unfolded: a long one wraps
        purpose = "reminder" if subject.startswith("Reminder:") else "initial"
        if subject.startswith("Some help with:"):
            purpose = "support"
        if subject.startswith("Your planned observation:"):
            purpose = "follow_up"
        answer_links = [link for link in links_of(message) if "/a/" in link]
        step_id = None
        if answer_links:
            token = answer_links[0].split("/a/")[1].split("?")[0]
            step_id = self.stack.signer.verify(token, "answer").step_id
        # To the minute, as a person reads it: the email's Date is the workflow's time when
        # it sent, which on a loaded machine can be a second after the timer fired.
        at = sent_at(message).astimezone(LONDON).replace(second=0, microsecond=0)
        return Received(step_id, purpose, at, message)

    def answer_link(self, item: Received) -> str:
        return next(link for link in links_of(item.message) if "/a/" in link).split("?")[0]

    async def days(self, days: int, policy: Policy | None = None) -> None:
        for _ in range(days):
            await self.env.sleep(timedelta(days=1))
            await self.collect(policy)

    async def until_answered(self, step_id: str, policy: Policy, most_days: int = 400) -> None:
        """Day by day until the teacher has answered ``step_id``: a holiday may push a step
        later than a test's fixed number of days (the time-skipping clock runs on across
        tests, so which holidays fall where is not known in advance)."""
        for _ in range(most_days):
            if step_id in self.answered:
                return
            await self.days(1, policy)
        raise AssertionError(f"{step_id} was not answered within {most_days} days")

    async def collect(self, policy: Policy | None = None) -> None:
        fresh = self.stack.smtp.inbox.to(self.to)[self._already_there + len(self.received) :]
        for message in fresh:
            item = self.read(message)
            self.received.append(item)
            data = policy(item) if policy else None
            if data is not None and item.step_id and item.step_id not in self.answered:
                page = await self.stack.api.post(self.answer_link(item), data=data)
                assert page.status_code == 200, page.text
                assert "recorded" in page.text
                self.answered[item.step_id] = (await self.env.get_current_time()).astimezone(LONDON)

    def sends(self, step_id: str) -> list[Received]:
        return [r for r in self.received if r.step_id == step_id]
