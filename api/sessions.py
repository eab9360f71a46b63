"""Leaders' dashboard sessions: a magic link by email, or a session from an API key.

The magic link's GET shows a "Sign in" button and its POST starts the session,
so a mail scanner that fetches the link signs nobody in. Sessions are signed
cookies (itsdangerous), valid for a working day.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request, Response

from cpd.security import LinkError, LinkSigner
from services.signin import Viewer

COOKIE = "cpd_session"
SESSION_SECONDS = 12 * 3600
MAGIC_LINK_SECONDS = 30 * 60


class Sessions:
    def __init__(self, secret_keys: Sequence[str], secure_cookies: bool) -> None:
        self._session = LinkSigner(secret_keys, {"session": SESSION_SECONDS})
        self._magic = LinkSigner(secret_keys, {"magic-link": MAGIC_LINK_SECONDS})
        self._secure = secure_cookies

    def magic_link_token(self, leader_id: int) -> str:
        return self._magic.sign(str(leader_id), "*", "magic-link")

    def leader_id_from(self, token: str) -> int:
        return int(self._magic.verify(token, "magic-link").participant_id)

    def start(self, response: Response, who: Viewer) -> None:
        token = self._session.sign(f"{who.role}|{who.scope}|{who.email}", "*", "session")
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=self._secure,
        )

    def current(self, request: Request) -> Viewer | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            claims = self._session.verify(token, "session")
        except LinkError:
            return None
        role, scope, email = claims.participant_id.split("|", 2)
        return Viewer(role=role, scope=scope, email=email)

    @staticmethod
    def end(response: Response) -> None:
        response.delete_cookie(COOKIE)
