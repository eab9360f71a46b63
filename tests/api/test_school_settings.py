"""A school's CPD lead changes its settings on the dashboard, and the emails and the API
then follow them; bad values change nothing, and nobody else reaches these pages."""

from __future__ import annotations

import logging
import re

import httpx

from cpd.models import School
from services import admin
from tests.support.browser import served
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import free_port, text_of
from tests.support.signin import form_token, post_form, sign_in, sign_in_as_lead
from tests.support.stack import Stack, StackFactory

PAGES = ("/dashboard/settings", "/dashboard/settings/branding", "/dashboard/settings/leaders")
POSTS = (
    "/dashboard/settings/sending",
    "/dashboard/settings/language",
    "/dashboard/settings/branding",
    "/dashboard/settings/leaders",
    "/dashboard/settings/leaders/1/role",
    "/dashboard/settings/leaders/1/remove",
    "/dashboard/settings/keys",
    "/dashboard/settings/keys/1/revoke",
    "/dashboard/calendar/dates",
    "/dashboard/calendar/dates/remove",
    "/dashboard/calendar/place",
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
            data = {"role": "cpd_lead", "label": "x", "kind": "closure", "start": "2027-01-04"}
            refused = await post_form(s, path, data)
            assert refused.status_code == 404, path
        keys = await admin.list_keys(s.db, s.school_id)
        assert all(k.revoked_at is None for k in keys) and len(keys) == 1
        calendar = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert calendar["closures"] == []


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
        assert "contrast of 1.51:1 with white" in pale.text
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


def _leader_ids(html: str) -> dict[str, str]:
    """Each leader's id, read from their "Remove" form on the leaders page."""
    found = re.findall(
        r'leaders/(\d+)/remove"><input[^>]*>\s*<button type="submit">Remove ([^<]+)</button>', html
    )
    return {email: id_ for id_, email in found}


async def test_the_lead_manages_leaders_and_a_removed_leaders_session_ends(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        lead = await sign_in_as_lead(s)
        added = await post_form(
            s, "/dashboard/settings/leaders", {"email": "Head@Hillside.example", "role": "leader"}
        )
        assert added.status_code == 303
        page = (await s.api.get(added.headers["location"])).text
        assert "Added." in page and "head@hillside.example" in page

        for bad, says in (
            ({"email": "not an address", "role": "leader"}, "This is not an email address"),
            ({"email": "head@hillside.example", "role": "leader"}, "already one of"),
            ({"email": "dep@hillside.example", "role": "trust"}, "Choose a role."),
        ):
            refused = await post_form(s, "/dashboard/settings/leaders", bad)
            assert refused.status_code == 422 and says in refused.text
            assert 'role="alert"' in refused.text
        ids = _leader_ids((await s.api.get("/dashboard/settings/leaders")).text)
        assert sorted(ids) == ["head@hillside.example", lead]

        # The only CPD lead may neither step down nor leave.
        for path, data in (
            (f"/dashboard/settings/leaders/{ids[lead]}/role", {"role": "leader"}),
            (f"/dashboard/settings/leaders/{ids[lead]}/remove", {}),
        ):
            refused = await post_form(s, path, data)
            assert refused.status_code == 422 and "the school&#39;s only CPD lead" in refused.text

        # The head signs in, in their own browser; made a CPD lead, their session ends.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=s.app), base_url="http://testserver"
        ) as head:
            await sign_in(s, "head@hillside.example", head)
            assert (await head.get("/dashboard/settings")).status_code == 404
            made = await post_form(
                s,
                f"/dashboard/settings/leaders/{ids['head@hillside.example']}/role",
                {"role": "cpd_lead"},
            )
            assert made.status_code == 303
            assert (await head.get("/dashboard")).headers["location"] == "/dashboard/login"
            await sign_in(s, "head@hillside.example", head)
            assert (await head.get("/dashboard/settings")).status_code == 200
            # Now the first lead may step down; the head removes them, and their session ends.
            stepped = await post_form(
                s, f"/dashboard/settings/leaders/{ids[lead]}/role", {"role": "leader"}
            )
            assert stepped.status_code == 303
            assert (await s.api.get("/dashboard")).status_code == 303
            await sign_in(s, lead)
            assert (await s.api.get("/dashboard/settings")).status_code == 404
            token = form_token((await head.get("/dashboard")).text)
            removed = await head.post(
                f"/dashboard/settings/leaders/{ids[lead]}/remove", data={"csrf": token}
            )
            assert removed.status_code == 303
            assert (await s.api.get("/dashboard")).headers["location"] == "/dashboard/login"
            page = (await head.get("/dashboard/settings/leaders")).text
            assert lead not in page and "Removed." not in page
            # Another school's leader id is not found.
            other_school, _ = await s.new_school()
            other = await admin.add_leader(s.db, "x@meadow.example", "cpd_lead", other_school)
            foreign = await head.post(
                f"/dashboard/settings/leaders/{other.id}/remove", data={"csrf": token}
            )
            assert foreign.status_code == 404


async def test_a_key_is_shown_once_works_at_once_and_stops_when_revoked(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        for bad, says in (
            ({"label": "", "scopes": ["read"]}, "Give the key a label"),
            ({"label": "MIS"}, "Choose at least one"),
            ({"label": "MIS", "scopes": ["read", "admin"]}, "Choose at least one"),
        ):
            refused = await post_form(s, "/dashboard/settings/keys", bad)
            assert refused.status_code == 422 and says in refused.text
        assert len(await admin.list_keys(s.db, s.school_id)) == 1

        made = await post_form(s, "/dashboard/settings/keys", {"label": "MIS", "scopes": ["read"]})
        assert made.status_code == 200 and "shown only this once" in made.text
        key = re.search(r'id="new-key" type="text" readonly value="(cpd_[^"]+)"', made.text)
        assert key is not None
        secret = key.group(1)
        assert (await s.api.get("/v1/events", headers=s.auth(secret))).status_code == 200
        refused = await s.api.post("/v1/events", json=event(), headers=s.auth(secret))
        assert refused.status_code == 403  # read only: it may not trigger

        page = (await s.api.get("/dashboard/settings/keys")).text
        [row] = [k for k in await admin.list_keys(s.db, s.school_id) if k.label == "MIS"]
        assert row.prefix in page and secret not in page and row.scopes == "read"

        confirm = await s.api.get(f"/dashboard/settings/keys/{row.id}/revoke")
        assert confirm.status_code == 200 and "Revoke the key" in confirm.text
        revoked = await post_form(s, f"/dashboard/settings/keys/{row.id}/revoke")
        assert revoked.status_code == 303
        assert "Revoked." in (await s.api.get(revoked.headers["location"])).text
        assert (await s.api.get("/v1/events", headers=s.auth(secret))).status_code == 401
        assert (await s.api.get("/v1/events", headers=s.auth())).status_code == 200  # the other

        other_school, _ = await s.new_school()
        [foreign] = await admin.list_keys(s.db, other_school)
        assert (
            await post_form(s, f"/dashboard/settings/keys/{foreign.id}/revoke")
        ).status_code == 404
        assert (await admin.list_keys(s.db, other_school))[0].revoked_at is None


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_a_new_keys_secret_reaches_no_log(dev_stack: StackFactory) -> None:
    """The key is in the page's body only: neither the access log nor the app's logs hold it."""
    port = free_port()
    lines = Lines()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn.access")]
    base = f"http://127.0.0.1:{port}"
    async with dev_stack(public_base_url=base) as s, served(s.app, port, log_level="info"):
        await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", school_id=s.school_id)
        for logger in loggers:
            logger.addHandler(lines)
        try:
            async with httpx.AsyncClient(base_url=base) as browser:
                await sign_in(s, "lead@hillside.example", browser)
                token = form_token((await browser.get("/dashboard/settings/keys")).text)
                made = await browser.post(
                    "/dashboard/settings/keys",
                    data={"label": "MIS", "scopes": ["read"], "csrf": token},
                )
        finally:
            for logger in loggers:
                logger.removeHandler(lines)
    secret = re.search(r'id="new-key" type="text" readonly value="(cpd_[^"]+)"', made.text)
    assert secret is not None
    logged = "\n".join(lines.lines)
    assert '"POST /dashboard/settings/keys HTTP/1.1" 200' in logged
    hidden = secret.group(1).split("_", 2)[2]  # the part after the public prefix
    assert hidden not in logged


async def test_the_send_window_and_weekly_budget_save_and_bad_values_change_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        before = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        for bad, says in (
            ({"window_start": "15:00", "window_end": "09:00", "budget": "3"}, "must be after"),
            ({"window_start": "25:00", "window_end": "16:00", "budget": "3"}, "like 07:30"),
            ({"window_start": "08:00", "window_end": "16:00", "budget": "1"}, "from 2 to 10"),
            ({"window_start": "08:00", "window_end": "16:00", "budget": "lots"}, "from 2 to 10"),
        ):
            refused = await post_form(s, "/dashboard/settings/sending", bad)
            assert refused.status_code == 422 and says in refused.text, refused.text
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == before
        assert await _budget(s) is None

        saved = await post_form(
            s,
            "/dashboard/settings/sending",
            {"window_start": "08:15", "window_end": "15:45", "budget": "4"},
        )
        assert saved.status_code == 303
        page = (await s.api.get(saved.headers["location"])).text
        assert "Saved." in page and 'value="08:15"' in page and 'value="4"' in page
        after = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        assert (after["send_window_start"], after["send_window_end"]) == ("08:15:00", "15:45:00")
        assert await _budget(s) == 4


async def _budget(s: Stack) -> int | None:
    async with s.db() as db:
        school = await db.get(School, s.school_id)
        assert school is not None
        return school.email_budget_per_week


async def test_a_service_budget_above_the_usual_limit_can_be_kept(dev_stack: StackFactory) -> None:
    # An operator runs the service with a weekly budget of 20: the form offers up to 20
    # (the browser would refuse its own value otherwise), and saving it keeps it.
    async with dev_stack(email_budget_per_week=20) as s:
        await sign_in_as_lead(s)
        page = (await s.api.get("/dashboard/settings")).text
        assert 'max="20"' in page and 'value="20"' in page
        kept = {"window_start": "08:00", "window_end": "16:00", "budget": "20"}
        assert (await post_form(s, "/dashboard/settings/sending", kept)).status_code == 303
        assert await _budget(s) == 20
        too_many = {**kept, "budget": "21"}
        refused = await post_form(s, "/dashboard/settings/sending", too_many)
        assert refused.status_code == 422 and "from 2 to 20" in refused.text


async def test_the_lead_chooses_welsh_and_the_next_teacher_email_is_in_welsh(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await sign_in_as_lead(s)
        refused = await post_form(s, "/dashboard/settings/language", {"language": "fr"})
        assert refused.status_code == 422 and "Nothing was changed" in refused.text
        assert (await s.api.get("/v1/school/language", headers=s.auth())).json() == {
            "language": "en"
        }
        saved = await post_form(s, "/dashboard/settings/language", {"language": "cy"})
        assert saved.status_code == 303
        page = (await s.api.get(saved.headers["location"])).text
        assert "in Welsh, unless they have their own language" in page
        assert 'value="cy" checked' in page
        body = event(plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        [mail] = await s.smtp.inbox.wait_for(1, body["participants"][0]["email"])
        assert "Annwyl" in text_of(mail) and "Dear" not in text_of(mail)
