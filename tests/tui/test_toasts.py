"""Toasts at 80x24: few at once, newest of a kind replaces the older, the app's own words."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._toast import Toast

from smartlead_tui.api.errors import CONFIG_HINT
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.toasts import MAX_TOASTS
from tests.tui.test_home import make_app


async def test_toasts_never_stack_up_over_the_screen(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Three toasts in a row used to cover half the inbox at 80x24."""
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.clear_notifications()
        for n in range(3):
            app.notify(f"Delivered: reply {n}.", title="Outbox")
        app.notify("Reply to Ana was not sent.", title="Send failed", severity="error")
        app.notify("Not switched: a reply is held.", severity="warning")
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert len(shown) <= MAX_TOASTS == 2
        # The newest news and the error survive; "Delivered" goes first.
        assert shown == ["Reply to Ana was not sent.", "Not switched: a reply is held."]
        await pilot.pause()
        assert len(app.screen.query(Toast)) <= MAX_TOASTS


async def test_same_kind_replaces_the_older_one(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.clear_notifications()
        app.notify("first", title="Outbox")
        app.notify("unrelated", title="Sent")
        await pilot.pause()
        app.notify("second", title="Outbox")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["unrelated", "second"]


async def test_toasts_give_the_app_key_not_the_shell_command(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """A 401 inside the TUI said "check it with `smartlead-tui config`" instead of F2."""
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        app.notify(f"SmartLead rejected the API key (401). {CONFIG_HINT}", severity="error")
        await pilot.pause()
        [message] = [n.message for n in app._notifications if "401" in n.message]
        assert message == "SmartLead rejected the API key (401). Check it in Settings (F2)."


async def test_every_config_warning_at_start_is_shown(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """One toast per warning would have each replace the one before (same kind)."""
    app = make_app(sandbox, tmp_path)
    app.startup_warnings = ["unknown key 'x' (ignored)", "keymap.foo: no key binding has the id"]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        [toast] = [n for n in app._notifications if n.title == "Configuration"]
        assert "unknown key 'x'" in toast.message and "keymap.foo" in toast.message
