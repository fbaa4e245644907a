"""Placeholder home screen: where the app is connected, and a connection check.

The inbox (a later issue) replaces it as the home screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from smartlead_tui.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from smartlead_tui.tui.app import SmartleadApp


class HomeScreen(Screen[None]):
    """Shows the connection (key masked) and checks it without side effects."""

    DEFAULT_CSS = """
    HomeScreen #home { padding: 1 2; height: auto; }
    HomeScreen #connection { margin-bottom: 1; }
    HomeScreen #check-result { margin-top: 1; }
    HomeScreen .demo-badge { color: $warning; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "check_connection", "Check connection", id="home.check-connection"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(id="connection", markup=False)
            yield Static(
                "Inbox, compose and the live status panel arrive in the next releases.\n"
                "Press c to check the connection, F1 for help, ctrl+q to quit.",
                markup=False,
            )
            yield Static(id="check-result", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_connection()

    def on_settings_changed(self) -> None:
        self._show_connection()
        self.query_one("#check-result", Static).update("")

    def _show_connection(self) -> None:
        app: SmartleadApp = self.app  # type: ignore[assignment]
        from smartlead_tui.config import mask_key

        settings = app.settings
        where = "demo sandbox on 127.0.0.1 (no account needed)" if app.demo else settings.base_url
        lines = [
            f"Connected to: {where}",
            f"API key:      {mask_key(settings.api_key)} (from {settings.api_key_source})",
            f"Send endpoint: {settings.send_endpoint}",
        ]
        if settings.profile:
            lines.append(f"Profile:      {settings.profile}")
        self.query_one("#connection", Static).update("\n".join(lines))
        self.sub_title = "DEMO" if app.demo else (settings.profile or "")

    def action_check_connection(self) -> None:
        self.query_one("#check-result", Static).update("Checking…")
        self.check_connection()

    @work(exclusive=True, group="check-connection")
    async def check_connection(self) -> None:
        from smartlead_tui.api.client import check_connection

        app: SmartleadApp = self.app  # type: ignore[assignment]
        ok, message = await check_connection(app.client)
        mark = "✓" if ok else "✗"
        self.query_one("#check-result", Static).update(f"{mark} {message}")
