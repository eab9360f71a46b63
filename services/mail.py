"""Emails sent outside the workflows (sign-in links, fresh portfolio links, "which did you
mean?", leaders' help requests and weekly summaries): rendered, built and sent at once.

Where several processes could send the same one, it is claimed by a key first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from activities.smtp import Outgoing, SmtpSender
from cpd import metrics
from cpd.db import Sessionmaker, unit_of_work
from cpd.models import LeadEmail
from cpd.settings import Settings
from emails.message import build_message
from emails.render import EmailRenderer

_RENDERER = EmailRenderer()


async def send_now(
    mailer: SmtpSender,
    settings: Settings,
    template: str,
    context: dict[str, Any],
    *,
    to: str,
    to_name: str = "",
    sender_name: str = "",
    reply_to: str = "",
    unsubscribe_url: str = "",
    language: str = "en",
) -> None:
    """``language``: a teacher's ("en" or "cy", cpd/i18n.py); leaders' emails are English."""
    rendered = _RENDERER.render(template, context, language)
    message = build_message(
        rendered,
        mail_from=settings.mail_from,
        sender_name=sender_name,
        to=to,
        to_name=to_name,
        reply_to=reply_to,
        unsubscribe_url=unsubscribe_url,
    )
    await mailer.send(Outgoing.of(message))
    metrics.DIRECT_EMAILS.labels(kind=template).inc()


async def claim_once(sessionmaker: Sessionmaker, key: str) -> bool:
    """True for the first caller with this key, ever: that one sends the email."""
    try:
        async with unit_of_work(sessionmaker) as db:
            db.add(LeadEmail(key=key))
    except IntegrityError:
        return False
    return True
