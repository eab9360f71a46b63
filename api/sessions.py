"""Leaders' dashboard cookies: the session's opaque token, and the sign-in forms' CSRF token.

The session itself is a server-side row (services/sessions.py): the cookie only names it,
so signing out, revoking the key or changing the leader's role ends it. The magic link's
GET shows a "Sign in" button and its POST starts the session, so a mail scanner that
fetches the link signs nobody in; each link signs in once, within 30 minutes.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence

from fastapi import Request, Response

from cpd.db import Db
from cpd.security import LinkSigner
from services import sessions
from services.sessions import SESSION_HOURS, Session
from services.signin import SIGN_IN_LINK_SECONDS, Viewer


class Sessions:
    def __init__(self, secret_keys: Sequence[str], secure_cookies: bool) -> None:
        self._magic = LinkSigner(secret_keys, {"magic-link": SIGN_IN_LINK_SECONDS})
        self._secure = secure_cookies
        # Over https the browser keeps a "__Host-" cookie only if this host set it, for
        # every path: a sibling subdomain cannot plant its own (which would defeat the
        # double-submitted sign-in token).
        prefix = "__Host-" if secure_cookies else ""
        self.cookie = prefix + "cpd_session"
        self.sign_in_cookie = prefix + "cpd_sign_in"

    def magic_link_token(self, leader_id: int) -> str:
        # A random part: two links asked for in the same second are still two links.
        return self._magic.sign(str(leader_id), secrets.token_urlsafe(8), "magic-link")

    def leader_id_from(self, token: str) -> int:
        return int(self._magic.verify(token, "magic-link").participant_id)

    async def start(self, db: Db, response: Response, who: Viewer) -> None:
        token = await sessions.start(db, who)
        response.set_cookie(
            self.cookie,
            token,
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            # Lax: a link to the dashboard from an email arrives signed in; forms carry
            # the session's CSRF token besides (api/csrf.py).
            samesite="lax",
            secure=self._secure,
        )
        response.delete_cookie(self.sign_in_cookie, secure=self._secure, samesite="strict")

    async def current(self, db: Db, request: Request) -> Session | None:
        token = request.cookies.get(self.cookie)
        return await sessions.current(db, token) if token else None

    async def end(self, db: Db, request: Request, response: Response) -> None:
        token = request.cookies.get(self.cookie)
        if token:
            await sessions.end(db, token)
        response.delete_cookie(self.cookie, secure=self._secure, httponly=True)

    # Before there is a session, the sign-in forms carry a random token that must match
    # this cookie's (a double-submitted token): another site can make a browser post a
    # form, but cannot read or set the cookie to match it.
    def sign_in_token(self, request: Request) -> str:
        return request.cookies.get(self.sign_in_cookie) or secrets.token_urlsafe(32)

    def keep_sign_in_token(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.sign_in_cookie, token, httponly=True, samesite="strict", secure=self._secure
        )

    def sign_in_token_matches(self, request: Request, sent: str) -> bool:
        kept = request.cookies.get(self.sign_in_cookie, "")
        return bool(kept) and hmac.compare_digest(kept.encode(), sent.encode())
