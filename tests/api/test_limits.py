"""Bodies past their route's limit are refused as they arrive, chunked or not."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlmodel import func, select

from cpd.models import Answer, Evidence
from tests.support.events import event
from tests.support.evidence import EVIDENCE_PLAN, PEOPLE, links_for, stored_files
from tests.support.stack import Stack, StackFactory

MB = 1024 * 1024
BOUNDARY = "cpd-test-boundary"


class Upload:
    """A body sent a megabyte at a time, counting how much of it was asked for."""

    def __init__(self, head: bytes, megabytes: int, tail: bytes = b"") -> None:
        self.head, self.megabytes, self.tail = head, megabytes, tail
        self.sent = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(self.megabytes):
            self.sent += 1
            yield b"\0" * MB
        yield self.tail


def file_upload(megabytes: int) -> Upload:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="choice"\r\n\r\n\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="lesson.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()
    return Upload(head, megabytes, f"\r\n--{BOUNDARY}--\r\n".encode())


async def count(s: Stack, table: type[Answer] | type[Evidence]) -> int:
    async with s.db() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def test_a_chunked_upload_past_the_limit_is_refused_before_it_is_read(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack(evidence_max_bytes=MB) as s:
        created = await s.api.post(
            "/v1/events", json=event(plan=EVIDENCE_PLAN, people=PEOPLE[:1]), headers=s.auth()
        )
        answer, _ = await links_for(s, "ada@")
        upload = file_upload(40)
        refused = await s.api.post(
            answer,
            content=upload.chunks(),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert refused.request.headers["Transfer-Encoding"] == "chunked"  # no length given
        assert refused.status_code == 413
        assert "the limit is 1 MB" in refused.text and "Nothing was changed" in refused.text
        # The limit is 1 MB and a little for the form: the second megabyte passed it.
        assert upload.sent == 2

        assert await count(s, Evidence) == 0 and stored_files(s) == []
        people = await s.api.get(
            f"/v1/events/{created.json()['id']}/participants", headers=s.auth()
        )
        assert people.json()["items"][0]["answers"] == []


async def test_api_bodies_past_their_limit_change_nothing(dev_stack: StackFactory) -> None:
    async with dev_stack() as s:
        people = b'{"reference": "big", "title": "T", "participants": [' + b" " * 64
        chunked = Upload(people, 40)
        refused = await s.api.post(
            "/v1/events",
            content=chunked.chunks(),
            headers={**s.auth(), "Content-Type": "application/json"},
        )
        assert refused.status_code == 413
        assert refused.json()["error"] == "too_large" and "5 MB" in refused.json()["detail"]
        assert chunked.sent == 6  # a roster's 5 MB, a little more, then no further

        # A declared length past the limit: refused before a byte of the body is read.
        declared = Upload(people, 40)
        length = {"Content-Type": "application/json", "Content-Length": str(40 * MB)}
        early = await s.api.post(
            "/v1/events", content=declared.chunks(), headers={**s.auth(), **length}
        )
        assert early.status_code == 413 and declared.sent == 0
        assert (await s.api.get("/v1/events", headers=s.auth())).json()["items"] == []

        # A form with no file: a few hundred KB is already far past anything it holds.
        form = await s.api.post("/p", data={"email": "ada@hillside.example" + " " * 300_000})
        assert form.status_code == 413 and "the limit is 256 KB" in form.text
        assert s.smtp.inbox.messages == []
