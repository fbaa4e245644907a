"""The layer rule: the core runs in the CLI, tests and benchmarks without Textual or the TUI.

Checked twice: statically by import-linter (the contracts in pyproject.toml, which see every
import but not whether it is lazy) and at run time in a fresh interpreter (which sees laziness).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.import_check import REPO, core_modules, loaded_by

COMMAND_MODULES = ["smartlead_tui.cli", "smartlead_tui.config_cli", "smartlead_tui.tracking_cli"]


def _lint_imports() -> str:
    """`lint-imports` from this interpreter's environment (the venv the tests run in)."""
    found = Path(sys.executable).with_name("lint-imports")
    return str(found) if found.exists() else (shutil.which("lint-imports") or "lint-imports")


def test_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [_lint_imports(), "--no-cache"], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_walk_finds_the_core() -> None:
    """A walk that found nothing would make the next test pass vacuously."""
    found = core_modules()
    assert {"smartlead_tui.config", "smartlead_tui.api.client", "smartlead_tui.sandbox"} <= set(
        found
    )
    assert not [m for m in found if m.startswith(("smartlead_tui.tui", "smartlead_tui.cli"))]


def test_core_does_not_import_textual() -> None:
    assert loaded_by(core_modules(), {"textual", "smartlead_tui.tui"}) == []


def test_command_modules_import_the_tui_only_lazily() -> None:
    """import-linter cannot tell a function-level import from a top-level one: this can."""
    assert loaded_by(COMMAND_MODULES, {"textual", "smartlead_tui.tui"}) == []


def test_cli_start_does_not_import_httpx_or_textual() -> None:
    """`smartlead-tui --version` and usage errors stay fast: no heavy imports (asyncio came in
    through the tracker that `track`'s parser imported: ~40 ms of an 80 ms `--version`)."""
    then = "from smartlead_tui.cli import build_parser\nbuild_parser()"
    assert loaded_by([], {"httpx", "textual", "asyncio"}, then=then) == []
