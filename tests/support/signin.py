"""Signing a leader in to the dashboard, as they would: the emailed magic link."""

from __future__ import annotations

from tests.support.inbox import links_of
from tests.support.stack import Stack


async def sign_in_link(s: Stack, email: str) -> str:
    before = len(s.smtp.inbox.to(email))
    page = await s.api.post("/dashboard/login", data={"email": email})
    assert "we have emailed it a link" in page.text
    [*_, mail] = await s.smtp.inbox.wait_for(before + 1, email)
    return next(link for link in links_of(mail) if "/dashboard/auth/" in link)
