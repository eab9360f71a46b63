"""Evidence and the teacher's portfolio: files are checked, kept aside, never rendered."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlmodel import func, select

from cpd.models import Evidence
from tests.support.events import event
from tests.support.evidence import EVIDENCE_PLAN, PEOPLE, PNG, links_for, stored_files
from tests.support.stack import Stack, StackFactory


async def start(s: Stack) -> dict[str, Any]:
    created = await s.api.post(
        "/v1/events", json=event(plan=EVIDENCE_PLAN, people=PEOPLE), headers=s.auth()
    )
    assert created.status_code == 201
    return created.json()


async def evidence_rows(s: Stack) -> int:
    async with s.db() as session:
        return int((await session.exec(select(func.count()).select_from(Evidence))).one())


async def test_a_photo_is_recorded_kept_aside_and_only_ever_downloaded(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await start(s)
        answer, portfolio = await links_for(s, "ada@")
        form = await s.api.get(answer)
        assert 'enctype="multipart/form-data"' in form.text and 'type="file"' in form.text
        done = await s.api.post(
            answer,
            data={"text": "Year 9 quiz scores", "link": "https://drive.example/quiz"},
            files={"file": ("quiz.png", PNG, "image/png")},
        )
        assert done.status_code == 200 and "recorded" in done.text
        [stored] = stored_files(s)
        assert stored.read_bytes() == PNG and stored.suffix == ""

        mine = await s.api.get(portfolio)
        assert "Year 9 quiz scores" in mine.text and "quiz.png" in mine.text
        download = next(
            line.split('href="')[1].split('"')[0]
            for line in mine.text.splitlines()
            if "quiz.png" in line
        )
        got = await s.api.get(download)
        assert got.content == PNG
        assert got.headers["content-type"] == "image/png"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["x-content-type-options"] == "nosniff"

        # Another teacher's portfolio link cannot reach Ada's file.
        _, alans = await links_for(s, "alan@")
        evidence_id = download.rsplit("/", 1)[1]
        theirs = await s.api.get(f"{alans}/evidence/{evidence_id}")
        assert theirs.status_code == 404

        export = await s.api.get(portfolio + "/export")
        archive = zipfile.ZipFile(io.BytesIO(export.content))
        names = archive.namelist()
        assert "portfolio.json" in names
        assert any(n.endswith("quiz.png") for n in names)
        data = json.loads(archive.read("portfolio.json"))
        assert data["events"][0]["evidence"][0]["link"] == "https://drive.example/quiz"


async def test_evidence_sent_again_after_the_answer_is_recorded_is_not_kept(
    dev_stack: StackFactory,
) -> None:
    """The second page says nothing changed: the second file must not stay behind."""
    async with dev_stack() as s:
        await start(s)
        answer, portfolio = await links_for(s, "ada@")
        first = await s.api.post(
            answer, data={"text": "Quiz scores"}, files={"file": ("quiz.png", PNG, "image/png")}
        )
        assert first.status_code == 200 and "your answer is recorded" in first.text
        other = PNG + b"second"
        again = await s.api.post(
            answer,
            data={"text": "Seating plan photo"},
            files={"file": ("other.png", other, "image/png")},
        )
        assert again.status_code == 200
        assert "We already had your answer to this question, so nothing has changed" in again.text

        assert await evidence_rows(s) == 1
        [stored] = stored_files(s)
        assert stored.read_bytes() == PNG
        mine = await s.api.get(portfolio)
        assert "quiz.png" in mine.text and "other.png" not in mine.text
        assert "Seating plan photo" not in mine.text


async def test_too_big_or_forbidden_files_change_nothing(dev_stack: StackFactory) -> None:
    async with dev_stack(evidence_max_bytes=2048) as s:
        created = await start(s)
        answer, portfolio = await links_for(s, "ada@")
        big = await s.api.post(
            answer, data={"text": "x"}, files={"file": ("big.png", PNG * 20, "image/png")}
        )
        assert big.status_code == 413 and "too big" in big.text
        html = b"<!DOCTYPE html><script>alert(1)</script>"
        disguised = await s.api.post(
            answer, files={"file": ("report.pdf", html, "application/pdf")}
        )
        assert disguised.status_code == 422 and "Photos (JPEG, PNG, HEIC), PDFs" in disguised.text
        svg = await s.api.post(
            portfolio + "/evidence", files={"file": ("x.svg", b"<svg onload=x>", "image/svg+xml")}
        )
        assert svg.status_code == 422
        huge = await s.api.post(answer, files={"file": ("huge.png", PNG * 5000, "image/png")})
        assert huge.status_code == 413
        # The answer box takes 5,000 characters; evidence keeps a note of up to 2,000.
        long = await s.api.post(answer, data={"text": "Year 9 " * 400})
        assert long.status_code == 422 and "2000 characters" in long.text

        assert await evidence_rows(s) == 0
        assert stored_files(s) == []
        status = (
            await s.api.get(f"/v1/events/{created['id']}/participants", headers=s.auth())
        ).json()
        ada = next(p for p in status["items"] if p["name"] == "Ada Lovelace")
        assert ada["answers"] == []


async def test_evidence_can_be_added_from_the_portfolio_at_any_time(
    dev_stack: StackFactory,
) -> None:
    async with dev_stack() as s:
        await start(s)
        _, portfolio = await links_for(s, "ada@")
        added = await s.api.post(
            portfolio + "/evidence", data={"note": "Pupils now quiz each other"}
        )
        assert added.status_code == 200 and "Added to your portfolio" in added.text
        assert "Pupils now quiz each other" in (await s.api.get(portfolio)).text
        bad_link = await s.api.post(portfolio + "/evidence", data={"link": "javascript:alert(1)"})
        assert bad_link.status_code == 422
        assert await evidence_rows(s) == 1
