"""Security headers on every response: what a page may load, who may frame it, what leaks.

- Pages run no script at all. Styles are allowed inline ('unsafe-inline' for styles only):
  every page carries one <style> block, and a few style attributes hold computed values
  (a funnel bar's width), which a nonce or hash cannot cover. With no script, and nothing
  loaded from anywhere else (default-src 'none'), injected CSS could not send anything
  away either.
- No page may be framed (clickjacking a one-tap answer or the sign-in button).
- No Referer: links carry bearer tokens (/a/<token>, /dashboard/auth/<token>), and a page
  must not hand its own address to wherever a link on it leads.
- No caching: the pages and the API's answers hold names, answers and tokens, and a shared
  computer or a proxy must not keep them.
The API docs (Swagger UI, loaded from a CDN with inline script) keep their own way.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
EVERY_RESPONSE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGES = {"Content-Security-Policy": PAGE_POLICY, "X-Frame-Options": "DENY"}
PUBLIC_DOCS = ("/docs", "/redoc", "/openapi.json")


class SecurityHeaders:
    """ASGI middleware: the headers above, where a route has not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(PUBLIC_DOCS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                wanted = dict(EVERY_RESPONSE)
                if not docs:
                    wanted["Cache-Control"] = "no-store"
                    if headers.get("content-type", "").startswith("text/html"):
                        wanted.update(PAGES)
                for name, value in wanted.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
