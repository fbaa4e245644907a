"""What a fresh interpreter loads when it imports some of our modules: the run-time layer check.

One helper for every "this module must not pull in X" test, so they all look the same way: a new
process (this one has long imported everything), the modules imported in order, then the
watched top-level names that ended up in `sys.modules`.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import smartlead_tui

REPO = Path(__file__).resolve().parents[1]

#: Not the core: the TUI itself and the command modules (they import the TUI, lazily).
NOT_CORE = (
    "smartlead_tui.tui",
    "smartlead_tui.cli",
    "smartlead_tui.config_cli",
    "smartlead_tui.tracking_cli",
    "smartlead_tui.__main__",
)


def _within(name: str, packages: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def core_modules() -> list[str]:
    """Every module of the package outside the TUI and the command modules, found by walking it."""
    return sorted(
        info.name
        for info in pkgutil.walk_packages(smartlead_tui.__path__, "smartlead_tui.")
        if not _within(info.name, NOT_CORE)
    )


def loaded_by(modules: Iterable[str], watched: Iterable[str], *, then: str = "") -> list[str]:
    """Import `modules` in a fresh interpreter, run `then`; which `watched` packages got loaded."""
    watched = sorted(watched)
    code = (
        "import importlib, json, sys\n"
        f"for name in {sorted(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        f"{then}\n"
        f"watched = {watched!r}\n"
        "print(json.dumps(sorted({w for w in watched for m in sys.modules"
        " if m == w or m.startswith(w + '.')})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
