"""The reply form's own keys, and focus given back the way the person left it.

`ctrl+l` ("clean") strips pasted control characters from every field (in the footer only while
there are some; not ctrl+r, which reloads in the inbox), `ctrl+end` goes to the end of the body
from any field. Kept apart from the form's layout and validation (reply_form.py); the palette
finds both through reply_commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import TextArea

from smartlead_tui.control_chars import control_names, has_controls
from smartlead_tui.tui.widgets.reply_text import strip_controls_in

__all__ = ["ReplyFormKeys"]


class ReplyFormKeys(VerticalScroll):
    """Base of ReplyForm: its key bindings and their actions (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+l",
            "strip_controls",
            "Strip",  # short: the footer must keep F2 and ^o at 80 columns
            id="compose.strip-controls",
            tooltip="Strip pasted control characters and escape sequences",
        ),
        Binding("ctrl+end", "body_end", "End of body", id="compose.body-end", show=False),
    ]

    #: Whether some field holds a control character (the footer shows ctrl+l only then).
    _has_controls = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "strip_controls":
            return self._has_controls
        return True

    def action_strip_controls(self) -> None:
        """Remove every control character from every field, and say which went."""
        found = strip_controls_in(self)
        if not found:
            self.notify("No control characters to strip.", markup=False)
            return
        total = sum(found.values())
        self.notify(
            f"Removed {total} control character{'s' if total > 1 else ''}: "
            + ", ".join(control_names(found)),
            markup=False,
        )

    def action_body_end(self) -> None:
        """To the end of the body, from any field (TextArea has no ctrl+end of its own)."""
        body = self.query_one("#body", TextArea)
        body.focus()
        body.move_cursor(body.document.end)
        self.call_after_refresh(body.scroll_visible)

    def key_for(self, binding_id: str) -> str:
        """The key of one of the form's bindings, as the person's keymap has it."""
        keymap = getattr(getattr(self.app, "settings", None), "keymap", None) or {}
        default = next(
            (b.key for b in self.BINDINGS if isinstance(b, Binding) and b.id == binding_id), ""
        )
        return str(keymap.get(binding_id) or default).split(",")[0]

    def _controls_changed(self, fields: Mapping[str, Any]) -> None:
        has = has_controls(fields.values())
        if has != self._has_controls:
            self._has_controls = has
            self.screen.refresh_bindings()

