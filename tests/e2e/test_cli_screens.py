"""`smartlead-tui compose ...` and `--screen outbox` open the TUI where they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartlead_tui.sandbox.seed import SeedData
from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


def test_compose_command_opens_the_composer_prefilled(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    ref = SeedData(base_time=datetime.now(UTC)).first_reply()  # same seed as the demo sandbox
    session = TmuxSession(tmp_path, width=120, height=40)
    try:
        session.start(
            f"--demo compose --campaign-id {ref.campaign_id} --email-stats-id {ref.stats_id} "
            f"--to {ref.from_email} --cc ana@example.com --body 'Hola, prefilled from the shell'"
        )
        session.wait_for("prefilled from the shell")
        session.wait_for(ref.from_email)
        screen = session.wait_for("ana@example.com")
        assert "Traceback" not in screen
        session.keys("Escape")
        session.keys("C-q")
        session.wait_for("EXITED:0")
    finally:
        session.close()


def test_screen_outbox_starts_on_the_status_panel(tmp_path: Path) -> None:
    session = TmuxSession(tmp_path, width=80, height=24)
    try:
        session.start("--demo --screen outbox")
        screen = session.wait_for("live status")
        assert "Outbox" in screen
        session.keys("Escape")
        session.wait_for("20 conversations")
        session.keys("C-q")
        session.wait_for("EXITED:0")
    finally:
        session.close()


def test_compose_usage_error_exits_2(tmp_path: Path) -> None:
    session = TmuxSession(tmp_path)
    try:
        session.start("--demo compose --body-file -")
        screen = session.wait_for("EXITED:2")
        assert "the TUI needs the terminal" in screen
    finally:
        session.close()
