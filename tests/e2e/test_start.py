"""The installed command, started in tmux the way the README says, used with keys only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession, needs_tmux

pytestmark = [needs_tmux, pytest.mark.e2e]


@pytest.fixture
def tmux_factory(tmp_path: Path) -> Iterator[list[TmuxSession]]:
    sessions: list[TmuxSession] = []
    yield sessions
    for session in sessions:
        session.close()


@pytest.mark.parametrize(("size", "term"), [((120, 40), "xterm-256color"), ((80, 24), "xterm")])
def test_first_start_without_a_key_runs_the_demo(
    tmp_path: Path, tmux_factory: list[TmuxSession], size: tuple[int, int], term: str
) -> None:
    session = TmuxSession(tmp_path, width=size[0], height=size[1], term=term)
    tmux_factory.append(session)
    session.start()  # no key, no --demo: the README's first command lands here
    screen = session.wait_for("Welcome to smartlead-tui")
    assert "Traceback" not in screen
    session.keys("Escape")  # continue in demo mode: the inbox, filled from the sandbox
    screen = session.wait_for("20 conversations")
    assert "demo sandbox" in screen
    session.keys("F1")
    session.wait_for("smartlead-tui keys")
    session.keys("Escape")
    session.keys("C-q")
    session.wait_for("EXITED:0")


def test_first_run_wrong_key_then_right_key(
    tmp_path: Path, tmux_factory: list[TmuxSession]
) -> None:
    from smartlead_tui.sandbox import SandboxServer

    with SandboxServer(api_key="sk-e2e-right-key-42") as sandbox:
        session = TmuxSession(
            tmp_path, width=80, height=24, env={"SMARTLEAD_BASE_URL": sandbox.base_url}
        )
        tmux_factory.append(session)
        session.start()
        session.wait_for("Welcome to smartlead-tui")
        session.type("sk-e2e-wrong-key")
        session.keys("Enter")
        screen = session.wait_for("rejected the API key (401)")
        assert "sk-e2e-wrong-key" not in screen
        session.keys("C-u")
        session.type("sk-e2e-right-key-42")
        session.keys("Enter")
        screen = session.wait_for("Key saved")
        assert "sk-e2e-right-key-42" not in screen
        screen = session.wait_for("20 conversations")
        assert "demo sandbox" not in screen
        session.keys("C-q")
        session.wait_for("EXITED:0")
    config = tmp_path / "config" / "smartlead-tui" / "config.toml"
    assert 'api_key = "sk-e2e-right-key-42"' in config.read_text()
    assert config.stat().st_mode & 0o777 == 0o600


def test_bad_config_gives_a_message_not_a_traceback(
    tmp_path: Path, tmux_factory: list[TmuxSession]
) -> None:
    config_dir = tmp_path / "config" / "smartlead-tui"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("api_key = 'unterminated\n", encoding="utf-8")
    session = TmuxSession(tmp_path)
    tmux_factory.append(session)
    session.start("send --campaign-id 1 --email-stats-id x --body hi")
    screen = session.wait_for("EXITED:2")
    assert "invalid TOML at line" in screen and "Traceback" not in screen
