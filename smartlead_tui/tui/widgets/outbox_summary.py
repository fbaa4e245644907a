"""One-line outbox summary for the compose screen: what is held, in flight, failed, delivered.

Counts come from cheap indexed COUNT queries plus the tracker's in-flight figure, refreshed
when the driver reports a change (not on a timer), so it costs nothing while idle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from smartlead_tui.tui.tracking import (
    ReplyStatusChanged,
    TrackingDriver,
    TrackingStateChanged,
    tracking_driver,
)

if TYPE_CHECKING:
    from smartlead_tui.outbox.store import Store


def summary_text(
    *,
    held: int,
    sending: int,
    in_flight: int,
    unknown: int,
    failed: int,
    delivered: int,
    halted: bool = False,
    key_hint: str = "",
) -> str:
    """One line like "Outbox: 1 held · 2 in flight · 3 delivered"; zero counts left out."""
    parts = [
        f"‖ {held} held" if held else "",
        f"↑ {sending} sending" if sending else "",
        f"• {in_flight} in flight" if in_flight else "",
        f"? {unknown} unknown" if unknown else "",
        f"✗ {failed} failed" if failed else "",
        f"✓ {delivered} delivered" if delivered else "",
    ]
    shown = " · ".join(p for p in parts if p) or "empty"
    text = f"Outbox: {shown}"
    if halted:
        text += " · status checks stopped"
    if key_hint:
        text += f" ({key_hint} opens it)"
    return text


class OutboxSummary(Static):
    """Drop into any screen: `yield OutboxSummary()`. Updates itself from the driver."""

    DEFAULT_CSS = """
    OutboxSummary { height: 1; width: 1fr; padding: 0 1; color: $text-muted; }
    OutboxSummary.-attention { color: $warning; }
    """

    def __init__(self, *, key_hint: str = "", id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._key_hint = key_hint
        self._driver: TrackingDriver | None = None

    def on_mount(self) -> None:
        self._driver = tracking_driver(self.app)
        self._driver.subscribe(self)
        self._driver.start()
        self.recount()

    def on_unmount(self) -> None:
        if self._driver is not None:
            self._driver.unsubscribe(self)

    def on_reply_status_changed(self, message: ReplyStatusChanged) -> None:
        self.recount()

    def on_tracking_state_changed(self, message: TrackingStateChanged) -> None:
        self.recount()

    def recount(self) -> None:
        store: Store = self.app.store  # type: ignore[attr-defined]
        driver = self._driver
        counts = {
            state: store.count_entries(states=[state])
            for state in ("held", "sending", "unknown", "send-failed")
        }
        text = summary_text(
            held=counts["held"],
            sending=counts["sending"],
            in_flight=driver.in_flight() if driver else 0,
            unknown=counts["unknown"],
            failed=counts["send-failed"],
            delivered=driver.delivered_this_session if driver else 0,
            halted=bool(driver and driver.halted),
            key_hint=self._key_hint,
        )
        self.update(Text(text))
        self.set_class(bool(counts["unknown"] or counts["send-failed"]), "-attention")
