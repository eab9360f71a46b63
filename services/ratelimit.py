"""How often one address or one client may do something: token buckets, in this process.

Each bucket holds up to ``burst`` tokens and refills ``burst`` over ``per_seconds``; an
action takes one. Buckets are keyed on a hash of what they count, so no address or IP
is kept (or could be logged) here. They live in the process: with several API processes
each counts on its own, which still stops one client flooding an inbox or the pages.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: int
    per_seconds: float


RATES: dict[str, Rate] = {
    # Sign-in emails to one address: five at once, then one every two minutes.
    "sign_in_address": Rate(5, 600),
    # Sign-in requests from one client (a school's staff may share one address).
    "sign_in_client": Rate(20, 600),
    # Teachers' and leaders' link pages from one client: a whole staff answering
    # from one school network at once fits; a flood does not.
    "link_client": Rate(300, 60),
    # A fresh portfolio link to one address: one email in 15 minutes.
    "fresh_link_address": Rate(1, 900),
}


class RateLimiter:
    """``wait(rate, who)``: 0 if it may go now (and it is counted), else seconds to wait."""

    def __init__(
        self,
        rates: Mapping[str, Rate] = RATES,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = 100_000,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._max = max_buckets
        # key -> (tokens, when last counted)
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, rate: str, who: str) -> float:
        limit = self._rates[rate]
        key = hashlib.sha256(f"{rate}:{who}".encode()).hexdigest()
        now = self._clock()
        refill = limit.burst / limit.per_seconds
        tokens, then = self._buckets.get(key, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - then) * refill)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / refill
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > self._max:
            self._forget_oldest()
        return 0.0

    def retry_after(self, rate: str, who: str) -> int:
        """``wait`` in whole seconds, as a Retry-After header says it (0: go ahead)."""
        return math.ceil(self.wait(rate, who))

    def _forget_oldest(self) -> None:
        # Memory stays bounded under a flood of new clients; a forgotten bucket starts full,
        # which only ever errs towards letting someone through.
        by_age = sorted(self._buckets.items(), key=lambda item: item[1][1])
        self._buckets = dict(by_age[len(by_age) // 2 :])
