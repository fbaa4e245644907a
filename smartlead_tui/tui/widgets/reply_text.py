"""How the reply's own text is shown and handed around: control characters drawn as visible
pictures instead of reaching the terminal, and the $EDITOR round trip of the body.

A pasted ESC sequence used to go to the terminal as is and scramble the line (the terminal acts
on it); the text itself is left alone (the person decides, `ctrl+l` strips it) and only what is
drawn changes, one cell per character, so the cursor stays where it is.
"""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Input, TextArea

from smartlead_tui.control_chars import (
    CONTROL_CHARS,
    find_controls,
    strip_controls,
    visible_controls,
)
from smartlead_tui.tui.widgets.safe_text_area import SafeTextArea

__all__ = [
    "ControlPictures",
    "ReplyTextArea",
    "body_from_editor",
    "editor_file_text",
    "restore_carets",
    "save_carets",
    "strip_controls_in",
]

#: A caret: an Input's cursor position, or a TextArea's (row, column).
Caret = int | tuple[int, int]


class ReplyTextArea(SafeTextArea):
    """A TextArea that draws control characters as their pictures (␛, ␇) instead of sending
    them to the terminal."""

    def get_line(self, line_index: int) -> Text:
        line = self.document.get_line(line_index)
        # Built from the pictures, not the raw line: rich.Text drops BEL/BS/VT/FF on its own,
        # which made the drawn line shorter than the document's (the cursor landed off by one).
        return Text(visible_controls(line), end="", no_wrap=True)


class ControlPictures(Highlighter):
    """An Input highlighter that draws control characters as pictures (same length, in place).

    rich.Text has already dropped BEL, BS, VT and FF by then; everything else (ESC first of all)
    would reach the terminal.
    """

    def highlight(self, text: Text) -> None:
        if CONTROL_CHARS.search(text.plain):
            text.plain = visible_controls(text.plain)


def editor_file_text(body: str) -> str:
    """What the $EDITOR temp file holds: the body ending in a newline, as editors expect.

    Without it, text an editor or a script appends joins the body's last line.
    """
    return body + "\n" if body else ""


def body_from_editor(text: str) -> str:
    """The body from the saved file: its one final newline (ours, or the editor's) taken off."""
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


# -- carets and stripping across the fields of a form -------------------------------------------


def save_carets(root: Widget) -> dict[str, tuple[str, Caret]]:
    """Each field's text and caret, by widget id (see `restore_carets`)."""
    saved: dict[str, tuple[str, Caret]] = {}
    for field in root.query(Input):
        if field.id:
            saved[field.id] = (field.value, field.cursor_position)
    for area in root.query(TextArea):
        if area.id:
            saved[area.id] = (area.text, area.cursor_location)
    return saved


def restore_carets(root: Widget, saved: dict[str, tuple[str, Caret]]) -> None:
    """Put the caret back, with nothing selected, in each field whose text is unchanged.

    Setting a field's text moves its caret (a TextArea's to the very start): after an undo the
    next words would land somewhere the person was not typing.
    """
    for field in root.query(Input):
        text, caret = saved.get(field.id or "", (None, None))
        if text == field.value and isinstance(caret, int):
            field.cursor_position = caret  # an empty selection at the caret
    for area in root.query(TextArea):
        text, caret = saved.get(area.id or "", (None, None))
        if text == area.text and isinstance(caret, tuple):
            area.move_cursor(caret)


def strip_controls_in(root: Widget) -> dict[str, int]:
    """Remove the control characters from every field under `root`; which ones, how many.

    Each caret stays by the text it was next to. A TextArea keeps the change in its undo
    history (ctrl+z brings the characters back).
    """
    found: dict[str, int] = {}

    def count(text: str) -> None:
        for char, n in find_controls(text).items():
            found[char] = found.get(char, 0) + n

    for field in root.query(Input):
        value = field.value
        if CONTROL_CHARS.search(value):
            count(value)
            caret = len(strip_controls(value[: field.cursor_position]))
            field.value = strip_controls(value)
            field.cursor_position = caret
    for area in root.query(TextArea):
        text = area.text
        if CONTROL_CHARS.search(text):
            count(text)
            row, column = area.cursor_location
            column = len(strip_controls(area.document.get_line(row)[:column]))
            area.replace(strip_controls(text), (0, 0), area.document.end)
            area.move_cursor((row, column))
    return found
