"""Signed links under attack: forged, signed elsewhere, meant for something else, expired,
replayed. Each gets a clear 400 or 410 page, and nothing changes behind it."""

from __future__ import annotations

import hashlib
import time
from email.message import EmailMessage
from unittest import mock

import httpx
import itsdangerous.timed
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import func, select

from cpd.models import (
    Answer,
    DashboardSession,
    DigestOptOut,
    Evidence,
    HelpRequest,
    LeaderCheck,
    Participant,
    UsedSignInLink,
)
from cpd.security import LinkSigner, link_signer
from cpd.settings import Settings
from services import admin
from tests.support.events import days_ago, event
from tests.support.inbox import links_of
from tests.support.signin import form_token, sign_in_link
from tests.support.stack import Stack, StackFactory

OTHER_SECRET = "another-deployment-" + "y" * 32
DAY = 86400


def path_of(mail: EmailMessage, part: str) -> str:
    link = next(x for x in links_of(mail) if part in x)
    return httpx.URL(link).path


def one_char_changed(token: str) -> list[str]:
    """The token with one character changed: in what it says, and in its signature (not
    the signature's last character, whose low bits base64 may ignore)."""
    payload, stamp, signature = token.rsplit(".", 2)
    flip = {True: "B", False: "A"}
    in_payload = flip[payload[3] == "A"].join((payload[:3], payload[4:]))
    middle = len(signature) // 2
    in_signature = signature[:middle] + flip[signature[middle] == "A"] + signature[middle + 1 :]
    return [f"{in_payload}.{stamp}.{signature}", f"{payload}.{stamp}.{in_signature}"]


def elsewhere() -> LinkSigner:
    """A signer with the same code and another deployment's secret."""
    return link_signer(Settings(environment="test", secret_key=OTHER_SECRET))  # type: ignore[arg-type]


async def count(s: Stack, model: type) -> int:
    async with s.db() as db:
        return int((await db.exec(select(func.count()).select_from(model))).one())


async def teacher_links(s: Stack) -> tuple[EmailMessage, Participant]:
    await s.api.post("/v1/events", json=event(event_date=days_ago(1)), headers=s.auth())
    [mail] = await s.smtp.inbox.wait_for(1, "ada@")
    async with s.db() as db:
        [ada] = (await db.exec(select(Participant))).all()
    return mail, ada


async def refused(api: httpx.AsyncClient, method: str, path: str, **kw: object) -> httpx.Response:
    answer = await api.request(method, path, **kw)  # type: ignore[arg-type]
    assert answer.status_code in (400, 410), (method, path, answer.status_code, answer.text)
    assert "<form" not in answer.text or "/dashboard/login" in answer.text, path
    return answer


async def test_teachers_links_forged_elsewhere_or_for_another_purpose(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        mail, ada = await teacher_links(s)
        step = path_of(mail, "/a/").rsplit("/", 1)[1]
        claims = s.signer.verify(step, "answer")
        async with s.db() as db:
            given = HelpRequest(
                school_id=s.school_id,
                event_id=ada.event_id,
                participant_id=ada.id,
                step_id=claims.step_id,
                status="supported",
            )
            db.add(given)
            await db.commit()
            await db.refresh(given)
        support = s.signer.sign(ada.id, str(given.id), "support")
        genuine = {
            "/a/": (step, "answer", {"choice": "tried"}),
            "/u/": (path_of(mail, "/u/").rsplit("/", 1)[1], "pause", {"action": "opt_out"}),
            "/s/": (support, "support", {"helped": "yes"}),
            "/p/": (path_of(mail, "/p/").rsplit("/", 1)[1], "portfolio", None),
        }
        for prefix, (token, purpose, form) in genuine.items():
            assert (await s.api.get(prefix + token)).status_code == 200, prefix
            # The same claims, signed by another deployment; and by us for another purpose.
            wrong_purpose = "answer" if purpose != "answer" else "pause"
            forged = [
                *one_char_changed(token),
                elsewhere().sign(ada.id, s.signer.verify(token, purpose).step_id, purpose),
                s.signer.sign(ada.id, s.signer.verify(token, purpose).step_id, wrong_purpose),
                "not-a-token",
            ]
            for bad in forged:
                page = await refused(s.api, "GET", prefix + bad)
                assert "link" in page.text
                if form is not None:
                    await refused(s.api, "POST", prefix + bad, data=form)
            await refused(s.api, "POST", f"/p/{forged[2]}/evidence", data={"note": "planted"})
            await refused(s.api, "GET", f"/p/{forged[2]}/export")

        # Nothing changed: no answer, no evidence, still following through.
        assert await count(s, Answer) == 0 and await count(s, Evidence) == 0
        async with s.db() as db:
            still = await db.get(HelpRequest, given.id)
        assert still is not None and still.helped is None
        detail = await s.api.get(
            f"/v1/events/{ada.event_id}/participants/{ada.id}", headers=s.auth()
        )
        assert detail.json()["timeline"]["withdrawn"] is False


async def test_a_portfolio_link_expires_and_an_answer_link_does_not(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        mail, _ = await teacher_links(s)
        answer, portfolio = path_of(mail, "/a/"), path_of(mail, "/p/")
        days = s.settings.portfolio_link_max_age_days
        later = time.time() + (days + 1) * DAY
        with mock.patch.object(itsdangerous.timed.time, "time", return_value=later):
            expired = await s.api.get(portfolio)
            upload = await s.api.post(portfolio + "/evidence", data={"note": "late"})
            still = await s.api.get(answer)
        assert expired.status_code == 410 and "expired" in expired.text
        assert upload.status_code == 410
        assert still.status_code == 200
        assert await count(s, Evidence) == 0


async def test_leaders_links_forged_elsewhere_or_for_another_purpose(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        lead = await admin.add_leader(s.db, "lead@hillside.example", "cpd_lead", s.school_id)
        await s.api.post("/v1/events", json=event(event_date=days_ago(1)), headers=s.auth())
        async with s.db() as db:
            [ada] = (await db.exec(select(Participant))).all()
            check = LeaderCheck(
                school_id=s.school_id,
                event_id=ada.event_id,
                step_id="level3",
                leader_id=lead.id or 0,
                reply_code="code",
            )
            db.add(check)
            await db.commit()
            await db.refresh(check)
        genuine = {
            "/dashboard/digest/": (str(lead.id), "digest", {}),
            "/dashboard/level3/": (str(check.id), "leader_check", {"rating": "5"}),
        }
        for prefix, (whose, purpose, form) in genuine.items():
            token = s.signer.sign(whose, "", purpose)
            assert (await s.api.get(prefix + token)).status_code == 200, prefix
            wrong = "digest" if purpose == "leader_check" else "leader_check"
            for bad in [
                *one_char_changed(token),
                elsewhere().sign(whose, "", purpose),
                s.signer.sign(whose, "", wrong),
                # A teacher's answer link for the same id.
                s.signer.sign(whose, "", "answer"),
            ]:
                await refused(s.api, "GET", prefix + bad)
                await refused(s.api, "POST", prefix + bad, data=form)
        assert await count(s, DigestOptOut) == 0
        async with s.db() as db:
            unanswered = await db.get(LeaderCheck, check.id)
        assert unanswered is not None and unanswered.rating is None


async def test_sign_in_links_forged_expired_or_replayed(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        email = "lead@hillside.example"
        await admin.add_leader(s.db, email, "cpd_lead", s.school_id)
        token = (await sign_in_link(s, email)).rsplit("/", 1)[1]
        csrf = form_token((await s.api.get("/dashboard/login")).text)
        magic = LinkSigner([OTHER_SECRET], {"magic-link": 1800})
        forged = [
            *one_char_changed(token),
            magic.sign(email, "x", "magic-link"),
            # A teacher's answer link, signed with this deployment's own secret.
            s.signer.sign(email, "x", "answer"),
        ]
        for bad in forged:
            await refused(s.api, "GET", f"/dashboard/auth/{bad}")
            await refused(s.api, "POST", f"/dashboard/auth/{bad}", data={"csrf": csrf})
        # A real sign-in link opens no teacher's or leader's link page either.
        for prefix in ("/a/", "/u/", "/s/", "/p/", "/dashboard/digest/", "/dashboard/level3/"):
            await refused(s.api, "GET", prefix + token)
        # Half an hour and a minute later, the real link has expired.
        later = time.time() + 31 * 60
        with mock.patch.object(itsdangerous.timed.time, "time", return_value=later):
            expired = await s.api.post(f"/dashboard/auth/{token}", data={"csrf": csrf})
        assert expired.status_code == 410 and "expired" in expired.text
        assert await count(s, DashboardSession) == 0
        assert "cpd_session" not in s.api.cookies

        # Used once: a second use (the link forwarded, or read from a log) lets nobody in.
        first = await s.api.post(f"/dashboard/auth/{token}", data={"csrf": csrf})
        assert first.status_code == 303
        thief = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=s.app), base_url="http://testserver"
        )
        async with thief:
            confirm = await thief.get(f"/dashboard/auth/{token}")
            again = await thief.post(
                f"/dashboard/auth/{token}", data={"csrf": form_token(confirm.text)}
            )
            assert again.status_code == 400 and "used already" in again.text
            assert "cpd_session" not in thief.cookies
            assert (await thief.get("/dashboard")).status_code in (303, 307, 401)
        assert await count(s, DashboardSession) == 1 and await count(s, UsedSignInLink) == 1


async def test_a_forged_or_foreign_oidc_state_starts_no_session(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        callback = "/dashboard/oidc/callback?code=c&state=s1"
        # No pending sign-in in this browser: refused.
        assert (await s.api.get(callback)).status_code == 400
        pending = {"p": 1, "s": "s1", "n": "n", "v": "v"}
        for secret, state in (
            (OTHER_SECRET, "s1"),
            (s.settings.secret_key.get_secret_value(), "s2"),
        ):
            cookie = URLSafeTimedSerializer(
                secret,
                salt="cpd-dashboard-pending-sign-in",
                signer_kwargs={"digest_method": hashlib.sha256},
            ).dumps({**pending, "s": state})
            s.api.cookies.set("cpd_oidc", cookie)
            answer = await s.api.get(callback)
            assert answer.status_code == 400, answer.text
            assert "Please start again" in answer.text
        assert await count(s, DashboardSession) == 0
