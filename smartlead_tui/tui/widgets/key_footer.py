"""The footer every screen uses: fits an 80-column terminal, rebuilds only on real changes.

Textual's Footer recomposes on every focus change. On a long form that halves the speed of
tabbing from field to field, although the visible keys stay the same: the inputs' own bindings
are hidden. This one compares what it would show and skips identical rebuilds.

At 80 columns the standard footer cut off the app-wide keys (F2 settings, ctrl+o outbox).
Below NARROW_COLUMNS it goes compact and leaves out ctrl+q and the docked "^p palette" key:
both keep working and are listed in the help screen (F1), which every footer shows.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["NARROW_COLUMNS", "KeyFooter"]

#: Terminals narrower than this get the compact footer without the palette key.
NARROW_COLUMNS = 100

#: Actions left out of a narrow footer (they still work, and F1 lists them).
#: The composer's ctrl+e is named in the body's own label ("ctrl+e: edit in $EDITOR").
NARROW_HIDDEN_ACTIONS = frozenset({"quit", "edit_external"})


class KeyFooter(Footer):
    """Drop-in Footer; recomposes only when a shown binding, its state or tooltip changed."""

    _shown: tuple[Any, ...] | None = None

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_COLUMNS
        if self.compact == narrow:
            return
        self.compact = narrow
        self.show_command_palette = not narrow
        self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if (
                self.compact
                and isinstance(widget, FooterKey)
                and widget.action in NARROW_HIDDEN_ACTIONS
            ):
                continue
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # no rebuild happens: remember nothing
            return
        signature = self._signature(screen)
        if self._bindings_ready and signature == self._shown:
            return
        self._shown = signature
        super().bindings_changed(screen)

    def _signature(self, screen: Screen[Any]) -> tuple[Any, ...]:
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )
