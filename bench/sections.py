"""docs/BENCHMARKS.md is shared by several benchmarks: each rewrites only its own section."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from importlib.metadata import version

from cpd.settings import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\n"
    "Figures written by the benchmarks under `bench/`; each section says how to rerun it.\n"
)


def machine() -> str:
    meminfo = open("/proc/meminfo").read() if os.path.exists("/proc/meminfo") else ""  # noqa: SIM115
    found = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    ram = f"{int(found.group(1)) / 1024 / 1024:.0f} GiB" if found else "unknown"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {ram} RAM; "
        f"Python {platform.python_version()}; temporalio {version('temporalio')}"
    )


def write_section(name: str, body: str) -> None:
    """Replace the section between this benchmark's markers (or append it)."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{block}\n"
    )
    BENCHMARKS.parent.mkdir(exist_ok=True)
    BENCHMARKS.write_text(text)
