"""Compose, review, undo window, send journal and drafts, driven by keys against the sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Collapsible, Input, OptionList, Static, TextArea

from smartlead_tui.config import Settings
from smartlead_tui.outbox.sender import UNKNOWN_PREFIX, draft_key_for
from smartlead_tui.outbox.sessions import SessionMarks
from smartlead_tui.outbox.store import Store
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.recovery import RecoveryScreen, offer_recovery
from smartlead_tui.tui.screens.review import ReviewScreen
from smartlead_tui.tui.widgets.reply_sender import SendDriver, get_send_driver
from tests.prefill import thread_prefill as prefill_for

SIZE = (80, 24)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


class FakeClock:
    """The send driver's clock, moved by hand so undo windows take no real time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_app(server: SandboxServer, store_path: Path, **overrides: Any) -> SmartleadApp:
    options: dict[str, Any] = {"timezone": "Europe/Berlin", "undo_seconds": 0}
    options.update(overrides)
    settings = dataclasses.replace(
        Settings(), api_key=server.api_key, base_url=server.base_url, **options
    )
    return SmartleadApp(settings, demo=True, store_path=store_path, home="connection")


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll cheaply (a plain sleep, not a full screen sync), then let the screen settle."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            await pilot.pause()
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def open_compose(pilot: Pilot[Any], prefill: dict[str, Any] | None) -> ComposeScreen:
    app = pilot.app
    app.open_compose(prefill)  # type: ignore[attr-defined]
    return await compose_shown(pilot)


async def compose_shown(pilot: Pilot[Any]) -> ComposeScreen:
    """Wait until a composer is the current screen and its form is mounted."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, ComposeScreen) and bool(app.screen.query("#body"))
    )
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


async def recovery_shown(pilot: Pilot[Any]) -> RecoveryScreen:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, RecoveryScreen) and bool(app.screen.query("#recovery-list")),
    )
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type into the focused widget: one real Key event per character, like a terminal sends.

    `pilot.press` waits for the CPU to idle after every key (~70 ms each); a typist's burst
    into one field does not need that, so the keys are queued and we wait once at the end.
    """
    for ch in text:
        if ch == "\n":
            await pilot.press("enter")
            continue
        pilot.app.post_message(events.Key(_character_to_key(ch), ch))
    await pilot.pause()


def static_text(screen: Any, selector: str) -> str:
    """What a Static shows, as plain text (tables rendered, markup never interpreted)."""
    content = screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def body_of(screen: ComposeScreen) -> str:
    return screen.query_one("#body", TextArea).text


async def set_input(pilot: Pilot[Any], screen: ComposeScreen, widget_id: str, text: str) -> None:
    widget = screen.query_one(f"#{widget_id}", Input)
    widget.focus()
    widget.value = ""
    await type_text(pilot, text)
    await pilot.pause()


# -- filling by keys, review, sending ---------------------------------------------------------


async def test_fill_every_field_by_keys_only(server: SandboxServer, tmp_path: Path) -> None:
    ref = server.seed.first_reply()
    app = make_app(server, tmp_path / "outbox.sqlite3", add_signature=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_compose(pilot, None)
        assert app.focused is screen.query_one("#to")
        # A fresh form is not a wall of red; ctrl+s shows every problem and sends nothing.
        assert not screen.query_one("#err-body", Static).display
        await type_text(pilot, "bob@")
        await pilot.press("ctrl+s", "ctrl+s")
        assert isinstance(app.screen, ComposeScreen) and screen.phase == "edit"
        assert "to: 'bob@' is not an email address" in static_text(screen, "#err-to")
        assert "campaign id: is required" in static_text(screen, "#err-campaign")
        assert "body: is empty" in static_text(screen, "#err-body")
        assert "email stats id: is empty" in static_text(screen, "#err-stats")
        blockers = static_text(screen, "#blockers")
        assert blockers == "✗ Not ready to send. Fix: To, Body, campaign id, email stats id"
        assert "Can't send yet" in str(list(app._notifications)[-1].message)
        assert app.focused is screen.query_one("#to")  # the first problem, top to bottom
        assert not screen.query_one("#advanced", Collapsible).collapsed  # it holds problems
        await pilot.press("ctrl+a", "ctrl+k")  # clear the To box, by keys
        # To, first name, last name, CC, BCC, when, signature (space), body.
        for text in ("a@x.io", "Ana", "Li", "b@x.io,c@x.io", "d@x.io", "2030-06-04"):
            await type_text(pilot, text)
            await pilot.press("tab")
        await pilot.press("space", "tab")
        await type_text(pilot, "Hi Ana,\nok.")
        await pilot.press("tab")
        if app.focused is screen.query_one("#attachments"):  # empty list: skip over it
            await pilot.press("tab")
        assert app.focused is screen.query_one("#attach-url")
        await type_text(pilot, "https://x.io/d.pdf")
        await pilot.press("enter")
        await pilot.press("ctrl+t")  # to the Advanced section's campaign id
        assert app.focused is screen.query_one("#campaign-id")
        # campaign id, stats id, reply-to Message-ID, thread id, original time, condition,
        # sequence type, original body.
        for text in (str(ref.campaign_id), ref.stats_id, "<m@x.io>", "42", "2026-03-09", "C", "F"):
            await type_text(pilot, text)
            await pilot.press("tab")
        await type_text(pilot, "o")
        await pilot.pause()
        assert "Ready" in static_text(screen, "#blockers")
        assert "Tue 4 Jun 2030 09:00 +02:00 (Europe/Berlin)" in static_text(
            screen, "#schedule-resolved"
        )

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        shown = static_text(review, "#review-summary") + static_text(review, "#review-body")
        for expected in (
            "To          Ana Li <a@x.io>",
            "CC          b@x.io, c@x.io",
            "BCC         d@x.io",
            "When        Tue 4 Jun 2030 09:00 +02:00 (Europe/Berlin)",
            "Signature   off",
            "Attachments d.pdf (application/pdf) https://x.io/d.pdf",
            f"Campaign    {ref.campaign_id}",
            f"Stats id    {ref.stats_id}",
            "Reply to    <m@x.io>",
            "Thread id   42",
            "Condition   C",
            "Seq. type   F",
            "Hi Ana,\nok.",
        ):
            assert expected in shown, expected
        warnings = static_text(review, "#review-warnings")
        assert "No signature" in warnings
        assert "Empty subject context" in warnings

        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.phase == "done")
        assert "Queued" in static_text(screen, "#banner")
    posts = server.posts("send-email-thread")
    assert len(posts) == 1
    assert posts[0].json == {
        "campaignId": ref.campaign_id,
        "emailStatsId": ref.stats_id,
        "emailBody": "<p>Hi Ana,<br>ok.</p>",  # minimal HTML (issue 11 item 7)
        "id": 42,
        "toEmail": "a@x.io",
        "toFirstName": "Ana",
        "toLastName": "Li",
        "scheduledTime": "2030-06-04T09:00:00+02:00",
        "replyMessageId": "<m@x.io>",
        "replyEmailBody": "o",
        "replyEmailTime": "2026-03-09T00:00:00+00:00",
        "cc": "b@x.io,c@x.io",
        "bcc": "d@x.io",
        "scheduleCondition": "C",
        "seqType": "F",
        "addSignature": False,
        "attachments": [
            {"file_url": "https://x.io/d.pdf", "file_name": "d.pdf", "file_type": "application/pdf"}
        ],
    }


async def test_thread_prefill_original_markup_and_editor(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.sh"
    script.write_text('#!/bin/sh\nprintf " — written in vi\\n" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("VISUAL", str(script))
    prefill = {
        **prefill_for(server),
        "lead_label": "[bold]Ana[/bold] <ana@x.com>",
        "subject": "[URGENT] pricing",
        "reply_email_body": "<p>[red]not markup[/red] &amp; more</p>",
        "body": "[b]Hola[/b],",
        "attachments": [{"file_url": "https://x.example.com/q3%20deck.pdf"}],  # as --attach
    }
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, prefill)
        # Opening for a thread: cursor at the end of the body.
        body = screen.query_one("#body", TextArea)
        assert app.focused is body
        assert body.cursor_location == body.document.end
        await type_text(pilot, " gracias")
        assert body_of(screen) == "[b]Hola[/b], gracias"
        # Lead/API text is shown verbatim, markup off; the original message read-only below.
        assert "[bold]Ana[/bold]" in static_text(screen, "#context")
        assert "[URGENT] pricing" in static_text(screen, "#context")
        assert static_text(screen, "#original") == "[red]not markup[/red] & more"
        assert screen.query_one("#advanced", Collapsible).collapsed
        (attachment,) = screen.form.get_fields()["attachments"]
        assert (attachment["file_name"], attachment["file_type"]) == (
            "q3 deck.pdf",
            "application/pdf",
        )
        # ctrl+e: $VISUAL edits the body, then focus comes back to it. The file it gets ends
        # in a newline, so the line the script appends is a line of its own.
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert body_of(screen) == "[b]Hola[/b], gracias\n — written in vi"
        assert app.focused is body
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "[b]Hola[/b], gracias" in static_text(app.screen, "#review-body")
        assert "[URGENT] pricing" in static_text(app.screen, "#review-summary")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.phase == "edit")
        assert app.focused is body  # back where the person was typing
    assert server.posts() == []


async def test_send_once_failures_and_duplicates(server: SandboxServer, tmp_path: Path) -> None:
    """ctrl+s then enter many times -> one POST; a 422 returns to editing; a duplicate needs y."""
    server.add_fault("422", method="POST")
    app = make_app(server, tmp_path / "outbox.sqlite3", undo_seconds=0)
    prefill = {**prefill_for(server), "body": "Once only"}
    async with app.run_test(size=SIZE) as pilot:
        # A clock that stands still: the mashed keys below always count as one burst, however
        # slowly a loaded machine delivers them.
        app.send_driver = SendDriver(app, clock=FakeClock())  # type: ignore[attr-defined]
        app.send_driver.start()  # type: ignore[attr-defined]
        screen = await open_compose(pilot, prefill)
        await pilot.press("ctrl+s", "enter", "enter", "y", "u", "enter")
        await wait_for(pilot, lambda: screen.phase == "edit" and screen.held_entry_id is None)
        assert "Not sent" in static_text(screen, "#banner")
        assert "Validation failed" in static_text(screen, "#banner")
        assert not screen.form.disabled
        assert len(server.posts()) == 1
        await wait_for(pilot, lambda: app.focused is screen.query_one("#body"))
        assert body_of(screen) == "Once only"  # the extra keys did not land in the body

        await pilot.press("ctrl+s", "enter", "enter", "ctrl+s", "enter", "y", "enter", "enter")
        await wait_for(pilot, lambda: screen.phase == "done")
        await pilot.press("ctrl+s", "enter", "y")
        await pilot.pause(0.1)
        assert body_of(screen) == "Once only"  # no stray newlines went into the body
        assert len(server.posts()) == 2
        assert "Queued" in static_text(screen, "#banner")

        await pilot.press("escape")
        screen = await open_compose(pilot, prefill)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert "Possible double send" in static_text(app.screen, "#review-duplicate")
        await pilot.press("enter", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ReviewScreen)
        assert len(server.posts()) == 2
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.phase == "done")
    assert len(server.posts("send-email-thread")) == 3


async def test_undo_window(server: SandboxServer, tmp_path: Path) -> None:
    """u takes a held reply back unchanged; the palette can too; leaving does not stop it."""
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, undo_seconds=10)
    prefill = prefill_for(server)
    async with app.run_test(size=SIZE) as pilot:
        clock = FakeClock()
        app.send_driver = SendDriver(app, clock=clock)  # type: ignore[attr-defined]
        app.send_driver.start()  # type: ignore[attr-defined]
        screen = await open_compose(pilot, prefill)
        await type_text(pilot, "Thank you, see u!")  # u types, it is not undo
        await set_input(pilot, screen, "cc", "boss@example.com")
        before = screen.form.get_fields()
        assert before["body"] == "Thank you, see u!"
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "held")
        assert "Held: sends in 10 s — press u to undo" in static_text(screen, "#banner")
        assert "1 held" in static_text(screen, "#outbox-summary")
        assert "u takes it back" in static_text(screen, "#blockers")  # not "Ready"
        clock.advance(4)
        await wait_for(pilot, lambda: "sends in 6 s" in static_text(screen, "#banner"))
        await pilot.press("u", "u", "u")  # mashed: the extra u's type nothing
        await wait_for(pilot, lambda: screen.phase == "edit")
        await wait_for(pilot, lambda: app.focused is not None)
        assert screen.form.get_fields() == before
        assert "nothing was sent" in static_text(screen, "#banner")
        assert not screen.form.disabled
        # The burst is over once a moment passes: the next u is typing again.
        clock.advance(1)
        assert not screen.swallows_key("u")

        # Held again, screen left, taken back through the palette's "Undo send".
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "held")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        (command,) = list(get_send_driver(app).system_commands())
        assert command.title == "Undo send"
        command.callback()
        screen = await compose_shown(pilot)
        assert screen.form.get_fields() == before
        assert "Draft restored" in static_text(screen, "#banner")
        clock.advance(60)  # well past both windows
        await pilot.pause(0.3)
        assert server.posts() == []

        # Held once more and the screen left: it still goes when the countdown ends.
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "held")
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert server.posts() == []
        clock.advance(10)
        await wait_for(pilot, lambda: len(server.posts()) == 1, timeout=3)
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
    with Store(store_path) as store:
        states = [e.state for e in store.list_entries()]
        assert states == ["queued", "cancelled", "cancelled"]
        assert store.load_draft(draft_key_for(prefill)) is None


async def test_timeout_is_unknown_and_quit_waits(server: SandboxServer, tmp_path: Path) -> None:
    # Timings with room for a loaded machine: the first answer (4 s) comes after the read
    # timeout (2 s); the second (0.8 s) well within it.
    server.add_fault("slow", method="POST", delay=4.0)
    store_path = tmp_path / "outbox.sqlite3"
    app = make_app(server, store_path, read_timeout_seconds=2.0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_compose(pilot, {**prefill_for(server), "body": "Slow one"})
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "sending")
        await pilot.press("ctrl+s", "enter")  # disabled while the outcome is unknown
        await wait_for(pilot, lambda: screen.phase == "done")
        assert UNKNOWN_PREFIX in static_text(screen, "#banner")
        assert "1 unknown" in static_text(screen, "#outbox-summary")
        assert any(UNKNOWN_PREFIX in str(n.message) for n in app._notifications)
        assert len(server.posts("send-email-thread")) == 1

        # Quitting while a second reply is in flight waits for its outcome.
        server.add_fault("slow", method="POST", delay=0.8)
        await pilot.press("escape")
        screen = await open_compose(pilot, {**prefill_for(server), "body": "In flight"})
        await pilot.press("ctrl+s", "enter")
        await wait_for(pilot, lambda: screen.phase == "sending")
        assert get_send_driver(app).request_quit() is False
        await pilot.press("ctrl+q")  # the quit screen waits for it (tests/tui/test_quit.py)
        await wait_for(pilot, lambda: app._exit, timeout=5)
    for _ in range(100):  # the slow handler of the first finishes: still one POST, no retry
        if len(server.posts("send-email-thread")) == 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert len(server.posts("send-email-thread")) == 2
    with Store(store_path) as store:
        second, first = store.list_entries()
        journal = [(row.state, row.detail or "") for row in store.journal(first.id)]
        assert any(state == "unknown" and "did not answer" in detail for state, detail in journal)
        # On a slow machine the tracker may already have seen it in the thread (the slow POST
        # did go through): unknown -> queued by proof, never by a second POST.
        assert first.state in ("unknown", "queued")
        assert second.state == "queued"  # the app exited only after the outcome came back


# -- validation ----------------------------------------------------------------------------------


async def test_validation_rules_and_attachments(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compose(pilot, prefill_for(server))
        to = prefill_for(server)["to_email"]
        cases = [
            ("to", "jose@", "#err-to", "to: 'jose@' is not an email address"),
            ("to", to, "#err-to", ""),
            ("cc", "bob@", "#err-cc", "cc: 'bob@' is not an email address"),
            ("cc", "a@x.com, a@x.com", "#err-cc", "cc: 'a@x.com' is listed twice"),
            ("cc", to, "#err-cc", f"cc: '{to}' is already the To address"),
            ("cc", "a@x.com", "#err-cc", ""),
            ("bcc", "a@x.com", "#err-bcc", "bcc: 'a@x.com' is already in cc"),
            ("bcc", to, "#err-bcc", f"bcc: '{to}' is already the To address"),
            ("bcc", "", "#err-bcc", ""),
            ("schedule", "someday", "#schedule-resolved", "schedule: can't read 'someday'"),
            ("schedule", "2020-01-01 10:00", "#schedule-resolved", "is in the past"),
            ("schedule", "in 2h", "#schedule-resolved", "→ "),
            ("campaign-id", "abc", "#err-campaign", "campaign id: 'abc' is not a number"),
            ("thread-id", "x", "#err-thread", "thread id: 'x' is not a number"),
            ("reply-message-id", "nope", "#err-message-id", "is not a Message-ID"),
            ("reply-time", "soon", "#err-reply-time", "reply time: 'soon' is not an ISO 8601"),
        ]
        screen.query_one("#advanced", Collapsible).collapsed = False
        await pilot.pause()
        for widget_id, value, error_id, expected in cases:
            screen.query_one(f"#{widget_id}", Input).value = value  # as if typed
            await pilot.pause()
            shown = static_text(screen, error_id)
            if expected:
                assert expected in shown, (widget_id, value, shown)
            else:
                assert "✗" not in shown, (widget_id, value, shown)
        blockers = static_text(screen, "#blockers")
        assert blockers == (
            "✗ Not ready to send. Fix: Body, campaign id, thread id, reply-to Message-ID, "
            "original time"
        )

        # Body: unfilled merge fields block sending.
        screen.query_one("#body", TextArea).focus()
        await type_text(pilot, "Hi {{first_name}} from %COMPANY%")
        assert "unfilled merge fields {{first_name}}, %COMPANY%" in static_text(screen, "#err-body")
        # Attachments: local paths and private hosts refused in words; add/remove by keys.
        url = screen.query_one("#attach-url", Input)
        url.focus()
        for value, expected in (
            ("/home/me/deck.pdf", "is a local file"),
            ("http://192.168.1.4/deck.pdf", "must be a public http(s) URL"),
            ("https://x.example.com/a.pdf", ""),
            ("https://x.example.com/b.png", ""),
        ):
            url.value = value
            await pilot.press("enter")
            assert expected in static_text(screen, "#err-attachments")
        types = [a["file_type"] for a in screen.form.get_fields()["attachments"]]
        assert types == ["application/pdf", "image/png"]
        assert not screen.query_one("#err-attachments", Static).display
        await pilot.press("shift+tab")
        assert app.focused is screen.query_one("#attachments")
        await pilot.press("delete")
        await pilot.pause()
        assert [a["file_name"] for a in screen.form.get_fields()["attachments"]] == ["b.png"]
        await pilot.press("ctrl+s")
        assert screen.phase == "edit"
    assert server.posts() == []


# -- drafts, recovery ------------------------------------------------------------------------------


async def test_drafts_survive_a_crash_and_held_replies_are_offered(
    server: SandboxServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "outbox.sqlite3"
    thread_a = prefill_for(server)
    thread_b = {**thread_a, "email_stats_id": "another-thread"}
    thread_c = {**thread_a, "email_stats_id": "untouched-thread"}
    app = make_app(server, store_path, undo_seconds=60)
    # The first session dies (kill -9): its clean-exit step never runs, its mark stays.
    with pytest.MonkeyPatch.context() as crash:
        crash.setattr(SessionMarks, "end", lambda self: None)
        async with app.run_test(size=SIZE) as pilot:
            for body in ("Held when it died", "Also held"):
                screen = await open_compose(pilot, {**thread_a, "body": body})
                await pilot.press("ctrl+s", "enter")
                await wait_for(pilot, lambda: screen.phase == "held")  # noqa: B023
                await pilot.press("escape")
            await open_compose(pilot, thread_c)
            await type_text(pilot, "x")
            await pilot.press("backspace")
            await pilot.press("escape")  # leaving flushes: back to the prefill -> no draft
            # The composer it dies with (one closed on purpose before is not a crash's draft).
            await open_compose(pilot, thread_b)
            await type_text(pilot, "Typed before the crash")

            # Autosave writes 0.3 s after the last key (0.8 s at most); poll the file rather than
            # trusting a fixed pause on a loaded machine. The next start (after kill -9) reads the
            # file right now, while this app still runs: a second Store on the same path.
            def draft_on_disk() -> bool:
                with Store(store_path) as other:
                    draft = other.load_draft(draft_key_for(thread_b))
                return draft is not None and draft.fields.get("body") == "Typed before the crash"

            await wait_for(pilot, draft_on_disk, timeout=10.0)
        assert server.posts() == []  # quitting does not send a held reply

    app = make_app(server, store_path, undo_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        offer_recovery(app)
        offer_recovery(app)  # idempotent: one modal
        recovery = await recovery_shown(pilot)
        assert sum(isinstance(s, RecoveryScreen) for s in app.screen_stack) == 1
        lines = option_lines(recovery)
        assert lines[0].startswith("HELD") and "Held when it died" in lines[0]
        assert lines[1].startswith("HELD") and "Also held" in lines[1]
        assert "not sent" in lines[0]
        drafts = [line for line in lines if line.startswith("DRAFT")]
        assert len(drafts) == 1 and "Typed before the crash" in drafts[0]  # none for thread C
        await pilot.press("d")  # the first: back to draft, nothing sent
        await pilot.pause()
        assert server.posts() == []
        assert sum(line.startswith("DRAFT") for line in option_lines(recovery)) == 2
        assert option_lines(recovery)[0].startswith("HELD")
        await pilot.press("s")  # the second: send now
        await wait_for(pilot, lambda: len(server.posts()) == 1)
        await wait_for(pilot, lambda: not get_send_driver(app).busy)
        assert server.posts()[0].json["emailBody"] == "<p>Also held</p>"
        await pilot.press("escape")
        screen = await open_compose(pilot, thread_a)
        assert body_of(screen) == "Held when it died"
        assert "Draft restored" in static_text(screen, "#banner")
        body = screen.query_one("#body", TextArea)
        assert body.cursor_location == body.document.end
    assert len(server.posts()) == 1


def option_lines(screen: RecoveryScreen) -> list[str]:
    listing = screen.query_one("#recovery-list", OptionList)
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
