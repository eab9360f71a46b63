"""Files that are not what they say: refused with a clear 4xx and nothing stored, or kept
only as a download the browser will never render."""

from __future__ import annotations

import io
import zipfile

import httpx
from sqlmodel import select

from cpd.models import Evidence, Participant
from tests.security.state import changed, snapshot
from tests.support.events import days_ago, event
from tests.support.evidence import stored_files
from tests.support.inbox import links_of
from tests.support.signin import post_form, sign_in_as_lead
from tests.support.stack import StackFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
# A real JPEG's first bytes, then a page: what a browser sniffing content would render.
POLYGLOT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML


def a_zip(
    name: str = "notes.txt", content: bytes = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def a_zip_bomb() -> bytes:
    """A workbook's shared strings of 80 MB, zipped to a few hundred KB: openpyxl would
    read them all into memory (a real one can unzip to gigabytes within 5 MB)."""
    return a_zip("xl/sharedStrings.xml", b"<sst>" + b" " * (80 * 1024 * 1024))


async def test_evidence_that_is_a_page_is_refused_and_a_disguised_one_only_downloads(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await s.api.post("/v1/events", json=event(event_date=days_ago(1)), headers=s.auth())
        [mail] = await s.smtp.inbox.wait_for(1, "ada@")
        portfolio = httpx.URL(next(x for x in links_of(mail) if "/p/" in x)).path
        async with s.db() as db:
            [ada] = (await db.exec(select(Participant))).all()

        for name, data in (
            ("photo.jpg", HTML),
            ("drawing.jpg", SVG),
            ("drawing.svg", SVG),
            ("notes.txt", HTML),
            ("page.html", HTML),
            ("empty.jpg", b""),
        ):
            refused = await s.api.post(
                portfolio + "/evidence",
                data={"participant_id": ada.id, "note": "x"},
                files={"file": (name, data, "image/jpeg")},
            )
            assert 400 <= refused.status_code < 500, (name, refused.status_code)
            assert "<script>alert" not in refused.text
        async with s.db() as db:
            assert (await db.exec(select(Evidence))).all() == []
        assert stored_files(s) == []

        # Accepted by their first bytes, and served so that no browser runs what they hold:
        # a JPEG with a page after it, and any ZIP named as slides (a page inside it).
        for name, data, kind in (
            ("../../photo.jpg", POLYGLOT, "image/jpeg"),
            ("slides.pptx", a_zip("evil.html"), "presentationml"),
        ):
            kept = await s.api.post(
                portfolio + "/evidence",
                data={"participant_id": ada.id},
                files={"file": (name, data, "text/html")},
            )
            assert kept.status_code == 200, kept.text
            async with s.db() as db:
                [item] = (await db.exec(select(Evidence).where(Evidence.size == len(data)))).all()
            assert "/" not in item.filename and ".." not in item.filename.strip(".")
            served = await s.api.get(f"{portfolio}/evidence/{item.id}")
            assert served.status_code == 200 and served.content == data
            assert kind in served.headers["content-type"]
            assert "html" not in served.headers["content-type"]
            assert served.headers["content-disposition"].startswith("attachment;")
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.headers["content-security-policy"] == "sandbox"
        files = stored_files(s)
        assert len(files) == 2 and all(f.suffix == "" for f in files)


async def test_rosters_and_calendars_that_are_not_are_refused_and_change_nothing(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        created = await s.api.post(
            "/v1/events", json=event(event_date=days_ago(1)), headers=s.auth()
        )
        await s.smtp.inbox.wait_for(1, "ada@")
        event_id = created.json()["id"]
        calendar = (await s.api.get("/v1/school/calendar", headers=s.auth())).json()
        await sign_in_as_lead(s)
        before = await snapshot(s)

        not_rosters = {
            "a zip": a_zip(),
            "a zip bomb": a_zip_bomb(),
            "an image": PNG,
            "a page": HTML,
            "nothing": b"",
            "5 MB and a byte": b"Name,Email\n" + b"x" * (5 * 1024 * 1024 + 1 - 11),
        }
        for what, data in not_rosters.items():
            for path, form in (
                ("/v1/rosters/check", {}),
                (f"/v1/events/{event_id}/participants.csv", {}),
                (
                    "/v1/events.csv",
                    {"reference": "csv", "title": "T", "event_date": days_ago(1)},
                ),
            ):
                answer = await s.api.post(
                    path,
                    data=form,
                    files={"file": ("staff.csv", data, "text/csv")},
                    headers=s.auth(),
                )
                if path == "/v1/rosters/check" and answer.status_code == 200:
                    # The check reports on the file and creates nothing: here, no one.
                    report = answer.json()
                    assert not report["ok"] and report["people"] == 0, (what, report)
                    assert report["problems"] or report["errors"], (what, report)
                    if what == "a zip bomb":
                        assert "too large once opened" in report["problems"][0]
                    continue
                assert answer.status_code in (413, 422), (what, path, answer.status_code)
                assert answer.json()["detail"], (what, path)
        not_calendars = {"a zip": a_zip(), "an image": PNG, "over 1 MB": b"B" * (1 << 20)}
        for what, data in not_calendars.items():
            answer = await s.api.post(
                "/v1/school/calendar.ics",
                data={"apply": "true"},
                files={"file": ("term.ics", data, "text/calendar")},
                headers=s.auth(),
            )
            assert answer.status_code in (413, 422), (what, answer.status_code)

        # The same files through the CPD lead's pages.
        for what, data in not_rosters.items():
            answer = await post_form(
                s,
                "/dashboard/new/preview",
                {"title": "T", "event_date": days_ago(1)},
                files={"file": ("staff.csv", data, "text/csv")},
            )
            assert answer.status_code in (413, 422), (what, answer.status_code)
            assert 'role="alert"' in answer.text or answer.status_code == 413, what
        for what, data in {"a zip": a_zip(), "an image": PNG}.items():
            answer = await post_form(
                s,
                "/dashboard/calendar/preview",
                files={"file": ("term.ics", data, "text/calendar")},
            )
            assert answer.status_code in (413, 422), (what, answer.status_code)

        assert changed(before, await snapshot(s)) == {}
        assert (await s.api.get("/v1/school/calendar", headers=s.auth())).json() == calendar
        assert len(s.smtp.inbox.messages) == 2  # Ada's first email and the sign-in link
