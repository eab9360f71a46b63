"""What the fault-injection suite did, added up across its tests for one summary line.

Each test says how many faults it injected and how many emails it expected; it counts
what arrived, so duplicates and losses are measured, not assumed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field


@dataclass
class Tally:
    faults: int = 0
    expected: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)

    def fault(self, kind: str, count: int = 1) -> None:
        self.faults += count
        self.by_kind[kind] += count

    def emails(self, expected: Sequence[Hashable], delivered: Sequence[Hashable]) -> None:
        """``expected``: a key (an address, or an address and a kind) for each email that
        should arrive; ``delivered``: the same key for each email that did arrive."""
        want, got = Counter(expected), Counter(delivered)
        self.expected += sum(want.values())
        self.delivered += sum(got.values())
        # An email expected n times and delivered more is a duplicate; fewer, lost.
        self.duplicates += sum(max(0, got[k] - want[k]) for k in got)
        self.lost += sum(max(0, want[k] - got[k]) for k in want)

    def line(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items()))
        return (
            f"faults injected: {self.faults} ({kinds}); emails expected {self.expected}, "
            f"delivered {self.delivered}, duplicates {self.duplicates}, lost {self.lost}"
        )


TALLY = Tally()
