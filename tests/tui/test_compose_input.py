"""What the person types reaches the reply as typed: a URL not confirmed with enter, the caret
after an undo, a checkbox read without colour, pasted control characters, and $EDITOR."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static, TextArea

from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.screens.compose import ComposeScreen
from smartlead_tui.tui.screens.help import HelpScreen
from smartlead_tui.tui.screens.review import ReviewScreen
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.reply_sender import SendDriver
from tests.prefill import thread_prefill as prefill_for
from tests.tui.test_compose import (
    SIZE,
    FakeClock,
    body_of,
    make_app,
    open_compose,
    server,
    static_text,
    type_text,
    wait_for,
)

__all__ = ["server"]  # the fixture, shared with test_compose


async def open_settled(pilot: Pilot[Any], prefill: dict[str, Any]) -> ComposeScreen:
    """The composer, past its type-ahead window (keys typed while it opened go to the field the
    cursor was heading for, whatever is focused): from here on keys go to the focused widget."""
    screen = await open_compose(pilot, prefill)
    await wait_for(pilot, lambda: not screen.accepting_typeahead)
    return screen


def footer_text(screen: ComposeScreen) -> str:
    footer = screen.query_one(KeyFooter)
    return " ".join(f"{key.key_display} {key.description}" for key in footer.query("FooterKey"))  # type: ignore[attr-defined]


# -- 3: an attachment URL typed but not confirmed with enter ------------------------------------


async def test_ctrl_s_takes_a_typed_attachment_url(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": "Deck attached."})
        url = screen.query_one("#attach-url", Input)
        # A URL that cannot be attached: the review is refused, the URL stays, focus on it.
        url.focus()
        await type_text(pilot, "/home/me/deck.pdf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ReviewScreen)
        assert screen.phase == "edit"
        assert app.focused is url and url.value == "/home/me/deck.pdf"
        assert "is a local file" in static_text(screen, "#err-attachments")
        # A good URL, typed but never confirmed with enter: ctrl+s adds it, the review lists it.
        url.value = ""
        await type_text(pilot, "https://files.example.com/q4-deck.pdf")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        summary = static_text(app.screen, "#review-summary")
        assert "q4-deck.pdf (application/pdf) https://files.example.com/q4-deck.pdf" in summary
        assert url.value == ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(server.posts()) == 1)
    (post,) = server.posts()
    assert [a["file_url"] for a in post.json["attachments"]] == [
        "https://files.example.com/q4-deck.pdf"
    ]


# -- 4: after an undo, the caret is where the person was typing --------------------------------


async def test_undo_gives_the_caret_back_with_nothing_selected(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", undo_seconds=10)
    prefill = {**prefill_for(server), "to_first_name": "Ana", "to_last_name": "Ruiz"}
    async with app.run_test(size=SIZE) as pilot:
        clock = FakeClock()
        app.send_driver = SendDriver(app, clock=clock)  # type: ignore[attr-defined]
        app.send_driver.start()  # type: ignore[attr-defined]
        screen = await open_settled(pilot, prefill)

        async def send_and_undo() -> None:
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.phase == "held")
            await pilot.press("u")
            await wait_for(pilot, lambda: screen.phase == "edit" and app.focused is not None)
            clock.advance(5)  # the mashing guard is over: the next keys are typing

        # In the body, mid-text: the caret comes back to the same place.
        body = screen.query_one("#body", TextArea)
        await type_text(pilot, "Talk soon.")
        body.move_cursor((0, 4))
        await send_and_undo()
        assert app.focused is body
        assert body.selection.is_empty and body.cursor_location == (0, 4)
        await type_text(pilot, "X")
        assert body_of(screen) == "TalkX soon."
        # In the last name: focus returns there with nothing selected (typing used to replace it).
        last = screen.query_one("#last-name", Input)
        last.focus()
        await pilot.pause()
        await send_and_undo()
        assert app.focused is last
        assert last.selection.is_empty and last.cursor_position == len("Ruiz")
        await type_text(pilot, "-Diaz")
        assert last.value == "Ruiz-Diaz"
        # Back from the review with escape: the same.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.phase == "edit" and app.focused is last)
        assert last.selection.is_empty
        await type_text(pilot, "!")
        assert last.value == "Ruiz-Diaz!"
        # Tabbing into a field does not select it either: typing adds, never replaces
        # (fresh-eyes trial: a tab into the last name turned "Williams" into "Q").
        await pilot.press("shift+tab", "tab")
        assert app.focused is last and last.selection.is_empty
    assert server.posts() == []


# -- 15: the signature checkbox reads without colour ---------------------------------------------


async def test_signature_checkbox_state_is_a_symbol_and_a_word(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", add_signature=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, prefill_for(server))
        box = screen.query_one("#signature", Checkbox)
        assert box.render().plain == "▐X▌ Add the mailbox signature: on "  # type: ignore[union-attr]
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        assert box.render().plain == "▐ ▌ Add the mailbox signature: off "  # type: ignore[union-attr]
        assert screen.form.get_fields()["add_signature"] is False
        # Filled back by an undo or a failed send: the symbol follows the value.
        screen.form.set_fields({**screen.form.get_fields(), "add_signature": True})
        await pilot.pause()
        assert box.render().plain.startswith("▐X▌")  # type: ignore[union-attr]
        svg = app.export_screenshot()
        assert "Add&#160;the&#160;mailbox&#160;signature:&#160;on" in svg


# -- 16: pasted control characters -----------------------------------------------------------------


def no_raw_controls(svg: str) -> None:
    for code in ("\x1b", "\x07", "\x08", "\x9b"):
        assert code not in svg, f"control character {code!r} reached the screen"


async def test_pasted_control_characters_are_named_shown_and_stripped(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": ""})
        body = screen.query_one("#body", TextArea)
        assert app.focused is body
        assert "Strip" not in footer_text(screen)  # nothing to strip: not in the footer
        app.post_message(events.Paste("Hi\x07 there \x1b[31mred\x1b[0m done"))
        await wait_for(pilot, lambda: "\x1b" in body_of(screen))
        error = static_text(screen, "#err-body")
        # Every one is named, the ESC after the BEL too, and the key that strips them.
        assert "U+0007 (BEL) and U+001B (ESC) ×2" in error, error
        assert "ctrl+l strips them" in error
        # Drawn as pictures, in place; nothing raw reaches the terminal.
        svg = app.export_screenshot()
        no_raw_controls(svg)
        assert "Hi␇&#160;there&#160;␛[31mred␛[0m&#160;done" in svg
        # An Input too (a name pasted from a terminal).
        first = screen.query_one("#first-name", Input)
        first.focus()
        first.value = ""
        app.post_message(events.Paste("Ann\x1b[1m"))
        await wait_for(pilot, lambda: first.value == "Ann\x1b[1m")
        no_raw_controls(app.export_screenshot())
        assert "Fix: Body, first name" in static_text(screen, "#blockers")
        assert "^l Strip" in footer_text(screen)
        # F1 lists the keys of the form, with their ids.
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = str(app.screen.query_one(Static).content)
        assert "compose.strip-controls" in help_text and "compose.body-end" in help_text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # One key strips them all, in every field, and says what went.
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "\x1b" not in body_of(screen))
        assert body_of(screen) == "Hi there red done"  # whole sequences go, not just the ESC
        assert first.value == "Ann"
        assert "Strip" not in footer_text(screen)
        assert not screen.query_one("#err-body", Static).display
        (note,) = [n.message for n in app._notifications if "Removed" in n.message]
        assert note == "Removed 4 control characters: U+001B (ESC) ×3, U+0007 (BEL)"
        # ctrl+z in the body brings its ones back (the strip is an edit like any other).
        body.focus()
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: "\x1b" in body_of(screen))
        # The palette finds the same command by name.
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "strip control")
        commands = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count > 0)
        assert "Strip control characters" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: "\x1b" not in body_of(screen))
    assert server.posts() == []


# -- 17: $EDITOR and ctrl+end ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "script", "handed", "back"),
    [
        # A line appended by a script or an editor is a line of its own.
        ("Hola,", 'printf "Saludos\\n" >> "$1"', "Hola,\n", "Hola,\nSaludos"),
        # Saved unchanged (an editor keeps or adds the final newline): the body is unchanged.
        ("Hola,\n\nSam", ":", "Hola,\n\nSam\n", "Hola,\n\nSam"),
        ("Ends in a newline\n", ":", "Ends in a newline\n\n", "Ends in a newline\n"),
        # An editor set not to end the file in a newline: nothing is cut.
        ("Hola", 'printf "Hola, Sam" > "$1"', "Hola\n", "Hola, Sam"),
        ("", 'printf "New\\n" > "$1"', "", "New"),
    ],
)
async def test_editor_file_ends_in_a_newline(
    server: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    script: str,
    handed: str,
    back: str,
) -> None:
    editor = tmp_path / "editor.sh"
    seen = tmp_path / "seen.txt"
    editor.write_text(f'#!/bin/sh\ncp "$1" "{seen}"\n{script}\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": body})
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: seen.exists() and body_of(screen) == back)
        assert seen.read_text() == handed


async def test_ctrl_end_goes_to_the_end_of_the_body(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3")
    lines = "\n".join(f"line {n}" for n in range(40))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": lines})
        body = screen.query_one("#body", TextArea)
        body.move_cursor((0, 0))
        await pilot.press("ctrl+end")
        assert body.cursor_location == body.document.end == (39, 7)
        # From another field too: focus goes to the body, at its end.
        screen.query_one("#cc", Input).focus()
        body.move_cursor((3, 2))
        await pilot.pause()
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert app.focused is body and body.cursor_location == (39, 7)
        await type_text(pilot, "!")
        assert body_of(screen).endswith("line 39!")


async def test_tabbing_into_a_field_never_selects_its_text(
    server: SandboxServer, tmp_path: Path
) -> None:
    """shift+tab from the body into the last name, then typing: it is added, not a
    replacement (a tried "Williams" became "Q"); ctrl+t into the campaign id alike."""
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, prefill_for(server))
        last = screen.query_one("#last-name", Input)
        before = last.value
        assert before
        last.focus()  # as tab / shift+tab do: a focus that is not the app regaining focus
        await pilot.pause()
        await type_text(pilot, "x")
        assert last.value == before + "x"
        first = screen.query_one("#first-name", Input)
        first.focus()
        await pilot.pause()
        last.focus()  # a second visit too (it used to select again after the first blur)
        await pilot.pause()
        await type_text(pilot, "y")
        assert last.value == before + "xy"
        await pilot.press("ctrl+t")
        campaign = screen.query_one("#campaign-id", Input)
        await wait_for(pilot, lambda: app.focused is campaign)
        value = campaign.value
        await type_text(pilot, "9")
        assert campaign.value == value + "9"


async def test_escape_from_the_review_puts_the_status_line_back(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": "Back to it"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        assert static_text(screen, "#blockers").startswith("Reviewing")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and screen.phase == "edit")
        assert static_text(screen, "#blockers").startswith("✓ Ready")


async def test_the_ready_line_names_a_remapped_send_key(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path / "outbox.sqlite3", keymap={"compose.send": "f5"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": "Remapped"})
        assert static_text(screen, "#blockers") == "✓ Ready: f5 to review and send"
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))


async def test_a_refused_keymap_entry_is_not_named_on_screen(
    server: SandboxServer, tmp_path: Path
) -> None:
    """`compose.send = "s"` is refused at start (it could never fire): hints keep ctrl+s."""
    app = make_app(server, tmp_path / "outbox.sqlite3", keymap={"compose.send": "s"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settled(pilot, {**prefill_for(server), "body": "Refused remap"})
        assert static_text(screen, "#blockers") == "✓ Ready: ctrl+s to review and send"
