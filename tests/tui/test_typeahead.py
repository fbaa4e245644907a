"""Keys typed right after `r`, while the composer is still being built, land in its body."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from textual import events
from textual.widgets import TextArea

import smartlead_tui.tui.app as app_module
from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.inbox import InboxScreen

WAIT_SECONDS = 10.0


async def test_typing_straight_after_r_is_not_lost(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stale type-ahead guard (2 s) is not what this checks; a loaded machine can take that
    # long to build the composer, so it must not drop the keys here. Read at call time.
    monkeypatch.setattr(app_module, "TYPEAHEAD_LIMIT_SECONDS", 600.0)
    settings = dataclasses.replace(Settings(), api_key=sandbox.api_key, base_url=sandbox.base_url)
    app = SmartleadApp(settings, demo=True, store_path=tmp_path / "outbox.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if isinstance(app.screen, InboxScreen) and app.screen.table.current is not None:
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, InboxScreen) and app.screen.table.current is not None
        # All at once, as a fast typist (or a terminal delivering a burst) sends them.
        for character in "rThanks, v1":  # 'v' and '1' are inbox keys: here they are text
            key = {" ": "space", ",": "comma"}.get(character, character)
            app.post_message(events.Key(key, character))
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            if isinstance(app.screen, ComposeScreen):
                body = next(iter(app.screen.query("#body").results(TextArea)), None)
                if body is not None and body.text == "Thanks, v1":
                    break
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one("#body", TextArea).text == "Thanks, v1"
