"""How the inbox (loaded, empty, error) and a thread look at the two sizes we promise.

Deterministic: the sandbox seeds its conversations relative to a fixed `now`, the app shows
relative times from the same fixed clock, times are in UTC, and the sandbox's random port is
never on screen ("demo sandbox").
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.events import Mount
from textual.pilot import Pilot

import smartlead_tui.tui.app as app_module
from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.inbox import InboxScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.widgets.message_view import MessageView

FIXED_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SIZES = [(80, 24), (120, 40)]


class SnapshotApp(SmartleadApp):
    """The real app with the inbox as home, a fixed clock and quick retries."""

    CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")
    clock = staticmethod(lambda: FIXED_NOW)

    def on_mount(self, event: Mount) -> None:
        event.prevent_default()
        self.push_screen(InboxScreen())

    @property
    def client(self) -> SmartLeadClient:
        """Retries without the real back-off waits, so the error states show quickly."""
        if self._client is None:
            self._client = SmartLeadClient(
                self.settings.api_key or "", base_url=self.settings.base_url, backoff_base=0.001
            )
        return self._client


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(now=lambda: FIXED_NOW) as sandbox:
        yield sandbox


def make_app(tmp_path: Path, *, base_url: str, api_key: str = "sandbox-key") -> SnapshotApp:
    settings = dataclasses.replace(
        Settings(), api_key=api_key, api_key_source="demo", base_url=base_url, timezone="UTC"
    )
    return SnapshotApp(settings, demo=True, store_path=tmp_path / "outbox.sqlite3")


async def _until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    for _ in range(250):
        if condition():
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the screen never got there")


def _inbox(pilot: Pilot[Any]) -> InboxScreen:
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    return screen


async def _loaded(pilot: Pilot[Any]) -> None:
    await _until(pilot, lambda: isinstance(pilot.app.screen, InboxScreen))
    screen = _inbox(pilot)
    await _until(pilot, lambda: screen.table.row_count > 0 and not screen.busy)


async def _empty(pilot: Pilot[Any]) -> None:
    await _loaded(pilot)
    await pilot.press("slash", *"zzq", "enter")
    screen = _inbox(pilot)
    await _until(pilot, lambda: screen.has_class("placeholder") and not screen.busy)


async def _failed(pilot: Pilot[Any]) -> None:
    await _until(pilot, lambda: isinstance(pilot.app.screen, InboxScreen))
    screen = _inbox(pilot)
    await _until(pilot, lambda: screen.error is not None)


async def _thread(pilot: Pilot[Any]) -> None:
    await _loaded(pilot)
    screen = _inbox(pilot)
    jose = next(key for key, c in screen.table.conversations.items() if c.lead_first_name == "José")
    screen.table.select_key(jose)
    await pilot.press("enter")
    await _until(pilot, lambda: isinstance(pilot.app.screen, ThreadScreen))
    thread = pilot.app.screen
    assert isinstance(thread, ThreadScreen)
    view = thread.query_one(MessageView)
    await _until(pilot, lambda: thread.history_fresh and view.complete)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_loaded(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(tmp_path, base_url=server.base_url)
    assert snap_compare(app, terminal_size=size, run_before=_loaded)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_empty(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(tmp_path, base_url=server.base_url)
    assert snap_compare(app, terminal_size=size, run_before=_empty)


@pytest.mark.parametrize("size", SIZES)
def test_inbox_key_rejected(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(tmp_path, base_url=server.base_url, api_key="wrong-key")
    assert snap_compare(app, terminal_size=size, run_before=_failed)


@pytest.mark.usefixtures("still_countdown")
@pytest.mark.parametrize("size", SIZES)
def test_inbox_unreachable(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    with SandboxServer(now=lambda: FIXED_NOW) as sandbox:
        dead_url = sandbox.base_url  # closed once the block ends: connection refused
    app = make_app(tmp_path, base_url=dead_url)
    assert snap_compare(app, terminal_size=size, run_before=_failed)


@pytest.mark.parametrize("size", SIZES)
def test_thread(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(tmp_path, base_url=server.base_url)
    assert snap_compare(app, terminal_size=size, run_before=_thread)
