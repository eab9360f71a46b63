"""Imports flow one way: programs -> api -> services -> workflows/activities -> emails -> core.

Read from the source with ``ast``, lazy imports inside functions included, so a
shortcut taken in a hurry shows up here rather than in a newcomer's afternoon.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cpd.settings import PROJECT_ROOT

# Higher imports lower, never the reverse. devtools (throwaway servers, the dev
# mailbox) stands on the core alone, so anything above may use it.
RANKS = {
    "run": 6,
    "api": 5,
    "services": 4,
    "workflows": 3,
    "activities": 3,
    "emails": 2,
    "devtools": 1,
    "cpd": 0,
}
# Workflows and activities share a layer, through their contracts only: a workflow
# names activities by their contracts, and an activity that starts a workflow needs
# its input's shape. Neither imports the other's code.
ACROSS = {
    ("workflows", "activities"): {"activities.contracts"},
    ("activities", "workflows"): {"workflows.types"},
}


def imported(path: Path) -> list[tuple[int, str]]:
    """Every name ``path`` imports, dotted in full, with its line (``from a import b`` is
    ``a.b``, since ``b`` may be a module). Relative imports are not used here."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def wrong_way(root: Path) -> list[str]:
    """``file:line imports module`` for each import that runs against the layers."""
    problems = []
    for package, rank in RANKS.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported(path):
                target = module.split(".")[0]
                if target not in RANKS or target == package:
                    continue
                across = ACROSS.get((package, target))
                if across is not None:
                    allowed = any(module == m or module.startswith(m + ".") for m in across)
                elif RANKS[target] < rank:
                    continue
                else:
                    allowed = False
                if not allowed:
                    where = path.relative_to(root)
                    problems.append(f"{where}:{line} imports {module}")
    return problems


def test_imports_flow_one_way() -> None:
    assert wrong_way(PROJECT_ROOT) == []


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    # The check itself can fail: a core module reaching up to the API, lazily even.
    for package in RANKS:
        (tmp_path / package).mkdir()
    (tmp_path / "cpd" / "plans.py").write_text("def f():\n    import api.app\n")
    (tmp_path / "workflows" / "participant.py").write_text("from activities.email import X\n")
    (tmp_path / "activities" / "fanout.py").write_text("from workflows.types import Y\n")
    (tmp_path / "api" / "deps.py").write_text("from services.tenancy import Z\n")
    assert wrong_way(tmp_path) == [
        "workflows/participant.py:1 imports activities.email.X",
        "cpd/plans.py:2 imports api.app",
    ]
