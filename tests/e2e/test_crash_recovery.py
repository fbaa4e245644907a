"""kill -9 mid-compose: the next start offers the draft back, typed up to a second before."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from smartlead_tui.outbox.store import STORE_FILENAME, Store
from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


def saved_draft_bodies(home: Path) -> list[str]:
    """The draft bodies on disk right now, read as the next start would (the app still runs)."""
    bodies: list[str] = []
    for path in sorted((home / "data").rglob(STORE_FILENAME)):
        with Store(path) as store:
            drafts = store.list_drafts()
        bodies.extend(str(draft.fields.get("body", "")) for draft in drafts)
    return bodies


def wait_for_saved_draft(home: Path, text: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    bodies: list[str] = []
    while time.monotonic() < deadline:
        bodies = saved_draft_bodies(home)
        if any(text in body for body in bodies):
            return
        time.sleep(0.1)
    raise AssertionError(f"no draft containing {text!r} saved within {timeout} s: {bodies!r}")


def test_draft_survives_kill_9(tmp_path: Path) -> None:
    session = TmuxSession(tmp_path, width=80, height=24)
    try:
        session.start("--demo")
        session.wait_for("20 conversations")
        session.keys("r")  # reply to the newest conversation
        session.wait_for("Review & send")
        session.type("Thanks, this part is saved")
        session.wait_for("Thanks, this part is saved")
        # The autosave promise: at most the last second of typing is lost. How long tmux, the
        # app and SQLite take on a loaded machine is not the point, so wait for the save itself.
        wait_for_saved_draft(tmp_path, "Thanks, this part is saved")
        session.type(" and maybe not this")
        os.kill(session.app_pid(), signal.SIGKILL)
        session.wait_for("EXITED:")
    finally:
        session.close()

    again = TmuxSession(tmp_path, width=80, height=24)
    try:
        again.start("--demo")
        again.wait_for("Recovered from the last session")
        again.wait_for("DRAFT")
        again.keys("Enter")  # open the draft in the composer
        screen = again.wait_for("Thanks, this part is saved")
        assert "Draft restored" in screen
    finally:
        again.close()
