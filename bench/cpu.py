"""CPU used by this process and its children (Temporal, the worker lanes, SMTP sink).

Read from /proc (Linux), so a report can say which process was busy: on a
small machine the question is usually "who had the cores", not "what was slow".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks.
    # The command name (field 2) may hold spaces, so split after its closing bracket.
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _machine_busy_seconds() -> float:
    # The first line of /proc/stat: ticks per state, summed over every core.
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / _TICKS


def _children() -> dict[int, str]:
    pids: dict[int, str] = {}
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            pids[int(pid)] = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    return pids


def _label(command: str) -> str:
    program = Path(command.split(" ", 1)[0]).name
    if program == "temporal":
        return "Temporal dev server"
    if program == "java":
        return "Temporal test server (Java)"
    if "--lane fanout" in command:
        return "fan-out lane (its own process)"
    if "--lane main" in command:
        return "worker: participants (its own process)"
    return "SMTP sink" if "multiprocessing" in command else program


@dataclass
class CpuShare:
    process: str
    cores: float  # CPU seconds / wall seconds: 1.0 is one core kept busy


class CpuMeter:
    """Cores used by this process and each child between ``start()`` and ``stop()``."""

    def start(self) -> CpuMeter:
        self._t0 = time.perf_counter()
        self._machine = _machine_busy_seconds()
        self._before = {os.getpid(): _cpu_seconds(os.getpid())}
        for pid in _children():
            self._before[pid] = _cpu_seconds(pid)
        return self

    def stop(self) -> list[CpuShare]:
        wall = time.perf_counter() - self._t0
        shares = [
            CpuShare(
                "this process (app; worker too when in-process)",
                (_cpu_seconds(os.getpid()) - self._before[os.getpid()]) / wall,
            )
        ]
        for pid, comm in sorted(_children().items()):
            try:
                used = _cpu_seconds(pid) - self._before.get(pid, 0.0)
            except FileNotFoundError:
                continue  # ended meanwhile
            shares.append(CpuShare(_label(comm), used / wall))
        shares = [s for s in shares if s.cores >= 0.01]  # e.g. multiprocessing's helper
        machine = (_machine_busy_seconds() - self._machine) / wall
        # Other sessions' work on a shared machine shows here, and skews every figure.
        others = max(0.0, machine - sum(s.cores for s in shares))  # never below 0 by rounding
        shares.append(CpuShare("anything else on the machine", others))
        return shares
