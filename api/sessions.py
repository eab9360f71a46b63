"""Leaders' dashboard cookies: the session's opaque token, and the sign-in forms' CSRF token.

The session itself is a server-side row (services/sessions.py): the cookie only names it,
so signing out, removing the leader or changing their role ends it. The magic link's
GET shows a "Sign in" button and its POST starts the session, so a mail scanner that
fetches the link signs nobody in; each link signs in once, within 30 minutes.

Two short-lived signed cookies carry a sign-in across redirects: what a browser sent to
its school's provider must bring back (state, nonce, PKCE verifier), and, for someone who
leads several schools, who they proved to be until they choose one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cpd.db import Db
from cpd.security import LinkSigner
from services import sessions
from services.oidc import Pending
from services.sessions import SESSION_HOURS, Session
from services.signin import SIGN_IN_LINK_SECONDS, Viewer

# Time to sign in at the provider, or to choose a school.
PENDING_SECONDS = 10 * 60


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
        self.oidc_cookie = prefix + "cpd_oidc"
        self.choose_cookie = prefix + "cpd_choose"
        self._pending = URLSafeTimedSerializer(
            list(secret_keys),
            salt="cpd-dashboard-pending-sign-in",
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def magic_link_token(self, email: str) -> str:
        # A random part: two links asked for in the same second are still two links.
        return self._magic.sign(email, secrets.token_urlsafe(8), "magic-link")

    def email_from(self, token: str) -> str:
        return self._magic.verify(token, "magic-link").participant_id

    def _keep(self, response: Response, cookie: str, data: dict[str, Any]) -> None:
        # Lax, not strict: the provider's redirect back to us is a cross-site navigation.
        response.set_cookie(
            cookie,
            self._pending.dumps(data),
            max_age=PENDING_SECONDS,
            httponly=True,
            samesite="lax",
            secure=self._secure,
        )

    def _read(self, request: Request, cookie: str) -> dict[str, Any] | None:
        try:
            found = self._pending.loads(request.cookies.get(cookie, ""), max_age=PENDING_SECONDS)
        except BadSignature:
            return None
        return found if isinstance(found, dict) else None

    def forget(self, response: Response, cookie: str) -> None:
        response.delete_cookie(cookie, secure=self._secure, httponly=True, samesite="lax")

    def keep_oidc(self, response: Response, pending: Pending) -> None:
        data = {"p": pending.provider_id, "s": pending.state, "n": pending.nonce}
        self._keep(response, self.oidc_cookie, {**data, "v": pending.verifier})

    def oidc_pending(self, request: Request) -> Pending | None:
        found = self._read(request, self.oidc_cookie)
        if not found:
            return None
        return Pending(int(found["p"]), str(found["s"]), str(found["n"]), str(found["v"]))

    def keep_choosing(self, response: Response, email: str, provider_id: int | None) -> None:
        """Who proved their address and now chooses a school (no session yet)."""
        self._keep(response, self.choose_cookie, {"e": email, "p": provider_id})

    def choosing(self, request: Request) -> tuple[str, int | None] | None:
        found = self._read(request, self.choose_cookie)
        if not found:
            return None
        return str(found["e"]), (int(found["p"]) if found.get("p") is not None else None)

    async def start(
        self, db: Db, response: Response, who: Viewer, replacing: Request | None = None
    ) -> None:
        """A new session; ``replacing``: the request whose session (if any) it takes over,
        which ends: signing in again, or switching school."""
        old = replacing.cookies.get(self.cookie) if replacing else None
        if old:
            await sessions.end(db, old)
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
