"""A Welsh school's teachers read their emails and pages in Welsh; a teacher's own
language wins over the school's, both ways (dev server, real SMTP)."""

from __future__ import annotations

import html
import time
from datetime import timedelta
from email.message import EmailMessage
from unittest import mock

import itsdangerous.timed
from temporalio.testing import WorkflowEnvironment

from run.inbound import serve
from tests.support.browser import artifact, browser, refusals, served
from tests.support.events import CHECKIN_THEN_IMPACT, days_ago, event
from tests.support.inbox import free_port, html_of, links_of, send_reply, text_of
from tests.support.stack import Stack, StackFactory
from tests.support.year import school_year_now

GWEN = {"name": "Gwen Price", "email": "gwen@ysgol.example"}
ADA = {"name": "Ada Lovelace", "email": "ada@ysgol.example"}


def _tap(mail: EmailMessage, choice: str) -> str:
    return next(link for link in links_of(mail) if f"choice={choice}" in link)


async def _page(s: Stack, url: str, data: dict[str, str] | None = None) -> str:
    response = await (s.api.post(url, data=data) if data is not None else s.api.get(url))
    assert response.status_code < 500, response.text
    return html.unescape(response.text)


async def _checkin_for(s: Stack, people: list[dict[str, str]]) -> dict[str, EmailMessage]:
    body = event(people=people, plan=CHECKIN_THEN_IMPACT, event_date=days_ago(0))
    created = await s.api.post("/v1/events", json=body, headers=s.auth())
    assert created.status_code == 201, created.text
    await s.smtp.inbox.wait_for(len(people))
    return {p["email"]: s.smtp.inbox.to(p["email"])[0] for p in people}


async def test_a_welsh_school_s_teacher_reads_welsh_and_one_who_chose_english_reads_english(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        put = await s.api.put("/v1/school/language", json={"language": "cy"}, headers=s.auth())
        assert put.status_code == 200 and put.json() == {"language": "cy"}
        mails = await _checkin_for(s, [GWEN, {**ADA, "language": "en"}])

        gwen = mails[GWEN["email"]]
        assert gwen["Subject"] == "Sut mae'n mynd? (Retrieval practice)"
        text = text_of(gwen)
        assert "Annwyl Gwen Price," in text
        assert "1. Wedi rhoi cynnig arni ddwywaith neu fwy" in text
        assert "Dear" not in text and "Pause these emails" not in text
        assert '<html lang="cy">' in html_of(gwen)

        tap = _tap(gwen, "tried_twice")
        answer = await _page(s, tap)
        assert '<html lang="cy">' in answer
        assert "Cadarnhau: Wedi rhoi cynnig arni ddwywaith neu fwy" in answer
        thanks = await _page(s, tap.split("?")[0], {"choice": "tried_twice"})
        assert '<html lang="cy">' in thanks
        assert "Diolch: mae eich ateb wedi'i gofnodi" in thanks
        assert "Eich ateb: Wedi rhoi cynnig arni ddwywaith neu fwy" in thanks.replace(
            "<strong>", ""
        ).replace("</strong>", "")

        status = await s.api.get("/v1/events", headers=s.auth())
        [created] = status.json()["items"]
        people = await s.api.get(f"/v1/events/{created['id']}/participants", headers=s.auth())
        assert {p["email"]: p["language"] for p in people.json()["items"]} == {
            GWEN["email"]: "",
            ADA["email"]: "en",
        }

        ada = mails[ADA["email"]]
        assert ada["Subject"] == "How is it going? (Retrieval practice)"
        assert "Dear Ada Lovelace," in text_of(ada) and '<html lang="en">' in html_of(ada)
        tap = _tap(ada, "tried_once")
        assert "Confirm: Tried it once" in await _page(s, tap)
        thanks = await _page(s, tap.split("?")[0], {"choice": "tried_once"})
        assert '<html lang="en">' in thanks and "Thank you: your answer is recorded" in thanks


async def test_an_english_school_s_teacher_who_chose_welsh_reads_welsh_everywhere(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        assert (await s.api.get("/v1/school/language", headers=s.auth())).json() == {
            "language": "en"
        }
        bad = await s.api.put("/v1/school/language", json={"language": "fr"}, headers=s.auth())
        assert bad.status_code == 422
        assert (await s.api.get("/v1/school/language", headers=s.auth())).json() == {
            "language": "en"
        }
        bad_person = await s.api.post(
            "/v1/events", json=event(people=[{**GWEN, "language": "fr"}]), headers=s.auth()
        )
        assert bad_person.status_code == 422

        mails = await _checkin_for(s, [{**GWEN, "language": "cy"}, ADA])
        assert mails[ADA["email"]]["Subject"] == "How is it going? (Retrieval practice)"
        gwen = mails[GWEN["email"]]
        assert gwen["Subject"] == "Sut mae'n mynd? (Retrieval practice)"

        pause = next(link for link in links_of(gwen) if "/u/" in link)
        manage = await _page(s, pause)
        assert '<html lang="cy">' in manage and "Oedi am y tro" in manage
        paused = await _page(s, pause, {"action": "pause"})
        assert "Wedi oedi" in paused and "nes i chi ailddechrau" in paused

        portfolio = next(link for link in links_of(gwen) if "/p/" in link)
        mine = await _page(s, portfolio)
        assert '<html lang="cy">' in mine and "Eich cynlluniau a'ch tystiolaeth" in mine

        # A fresh portfolio link comes in Welsh, and the old links then say so in Welsh.
        await s.api.post("/p", data={"email": GWEN["email"], "lang": "cy"})
        [_, fresh] = await s.smtp.inbox.wait_for(2, GWEN["email"])
        assert str(fresh["Subject"]).startswith("Eich portffolio DPP yn ")
        assert "Dyma ddolen newydd i'ch portffolio DPP" in text_of(fresh)
        # A link past its time says so in Welsh too.
        later = time.time() + 3 * 365 * 86400
        with mock.patch.object(itsdangerous.timed.time, "time", return_value=later):
            expired = await s.api.get(portfolio)
        assert expired.status_code == 410
        assert "Mae'r ddolen hon wedi dod i ben" in html.unescape(expired.text)
        old = await s.api.get(_tap(gwen, "not_yet"))
        assert old.status_code == 410
        replaced = html.unescape(old.text)
        assert '<html lang="cy">' in replaced and "Mae dolen fwy diweddar" in replaced
        assert 'href="/p?lang=cy"' in replaced
        asked = await _page(s, "/p?lang=cy")
        assert '<html lang="cy">' in asked and "Anfon dolen newydd ataf" in asked


async def test_a_roster_s_iaith_column_sets_each_teacher_s_language(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        roster = (
            "Forename,Surname,Email,Iaith\n"
            "Gwen,Price,gwen@ysgol.example,Cymraeg\n"
            "Ada,Lovelace,ada@ysgol.example,\n"
        )
        form = {"reference": "hms", "title": "Dysgu", "event_date": days_ago(12)}
        files = {"file": ("staff.csv", roster.encode(), "text/csv")}
        created = await s.api.post("/v1/events.csv", data=form, files=files, headers=s.auth())
        assert created.status_code == 201, created.text
        await s.smtp.inbox.wait_for(2)
        [gwen] = s.smtp.inbox.to("gwen@ysgol.example")
        [ada] = s.smtp.inbox.to("ada@ysgol.example")
        assert gwen["Subject"] == "Eich cynllun gweithredu (Dysgu)"
        assert ada["Subject"] == "Your action plan (Dysgu)"

        bad = roster.replace("Cymraeg", "Klingon")
        files = {"file": ("staff.csv", bad.encode(), "text/csv")}
        check = await s.api.post("/v1/rosters/check", files=files, headers=s.auth())
        [row] = [r for r in check.json()["rows"] if r["status"] == "error"]
        assert row["row"] == 2 and "not English or Welsh" in row["errors"][0]


async def test_a_welsh_teacher_s_plan_is_quoted_back_in_welsh(
    time_env: WorkflowEnvironment, ts_stack: StackFactory
) -> None:
    plan = {
        "id": "plan-then-checkin",
        "name": "Plan, then a check-in",
        "steps": [
            {"id": "plan", "kind": "action_plan", "offset_days": 0},
            {"id": "checkin", "kind": "practice_checkin", "offset_days": 7},
        ],
    }
    year, monday, lead = await school_year_now(time_env, term_days=8)
    async with ts_stack(year.calendar) as s:
        body = event(people=[{**GWEN, "language": "cy"}], plan=plan, event_date=monday.isoformat())
        assert (await s.api.post("/v1/events", json=body, headers=s.auth())).status_code == 201
        await time_env.sleep(timedelta(days=lead + 1))
        [first] = s.smtp.inbox.to(GWEN["email"])
        assert first["Subject"] == "Eich cynllun gweithredu (Retrieval practice)"
        form = next(link for link in links_of(first) if "/a/" in link)
        page = await _page(s, form)
        assert "Gyda pha ddosbarth?" in page and "Cadw fy nghynllun" in page
        parts = {
            "context": "Holi ac ateb ar ddechrau'r wers",
            "class_name": "Blwyddyn 8",
            "frequency": "ddwywaith yr wythnos",
            "duration": "hanner tymor",
        }
        assert "Diolch: mae eich ateb" in await _page(s, form, parts)
        await time_env.sleep(timedelta(days=8))
        [_, second, *_reminders] = s.smtp.inbox.to(GWEN["email"])
        assert second["Subject"] == "Sut mae'n mynd? (Retrieval practice)"
        quoted = (
            "Eich cynllun: \"Holi ac ateb ar ddechrau'r wers gyda Blwyddyn 8, "
            'ddwywaith yr wythnos, am hanner tymor"'
        )
        assert quoted in text_of(second)


async def test_a_welsh_reply_with_the_number_counts_and_words_alone_are_asked_back_in_welsh(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    async with dev_stack(inbound_smtp_port=port) as s:
        server = await serve(s.settings, s.db, s.client, s.app.state.resources.mailer)
        try:
            await s.api.put("/v1/school/language", json={"language": "cy"}, headers=s.auth())
            gwen = (await _checkin_for(s, [GWEN]))[GWEN["email"]]
            # The Welsh email offers the numbers: a number first, with words after, counts.
            assert "gyda'r rhif ar ddechrau'r llinell gyntaf: 1, 2, 3 neu 4" in text_of(gwen)

            unclear = EmailMessage()
            unclear["From"] = f"Gwen Price <{GWEN['email']}>"
            unclear["Subject"] = "Re: " + str(gwen["Subject"])
            unclear.set_content("Dim syniad a dweud y gwir")
            reply_to = str(gwen["Reply-To"])
            response = await send_reply(port, reply_to, unclear, sender=GWEN["email"])
            assert response.code == 250
            [_, asked] = await s.smtp.inbox.wait_for(2, GWEN["email"])
            assert asked["Subject"] == (
                "Pa un oeddech chi'n ei olygu? Sut mae'n mynd? (Retrieval practice)"
            )
            text = text_of(asked)
            assert "Doedden ni ddim yn siŵr beth oeddech chi'n ei olygu" in text
            assert "Dim syniad a dweud y gwir" in text

            numbered = EmailMessage()
            numbered["From"] = unclear["From"]
            numbered["Subject"] = unclear["Subject"]
            numbered.set_content("2 - unwaith yn unig, ond aeth yn dda")
            response = await send_reply(port, reply_to, numbered, sender=GWEN["email"])
            assert response.code == 250 and "recorded" in response.message
            [created] = (await s.api.get("/v1/events", headers=s.auth())).json()["items"]
            people = await s.api.get(f"/v1/events/{created['id']}/participants", headers=s.auth())
            [person] = people.json()["items"]
            assert [(a["choice"], a["text"]) for a in person["answers"]] == [
                ("tried_once", "2 - unwaith yn unig, ond aeth yn dda")
            ]
        finally:
            server.close()


async def test_a_welsh_teacher_answers_in_a_real_browser_on_a_phone(
    dev_stack: StackFactory,
) -> None:
    port = free_port()
    async with dev_stack(public_base_url=f"http://127.0.0.1:{port}") as s, served(s.app, port):
        await s.api.put("/v1/school/language", json={"language": "cy"}, headers=s.auth())
        gwen = (await _checkin_for(s, [GWEN]))[GWEN["email"]]
        async with browser() as chromium:
            page = await chromium.new_page(viewport={"width": 320, "height": 640})
            refused = refusals(page)
            await page.goto(_tap(gwen, "need_help"))
            assert await page.get_attribute("html", "lang") == "cy"
            confirm = page.get_by_role("button", name="Cadarnhau: Hoffwn gael ychydig o help")
            await page.get_by_label("Unrhyw beth i'w ychwanegu? (dewisol)").fill("Gyda 8B")
            await confirm.click()
            thanks = page.get_by_role("heading", name="Diolch: mae eich ateb wedi'i gofnodi")
            await thanks.wait_for()
            assert await page.get_attribute("html", "lang") == "cy"
            await page.screenshot(path=artifact("welsh-answer-recorded.png"), full_page=True)
            assert refused == []
