"""Deliver a built message over SMTP with aiosmtplib, sorting failures.

A permanent 5xx means the address will never take it: record, don't retry.
A 4xx or a network error is transient: raise, and the activity retries
with backoff.
"""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from cpd.settings import Settings


class PermanentSmtpError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._s = settings

    async def send(self, message: EmailMessage) -> None:
        s = self._s
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentSmtpError(codes[0], str(exc.recipients[0].message)) from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentSmtpError(exc.code, exc.message) from exc
            raise
