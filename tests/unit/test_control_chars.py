"""Control characters in typed text: every one named, drawn visibly in place, stripped."""

from __future__ import annotations

from rich.cells import cell_len

from smartlead_tui.control_chars import (
    describe_controls,
    find_controls,
    strip_controls,
    visible_controls,
)
from smartlead_tui.tui.widgets.reply_text import body_from_editor, editor_file_text

PASTE = "Hi\x07 there \x1b[31mred\x1b[0m\tdone\r\n"


def test_every_control_character_is_named_in_order() -> None:
    assert find_controls(PASTE) == {"\x07": 1, "\x1b": 2}
    assert describe_controls(PASTE) == "control characters U+0007 (BEL) and U+001B (ESC) ×2"
    assert describe_controls("a\x1bb") == "the control character U+001B (ESC)"
    assert describe_controls("\x00\x7f\x9b\x1f") == (
        "control characters U+0000 (NUL), U+007F (DEL), U+009B (CSI) and U+001F (US)"
    )
    assert describe_controls("tab\tnewline\ncr\r") == ""  # text, not controls


def test_shown_as_one_cell_pictures_and_stripped() -> None:
    shown = visible_controls(PASTE)
    assert shown == "Hi␇ there ␛[31mred␛[0m\tdone\r\n"
    assert len(shown) == len(PASTE)  # the cursor stays where it is
    assert cell_len(visible_controls("\x1b\x07\x7f\x85")) == 4
    assert not find_controls(visible_controls("".join(map(chr, range(0xA0)))))
    # Whole escape sequences go (the ESC alone would leave "[31m" in the reply).
    assert strip_controls(PASTE) == "Hi there red\tdone\r\n"
    assert strip_controls("a\x1b]0;title\x07b\x1bMc") == "abc"  # OSC and a two-byte escape


def test_editor_round_trip_keeps_the_body() -> None:
    for body in ("", "one line", "two\nlines", "ends in a newline\n", "\n\n"):
        assert body_from_editor(editor_file_text(body)) == body
    assert editor_file_text("Hola") == "Hola\n"
    assert body_from_editor("Hola\r\n") == "Hola"  # saved by a Windows editor
    assert body_from_editor("Hola") == "Hola"  # an editor that drops the final newline


def test_draft_preview_in_the_recovery_list_is_terminal_safe() -> None:
    from smartlead_tui.tui.screens.drafts import body_preview

    assert body_preview({"body": "Hi\x1b[31m red"}) == "Hi␛[31m red"
