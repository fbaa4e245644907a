"""A paste from a terminal, with its ESC sequences, in a real terminal: it arrives whole, every
control character is named and drawn as a picture, and ctrl+l strips them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[TmuxSession]:
    started = TmuxSession(tmp_path, width=80, height=24, term="xterm")
    yield started
    started.close()


def paste(session: TmuxSession, text: str, folder: Path) -> None:
    """Paste as a terminal does (bracketed paste, the app asked for it)."""
    source = folder / "clipboard.txt"
    source.write_text(text, encoding="utf-8")
    session._tmux("load-buffer", "-b", "clip", str(source))
    session._tmux("paste-buffer", "-p", "-b", "clip", "-t", session.name)


def test_pasted_escape_sequences_are_named_shown_and_stripped(
    session: TmuxSession, tmp_path: Path
) -> None:
    session.start("--demo")
    session.wait_for("20 conversations")
    session.keys("r")
    session.wait_for("Review & send")
    paste(session, "Hi\x07 there \x1b[31mred\x1b[0m done", tmp_path)
    # The ESCs stay in the paste, in place (they used to arrive as typed "^" keys, first).
    session.wait_for_all(
        "Hi␇ there ␛[31mred␛[0m done",
        "U+0007 (BEL) and U+001B (ESC) ×2",
        "^l Strip",
    )
    session.keys("C-l")
    screen = session.wait_for_all("Hi there red done", "Ready: ctrl+s to review")
    assert "Traceback" not in screen
