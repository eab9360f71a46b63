"""A school's CPD lead changes its settings on the dashboard, and the emails and the API
then follow them; bad values change nothing, and nobody else reaches these pages."""

from __future__ import annotations

import re

from services import admin
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import text_of
from tests.support.signin import form_token, post_form, sign_in, sign_in_as_lead
from tests.support.stack import StackFactory

PAGES = ("/dashboard/settings", "/dashboard/settings/branding", "/dashboard/settings/leaders")
POSTS = (
    "/dashboard/settings/sending",
    "/dashboard/settings/branding",
    "/dashboard/settings/leaders",
    "/dashboard/settings/leaders/1/role",
    "/dashboard/settings/leaders/1/remove",
    "/dashboard/settings/keys",
    "/dashboard/settings/keys/1/revoke",
)


async def test_only_the_cpd_lead_reaches_the_settings(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        assert (await s.api.get("/dashboard/settings")).status_code == 303  # sign in first
        await admin.add_leader(s.db, "head@hillside.example", "leader", school_id=s.school_id)
        await sign_in(s, "head@hillside.example")
        assert "/dashboard/settings" not in (await s.api.get("/dashboard")).text
        for path in (*PAGES, "/dashboard/settings/keys", "/dashboard/settings/keys/1/revoke"):
            assert (await s.api.get(path)).status_code == 404, path
        for path in POSTS:
            refused = await post_form(s, path, {"role": "cpd_lead", "label": "x"})
            assert refused.status_code == 404, path
        keys = await admin.list_keys(s.db, s.school_id)
        assert all(k.revoked_at is None for k in keys) and len(keys) == 1


async def test_a_settings_form_without_its_csrf_token_changes_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        page = await s.api.get("/dashboard/settings")
        assert page.status_code == 200 and 'href="/dashboard/settings"' in page.text
        refused = await s.api.post("/dashboard/settings/keys", data={"label": "MIS"})
        assert refused.status_code in (400, 403)
        assert len(await admin.list_keys(s.db, s.school_id)) == 1


async def test_branding_is_previewed_then_saved_and_the_next_email_wears_it(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        before = (await s.api.get("/v1/school/branding", headers=s.auth())).json()
        form = {
            "sender_name": "<script>alert(1)</script> Hillside",
            "sign_off": "Warm wishes, <b>all</b>",
            "signature": "Ms Patel, CPD lead",
            "colour": "#1b5e20",
            "headline-practice_checkin": "Two tries yet?",
            "kind": "practice_checkin",
            "action": "preview",
        }
        preview = await post_form(s, "/dashboard/settings/branding", form)
        assert preview.status_code == 200
        assert "Preview: not saved yet" in preview.text
        # Every branding value is text in the sample, never markup.
        assert "<script>alert(1)" not in preview.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Hillside" in preview.text
        assert "Warm wishes, &lt;b&gt;all&lt;/b&gt;" in preview.text
        assert "Two tries yet?" in preview.text and "background:#1b5e20" in preview.text
        assert (await s.api.get("/v1/school/branding", headers=s.auth())).json() == before

        pale = await post_form(
            s, "/dashboard/settings/branding", {**form, "colour": "#ffcc00", "action": "save"}
        )
        assert pale.status_code == 422 and "Nothing was saved" in pale.text
        assert "contrast of 1.5:1 with white" in pale.text
        http = await post_form(
            s,
            "/dashboard/settings/branding",
            {**form, "logo_url": "http://hillside.example/logo.png", "action": "save"},
        )
        assert http.status_code == 422 and "https://" in http.text
        assert (await s.api.get("/v1/school/branding", headers=s.auth())).json() == before

        form["sender_name"] = "Hillside CPD"
        saved = await post_form(s, "/dashboard/settings/branding", {**form, "action": "save"})
        assert saved.status_code == 303
        page = await s.api.get(saved.headers["location"])
        assert "Sample email, as saved" in page.text and "Hillside CPD" in page.text

        body = event(plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        created = await s.api.post("/v1/events", json=body, headers=s.auth())
        assert created.status_code == 201, created.text
        [mail] = await s.smtp.inbox.wait_for(1, "ada@hillside.example")
        assert mail["From"].startswith("Hillside CPD <")
        assert "Warm wishes, <b>all</b>" in text_of(mail)
        assert "Two tries yet?" in mail["Subject"] + text_of(mail)


def _csrf_of(html: str) -> str:
    return form_token(html)


def _id_of(html: str, email: str) -> str:
    found = re.search(rf"/dashboard/settings/leaders/(\d+)/remove\"[^>]*>.*?Remove {re.escape(email)}<", html, re.S)
    assert found, f"no remove form for {email}"
    return found.group(1)
