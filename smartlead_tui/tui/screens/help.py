"""Help: every active key binding, with what it does."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Lists the bindings of the screen below plus the app's, so it never goes stale."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 70; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("f1", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._help_text(), markup=False)

    def _help_text(self) -> str:
        lines = ["smartlead-tui keys", "", f"  {'key':<10} {'what it does':<26} id (for [keymap])"]
        seen: set[str] = set()
        screens = [s for s in self.app.screen_stack if s is not self]
        below = screens[-1] if screens else None
        sources: list[DOMNode] = [below] if below is not None else []
        # Then the keys of the focused widget and the containers around it (the reply form's
        # ctrl+l, the attachment list's delete): only those with an id, not the stock keys of
        # inputs and text areas.
        focused = below.focused if below is not None else None
        chain = list(focused.ancestors_with_self) if focused is not None else []
        widgets = [node for node in chain if node is not below and node is not self.app]
        sources += widgets
        sources.append(self.app)
        for source in sources:
            for bindings in source._bindings.key_to_bindings.values():
                for binding in bindings:
                    if not binding.description or binding.action in seen:
                        continue
                    if source in widgets and not binding.id:
                        continue
                    seen.add(binding.action)
                    keymap = getattr(getattr(self.app, "settings", None), "keymap", None) or {}
                    remapped = keymap.get(binding.id) if binding.id else None
                    display = remapped or self.app.get_key_display(binding)
                    lines.append(f"  {display:<10} {binding.description:<26} {binding.id or ''}")
        lines += _legend_lines(below)
        lines += [
            "",
            "Remap a key: smartlead-tui config set keymap.ID KEYS",
            '  (or in config.toml, under [keymap]:  "inbox.reply" = "e").',
            "escape closes this help.",
        ]
        return "\n".join(lines)

    def action_close(self) -> None:
        self.dismiss()


def _legend_lines(screen: Screen[Any] | None) -> list[str]:
    """The marks legend of every widget on `screen` that has a HELP_LEGEND."""
    if screen is None:
        return []
    lines: list[str] = []
    seen: set[type] = set()
    for node in [screen, *screen.query("*")]:
        legend = getattr(type(node), "HELP_LEGEND", None)
        if not legend or type(node) in seen:
            continue
        seen.add(type(node))
        lines += ["", "Marks in the list"]
        lines += [f"  {mark:<10} {meaning}" for mark, meaning in legend]
    return lines
