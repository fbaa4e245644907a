"""A TextArea without Textual 8.2.8's undo crash.

Undoing a multi-line paste restores the shorter document before the selection; a scrollbar
change in between asks for the cursor's screen offset at a row that no longer exists, and
`WrappedDocument.get_offsets` raises ValueError (Textualize/textual#6686). The offset is a
visual cache only, so it is computed from the cursor clamped into the document (what the open
upstream fix, Textualize/textual#6687, does); the selection is restored right after as usual.
"""

from __future__ import annotations

from textual.widgets import TextArea

__all__ = ["SafeTextArea"]


class SafeTextArea(TextArea):
    """The composer's editor: undo/redo of a large paste never crashes the app."""

    def _recompute_cursor_offset(self) -> None:
        location = self.clamp_visitable(self.cursor_location)
        self._cursor_offset = self.wrapped_document.location_to_offset(location)
