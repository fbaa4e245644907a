"""Replying in a row: the composer is built once and refilled, and a send returns to the inbox.

Issue 11, items 10 and 11: `r` rebuilt the whole form every time (the slowest step of the day),
and after a send the person stayed on the compose screen and needed two more keys to move on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.review import ReviewScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.widgets.reply_sender import SendDriver
from tests.tui.test_compose import FakeClock
from tests.tui.test_inbox import (
    FIXED_NOW,
    InboxTestApp,
    jump_to,
    loaded,
    make_app,
    wait_until,
)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(now=lambda: FIXED_NOW) as sandbox:
        yield sandbox


async def test_the_composer_is_built_once_and_refilled_clean(
    server: SandboxServer, tmp_path: Path
) -> None:
    """A second `r` shows the same screen object, with the second thread's fields only."""
    app = make_app(server, tmp_path, cls=InboxTestApp, undo_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        inbox = await loaded(pilot)
        first_key, second_key = inbox.table.ordered_keys()[:2]
        jump_to(inbox, first_key)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await wait_until(pilot, lambda: composer.focused is composer.query_one("#body"))
        await pilot.press(*"First lead only")
        composer.query_one("#attach-url", Input).value = "https://files.example.com/half-typed"
        first_to = composer.form.get_fields()["to_email"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)

        jump_to(inbox, second_key)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen is composer)  # reused, not rebuilt
        await wait_until(pilot, lambda: composer.focused is composer.query_one("#body"))
        fields = composer.form.get_fields()
        assert fields["to_email"] != first_to
        assert fields["body"] == ""
        assert composer.query_one("#attach-url", Input).value == ""
        assert composer.phase == "edit" and not composer.form.disabled
        await pilot.press("ctrl+z")  # nothing of the first lead's reply comes back
        assert composer.query_one("#body", TextArea).text == ""

        # The first thread's draft was kept and comes back on its own composer.
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is inbox)
        jump_to(inbox, first_key)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen is composer)
        await wait_until(pilot, lambda: composer.form.get_fields()["body"] == "First lead only")
        assert "Draft restored" in str(composer.query_one("#banner").render())


async def test_a_send_returns_to_the_inbox_and_u_still_undoes(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Review, enter: the inbox is back with the next row selected; `u` there takes it back."""
    app = make_app(server, tmp_path, cls=InboxTestApp, undo_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        clock = FakeClock()  # the undo window does not run out while the test is slow
        app.send_driver = SendDriver(app, clock=clock)
        app.send_driver.start()
        inbox = await loaded(pilot)
        keys = inbox.table.ordered_keys()
        jump_to(inbox, keys[0])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThreadScreen))
        await wait_until(pilot, lambda: app.screen.history_fresh)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await wait_until(pilot, lambda: composer.focused is composer.query_one("#body"))
        await pilot.press(*"Tuesday works")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("enter")

        # Thread and composer are gone; the next conversation waits for enter.
        await wait_until(pilot, lambda: app.screen is inbox)
        assert inbox.table.cursor_key == keys[1]
        assert app.send_driver.held_ids
        assert server.posts("send-email-thread") == []
        undo = app.screen.active_bindings["u"]  # in the footer while the reply is held
        assert undo.binding.action == "undo_send" and undo.enabled

        # u (mashed) takes it back into the composer, unchanged; the extra u's type nothing.
        await pilot.press("u", "u", "u")
        await wait_until(pilot, lambda: app.screen is composer and composer.phase == "edit")
        await pilot.pause()
        assert composer.form.get_fields()["body"] == "Tuesday works"
        assert app.focused is composer.query_one("#body")  # where the person was typing
        assert "nothing was sent" in str(composer.query_one("#banner").render())
        assert not app.send_driver.held_ids
        assert server.posts("send-email-thread") == []

        # Sent again after the undo: still the row after the one answered, none skipped.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is inbox)
        assert inbox.table.cursor_key == keys[1]


async def test_a_send_refused_after_leaving_says_why_when_reopened(
    server: SandboxServer, tmp_path: Path
) -> None:
    """The person is back on the inbox when SmartLead refuses: the toast says where the reply
    is, and `r` on that conversation shows it with the reason, not just "Draft restored"."""
    server.add_fault("500", method="POST", path="send-email-thread")
    app = make_app(server, tmp_path, cls=InboxTestApp, undo_seconds=30)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        clock = FakeClock()
        app.send_driver = SendDriver(app, clock=clock)
        app.send_driver.start()
        inbox = await loaded(pilot)
        first = inbox.table.ordered_keys()[0]
        jump_to(inbox, first)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await wait_until(pilot, lambda: composer.focused is composer.query_one("#body"))
        await pilot.press(*"Refused later")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is inbox)
        clock.advance(31)  # the undo window ends while the person reads the next thread
        await wait_until(pilot, lambda: len(server.posts("send-email-thread")) == 1)
        await wait_until(pilot, lambda: not app.send_driver.busy)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "was not sent" in said and "r on its conversation" in said

        jump_to(inbox, first)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.screen is composer)
        await wait_until(pilot, lambda: composer.form.get_fields()["body"] == "Refused later")
        banner = str(composer.query_one("#banner").render())
        assert banner.startswith("✗ Not sent:") and "server error (500)" in banner, banner
    assert len(server.posts("send-email-thread")) == 1


async def test_a_scheduled_reply_is_announced_as_scheduled_not_sent(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path, cls=InboxTestApp, undo_seconds=0)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        inbox = await loaded(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        composer.query_one("#schedule", Input).value = "in 2h"
        await wait_until(pilot, lambda: composer.focused is composer.query_one("#body"))
        await pilot.press(*"Later today")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is inbox)
        await wait_until(pilot, lambda: any(n.title == "Scheduled" for n in app._notifications))
        (note,) = [n for n in app._notifications if n.title == "Scheduled"]
        assert "scheduled: SmartLead sends it on" in note.message
        assert not any(n.title == "Sent" for n in app._notifications)
