"""The users of bench/load.py, run by locust headless (``locust -f bench/locustfile.py``).

Three kinds of user, read from the plan file bench/load.py writes (``CPD_LOAD_PLAN``):
leaders reading their events' status, impact and people through the API (with the
school's key) and the dashboard (with a signed-in session); teachers, each taking the
next unused check-in link from their emails, opening it (GET) and sending the answer
(POST), so every answer is a different teacher's; and one sampler of /healthz.

Each teacher and leader comes from a network of their own (X-Forwarded-For, which
uvicorn believes from loopback, as from a proxy in front of it): a school's pages
limit one network's link pages, and a load test from one address would measure that
limit instead of the service.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from locust import FastHttpUser, between, constant_throughput, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(open(os.environ["CPD_LOAD_PLAN"]).read())  # noqa: SIM115
LINKS: Iterator[tuple[int, str]] = iter(enumerate(PLAN["links"]))
RECORDED = "your answer is recorded"
ALREADY = "We already had your answer"
SAMPLES: list[tuple[str, float, bool]] = []  # (endpoint, milliseconds, failed)
ANSWERED: list[str] = []  # the links whose answer the page said was recorded
LINKS_OUT: list[float] = []  # when the first teacher found no link left
ERRORS: list[str] = []  # what each failed request said


@events.request.add_listener
def _keep(name: str, response_time: float, exception: Exception | None, **_: Any) -> None:
    SAMPLES.append((name, response_time, exception is not None))
    if exception is not None:
        ERRORS.append(f"{name}: {str(exception)[:160]}")


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with open(PLAN["results"], "w") as out:
        results = {
            "samples": SAMPLES,
            "answered": ANSWERED,
            "links_out": min(LINKS_OUT, default=None),
            "errors": ERRORS,
        }
        json.dump({**results, "t_end": time.time()}, out)


def _network(n: int, first: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"10.{first}.{n >> 8 & 255}.{n & 255}"}


class Leader(FastHttpUser):
    fixed_count = PLAN["leaders"]
    wait_time = between(1, 2)  # a leader reads a page, then the next

    def on_start(self) -> None:
        n = random.randrange(1 << 16)
        self.api = {"Authorization": f"Bearer {PLAN['key']}", **_network(n, 200)}
        self.page = {"Cookie": f"{PLAN['cookie']}={random.choice(PLAN['sessions'])}"}
        self.page.update(_network(n, 200))

    def _event(self) -> str:
        return str(random.choice(PLAN["events"]))

    @task(3)
    def status(self) -> None:
        self.client.get(f"/v1/events/{self._event()}", headers=self.api, name="API: event status")

    @task(2)
    def impact(self) -> None:
        path = f"/v1/events/{self._event()}/impact"
        self.client.get(path, headers=self.api, name="API: impact summary")

    @task(1)
    def participants(self) -> None:
        path = f"/v1/events/{self._event()}/participants?limit=100"
        self.client.get(path, headers=self.api, name="API: participants, 100")

    def _page(self, path: str, name: str) -> None:
        # Signed out, the dashboard redirects to its sign-in page: not what a leader reads.
        with self.client.get(
            path, headers=self.page, name=name, allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(2)
    def event_page(self) -> None:
        self._page(f"/dashboard/events/{self._event()}", "page: event")

    @task(1)
    def people_page(self) -> None:
        self._page(f"/dashboard/events/{self._event()}/people", "page: people")


class Teacher(FastHttpUser):
    fixed_count = PLAN["teacher_users"]
    # Together they answer PLAN["rate"] a second, each at its own steady pace.
    wait_time = constant_throughput(PLAN["rate"] / PLAN["teacher_users"])

    @task
    def answer(self) -> None:
        try:
            n, link = next(LINKS)
        except StopIteration:
            LINKS_OUT.append(time.time())
            raise StopUser() from None
        path = link.split("://", 1)[1].split("/", 1)[1]
        headers = _network(n, n >> 16)
        with self.client.get(
            f"/{path}", headers=headers, name="teacher: check-in page (GET)", catch_response=True
        ) as r:
            if r.status_code != 200 or "<form" not in (r.text or ""):
                r.failure(f"no form: {r.status_code}")
                return
        form = dict(PLAN["answer"])
        with self.client.post(
            f"/{path}",
            data=form,
            headers=headers,
            name="teacher: answer (POST)",
            catch_response=True,
        ) as r:
            text = r.text or ""
            if r.status_code != 200 or RECORDED not in text or ALREADY in text:
                r.failure(f"not recorded: {r.status_code} {text[:200]!r}")
                return
        ANSWERED.append(link)


class Trivial(FastHttpUser):
    fixed_count = 1
    wait_time = constant_throughput(10)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="trivial (/healthz)")
