"""A Footer that rebuilds only when what it shows changes.

Textual's Footer recomposes on every focus change. On a long form that halves the speed of
tabbing from field to field, although the visible keys stay the same: the inputs' own bindings
are hidden. This one compares what it would show and skips identical rebuilds.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["ComposeFooter"]


class ComposeFooter(Footer):
    """Drop-in Footer; recomposes only when a shown binding, its state or tooltip changed."""

    _shown: tuple[Any, ...] | None = None

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
