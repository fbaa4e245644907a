"""In a real terminal: ctrl+q in the undo window asks, and a draft kept on purpose is not pushed
at the next start but listed by F3 (issue 11, items 2 and 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_journey import (
    BODY,
    compose_reply,
    demo_entries_unsent,
    sessions,  # noqa: F401 - the fixture
    write_config,
)
from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


def test_ctrl_q_in_the_undo_window_keeps_a_draft_not_offered_again(
    tmp_path: Path,
    sessions: list[TmuxSession],  # noqa: F811
) -> None:
    write_config(tmp_path, undo_seconds=60)
    session = TmuxSession(tmp_path, width=80, height=24, term="xterm")
    sessions.append(session)
    session.start("--demo")
    session.wait_for("20 conversations")
    session.keys("r")
    compose_reply(session)
    session.wait_for("Held: sends in")
    session.keys("C-q")
    screen = session.wait_for_all("Quit smartlead-tui?", "NOT sent yet", "keep it as a draft")
    assert "EXITED" not in screen
    session.keys("d")
    session.wait_for("EXITED:0")
    session.close()
    (entry,) = demo_entries_unsent(tmp_path)
    assert entry.state == "cancelled"

    again = TmuxSession(tmp_path, width=80, height=24, term="xterm")
    sessions.append(again)
    again.start("--demo")
    screen = again.wait_for("20 conversations")
    assert "Recovered from the last session" not in screen  # it was kept on purpose
    again.keys("F3")
    screen = again.wait_for_all("Saved drafts", "DRAFT", "Tuesday 10:00")  # wraps at 80
    again.keys("Enter")
    screen = again.wait_for_all("Review & send", "Draft restored")
    assert BODY in screen
    again.keys("Escape", "C-q")
    again.wait_for("EXITED:0")
