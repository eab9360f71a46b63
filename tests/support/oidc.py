"""A real OpenID Connect provider on a loopback port (oidc-provider-mock: authlib's
authorization server, signing ID tokens with its own RSA key), and a school set up to
sign in with it.

The provider runs as it is; ``Provider`` only watches what reaches it (to check PKCE) and,
where a test asks, plays a provider gone wrong: issuing for another client id (wrong
audience), losing the nonce, damaging the signature.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import oidc_provider_mock
from werkzeug.serving import make_server

from cpd.models import SignInProvider
from services import providers
from tests.support.stack import Stack

CLIENT_ID = "cpd-followthrough"
CLIENT_SECRET = "provider-secret-for-tests"  # noqa: S105 - a throwaway provider's


@dataclass
class Provider:
    issuer: str = ""
    # What our app sent: the authorization requests' query, the token requests' form.
    authorize: list[dict[str, str]] = field(default_factory=list)
    token: list[dict[str, str]] = field(default_factory=list)
    # A provider gone wrong, when a test sets these.
    as_client: str = ""  # issue tokens to this client id instead
    nonce: str = ""  # put this nonce in the ID token instead
    id_token: Callable[[str], str] | None = None  # change the ID token on its way back
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def user(self, sub: str, **claims: Any) -> None:
        """An account at the provider and the claims its ID token carries."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text

    def _authorize(self, environ: dict[str, Any]) -> None:
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        if environ["REQUEST_METHOD"] == "GET":
            self.authorize.append(dict(query))
        if self.as_client:
            query["client_id"] = self.as_client
        if self.nonce:
            query["nonce"] = self.nonce
        environ["QUERY_STRING"] = urlencode(query)

    def _token(self, environ: dict[str, Any]) -> None:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        form = dict(parse_qsl(body.decode()))
        self.token.append({**form, "authorization": environ.get("HTTP_AUTHORIZATION", "")})
        if self.as_client:
            form["client_id"] = self.as_client
            basic = base64.b64encode(f"{self.as_client}:x".encode()).decode()
            environ["HTTP_AUTHORIZATION"] = f"Basic {basic}"
        body = urlencode(form).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))

    def wsgi(self, app: Any) -> Callable[..., Any]:
        def watched(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            path = environ["PATH_INFO"]
            if path == "/oauth2/authorize":
                self._authorize(environ)
            elif path == "/oauth2/token":
                self._token(environ)
                if self.id_token is not None:
                    return self._changed(app, environ, start_response, self.id_token)
            return app(environ, start_response)

        return watched

    @staticmethod
    def _changed(
        app: Any, environ: dict[str, Any], start_response: Callable[..., Any], change: Any
    ) -> Any:
        got: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *rest: Any) -> None:
            got.update(status=status, headers=headers)

        answer = json.loads(b"".join(app(environ, keep)))
        answer["id_token"] = change(answer["id_token"])
        body = json.dumps(answer).encode()
        headers = [(k, v) for k, v in got["headers"] if k.lower() != "content-length"]
        start_response(got["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


@contextmanager
def oidc_provider(token_lifetime: timedelta = timedelta(hours=1)) -> Iterator[Provider]:
    """A provider on a free loopback port for the length of the block. ``token_lifetime``
    negative: every ID token it issues has already expired."""
    provider = Provider()
    app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_lifetime)
    server = make_server("localhost", 0, provider.wsgi(app), threaded=True)
    provider.issuer = f"http://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


async def use_provider(
    s: Stack,
    provider: Provider,
    domains: tuple[str, ...] = ("hillside.example",),
    school_id: str | None = None,
    trust_id: str | None = None,
    others_as: str = "",
) -> SignInProvider:
    """Set a school (the stack's, by default) or a trust to sign in with this provider."""
    if trust_id is None:
        school_id = school_id or s.school_id
    return await providers.add_provider(
        s.db,
        s.settings,
        "oidc",
        CLIENT_ID,
        CLIENT_SECRET,
        list(domains),
        school_id=school_id,
        trust_id=trust_id,
        issuer=provider.issuer,
        others_as=others_as,
    )


async def sign_in_at_provider(
    s: Stack, provider_id: int, sub: str, api: httpx.AsyncClient | None = None
) -> httpx.Response:
    """The whole journey through redirects: our start link, the provider's page (the
    account chosen as a person would), back to our callback. Returns our callback's
    answer."""
    api = api or s.api
    leave = await api.get(f"/dashboard/oidc/start?provider={provider_id}")
    assert leave.status_code == 303, leave.text
    at_provider = leave.headers["location"]
    async with httpx.AsyncClient() as person:
        assert (await person.get(at_provider)).status_code == 200
        chosen = await person.post(at_provider, data={"sub": sub})
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["location"])
    return await api.get(f"{back.path}?{back.query}")
