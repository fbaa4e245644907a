"""The placeholder home screen and the help screen, driven by keys through Pilot."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Static

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.help import HelpScreen


def make_app(sandbox: SandboxServer, tmp_path: Path, **changes: object) -> SmartleadApp:
    fields: dict[str, object] = {
        "api_key": sandbox.api_key,
        "api_key_source": "demo",
        "base_url": sandbox.base_url,
    }
    fields.update(changes)
    settings = dataclasses.replace(Settings(), **fields)  # type: ignore[arg-type]
    return SmartleadApp(
        settings, demo=True, store_path=tmp_path / "outbox.sqlite3", home="connection"
    )


async def test_connection_check_reports_a_working_key(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(app.screen.query_one("#check-result", Static).content)
        assert "Connection works" in result
    # (the account's category names are read in the background at start: issue 11 item 1)
    assert [
        r.path for r in sandbox.requests if not r.path.endswith("/leads/fetch-categories")
    ] == ["/api/v1/master-inbox/reply-status"]


async def test_connection_check_reports_a_bad_key(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path, api_key="wrong-key-0000")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(app.screen.query_one("#check-result", Static).content)
        assert "rejected the API key (401)" in result
        assert "wrong-key-0000" not in result


async def test_help_lists_bindings_and_closes_with_escape(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one(Static).content)
        assert "Check connection" in text and "Quit" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_api_key_is_never_on_screen(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path, api_key="sk-live-abcdef123456")
    async with app.run_test(size=(120, 40)):
        assert "sk-live-abcdef123456" not in app.export_screenshot()


async def test_palette_compose_without_a_conversation_explains(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """No blank form asking for ids the person never sees: it says how to get a conversation."""
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        [command] = [c for c in app.get_system_commands(app.screen) if "Compose" in c.title]
        assert command.title == "Compose…"
        command.callback()
        await pilot.pause()
        assert app.screen.__class__.__name__ != "ComposeScreen"
        assert any("select one in the inbox, then press r" in n.message for n in app._notifications)
