"""The access log of a real uvicorn never holds a link's token."""

from __future__ import annotations

import logging

import httpx

from tests.support.browser import served
from tests.support.inbox import free_port
from tests.support.stack import StackFactory

SECRET = "eyJwIjoiYWRhIn0.SECRET-TOKEN"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_tokens_in_link_paths_never_reach_the_access_log(dev_stack: StackFactory) -> None:
    port = free_port()
    paths = [
        f"/a/{SECRET}?choice=tried_twice",
        f"/u/{SECRET}",
        f"/p/{SECRET}/evidence/ev1",
        f"/s/{SECRET}?helped=yes",
        f"/dashboard/auth/{SECRET}",
        f"/dashboard/digest/{SECRET}",
        f"/dashboard/level3/{SECRET}?rating=4",
        "/dashboard/login",
    ]
    lines = Lines()
    access = logging.getLogger("uvicorn.access")
    async with dev_stack() as s, served(s.app, port, log_level="info"):
        access.addHandler(lines)  # after uvicorn has configured its loggers
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for path in paths:
                    await client.get(path)
        finally:
            access.removeHandler(lines)
    logged = "\n".join(lines.lines)
    assert len(lines.lines) == len(paths)
    assert "SECRET" not in logged
    assert '"GET /a/<token>?choice=tried_twice HTTP/1.1" 400' in logged
    assert "/p/<token>/evidence/ev1" in logged and "/dashboard/level3/<token>?rating=4" in logged
    assert '"GET /dashboard/login HTTP/1.1" 200' in logged
