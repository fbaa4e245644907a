"""kill -9 mid-compose: the next start offers the draft back, typed up to a second before."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


def test_draft_survives_kill_9(tmp_path: Path) -> None:
    session = TmuxSession(tmp_path, width=80, height=24)
    try:
        session.start("--demo")
        session.wait_for("20 conversations")
        session.keys("r")  # reply to the newest conversation
        session.wait_for("Review & send")
        session.type("Thanks, this part is saved")
        time.sleep(1.2)  # the autosave promise: at most the last second of typing is lost
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
