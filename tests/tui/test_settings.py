"""Welcome (first run) and settings screens, by keys only, against the sandbox."""

from __future__ import annotations

import dataclasses
import stat
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.home import HomeScreen
from smartlead_tui.tui.screens.settings import SettingsScreen
from smartlead_tui.tui.screens.welcome import WelcomeScreen


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMARTLEAD_API_KEY", "SMARTLEAD_BASE_URL", "SMARTLEAD_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def first_run_app(sandbox: SandboxServer, tmp_path: Path) -> SmartleadApp:
    """As the CLI starts it with no key: the demo underneath, the account pointing at `sandbox`."""
    account = Settings(base_url=sandbox.base_url, config_path=tmp_path / "cfg" / "config.toml")
    demo = dataclasses.replace(account, api_key="sandbox-key", api_key_source="demo")
    return SmartleadApp(
        demo,
        demo=True,
        account_settings=account,
        first_run=True,
        store_path=tmp_path / "outbox.sqlite3",
        home="connection",
    )


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


async def test_welcome_wrong_key_then_right_key(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = first_run_app(sandbox, tmp_path)
    config = tmp_path / "cfg" / "config.toml"
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await type_text(pilot, "wrong-key")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(app.screen.query_one("#key-result", Static).content)
        assert "rejected the API key (401)" in result
        assert "smartlead-tui config" not in result  # advice for the shell, not this screen
        assert not config.exists()
        app.screen.query_one("#key-input", Input).value = ""
        await type_text(pilot, sandbox.api_key)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.demo is False
        assert app.settings.api_key == sandbox.api_key
        text = str(app.screen.query_one("#connection", Static).content)
        assert "demo" not in text and sandbox.base_url in text
    assert tomllib.loads(config.read_text())["api_key"] == sandbox.api_key
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


async def test_welcome_escape_continues_in_demo(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = first_run_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        assert app.demo is True
    assert not (tmp_path / "cfg" / "config.toml").exists()


async def test_welcome_empty_key_is_explained(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = first_run_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert "Paste your API key first" in str(
            app.screen.query_one("#key-result", Static).content
        )


def account_app(sandbox: SandboxServer, tmp_path: Path, **changes: object) -> SmartleadApp:
    config = tmp_path / "config.toml"
    settings = Settings(
        api_key=sandbox.api_key,
        api_key_source="file",
        base_url=sandbox.base_url,
        config_path=config,
    )
    settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    return SmartleadApp(settings, store_path=tmp_path / "outbox.sqlite3", home="connection")


async def test_settings_validate_as_you_type_and_save(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = account_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        field = screen.query_one("#set-poll_interval_seconds", Input)
        field.value = "-5"
        await pilot.pause()
        error = str(screen.query_one("#err-poll_interval_seconds", Static).content)
        assert "poll_interval_seconds: expected a positive number" in error
        await pilot.press("ctrl+s")
        assert not (tmp_path / "config.toml").exists()
        field.value = "7"
        screen.query_one("#set-undo_seconds", Input).value = "0"
        await pilot.pause()
        assert str(screen.query_one("#err-poll_interval_seconds", Static).content) == ""
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.settings.poll_interval_seconds == 7
        assert app.settings.undo_seconds == 0
    saved = tomllib.loads((tmp_path / "config.toml").read_text())
    assert saved == {"poll_interval_seconds": 7.0, "undo_seconds": 0}


async def test_settings_test_connection(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = account_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#settings-status", Static).content)
        assert "Connection works" in status
        app.screen.query_one("#set-api_key", Input).value = "bad-key-9999"
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#settings-status", Static).content)
        assert "rejected the API key (401)" in status
        assert "Check the API key above." in status
        assert "bad-key-9999" not in app.export_screenshot()


async def test_settings_escape_with_unsaved_changes_asks_first(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = account_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        app.screen.query_one("#set-timezone", Input).value = "Europe/Berlin"
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, SettingsScreen)
        assert "Unsaved changes" in str(app.screen.query_one("#settings-status", Static).content)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_broken_config_opens_settings_and_is_never_overwritten(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"api_key = 'oops\n")
    settings = Settings(api_key="sandbox-key", base_url=sandbox.base_url, config_path=config)
    app = SmartleadApp(
        settings,
        demo=True,
        config_error="config.toml: invalid TOML at line 1",
        store_path=tmp_path / "outbox.sqlite3",
        home="connection",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#set-undo_seconds", Input).value = "3"
        await pilot.press("ctrl+s")
        status = str(app.screen.query_one("#settings-status", Static).content)
        assert "left untouched" in status
    assert config.read_bytes() == b"api_key = 'oops\n"


async def test_switch_profile(sandbox: SandboxServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'api_key = "{sandbox.api_key}"\nbase_url = "{sandbox.base_url}"\n'
        "[profiles.acme]\nundo_seconds = 30\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    from smartlead_tui.config import load_settings

    settings, _ = load_settings(config)
    app = SmartleadApp(settings, store_path=tmp_path / "outbox.sqlite3", home="connection")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        from textual.widgets import Select

        app.screen.query_one("#profile", Select).value = "acme"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.settings.profile == "acme"
        assert app.settings.undo_seconds == 30
        assert app.screen.query_one("#set-undo_seconds", Input).value == "30"


async def test_first_run_offers_recovery_once_the_welcome_is_answered(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """A crash in the demo must not hide its draft behind the welcome screen forever."""
    from smartlead_tui.outbox.sessions import SessionMarks
    from smartlead_tui.outbox.store import Store
    from smartlead_tui.tui.screens.recovery import RecoveryScreen

    SessionMarks(tmp_path / "outbox.sqlite3").begin()  # a session that died, never ended
    with Store(tmp_path / "outbox.sqlite3") as store:
        store.save_draft("42:st-9", {"body": "half written", "to_email": "ann@example.com"})
    app = first_run_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("escape")
        for _ in range(100):  # pushed after the welcome is dismissed, then composed
            if isinstance(app.screen, RecoveryScreen) and app.screen.query("#recovery-list"):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, RecoveryScreen)
        listing = app.screen.query_one("#recovery-list", OptionList)
        assert "half written" in str(listing.get_option_at_index(0).prompt)


async def test_first_run_says_a_corrupt_outbox_was_moved_aside(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    (tmp_path / "outbox.sqlite3").write_bytes(b"not a database, just bytes" * 100)
    app = first_run_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("escape")
        for _ in range(100):
            if any("moved aside" in str(n.message) for n in app._notifications):
                break
            await pilot.pause(0.05)
        messages = [str(n.message) for n in app._notifications]
        assert any("moved aside" in m for m in messages), messages
    assert list(tmp_path.glob("outbox.sqlite3.corrupt-*"))
