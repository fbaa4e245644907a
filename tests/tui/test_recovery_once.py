"""Recovery is offered once, for a crash only, and never over a composer; Drafts lists the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import OptionList

from smartlead_tui.config import Settings
from smartlead_tui.outbox.sender import draft_key_for
from smartlead_tui.outbox.sessions import SessionMarks
from smartlead_tui.outbox.store import Store
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.drafts import DraftsScreen
from smartlead_tui.tui.screens.recovery import RecoveryScreen
from tests.prefill import thread_prefill
from tests.tui.test_compose import (
    SIZE,
    body_of,
    compose_shown,
    make_app,
    open_compose,
    recovery_shown,
    static_text,
    type_text,
    wait_for,
)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


def thread(server: SandboxServer, stats_id: str | None = None) -> dict[str, Any]:
    prefill = thread_prefill(server)
    return {**prefill, "email_stats_id": stats_id} if stats_id else prefill


async def leave_a_draft(
    server: SandboxServer, store_path: Path, drafts: dict[str, str], *, crash: bool
) -> None:
    """One session that types a draft per thread (stats id -> body), then quits or dies."""
    app = make_app(server, store_path)
    with pytest.MonkeyPatch.context() as patch:
        if crash:  # kill -9: the clean-exit step never runs
            patch.setattr(SessionMarks, "end", lambda self: None)
        async with app.run_test(size=SIZE) as pilot:
            for index, (stats_id, body) in enumerate(drafts.items()):
                await open_compose(pilot, thread(server, stats_id))
                await type_text(pilot, body)
                if crash and index == len(drafts) - 1:
                    await pilot.pause(1.2)  # autosaved while typing; it dies with it open
                    break
                await pilot.press("escape")  # leaving saves the draft (closed on purpose)
                await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen))
    with Store(store_path) as store:
        assert len(store.list_drafts()) >= len(drafts)


async def settled(pilot: Pilot[Any]) -> None:
    """Start-up finished: the first frame is painted and the screen stack is quiet."""
    await wait_for(pilot, lambda: pilot.app.crash_guard.armed)  # type: ignore[attr-defined]
    await pilot.pause()


def lines(screen: Any, selector: str) -> list[str]:
    listing = screen.query_one(selector, OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_a_draft_left_on_purpose_is_not_offered_but_listed(
    server: SandboxServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    await leave_a_draft(server, store_path, {"": "Left here on purpose"}, crash=False)
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert not any(isinstance(s, RecoveryScreen) for s in app.screen_stack)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, DraftsScreen))
        (line,) = lines(app.screen, "#drafts-list")
        assert line.startswith("DRAFT") and "Left here on purpose" in line
        await pilot.press("enter")
        screen = await compose_shown(pilot)
        assert body_of(screen) == "Left here on purpose"
        assert "Draft restored" in static_text(screen, "#banner")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Drafts" in commands


async def test_drafts_screen_discards_only_on_a_second_x(
    server: SandboxServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    await leave_a_draft(server, store_path, {"": "Keep me", "t2": "Drop me"}, crash=False)
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        app.action_drafts()
        await wait_for(pilot, lambda: isinstance(app.screen, DraftsScreen))
        screen = app.screen
        assert "Drop me" in lines(screen, "#drafts-list")[0]  # newest first
        await pilot.press("x")
        assert "Press x again to discard" in static_text(screen, "#drafts-help")
        await pilot.press("down", "up")  # any other key keeps it
        assert "Press x again" not in static_text(screen, "#drafts-help")
        await pilot.press("x", "x")
        await wait_for(pilot, lambda: len(lines(screen, "#drafts-list")) == 1)
        assert "Keep me" in lines(screen, "#drafts-list")[0]
    with Store(store_path) as store:
        assert [d.fields["body"] for d in store.list_drafts()] == ["Keep me"]


async def test_a_crash_draft_is_offered_once(server: SandboxServer, tmp_path: Path) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    await leave_a_draft(server, store_path, {"": "Older, left on purpose"}, crash=False)
    await leave_a_draft(server, store_path, {"t2": "Typed when it died"}, crash=True)
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        recovery = await recovery_shown(pilot)
        (line,) = lines(recovery, "#recovery-list")
        assert "Typed when it died" in line  # not the draft left on purpose
        await pilot.press("escape")  # later
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert not any(isinstance(s, RecoveryScreen) for s in app.screen_stack)
    with Store(store_path) as store:
        assert len(store.list_drafts()) == 2  # both kept, listed in Drafts


async def test_recovery_never_covers_the_compose_command(
    server: SandboxServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    drafts = {"": "Restored by compose", "t2": "The other one"}
    await leave_a_draft(server, store_path, drafts, crash=True)
    settings = dataclasses.replace(
        Settings(), api_key=server.api_key, base_url=server.base_url, timezone="Europe/Berlin"
    )
    app = SmartleadApp(
        settings, demo=True, store_path=store_path, home="connection", compose=thread(server)
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = await compose_shown(pilot)
        await settled(pilot)
        assert app.screen is screen
        assert not any(isinstance(s, RecoveryScreen) for s in app.screen_stack)
        assert body_of(screen) == "Restored by compose"
        await type_text(pilot, " and more")  # keys go to the composer, not a modal
        assert body_of(screen) == "Restored by compose and more"
        await pilot.press("escape")
        recovery = await recovery_shown(pilot)  # now, over the screen below
        (line,) = lines(recovery, "#recovery-list")
        assert "The other one" in line  # not the draft the composer already showed
    with Store(store_path) as store:
        draft = store.load_draft(draft_key_for(thread(server)))
    assert draft is not None and draft.fields["body"] == "Restored by compose and more"


async def test_keys_typed_before_the_modal_showed_do_nothing_in_it(
    server: SandboxServer, tmp_path: Path
) -> None:
    """`s` of a word typed at start must not "send now" a held reply the person never saw."""
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=60)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SessionMarks, "end", lambda self: None)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_compose(pilot, {**thread(server), "body": "Held when it died"})
            await pilot.press("ctrl+s", "enter")
            await wait_for(pilot, lambda: screen.phase == "held")
    app = make_app(server, store_path, undo_seconds=60)
    typed_at_start = [events.Key(ch, ch) for ch in "sd"]  # stamped as the app starts
    async with app.run_test(size=SIZE) as pilot:
        recovery = await recovery_shown(pilot)
        for key in typed_at_start:
            app.post_message(key)
        await pilot.pause()
        assert lines(recovery, "#recovery-list")[0].startswith("HELD")
        assert server.posts() == []
        await pilot.press("s")  # pressed with the modal on screen: it sends
        await wait_for(pilot, lambda: len(server.posts("send-email-thread")) == 1)


async def test_an_app_ended_by_an_error_counts_as_a_crash(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Textual's own exit on an exception (strict mode, or errors that keep coming) keeps the
    session's mark: the next start offers the draft back."""
    store_path = tmp_path / "outbox.sqlite3"

    def broken(self: ComposeScreen) -> None:
        raise RuntimeError("fatal bug")

    app = make_app(server, store_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ComposeScreen, "action_toggle_advanced", broken)
        with pytest.raises(RuntimeError, match="fatal bug"):
            async with app.run_test(size=SIZE) as pilot:
                await open_compose(pilot, thread(server))
                await type_text(pilot, "Typed before the fatal bug")
                app.screen.keep_draft()  # type: ignore[attr-defined]
                await pilot.press("ctrl+t")
                await pilot.pause()
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        recovery = await recovery_shown(pilot)
        (line,) = lines(recovery, "#recovery-list")
        assert "Typed before the fatal bug" in line


async def test_a_draft_closed_on_purpose_before_the_crash_is_not_offered(
    server: SandboxServer, tmp_path: Path
) -> None:
    """Fresh-eyes trial: after a crash "5 drafts were being written" when only one was; the
    others had been closed with escape earlier in that session."""
    store_path = tmp_path / "outbox.sqlite3"
    drafts = {"t1": "Closed with escape", "t2": "Also closed", "t3": "Open when it died"}
    await leave_a_draft(server, store_path, drafts, crash=True)
    app = make_app(server, store_path)
    async with app.run_test(size=SIZE) as pilot:
        recovery = await recovery_shown(pilot)
        (line,) = lines(recovery, "#recovery-list")
        assert "Open when it died" in line
        assert "1 draft was being written" in static_text(recovery, "#recovery-intro")
    with Store(store_path) as store:
        assert len(store.list_drafts()) == 3  # all kept: the closed ones are in Drafts (F3)


def test_the_recovery_intro_counts_in_words() -> None:
    """Issue 11 fresh-eyes: "1 draft(s) were" / "1 reply(ies) were" read as a machine's."""
    from smartlead_tui.wording import plural

    assert plural(1, "1 draft was", "{count} drafts were") == "1 draft was"
    assert plural(3, "1 reply was", "{count} replies were") == "3 replies were"
