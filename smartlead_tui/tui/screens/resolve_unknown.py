"""Resolve an unknown send: the person says whether it went, after looking at the thread.

Shared by the outbox table and the detail view (key `m`, and the command palette through
`ResolveCommands`). Nothing is sent from here: "not sent" only closes the row, and the detail
view's resend key is the way to send it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from smartlead_tui.outbox.store import StoreError

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from smartlead_tui.outbox.store import OutboxEntry
    from smartlead_tui.tui.tracking import TrackingDriver

__all__ = ["ResolveCommands", "ResolveUnknownScreen", "resolve_selected"]


class ResolveUnknownScreen(ModalScreen[bool | None]):
    """Did it go? s: it was sent · n: it was not sent · escape: decide later."""

    DEFAULT_CSS = """
    ResolveUnknownScreen { align: center middle; }
    ResolveUnknownScreen > Vertical {
        width: 72; max-width: 100%; height: auto;
        border: round $warning; background: $surface; padding: 1 2;
    }
    ResolveUnknownScreen #resolve-keys { margin-top: 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "decide(True)", "It was sent", id="resolve.sent"),
        Binding("n", "decide(False)", "It was not sent", id="resolve.not-sent"),
        Binding("escape", "decide(None)", "Decide later", id="resolve.cancel"),
    ]

    def __init__(self, entry: OutboxEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        who = self.entry.lead_label or f"outbox entry {self.entry.id}"
        with Vertical():
            yield Static(Text(f"Did the reply to {who} go out?", style="bold"))
            yield Static(
                Text(
                    "SmartLead's answer never came, so nobody knows yet. Open the lead's "
                    "thread (in the inbox) and look for it first.\n"
                    "It was sent: the row follows its delivery from here.\n"
                    "It was not sent: the row closes; resend it from the detail view (n)."
                )
            )
            yield Static(
                Text("s: it was sent · n: it was not sent · escape: decide later"),
                id="resolve-keys",
            )

    def action_decide(self, sent: bool | None) -> None:
        self.dismiss(sent)


def resolve_selected(screen: Any, entry: OutboxEntry | None, driver: TrackingDriver | None) -> None:
    """Ask about `entry` (an unknown send) and record the answer; explains otherwise."""
    if entry is None or driver is None:
        return
    if entry.state != "unknown":
        screen.notify("Only an unknown send needs resolving; this one is settled.", markup=False)
        return

    def decided(sent: bool | None) -> None:
        if sent is None:
            return
        try:
            driver.resolve(entry.id, sent=sent)
        except StoreError as exc:
            screen.notify(f"Not changed: {exc}", severity="warning", markup=False)
            return
        who = entry.lead_label or f"entry {entry.id}"
        screen.notify(
            f"Reply to {who} marked as {'sent' if sent else 'not sent'}.",
            title="Outbox",
            markup=False,
        )

    screen.app.push_screen(ResolveUnknownScreen(entry), decided)


class ResolveCommands(Provider):
    """The palette's "Resolve unknown send" on a screen with an unknown row selected."""

    def _command(self) -> tuple[str, Callable[[], Any]] | None:
        screen = self.screen
        pick = getattr(screen, "selected_unknown", None)
        action = getattr(screen, "action_resolve", None)
        if pick is None or action is None or pick() is None:
            return None
        return "Resolve unknown send", action

    async def discover(self) -> Hits:
        found = self._command()
        if found is not None:
            yield DiscoveryHit(found[0], found[1], help="Say whether it went (s / n)")

    async def search(self, query: str) -> Hits:
        found = self._command()
        if found is None:
            return
        score = self.matcher(query).match(found[0])
        if score > 0:
            yield Hit(score, self.matcher(query).highlight(found[0]), found[1])
