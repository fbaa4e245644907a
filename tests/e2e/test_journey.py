"""The whole SDR journey with keys only, in a real terminal: read, reply, send, watch it deliver.

The installed `smartlead-tui --demo` runs in tmux against its in-process sandbox, at both
promised sizes and in both a 256-colour and a 16-colour terminal. A second test pulls the plug
(`kill -9`) while a reply sits in the undo window and checks the next start offers it back and
sends it exactly once.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartlead_tui.outbox.store import OutboxEntry, Store
from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]

#: Short enough to fit on one line at 80 columns (captures are matched line by line).
BODY = "Tuesday 10:00 works, e2e"


def write_config(home: Path, **values: int | float) -> None:
    """A private config (0600, or the app warns about it) in the session's XDG_CONFIG_HOME."""
    folder = home / "config" / "smartlead-tui"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text("".join(f"{k} = {v}\n" for k, v in values.items()), encoding="utf-8")
    path.chmod(0o600)


def demo_entries(home: Path) -> list[OutboxEntry]:
    """What the demo outbox holds on disk (read after the app has exited)."""
    paths = list((home / "data").rglob("outbox.sqlite3"))
    assert len(paths) == 1, paths
    with Store(paths[0]) as store:
        entries = store.list_entries(limit=100)
        posts = {e.id: [j for j in store.journal(e.id) if j.state == "sending"] for e in entries}
    for entry in entries:
        assert len(posts[entry.id]) == 1, f"entry {entry.id} was POSTed {len(posts[entry.id])}x"
    return entries


@pytest.fixture
def sessions() -> Iterator[list[TmuxSession]]:
    started: list[TmuxSession] = []
    yield started
    for session in started:
        session.close()


def compose_reply(session: TmuxSession) -> None:
    """From a focused compose screen: type the body, review it, confirm."""
    # The footer shows ctrl+s only once the body has focus: typing before that is lost.
    session.wait_for("Review & send")
    session.type(BODY)
    session.wait_for(BODY)
    session.keys("C-s")
    screen = session.wait_for("Review before sending")
    assert BODY in screen
    session.keys("Enter")


@pytest.mark.parametrize("term", ["xterm-256color", "xterm"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_reply_from_inbox_to_completed(
    tmp_path: Path, sessions: list[TmuxSession], size: tuple[int, int], term: str
) -> None:
    write_config(tmp_path, undo_seconds=1, poll_interval_seconds=1)
    session = TmuxSession(tmp_path, width=size[0], height=size[1], term=term)
    sessions.append(session)
    session.start("--demo")
    screen = session.wait_for("20 conversations")
    assert "demo sandbox" in screen and "Traceback" not in screen
    if term == "xterm":  # 16 colours: no 256-colour or true-colour sequence may reach the pane
        assert not re.search(r"\x1b\[[0-9;]*[34]8;[25];", session.screen_ansi())

    session.keys("Enter")  # open the newest conversation
    session.wait_for_all("conversation 1 of", "REPLY from")
    session.keys("r")
    compose_reply(session)
    # Back on the inbox at once (the thread closed too); the reply goes after its 1 s window.
    session.wait_for("20 conversations")
    screen = session.wait_for("queued.", timeout=20)  # the toast: "Reply to … queued."
    assert "Traceback" not in screen

    session.keys("C-o")
    session.wait_for_all("Outbox", "1 reply")
    screen = session.wait_for("✓ delivered", timeout=30)  # one state: SmartLead says COMPLETED
    assert "1 reply" in screen
    session.keys("C-q")
    session.wait_for("EXITED:0")

    (entry,) = demo_entries(tmp_path)
    assert entry.fields["body"] == BODY
    assert entry.last_status == "COMPLETED"


def test_kill_9_in_the_undo_window_then_send_once(
    tmp_path: Path, sessions: list[TmuxSession]
) -> None:
    write_config(tmp_path, undo_seconds=60, poll_interval_seconds=1)
    session = TmuxSession(tmp_path, width=80, height=24)
    sessions.append(session)
    session.start("--demo")
    session.wait_for("20 conversations")
    session.keys("r")  # straight from the inbox row
    compose_reply(session)
    session.wait_for("u Undo")  # back on the inbox, the reply held
    os.kill(session.app_pid(), signal.SIGKILL)
    session.wait_for("EXITED:")
    session.close()

    again = TmuxSession(tmp_path, width=80, height=24)
    sessions.append(again)
    again.start("--demo")
    again.wait_for_all("Recovered from the last session", "HELD")
    again.keys("s")  # send it now (d would put it back into the drafts)
    again.wait_for("20 conversations")
    again.keys("C-o")
    again.wait_for_all("Outbox", "1 reply")
    screen = again.wait_for("✓ delivered", timeout=30)  # one state: SmartLead says COMPLETED
    assert "1 reply" in screen and "2 replies" not in screen
    again.keys("C-q")
    again.wait_for("EXITED:0")

    (entry,) = demo_entries(tmp_path)  # one entry, POSTed once
    assert entry.fields["body"] == BODY
    assert entry.last_status == "COMPLETED"


def test_kill_9_in_the_undo_window_then_back_to_draft(
    tmp_path: Path, sessions: list[TmuxSession]
) -> None:
    write_config(tmp_path, undo_seconds=60)
    session = TmuxSession(tmp_path, width=80, height=24)
    sessions.append(session)
    session.start("--demo")
    session.wait_for("20 conversations")
    session.keys("r")
    compose_reply(session)
    session.wait_for("u Undo")  # back on the inbox, the reply held
    os.kill(session.app_pid(), signal.SIGKILL)
    session.wait_for("EXITED:")
    session.close()

    again = TmuxSession(tmp_path, width=80, height=24)
    sessions.append(again)
    again.start("--demo")
    again.wait_for_all("Recovered from the last session", "HELD")
    again.keys("d")  # back to the drafts: nothing goes
    again.wait_for_all("Back in the drafts", "DRAFT")  # listed in place of the held line
    again.keys("Enter")  # open it: the draft comes back, body intact
    screen = again.wait_for_all("Review & send", "Draft restored")
    assert BODY in screen
    again.keys("Escape", "C-q")
    again.wait_for("EXITED:0")

    (entry,) = demo_entries_unsent(tmp_path)
    assert entry.state == "cancelled"


def demo_entries_unsent(home: Path) -> list[OutboxEntry]:
    """The outbox on disk, checking that nothing was ever POSTed."""
    paths = list((home / "data").rglob("outbox.sqlite3"))
    assert len(paths) == 1, paths
    with Store(paths[0]) as store:
        entries = store.list_entries(limit=100)
        for entry in entries:
            assert not [j for j in store.journal(entry.id) if j.state == "sending"]
    return entries
