"""Every email the service sends is built here: headers and both bodies, one way.

Pure: the caller says who it is from and to, and what the rendered email says.
Names come from CSVs and forms, so every header value is folded onto one line.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from emails.render import RenderedEmail


def one_line(value: str) -> str:
    # CR/LF must never reach a header.
    return " ".join(value.split())


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
    msg["From"] = Address(display_name=one_line(sender_name or from_name), addr_spec=from_addr)
    msg["To"] = Address(display_name=one_line(to_name), addr_spec=to)
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
