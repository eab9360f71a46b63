"""Read a teacher's emailed reply: is it a real answer, and what did they say?

Pure functions over a parsed message. Bounces and auto-replies (out of
office, vacation, delivery reports) are recognised and never count as
answers. From a real reply we keep only the new text: quoted history,
signatures and "Sent from my phone" lines are dropped.
"""

from __future__ import annotations

import html
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from cpd.plans import StepKind, choices_for

_AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|"
    r"away from (the )?office|on leave|vacation|undeliver(able|ed)|delivery status notification|"
    r"mail delivery (failed|failure)|returned mail|failure notice)",
    re.IGNORECASE,
)
_QUOTE_HEADERS = [
    re.compile(r"^On .+ wrote:\s*$"),  # Gmail, Apple Mail
    re.compile(r"^On .+,$"),  # the first half of a wrapped "On ... wrote:"
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),  # Outlook
    re.compile(r"^_{10,}\s*$"),  # Outlook's rule before the quoted headers
    re.compile(r"^From: .+", re.IGNORECASE),  # Outlook's quoted header block
]
_SIGN_OFFS = [
    re.compile(r"^-- ?$"),  # the standard signature separator
    re.compile(r"^Sent from my \w+", re.IGNORECASE),
    re.compile(r"^Get Outlook for \w+", re.IGNORECASE),
]


def parse_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def is_automatic(message: EmailMessage, mail_from: str) -> bool:
    """A bounce, a delivery report or an auto-reply: never a teacher's answer."""
    if mail_from in ("", "<>"):
        return True  # RFC 5321: bounces have an empty reverse path
    if message.get_content_type() == "multipart/report":
        return True
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    sender = str(message.get("From", "")).lower()
    if "mailer-daemon@" in sender or "postmaster@" in sender:
        return True
    subject = str(message.get("Subject", "")).strip()
    return bool(_AUTO_SUBJECT.match(subject))


def new_text(message: EmailMessage) -> str:
    """The lines the teacher wrote in this reply, without quotes or signature."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    body = str(part.get_content())
    if part.get_content_type() == "text/html":
        body = _html_to_text(body)
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_HEADERS + _SIGN_OFFS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _html_to_text(body: str) -> str:
    body = re.sub(r"(?is)<(script|style|blockquote).*?</\1>", "", body)
    body = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


_WORDS = {
    "tried_twice": ("twice", "two times", "2 times", "more than once", "several"),
    "tried_once": ("once", "one time"),
    "not_yet": ("not yet", "haven't", "have not", "no "),
    "need_help": ("help", "stuck", "support"),
    "done": ("done", "did it", "yes"),
}


def choice_from(text: str, kind: StepKind) -> str | None:
    """The one-tap choice a short reply means, or None if it is not clear."""
    allowed = choices_for(kind)
    first = text.strip().split("\n", 1)[0].lower() + " "
    if allowed and allowed[0] == "1":  # a 1-5 rating
        found = re.match(r"\s*([1-5])\b", first)
        return found.group(1) if found else None
    # "need help" outranks "not yet", which outranks "once"/"twice" ("not once" is not once).
    for choice in ("need_help", "not_yet", "tried_twice", "tried_once", "done"):
        if choice in allowed and any(w in first for w in _WORDS[choice]):
            return choice
    return None
