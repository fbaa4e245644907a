"""Settings: every setting editable with validation as you type, a key test, profile switching.

The form edits the *account* settings (not the demo sandbox's), and saves only the values
that were changed, in one atomic write, into the active profile when there is one.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Select, Static, Switch

from smartlead_tui.tui.app import SettingsChanged
from smartlead_tui.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from smartlead_tui.config import Settings
    from smartlead_tui.tui.app import SmartleadApp

#: Settings shown on the screen, in order (the schema's keys minus tables).
EDITABLE = (
    "api_key",
    "api_key_command",
    "base_url",
    "send_endpoint",
    "timezone",
    "add_signature",
    "body_format",
    "notify_bell",
    "default_cc",
    "default_bcc",
    "undo_seconds",
    "requests_per_minute",
    "burst_per_2s",
    "poll_interval_seconds",
    "poll_backoff_cap_seconds",
    "not_found_grace_seconds",
    "discovery_timeout_seconds",
    "connect_timeout_seconds",
    "read_timeout_seconds",
    "theme",
)
TOP_LEVEL = "(top level)"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SettingsScreen(Screen[None]):
    """Edit, validate, test and save the configuration file."""

    #: The app-wide action that leads here: hidden from the footer while here.
    NAV_ACTION = "settings"

    DEFAULT_CSS = """
    SettingsScreen #settings-form { padding: 0 2; }
    SettingsScreen .setting { height: auto; margin-bottom: 1; }
    SettingsScreen .setting Input { background: $boost; }
    SettingsScreen .setting Input:focus { background: $primary 25%; }
    SettingsScreen .setting Label { text-style: bold; }
    SettingsScreen .setting-help { color: $text-muted; }
    SettingsScreen .setting-error { color: $error; display: none; }
    SettingsScreen .setting-error.-shown { display: block; }
    SettingsScreen #file-error { color: $error; border: round $error; padding: 0 1; }
    SettingsScreen #settings-status { height: auto; padding: 0 2; }
    SettingsScreen #settings-status.-error { color: $error; }
    SettingsScreen #settings-status.-ok { color: $success; }
    SettingsScreen Input { width: 100%; }
    SettingsScreen Select { width: 60; max-width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("ctrl+t", "test_connection", "Test connection", id="settings.test"),
        Binding("escape", "close", "Back", id="settings.back"),
    ]

    def __init__(self, *, file_error: str | None = None) -> None:
        super().__init__()
        self.file_error = file_error
        self._initial: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._confirm_discard = False
        self._applying = False
        self._status_text = ""
        self._status_ok: bool | None = None
        self._shown_settings: Settings | None = None

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from smartlead_tui.config import SCHEMA, SEND_ENDPOINTS, mask_key

        app: SmartleadApp = self.app  # type: ignore[assignment]
        account = app.account_settings
        self._shown_settings = account
        yield Header()
        status = Static(self._status_text, id="settings-status", markup=False)
        status.set_class(self._status_ok is False, "-error")
        status.set_class(self._status_ok is True, "-ok")
        yield status
        with VerticalScroll(id="settings-form"):
            if self.file_error:
                yield Static(
                    f"The config file has errors, so it was not loaded:\n{self.file_error}\n\n"
                    "This screen will not overwrite it. Fix it with `smartlead-tui config edit` "
                    "(or your editor), then restart. Meanwhile the app runs in demo mode.",
                    id="file-error",
                    markup=False,
                )
            yield Static(f"Config file: {account.config_path}", markup=False)
            profiles = [(TOP_LEVEL, "")] + [(name, name) for name in account.profiles]
            with Vertical(classes="setting"):
                yield Label("profile")
                yield Select(
                    profiles,
                    value=account.profile or "",
                    allow_blank=False,
                    id="profile",
                    compact=True,
                )
                yield Static(
                    "Which SmartLead account to use (profiles live in the file).",
                    classes="setting-help",
                    markup=False,
                )
            for key in EDITABLE:
                spec = SCHEMA[key]
                value = getattr(account, key)
                with Vertical(classes="setting"):
                    yield Label(key)
                    if key == "api_key":
                        note = f"current: {mask_key(value)}"
                        if account.api_key_source == "env":
                            note += " — from SMARTLEAD_API_KEY, which wins over the file"
                        elif account.api_key_source == "command":
                            note += " — from api_key_command"
                        yield Input(
                            placeholder="type a new key to replace it",
                            password=True,
                            id=f"set-{key}",
                            compact=True,
                        )
                        self._initial[key] = ""
                        help_text = f"{spec.help} ({note})"
                    elif spec.kind == "bool":
                        yield Switch(value=bool(value), id=f"set-{key}")
                        self._initial[key] = "true" if value else "false"
                        help_text = spec.help
                    elif key in ("send_endpoint", "theme"):
                        choices = (
                            SEND_ENDPOINTS
                            if key == "send_endpoint"
                            else sorted(app.available_themes)
                        )
                        current = value if value in choices else choices[0]
                        yield Select(
                            [(c, c) for c in choices],
                            value=current,
                            allow_blank=False,
                            id=f"set-{key}",
                            compact=True,
                        )
                        self._initial[key] = current
                        help_text = spec.help
                    else:
                        text = _as_text(value)
                        yield Input(value=text, id=f"set-{key}", compact=True)
                        self._initial[key] = text
                        help_text = f"{spec.help} Expected: {spec.expected}."
                    yield Static(help_text, classes="setting-help", markup=False)
                    yield Static("", id=f"err-{key}", classes="setting-error", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        if self.file_error:
            self._status("Config file has errors: saving is disabled.", ok=False)

    # -- validation as you type ------------------------------------------------------------------

    def _raw(self, key: str) -> str:
        widget = self.query_one(f"#set-{key}")
        if isinstance(widget, Switch):
            return "true" if widget.value else "false"
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    def _validate(self, key: str) -> None:
        from smartlead_tui.config import ConfigError, validate_setting

        raw = self._raw(key)
        error = ""
        if key == "api_key" and raw == "":
            error = ""  # empty means "keep the current key"
        elif raw.strip() == "" and key in ("api_key_command", "default_cc", "default_bcc"):
            error = ""  # empty means "none"
        else:
            try:
                validate_setting(key, raw)
            except ConfigError as exc:
                error = str(exc)
        label = self.query_one(f"#err-{key}", Static)
        label.update(error)
        label.set_class(bool(error), "-shown")
        if error:
            self._errors[key] = error
        else:
            self._errors.pop(key, None)
        self._confirm_discard = False

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("set-"):
            self._validate(event.input.id.removeprefix("set-"))

    @on(Switch.Changed)
    @on(Select.Changed)
    def _choice_changed(self, event: Switch.Changed | Select.Changed) -> None:
        widget_id = event.control.id or ""
        if widget_id.startswith("set-"):
            self._validate(widget_id.removeprefix("set-"))

    def changed_values(self) -> dict[str, Any]:
        """The typed values of every field that differs from what was loaded."""
        from smartlead_tui.config import validate_setting

        values: dict[str, Any] = {}
        for key in EDITABLE:
            raw = self._raw(key)
            if raw == self._initial.get(key) or key in self._errors:
                continue
            if raw.strip() == "" and key != "api_key":
                values[key] = None  # back to the default
            elif key == "api_key" and raw == "":
                continue
            else:
                values[key] = validate_setting(key, raw)
        return values

    def _status(self, text: str, *, ok: bool | None = None) -> None:
        self._status_text, self._status_ok = text, ok  # kept across a form rebuild
        status = self.query_one("#settings-status", Static)
        status.update(text)
        status.set_class(ok is False, "-error")
        status.set_class(ok is True, "-ok")

    # -- actions ---------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.file_error:
            self._status(
                "Not saved: the config file has errors and is left untouched. "
                "Fix it with `smartlead-tui config edit`.",
                ok=False,
            )
            return
        if self._errors:
            self._status("Not saved: " + "; ".join(self._errors.values()), ok=False)
            return
        values = self.changed_values()
        if not values:
            self._status("Nothing changed.")
            return
        self.save(values)

    @work(exclusive=True, group="settings-save")
    async def save(self, values: dict[str, Any]) -> None:
        from smartlead_tui.config import ConfigError, load_settings, save_settings_values

        app: SmartleadApp = self.app  # type: ignore[assignment]
        account = app.account_settings
        try:
            save_settings_values(account.config_path, values, profile=account.profile)
            settings, warnings = load_settings(account.config_path, profile=account.profile)
        except ConfigError as exc:
            self._status(f"Not saved: {exc}", ok=False)
            return
        if "base_url" not in values:  # keep a --base-url given on the command line
            settings = dataclasses.replace(settings, base_url=account.base_url)
        await self._switch_to(settings, key_changed="api_key" in values)
        names = ", ".join(sorted(values))
        self._status(
            f"Saved {names} to {account.config_path}."
            + (f" Warning: {'; '.join(warnings)}" if warnings else ""),
            ok=True,
        )

    async def _switch_to(self, settings: Settings, *, key_changed: bool) -> None:
        """Apply saved settings, then rebuild the form from them (new "initial" values)."""
        app: SmartleadApp = self.app  # type: ignore[assignment]
        self._applying = True
        try:
            if app.demo and not key_changed:
                app.account_settings = settings  # stay in the demo until asked to leave it
            else:
                await app.apply_settings(settings, demo=not settings.api_key)
            await self._reload_form()
        finally:
            self._applying = False

    async def _reload_form(self) -> None:
        self._initial.clear()
        self._errors.clear()
        self._confirm_discard = False
        await self.recompose()

    def action_test_connection(self) -> None:
        self._status("Testing the connection…")
        self.test_connection()

    @work(exclusive=True, group="settings-test")
    async def test_connection(self) -> None:
        """Test the form's values (saved or not) with a throw-away client."""
        from smartlead_tui.api.client import check_connection
        from smartlead_tui.api.errors import CONFIG_HINT
        from smartlead_tui.config import ConfigError, validate_setting
        from smartlead_tui.tui.app import make_client

        app: SmartleadApp = self.app  # type: ignore[assignment]
        changes: dict[str, Any] = {}
        try:
            for key in ("api_key", "base_url", "connect_timeout_seconds", "read_timeout_seconds"):
                raw = self._raw(key)
                if raw.strip():
                    changes[key] = validate_setting(key, raw)
        except ConfigError as exc:
            self._status(f"✗ {exc}", ok=False)
            return
        candidate = dataclasses.replace(app.account_settings, **changes)
        if not candidate.api_key:
            self._status("✗ No API key to test: type one in api_key.", ok=False)
            return
        try:
            client = make_client(candidate)
        except (ConfigError, ValueError) as exc:
            self._status(f"✗ {exc}", ok=False)
            return
        try:
            ok, message = await check_connection(client)
        finally:
            await client.aclose()
        # The client's advice to run `smartlead-tui config` is for the shell, not this screen.
        message = message.replace(CONFIG_HINT, "Check the API key above.")
        self._status(("✓ " if ok else "✗ ") + message, ok=ok)

    @on(Select.Changed, "#profile")
    def _profile_changed(self, event: Select.Changed) -> None:
        app: SmartleadApp = self.app  # type: ignore[assignment]
        name = str(event.value) or None
        if name == app.account_settings.profile or self.file_error:
            return
        self.switch_profile(name)

    @work(exclusive=True, group="settings-profile")
    async def switch_profile(self, name: str | None) -> None:
        from smartlead_tui.config import ConfigError, load_settings

        app: SmartleadApp = self.app  # type: ignore[assignment]
        try:
            settings, _ = load_settings(app.account_settings.config_path, profile=name)
        except ConfigError as exc:
            self._status(f"✗ Could not switch profile: {exc}", ok=False)
            return
        await self._switch_to(settings, key_changed=True)
        self._status(f"Switched to profile {name or TOP_LEVEL}.", ok=True)

    async def on_settings_changed(self, _message: SettingsChanged) -> None:
        """Settings replaced elsewhere (e.g. the welcome screen): show the new values."""
        app: SmartleadApp = self.app  # type: ignore[assignment]
        if not self._applying and app.account_settings is not self._shown_settings:
            await self._reload_form()

    def action_close(self) -> None:
        dirty = bool(self.changed_values()) or bool(self._errors)
        if dirty and not self._confirm_discard:
            self._confirm_discard = True
            self._status("Unsaved changes: escape again to discard them, ctrl+s to save.", ok=False)
            return
        self.app.pop_screen()
