"""What the fault-injection suite did, added up across its tests for one summary line.

Each test says how many faults it injected and how many emails it expected; it counts
what arrived, so duplicates and losses are measured, not assumed.
"""

from __future__ import annotations

from collections import Counter
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

    def emails(self, expected: list[str], delivered: list[str]) -> None:
        """``expected``: one key per email that should arrive once (e.g. "to|subject");
        ``delivered``: the same key for each email that did arrive."""
        want, got = Counter(expected), Counter(delivered)
        self.expected += sum(want.values())
        self.delivered += sum(got.values())
        self.duplicates += sum(max(0, got[k] - 1) for k in got if k in want)
        self.duplicates += sum(got[k] for k in got if k not in want)  # never expected at all
        self.lost += sum(1 for k in want if got[k] == 0)

    def line(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.by_kind.items()))
        return (
            f"faults injected: {self.faults} ({kinds}); emails expected {self.expected}, "
            f"delivered {self.delivered}, duplicates {self.duplicates}, lost {self.lost}"
        )


TALLY = Tally()
