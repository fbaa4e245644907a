"""The package type-checks clean with the project's mypy settings ([tool.mypy] in pyproject).

Run here so the README's test command checks types too: a wrong override or an Optional passed
where a value is needed fails the suite instead of waiting for a user to hit it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_is_clean() -> None:
    # The project's config (files, strictness) and its incremental cache in .mypy_cache.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy found problems:\n{output}"
    assert "Success: no issues found" in output, output
