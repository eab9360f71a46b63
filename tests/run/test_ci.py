"""CI runs exactly the test command the README gives a newcomer, nothing more."""

from __future__ import annotations

import re

from cpd.settings import PROJECT_ROOT


def test_ci_runs_the_readme_test_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"## Two commands\s+```bash\n(.*?)```", readme, re.S)
    assert block, "README has no 'Two commands' block"
    [test_command] = [
        line.split("#")[0].strip() for line in block.group(1).splitlines() if "test" in line
    ]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line.strip() for line in ci if line.strip() and not line.startswith("#")]
    assert commands == [f"exec {test_command}"]
