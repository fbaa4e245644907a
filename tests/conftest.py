"""Shared pytest fixtures."""

from collections.abc import Iterator

import pytest

from smartlead_tui.sandbox import SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A started SandboxServer on a free localhost port, stopped after the test."""
    server = SandboxServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def still_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the inbox's retry countdown at its first second ("retrying in 8 s").

    On a loaded machine a second can pass between the failure and the assertion or snapshot;
    the retry itself still happens on its real timer.
    """
    from smartlead_tui.tui.screens.inbox import InboxScreen

    monkeypatch.setattr(InboxScreen, "countdown_clock", lambda: 1000.0)


@pytest.fixture(autouse=True)
def strict_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception in the TUI fails its test, as Textual does by default.

    The app itself turns such errors into a message (smartlead_tui/tui/crash_guard.py); the
    tests of that guard delete this variable.
    """
    monkeypatch.setenv("SMARTLEAD_TUI_STRICT_ERRORS", "1")
