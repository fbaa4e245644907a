"""A checkbox whose state reads without colour.

Textual's Checkbox draws the same X in both states and tells them apart only by colour, which a
16-colour terminal (or a colour-blind reader) loses: the signature looked on when it was off.
This one draws X only when checked, and says "on" / "off" after its label.
"""

from __future__ import annotations

from textual.widgets import Checkbox

__all__ = ["StateCheckbox"]


class StateCheckbox(Checkbox):
    """`▐X▌ Add the signature: on` / `▐ ▌ Add the signature: off`."""

    def __init__(
        self, label: str, value: bool = False, *, id: str | None = None, compact: bool = False
    ) -> None:
        self._base_label = label
        super().__init__(self._state_label(value), value, id=id, compact=compact)
        self.BUTTON_INNER = self._inner(value)

    def _state_label(self, value: bool) -> str:
        return f"{self._base_label}: {'on' if value else 'off'}"

    @staticmethod
    def _inner(value: bool) -> str:
        return "X" if value else " "

    def watch_value(self) -> None:
        # Same signature as ToggleButton's, and it runs too: it sets `-on` and posts Changed.
        self.BUTTON_INNER = self._inner(self.value)
        self.label = self._state_label(self.value)
        super().watch_value()
