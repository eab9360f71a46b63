"""The settings pages in a real browser: on a phone's width with nothing cut off, under
the pages' Content-Security-Policy, and a preview that shows branding as text."""

from __future__ import annotations

from playwright.async_api import Dialog

from services import admin
from tests.support.browser import artifact, browser, refusals, served
from tests.support.inbox import free_port, links_of
from tests.support.stack import StackFactory

PAGES = {
    "settings": "/dashboard/settings",
    "branding": "/dashboard/settings/branding",
    "leaders": "/dashboard/settings/leaders",
    "keys": "/dashboard/settings/keys",
    "calendar": "/dashboard/calendar",
}

# The element that sticks out furthest to the right, to say what to fix.
WIDEST = """[...document.querySelectorAll('main *')].map(e => [e.getBoundingClientRect().right,
e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40)])
.sort((a, b) => b[0] - a[0])[0]"""


async def test_the_settings_pages_fit_a_phone_and_the_preview_runs_no_script(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with dev_stack(public_base_url=base) as s:
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=s.school_id)
        async with served(s.app, port), browser() as chromium:
            page = await chromium.new_page(viewport={"width": 320, "height": 700})
            refused = refusals(page)
            dialogs: list[str] = []

            async def dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                await dialog.dismiss()

            page.on("dialog", dismiss)
            await page.goto(f"{base}/dashboard")
            await page.get_by_label("Your school email").fill("lead@hillside.example")
            await page.get_by_role("button", name="Email me a sign-in link").click()
            await page.get_by_text("we have emailed it a link").wait_for()
            [mail] = await s.smtp.inbox.wait_for(1, "lead@hillside.example")
            await page.goto(next(x for x in links_of(mail) if "/dashboard/auth/" in x))
            await page.get_by_role("button", name="Sign in to the dashboard").click()
            await page.get_by_role("link", name="Settings", exact=True).click()
            await page.get_by_role("heading", name="Settings", exact=True).wait_for()

            for name, path in PAGES.items():
                await page.goto(base + path)
                await page.screenshot(path=artifact(f"settings-{name}-320.png"), full_page=True)
                wide = await page.evaluate("document.documentElement.scrollWidth")
                widest = await page.evaluate(WIDEST)
                assert wide <= 320, f"{name} is {wide}px wide on a 320px screen: {widest}"

            await page.goto(base + PAGES["branding"])
            await page.get_by_label("Sender name").fill("<script>alert('x')</script>Hillside")
            await page.get_by_label("Sign-off").fill('<img src=x onerror="alert(1)">Best')
            await page.get_by_role("button", name="Preview (nothing is saved)").click()
            await page.get_by_role("heading", name="Preview: not saved yet").wait_for()
            sample = await page.inner_text(".email-sample")
            assert '<img src=x onerror="alert(1)">Best' in sample  # as text, not an image
            head = await page.inner_text(".email-head")
            assert "<script>alert('x')</script>Hillside" in head
            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.screenshot(path=artifact("settings-branding-preview.png"), full_page=True)
            assert dialogs == [] and refused == []
