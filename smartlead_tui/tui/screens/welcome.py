"""First run: connect a SmartLead account, or carry on in demo mode. Never a blank screen."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from smartlead_tui.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from smartlead_tui.tui.app import SmartleadApp


class WelcomeScreen(Screen[None]):
    """Shown when no API key is configured; the demo sandbox is already running beneath it."""

    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen #welcome {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 2;
    }
    WelcomeScreen #welcome-title { text-style: bold; color: $primary; margin-bottom: 1; }
    WelcomeScreen #key-input { margin: 1 0 0 0; }
    WelcomeScreen #welcome-buttons { height: auto; margin-top: 1; }
    WelcomeScreen #welcome-buttons Button { margin-right: 2; }
    WelcomeScreen #key-result { height: auto; }
    WelcomeScreen #key-result.-error { color: $error; }
    WelcomeScreen #key-result.-ok { color: $success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "demo", "Continue in demo", id="welcome.demo"),
        Binding("ctrl+s", "save_untested", "Save without testing", id="welcome.save-untested"),
    ]

    def compose(self) -> ComposeResult:
        app: SmartleadApp = self.app  # type: ignore[assignment]
        path = app.account_settings.config_path
        with VerticalScroll(id="welcome"):
            yield Static("Welcome to smartlead-tui", id="welcome-title")
            yield Static(
                "Paste your SmartLead API key (SmartLead: Settings → API key) and press "
                f"enter. It is tested, then saved to {path} (mode 0600) and never shown "
                "in full.\n"
                "Or press escape to try the demo: a built-in sandbox with a day's worth of "
                "conversations, no account needed.",
                markup=False,
            )
            yield Input(placeholder="SmartLead API key", password=True, id="key-input")
            yield Static("", id="key-result", markup=False)
            with Horizontal(id="welcome-buttons"):
                yield Button("Test and save", id="test-save", variant="primary")
                yield Button("Continue in demo mode", id="continue-demo")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#key-input", Input).focus()

    def _result(self, text: str, *, ok: bool | None = None) -> None:
        result = self.query_one("#key-result", Static)
        result.update(text)
        result.set_class(ok is False, "-error")
        result.set_class(ok is True, "-ok")

    def _key(self) -> str:
        return self.query_one("#key-input", Input).value.strip()

    @on(Input.Submitted, "#key-input")
    @on(Button.Pressed, "#test-save")
    def test_and_save(self) -> None:
        key = self._key()
        if not key:
            self._result("Paste your API key first (or press escape for demo mode).", ok=False)
            return
        if any(ch.isspace() for ch in key):
            self._result("An API key is one word: it has a space or line break in it.", ok=False)
            return
        self._result("Testing the key against SmartLead…")
        self.connect(key, test=True)

    @on(Button.Pressed, "#continue-demo")
    def action_demo(self) -> None:
        self.dismiss()
        self.app.notify(
            "Demo mode: replies go to a built-in sandbox. Press F2 to add your API key later.",
            title="Demo",
        )

    def action_save_untested(self) -> None:
        key = self._key()
        if key:
            self.connect(key, test=False)

    @work(exclusive=True, group="welcome-connect")
    async def connect(self, key: str, *, test: bool) -> None:
        """Test (optionally), save, then switch the app from the sandbox to the account."""
        from smartlead_tui.api.client import check_connection
        from smartlead_tui.api.errors import CONFIG_HINT
        from smartlead_tui.config import ConfigError, load_settings, save_settings_values
        from smartlead_tui.tui.app import make_client

        app: SmartleadApp = self.app  # type: ignore[assignment]
        account = dataclasses.replace(app.account_settings, api_key=key)
        if test:
            client = make_client(account)
            try:
                ok, message = await check_connection(client)
            finally:
                await client.aclose()
            if not ok:
                # The client's advice to run `smartlead-tui config` is for the shell; here the
                # person is typing the key right now.
                message = message.replace(CONFIG_HINT, "").strip()
                self._result(
                    f"✗ {message}\nCheck the key (or the network) and press enter again, or "
                    "ctrl+s to save it untested.",
                    ok=False,
                )
                return
        try:
            save_settings_values(account.config_path, {"api_key": key}, profile=account.profile)
            settings, _warnings = load_settings(account.config_path, profile=account.profile)
        except ConfigError as exc:
            self._result(f"✗ Could not save the key: {exc}", ok=False)
            return
        # --base-url on the command line is not in the file: keep the URL that was tested.
        settings = dataclasses.replace(settings, base_url=account.base_url)
        await app.apply_settings(settings, demo=False)
        self.dismiss()
        app.notify(
            f"Connected. Key saved to {account.config_path}.", title="SmartLead", markup=False
        )
