"""Every email the service sends is built here: headers and both bodies, one way.

Pure: the caller says who it is from and to, and what the rendered email says.
Names come from CSVs and forms, so every header value is folded onto one line.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from emails.render import RenderedEmail


def one_line(value: str) -> str:
    # CR/LF must never reach a header.
    return " ".join(value.split())


# RFC 5322's specials: a display name holding one must be quoted.
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


# Pure, and asked again for every email with the same name: the school's sender name on
# each of its emails, a teacher's on each of theirs. Writing and parsing the probe costs
# about a millisecond, a tenth of building the message.
@functools.lru_cache(maxsize=4096)
def _reads_back(header: str, display_name: str, addr_spec: str) -> bool:
    address = Address(display_name=display_name, addr_spec=addr_spec)
    probe = EmailMessage()
    probe[header] = address
    parsed = message_from_bytes(probe.as_bytes(), policy=policy.default)[header].addresses
    return [(a.display_name, a.addr_spec) for a in parsed] == [
        (address.display_name, address.addr_spec)
    ]


def named_address(header: str, name: str, address: str) -> Address:
    """``name <address>`` as the header will carry it. Python's email package folds a long
    quoted name without its quotes, so a long name with a comma or brackets (a teacher's
    name from a CSV, a school's sender name) would read back as other addresses
    ("Smith, Head of Maths ..." as three). Such a name loses its specials; failing that, the
    header carries the address alone."""
    for display in (one_line(name), one_line(_SPECIALS.sub(" ", name))):
        if _reads_back(header, display, address):
            return Address(display_name=display, addr_spec=address)
    return Address(addr_spec=address)


def build_message(
    rendered: RenderedEmail,
    *,
    mail_from: str,
    to: str,
    to_name: str = "",
    sender_name: str = "",
    reply_to: str = "",
    message_id: str = "",
    sent_at: datetime | None = None,
    unsubscribe_url: str = "",
) -> EmailMessage:
    """A multipart (text + HTML) message from ``mail_from`` ("Name <address>").

    ``sender_name`` replaces the name in ``mail_from`` (a school's own sender name);
    ``message_id``: the caller's, when a retry must repeat it; else a new one at the
    sender's domain (spam filters mark mail without one, and some relays add their own
    that a reply's threading then cannot match); ``unsubscribe_url`` adds RFC 8058
    one-click unsubscribe headers.
    """
    msg = EmailMessage()
    from_name, from_addr = parseaddr(mail_from)
    msg["From"] = named_address("From", sender_name or from_name, from_addr)
    msg["To"] = named_address("To", to_name, to)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = one_line(rendered.subject)
    msg["Date"] = formatdate(sent_at.timestamp() if sent_at else None)
    msg["Message-ID"] = message_id or make_msgid(domain=from_addr.rpartition("@")[2] or None)
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" here.
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg
