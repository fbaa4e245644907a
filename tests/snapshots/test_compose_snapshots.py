"""Snapshots of the compose screen (empty, filled, with errors) and the review modal.

Deterministic: the sandbox seed and the composer's clock are fixed, cursors do not blink, the
store is a fresh file, and nothing on screen shows a port or the current time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from tests.prefill import thread_prefill

FIXED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(now=lambda: FIXED) as sandbox:
        yield sandbox


def make_app(server: SandboxServer, tmp_path: Path) -> SmartleadApp:
    settings = dataclasses.replace(
        Settings(),
        api_key=server.api_key,
        base_url=server.base_url,
        timezone="Europe/Berlin",
        undo_seconds=10,
        add_signature=True,
    )
    return SmartleadApp(
        settings, demo=True, store_path=tmp_path / "outbox.sqlite3", home="connection"
    )


def filled(server: SandboxServer) -> dict[str, Any]:
    return {
        **thread_prefill(server),
        "cc": "ana.lopez@pagosrapidos.mx",
        "bcc": "crm@ourco.example",
        "schedule_text": "2026-12-01 19:30",
        "body": "Hola José,\n\nTuesday 10:00 works. [agenda] attached.\n\nBest,\nSam",
        "attachments": [
            {
                "file_url": "https://files.ourco.example/agenda.pdf",
                "file_name": "agenda.pdf",
                "file_type": "application/pdf",
            }
        ],
    }


def with_errors(server: SandboxServer) -> dict[str, Any]:
    return {
        **thread_prefill(server),
        "to_email": "jose@",
        "cc": "bob@, ana@x.mx, ana@x.mx",
        "schedule_text": "someday",
        "body": "Hi {{first_name}}, about %COMPANY%",
    }


def opener(fields: dict[str, Any] | None, *keys: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        app.push_screen(ComposeScreen(fields, clock=lambda: FIXED))
        await pilot.pause()
        await pilot.pause()
        for widget in app.screen.query(Input):
            widget.cursor_blink = False
        for area in app.screen.query(TextArea):
            area.cursor_blink = False
        if keys:
            await pilot.press(*keys)
        await pilot.pause()
        app.clear_notifications()  # toasts time out; the screen under them is the subject
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_compose_empty(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(server, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=opener(None))


@pytest.mark.parametrize("size", SIZES)
def test_compose_filled(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(server, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=opener(filled(server)))


@pytest.mark.parametrize("size", SIZES)
def test_compose_with_errors(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(server, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=opener(with_errors(server), "ctrl+s"))


@pytest.mark.parametrize("size", SIZES)
def test_review_modal(
    snap_compare: Any, server: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(server, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=opener(filled(server), "ctrl+s"))
