"""Keys typed right after `r`, while the composer is still being built, land in its body."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual import events
from textual.widgets import TextArea

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.inbox import InboxScreen


async def test_typing_straight_after_r_is_not_lost(sandbox: SandboxServer, tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), api_key=sandbox.api_key, base_url=sandbox.base_url)
    app = SmartleadApp(settings, demo=True, store_path=tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            if isinstance(app.screen, InboxScreen) and app.screen.table.current is not None:
                break
            await pilot.pause(0.05)
        # All at once, as a fast typist (or a terminal delivering a burst) sends them.
        for character in "rThanks, v1":  # 'v' and '1' are inbox keys: here they are text
            key = {" ": "space", ",": "comma"}.get(character, character)
            app.post_message(events.Key(key, character))
        for _ in range(60):
            await pilot.pause(0.05)
            if isinstance(app.screen, ComposeScreen):
                body = app.screen.query_one("#body", TextArea)
                if body.text == "Thanks, v1":
                    break
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one("#body", TextArea).text == "Thanks, v1"
