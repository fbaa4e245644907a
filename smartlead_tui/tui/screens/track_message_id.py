"""Paste Message-IDs to follow: any reply, also one not sent from here (the outbox's `t`)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from smartlead_tui.outbox.tracker import parse_pasted_ids

__all__ = ["TrackMessageIdScreen"]


class TrackMessageIdScreen(ModalScreen[list[str] | None]):
    """Paste one or more Message-IDs; bad ones are explained and nothing is added."""

    DEFAULT_CSS = """
    TrackMessageIdScreen { align: center middle; }
    TrackMessageIdScreen > Vertical {
        width: 76; max-width: 100%; height: auto;
        border: round $primary; background: $surface; padding: 1 2;
    }
    TrackMessageIdScreen #track-help { color: $text-muted; margin-bottom: 1; }
    TrackMessageIdScreen #track-error { color: $error; height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="track-id.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Track a Message-ID", classes="title", markup=False)
            yield Static(
                "Paste it from the email's headers, with or without <angle brackets>.\n"
                "Several at once: separate them with spaces. enter adds, escape cancels.",
                id="track-help",
                markup=False,
            )
            yield Input(placeholder="<id@mail.example.com>", id="track-input")
            yield Static("", id="track-error", markup=False)

    @on(Input.Submitted, "#track-input")
    def submit(self, event: Input.Submitted) -> None:
        ids, problems = parse_pasted_ids(event.value)
        error = self.query_one("#track-error", Static)
        if problems:
            error.update("\n".join(problems) + "\nNothing was added; fix it and press enter.")
            return
        if not ids:
            error.update("Paste a Message-ID first (it looks like <id@domain>).")
            return
        self.dismiss(ids)

    def action_cancel(self) -> None:
        self.dismiss(None)
