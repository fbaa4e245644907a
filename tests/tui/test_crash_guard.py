"""No widget exception takes the app down: the TextArea undo crash, and the guard for the rest."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.widgets import Input, TextArea

from smartlead_tui.outbox.sender import draft_key_for
from smartlead_tui.outbox.store import Store
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.crash_guard import MAX_ERRORS, STRICT_ENV, CrashGuard, install
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.widgets.safe_text_area import SafeTextArea
from tests.prefill import thread_prefill
from tests.tui.test_compose import SIZE, body_of, make_app, open_compose, type_text, wait_for

PASTE = "\n".join(f"line {i} of a long quoted thread" for i in range(30))


@pytest.fixture
def server() -> Any:
    with SandboxServer() as sandbox:
        yield sandbox


def test_the_textual_internals_the_guard_relies_on_exist() -> None:
    """A Textual upgrade that renames these must fail here, not silently drop the guard."""
    assert callable(getattr(MessagePump, "_dispatch_message", None))
    assert callable(getattr(App, "_handle_exception", None))
    assert callable(getattr(TextArea, "_recompute_cursor_offset", None))
    install()
    guarded = MessagePump._dispatch_message
    install()  # idempotent: wrapped once
    assert MessagePump._dispatch_message is guarded
    assert getattr(guarded, "_smartlead_guarded", False)


async def test_undo_of_a_large_paste_does_not_crash(server: SandboxServer, tmp_path: Path) -> None:
    """Textualize/textual#6686: paste 25+ lines at 80x24, ctrl+z. Strict mode: would raise."""
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, thread_prefill(server))
        assert isinstance(app.focused, SafeTextArea)
        app.post_message(events.Paste(PASTE))  # as the terminal sends it
        await wait_for(pilot, lambda: body_of(screen) == PASTE)
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: body_of(screen) == "")
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: body_of(screen) == PASTE)
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: body_of(screen) == "")
        await type_text(pilot, "Still typing")
        assert body_of(screen) == "Still typing"


async def test_unexpected_error_is_a_message_the_draft_is_kept(
    server: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(STRICT_ENV)
    store_path = tmp_path / "outbox.sqlite3"
    prefill = thread_prefill(server)
    app = make_app(server, store_path)

    def broken(self: ComposeScreen) -> None:
        raise RuntimeError("a widget bug")

    monkeypatch.setattr(ComposeScreen, "action_toggle_advanced", broken)
    caplog.set_level(logging.ERROR, logger="smartlead_tui")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_compose(pilot, prefill)
        await type_text(pilot, "Typed just before the bug")
        await pilot.press("ctrl+t")  # the broken action runs in the app's own message loop
        await wait_for(pilot, lambda: bool(app.crash_guard.caught))
        assert not app._exit
        message = str(list(app._notifications)[-1].message)
        assert "Something went wrong inside the app (RuntimeError: a widget bug)" in message
        assert "Your draft is saved and the app keeps running" in message
        with Store(store_path) as other:
            draft = other.load_draft(draft_key_for(prefill))
        assert draft is not None and draft.fields["body"] == "Typed just before the bug"
        records = [r for r in caplog.records if r.name == "smartlead_tui.tui.errors"]
        assert records
        # The traceback is on the record; once the log's redacting filter has run (another test
        # may have set up logging in this process) it is the redacted text, not the exception.
        record = records[0]
        traceback_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        assert "RuntimeError: a widget bug" in traceback_text
        # The app, the composer and its editor all still answer keys.
        await type_text(pilot, " and after it")
        assert body_of(screen) == "Typed just before the bug and after it"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen))
    assert app.return_code in (None, 0)


async def test_a_failing_handler_of_the_composer_keeps_its_loop(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler raising inside the composer's own loop: autosave and keys keep working."""
    monkeypatch.delenv(STRICT_ENV)
    store_path = tmp_path / "outbox.sqlite3"
    prefill = thread_prefill(server)
    app = make_app(server, store_path)
    calls = {"n": 0}
    original = ComposeScreen.on_resize

    def resize_once_broken(self: ComposeScreen, event: events.Resize) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("resize bug")
        original(self, event)

    monkeypatch.setattr(ComposeScreen, "on_resize", resize_once_broken)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_compose(pilot, prefill)
        await pilot.resize_terminal(100, 30)
        await wait_for(pilot, lambda: bool(app.crash_guard.caught))
        await type_text(pilot, "Autosaved after the bug")

        def saved() -> bool:
            with Store(store_path) as other:
                draft = other.load_draft(draft_key_for(prefill))
            return draft is not None and draft.fields["body"] == "Autosaved after the bug"

        await wait_for(pilot, saved, timeout=10)
        assert screen.is_running and not app._exit


async def test_strict_mode_lets_the_error_end_the_test(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite runs strict (conftest): a genuine bug still fails its test."""

    def broken(self: ComposeScreen) -> None:
        raise RuntimeError("a genuine bug")

    monkeypatch.setattr(ComposeScreen, "action_toggle_advanced", broken)
    app = make_app(server, tmp_path / "outbox.sqlite3")
    with pytest.raises(RuntimeError, match="a genuine bug"):
        async with app.run_test(size=SIZE) as pilot:
            await open_compose(pilot, thread_prefill(server))
            await pilot.press("ctrl+t")
            await pilot.pause()


def test_errors_that_keep_coming_end_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paint failing every frame must not flood the screen with messages forever."""
    monkeypatch.delenv(STRICT_ENV)
    now = [0.0]
    notes: list[str] = []
    app: Any = SimpleNamespace(
        _exit=False,
        _closing=False,
        _closed=False,
        screen_stack=[],
        notify=lambda message, **_: notes.append(message),
    )
    guard = CrashGuard(app, clock=lambda: now[0])
    assert guard.handle(ValueError("before the first frame")) is False
    guard.arm()
    for _ in range(MAX_ERRORS):
        now[0] += 0.1
        assert guard.handle(ValueError("again")) is True
    assert guard.handle(ValueError("again")) is False
    now[0] += 60  # a quiet minute later, one error is reported again
    assert guard.handle(ValueError("later")) is True
    assert len(notes) == MAX_ERRORS + 1


async def test_a_failing_worker_or_timer_is_reported_not_fatal(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STRICT_ENV)
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.crash_guard.armed)

        async def failing_fetch() -> None:
            raise ConnectionError("worker bug")

        def failing_tick() -> None:
            raise KeyError("timer bug")

        app.run_worker(failing_fetch())  # exit_on_error=True: Textual would exit
        app.set_timer(0.01, failing_tick)
        await wait_for(pilot, lambda: len(app.crash_guard.caught) == 2)
        assert {type(e) for e in app.crash_guard.caught} == {ConnectionError, KeyError}
        messages = [str(n.message) for n in app._notifications]
        # Two errors in a moment: the newer toast takes the older one's place (tui/toasts.py);
        # both are in the log.
        assert any("ConnectionError: worker bug" in m or "KeyError" in m for m in messages)
        assert not any("Your draft is saved" in m for m in messages)  # no composer open
        assert not app._exit


async def test_a_stock_widget_whose_handler_fails_stays_on_screen(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual would end the widget's loop and prune it (the To field would vanish)."""
    monkeypatch.delenv(STRICT_ENV)
    app = make_app(server, tmp_path / "outbox.sqlite3")
    original = Input.insert_text_at_cursor
    calls = {"n": 0}

    def insert_once_broken(self: Input, text: str) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise IndexError("input bug")
        original(self, text)

    monkeypatch.setattr(Input, "insert_text_at_cursor", insert_once_broken)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_compose(pilot, None)  # a blank form: focus on To
        to = screen.query_one("#to", Input)
        assert app.focused is to
        await type_text(pilot, "xann@example.com")  # the x meets the bug inside Input._on_key
        await wait_for(pilot, lambda: bool(app.crash_guard.caught))
        await wait_for(pilot, lambda: to.value == "ann@example.com")
        assert to.is_attached and to.is_running and not app._exit
