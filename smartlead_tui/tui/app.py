"""The Textual application: screens, global bindings, and the one API client they share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from smartlead_tui import __version__
from smartlead_tui.tui.screens.help import HelpScreen
from smartlead_tui.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from datetime import tzinfo
    from pathlib import Path

    from smartlead_tui.api.client import SmartLeadClient
    from smartlead_tui.config import Settings
    from smartlead_tui.outbox.store import Store


class SmartleadApp(App[int]):
    """Holds settings and the shared client; screens do the arranging and displaying."""

    TITLE = "smartlead-tui"
    SUB_TITLE = f"v{__version__}"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
        Binding("question_mark", "help", "Help", id="help-alt", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        warnings: list[str] | None = None,
        demo: bool = False,
        store_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.startup_warnings = list(warnings or [])
        self.demo = demo
        self._client: SmartLeadClient | None = None
        self._store: Store | None = None
        self._store_path = store_path
        if settings.keymap:
            self.set_keymap(dict(settings.keymap))

    @property
    def client(self) -> SmartLeadClient:
        """Created on first use so start-up does not pay for httpx."""
        if self._client is None:
            from smartlead_tui.api.client import SmartLeadClient
            from smartlead_tui.api.limiter import RequestBudget

            self._client = SmartLeadClient(
                self.settings.api_key or "",
                base_url=self.settings.base_url,
                send_endpoint=self.settings.send_endpoint,  # type: ignore[arg-type]
                budget=RequestBudget(self.settings.requests_per_minute, self.settings.burst_per_2s),
                connect_timeout=self.settings.connect_timeout_seconds,
                read_timeout=self.settings.read_timeout_seconds,
            )
        return self._client

    @property
    def store(self) -> Store:
        """The outbox/draft store (SQLite in the user data dir, or `store_path` in tests)."""
        if self._store is None:
            from smartlead_tui.config import data_dir
            from smartlead_tui.outbox.store import STORE_FILENAME, Store

            path = self._store_path
            if path is None:
                path = (data_dir() / "demo" if self.demo else data_dir()) / STORE_FILENAME
            self._store = Store(path)
        return self._store

    @property
    def timezone(self) -> tzinfo:
        """The zone schedule times are typed and shown in (config `timezone`)."""
        from smartlead_tui.config import resolve_timezone

        return resolve_timezone(self.settings.timezone)

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.push_screen(HomeScreen())
        for warning in self.startup_warnings:
            self.notify(warning, title="Configuration", severity="warning", markup=False)

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._store is not None:
            self._store.close()

    def open_compose(self, prefill: dict[str, Any] | None = None) -> None:
        """Open the compose screen, prefilled for a thread when `prefill` is given."""
        from smartlead_tui.tui.screens.compose import ComposeScreen

        self.push_screen(ComposeScreen(prefill=prefill))

    def open_outbox(self) -> None:
        """Open the live status panel (or return to it if it is already open)."""
        from smartlead_tui.tui.screens.outbox import OutboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, OutboxScreen):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(OutboxScreen())

    def open_inbox(self) -> None:
        """Return to the inbox, the home screen."""
        from smartlead_tui.tui.screens.inbox import InboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(InboxScreen())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_app(settings: Settings, *, warnings: list[str] | None = None, demo: bool = False) -> int:
    app = SmartleadApp(settings, warnings=warnings, demo=demo)
    app.run()
    return app.return_code or 0
