"""ctrl+q with a reply held or in flight: it asks, or says what it waits for; nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from smartlead_tui.outbox.sender import draft_key_for
from smartlead_tui.outbox.store import Store
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.quit_confirm import QuitScreen
from smartlead_tui.tui.widgets.reply_sender import SendDriver
from tests.prefill import thread_prefill
from tests.tui.test_compose import SIZE, FakeClock, make_app, open_compose, static_text, wait_for


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


async def hold_a_reply(pilot: Pilot[Any], server: SandboxServer) -> ComposeScreen:
    screen = await open_compose(pilot, {**thread_prefill(server), "body": "Held at quit"})
    await pilot.press("ctrl+s", "enter")
    await wait_for(pilot, lambda: screen.phase == "held")
    return screen


def fake_clock(app: SmartleadApp) -> FakeClock:
    clock = FakeClock()
    app.send_driver = SendDriver(app, clock=clock)
    app.send_driver.start()
    return clock


async def quit_screen(pilot: Pilot[Any], app: SmartleadApp) -> QuitScreen:
    await pilot.press("ctrl+q")
    await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
    return app.screen  # type: ignore[return-value]


def states(store_path: Path) -> list[str]:
    with Store(store_path) as store:
        return [entry.state for entry in store.list_entries()]


async def test_quit_in_the_undo_window_asks_and_can_keep_a_draft(
    server: SandboxServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        fake_clock(app)
        await hold_a_reply(pilot, server)
        screen = await quit_screen(pilot, app)
        text = static_text(screen, "#quit-text")
        assert "A reply is held in the undo window and NOT sent yet" in text
        assert "goes in 30 s" in text
        assert "d  keep it as a draft (not sent), then quit" in static_text(screen, "#quit-keys")
        await pilot.press("escape")  # don't quit: still held, still counting down
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen))
        assert not app._exit and app.send_driver.held_ids
        await quit_screen(pilot, app)
        await pilot.press("d")
        await wait_for(pilot, lambda: bool(app._exit))
    assert server.posts() == []
    assert states(store_path) == ["cancelled"]
    with Store(store_path) as store:
        draft = store.load_draft(draft_key_for(thread_prefill(server)))
    assert draft is not None and draft.fields["body"] == "Held at quit"


async def test_quit_send_now_sends_then_quits(server: SandboxServer, tmp_path: Path) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        fake_clock(app)
        await hold_a_reply(pilot, server)
        await quit_screen(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(app._exit))
    assert len(server.posts("send-email-thread")) == 1
    assert states(store_path) == ["queued"]


async def test_quit_wait_lets_the_window_run_out(server: SandboxServer, tmp_path: Path) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        clock = fake_clock(app)
        await hold_a_reply(pilot, server)
        screen = await quit_screen(pilot, app)
        await pilot.press("w")
        await wait_for(pilot, lambda: "goes in 30 s." in static_text(screen, "#quit-text"))
        assert "Waiting: the reply to" in static_text(screen, "#quit-text")
        assert server.posts() == []
        clock.advance(30)
        await wait_for(pilot, lambda: bool(app._exit))
    assert len(server.posts("send-email-thread")) == 1
    assert states(store_path) == ["queued"]


async def test_quit_while_sending_says_it_waits_for_smartlead(
    server: SandboxServer, tmp_path: Path
) -> None:
    server.add_fault("slow", method="POST", delay=3.0)
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, read_timeout_seconds=15.0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, {**thread_prefill(server), "body": "In flight"})
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "sending")
        quitting = await quit_screen(pilot, app)
        text = static_text(quitting, "#quit-text")
        assert "Waiting for SmartLead's answer about the reply to" in text
        assert "it gives up after 15 s" in text
        assert "The app quits as soon as SmartLead has answered." in text
        await wait_for(pilot, lambda: bool(app._exit), timeout=15)
    assert states(store_path) == ["queued"]


async def test_quit_stays_open_when_the_reply_did_not_go(
    server: SandboxServer, tmp_path: Path
) -> None:
    server.add_fault("422", method="POST")
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        fake_clock(app)
        await hold_a_reply(pilot, server)
        screen = await quit_screen(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.phase == "stopped")
        assert not app._exit
        assert "Not quitting: a reply did not go out as planned" in static_text(
            screen, "#quit-text"
        )
        await pilot.press("ctrl+q")  # nothing pending any more: quits
        await wait_for(pilot, lambda: bool(app._exit))
    assert states(store_path) == ["send-failed"]


async def test_the_undo_window_waits_while_the_quit_question_is_open(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Reading the question past the end of the window must not send the reply and quit."""
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=10)
    async with app.run_test(size=SIZE) as pilot:
        clock = fake_clock(app)
        await hold_a_reply(pilot, server)
        clock.advance(4)
        screen = await quit_screen(pilot, app)
        clock.advance(60)  # the person reads, thinks, looks away
        await pilot.pause(0.5)  # several driver ticks
        assert server.posts() == [] and not app._exit
        assert "goes in 6 s" in static_text(screen, "#quit-text")
        assert "waits for your answer" in static_text(screen, "#quit-text")
        await pilot.press("escape")  # stay: the window goes on from where it stopped
        await wait_for(pilot, lambda: not isinstance(app.screen, QuitScreen))
        (held,) = app.send_driver.held_ids
        assert 5.5 < (app.send_driver.remaining(held) or 0) <= 6
        clock.advance(7)
        await wait_for(pilot, lambda: len(server.posts()) == 1)
        assert not app._exit
    assert states(store_path) == ["queued"]
