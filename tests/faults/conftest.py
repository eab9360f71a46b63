"""The fault-injection suite: real servers on loopback, fed faults (tests/faults/).

Marked ``faults`` so ``./scripts/test`` (and CI) runs it and a developer can skip it
with ``-m "not faults"``. It ends with one summary line from tally.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.tally import TALLY


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.faults:
        terminalreporter.write_sep("-", "fault injection")
        terminalreporter.write_line(TALLY.line())
