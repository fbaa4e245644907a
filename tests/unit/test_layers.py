"""Core modules must not import Textual: they run in the CLI, tests and benchmarks without it."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "smartlead_tui.api.client",
    "smartlead_tui.api.limiter",
    "smartlead_tui.api.models",
    "smartlead_tui.api.errors",
    "smartlead_tui.config",
    "smartlead_tui.control_chars",
    "smartlead_tui.keymap",
    "smartlead_tui.wording",
    "smartlead_tui.validation",
    "smartlead_tui.outbox.store",
    "smartlead_tui.outbox.sender",
    "smartlead_tui.outbox.drafts",
    "smartlead_tui.outbox.sessions",
    "smartlead_tui.logs",
    "smartlead_tui.outbox.tracker",
    "smartlead_tui.outbox.states",
    "smartlead_tui.outbox.resolve",
    "smartlead_tui.inbox",
    "smartlead_tui.categories",
    "smartlead_tui.body_format",
    "smartlead_tui.tracking_cli",
    "smartlead_tui.sandbox",
    "smartlead_tui.redact",
    "smartlead_tui.cli",
]


def test_core_does_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_cli_start_does_not_import_httpx_or_textual() -> None:
    """`smartlead-tui --version` and usage errors stay fast: no heavy imports."""
    code = (
        "import sys\n"
        "from smartlead_tui.cli import build_parser\n"
        "build_parser()\n"
        "print(','.join(m for m in ('httpx', 'textual') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
