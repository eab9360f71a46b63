"""A real browser for page tests: Debian's chromium driven by Playwright.

Playwright's own browser download cannot run here, so we point it at the
system chromium (scripts/test installs it where it can).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from cpd.settings import PROJECT_ROOT
from tests.support.inbox import links_of
from tests.support.stack import Stack

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


NO_CHROMIUM = "no chromium: install Debian's chromium package (scripts/test does, as root)"


def browser_opted_out() -> bool:
    """A developer without chromium may say so (CPD_NO_BROWSER=1); otherwise, as on CI, a
    missing browser fails: the suite promises a real browser, not a quiet skip."""
    return os.environ.get("CPD_NO_BROWSER", "").lower() not in ("", "0", "false", "no")


def chromium_path() -> str:
    found = (
        os.environ.get("CPD_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if found and Path(found).exists():
        return found
    if not browser_opted_out():
        pytest.fail(f"{NO_CHROMIUM} (or set CPD_NO_BROWSER=1 to skip them)", pytrace=False)
    # Loudly: a warning in pytest's summary as well as the skip (shown with -rs).
    warnings.warn(f"browser tests SKIPPED (CPD_NO_BROWSER): {NO_CHROMIUM}", stacklevel=2)
    pytest.skip(f"SKIPPED, {NO_CHROMIUM}")


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def served(app: FastAPI, port: int, log_level: str = "warning") -> AsyncIterator[None]:
    """The app on a real port; its lifespan is already running in the test's stack.
    (``log_level="info"``: with uvicorn's access log.)"""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level=log_level)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def refusals(page: Page) -> list[str]:
    """What the page's Content-Security-Policy refused, as the browser reports it: a page
    that needs something the policy forbids shows up here."""
    found: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", keep)
    return found


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@asynccontextmanager
async def signed_in(chromium: Browser, s: Stack, base: str, email: str) -> AsyncIterator[Page]:
    """A browser context of its own, signed in to the dashboard as ``email`` (a leader
    already added) the way a leader does it: the login form, the emailed link, the button."""
    context = await chromium.new_context(base_url=base)
    try:
        page = await context.new_page()
        before = len(s.smtp.inbox.to(email))
        await page.goto("/dashboard/login")
        await page.get_by_label("Your school email").fill(email)
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await page.get_by_text("we have emailed it a link").wait_for()
        [*_, mail] = await s.smtp.inbox.wait_for(before + 1, email)
        await page.goto(next(x for x in links_of(mail) if "/dashboard/auth/" in x))
        await page.get_by_role("button", name="Sign in to the dashboard").click()
        await page.wait_for_url(lambda url: "/dashboard/auth/" not in url)  # signed in
        yield page
    finally:
        await context.close()
