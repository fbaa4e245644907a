"""A reply's whole life on one list: every local state and every SmartLead status, with times.

The journal (our side: held, sending, queued, Message-ID found, tracking stopped) and the status
history (SmartLead's side) are two tables in the store; a person wants one story, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from smartlead_tui.outbox.tracker import parse_time
from smartlead_tui.tui.widgets.status_table import TimeFormatter, state_text, status_text

if TYPE_CHECKING:
    from smartlead_tui.outbox.store import JournalRow, StatusRow


@dataclass(frozen=True)
class TimelineItem:
    at: float
    side: str  # "local" or "SmartLead"
    what: str
    detail: str


def build_timeline(
    journal: Sequence[JournalRow],
    statuses: Sequence[StatusRow],
    when: Callable[[float | None], str] | None = None,
) -> list[TimelineItem]:
    """Both histories merged by time; on a tie our own step comes first (it caused the other).

    `when` formats SmartLead's event and scheduled times (raw ISO text without it).
    """
    items: list[tuple[float, int, TimelineItem]] = []
    previous_state = None
    for row in journal:
        at = row.at.timestamp()
        what = state_text(row.state) if row.state != previous_state else "·"
        previous_state = row.state
        items.append((at, 0, TimelineItem(at, "local", what, row.detail)))
    for status in statuses:
        at = status.at.timestamp()
        extra = []
        if status.status_message:
            extra.append(status.status_message)
        event = parse_time(status.event_time)
        scheduled = parse_time(status.scheduled_time)
        if event is not None:
            extra.append(f"event {when(event) if when else status.event_time}")
        if scheduled is not None:
            extra.append(f"scheduled for {when(scheduled) if when else status.scheduled_time}")
        item = TimelineItem(at, "SmartLead", status_text(status.status), " · ".join(extra))
        items.append((at, 1, item))
    items.sort(key=lambda triple: (triple[0], triple[1]))
    return [item for _, _, item in items]


def timeline_text(items: Sequence[TimelineItem], *, now: float, tz: tzinfo) -> Text:
    """Aligned lines: time, side (local or SmartLead), state or status, detail."""
    if not items:
        return Text("Nothing recorded yet.")
    when = TimeFormatter(now, tz)
    stamps = [when(item.at) for item in items]
    width = max(len(stamp) for stamp in stamps)
    lines = Text()
    for index, (item, stamp) in enumerate(zip(items, stamps, strict=True)):
        if index:
            lines.append("\n")
        lines.append(f"{stamp:>{width}}  ", style="dim")
        lines.append(f"{item.side:<9}  ", style="bold" if item.side == "SmartLead" else "")
        lines.append(f"{item.what:<14}")
        if item.detail:
            lines.append(f" {item.detail}")
    return lines


class StatusTimeline(Static):
    """Shows `build_timeline` output; `show()` replaces it (the detail screen calls it live)."""

    DEFAULT_CSS = """
    StatusTimeline { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(
        self,
        journal: Sequence[JournalRow],
        statuses: Sequence[StatusRow],
        *,
        now: float,
        tz: tzinfo,
    ) -> None:
        items = build_timeline(journal, statuses, TimeFormatter(now, tz))
        self.update(timeline_text(items, now=now, tz=tz))
