"""One reply in full: its timeline, the request that was sent, the last error, and actions.

Updates live while open (the tracking driver's messages), so a person can watch a reply go
from queued to COMPLETED here too. The request body is shown as stored, which never contains
the API key (the store refuses one), and is passed through `redact` all the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from smartlead_tui.outbox.states import display_label, send_outcome
from smartlead_tui.outbox.store import EntryNotFound
from smartlead_tui.redact import redact
from smartlead_tui.tui.screens.resolve_unknown import ResolveCommands, resolve_selected
from smartlead_tui.tui.tracking import (
    ReplyStatusChanged,
    TrackingDriver,
    TrackingStateChanged,
    tracking_driver,
)
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.status_table import RowView, format_when, status_text
from smartlead_tui.tui.widgets.status_timeline import StatusTimeline

if TYPE_CHECKING:
    from smartlead_tui.outbox.store import OutboxEntry, Store

#: Fields a resend must not inherit: the old schedule is most likely in the past.
_NOT_RESENT = ("scheduled_time", "schedule_text")


def resend_prefill(entry: OutboxEntry) -> dict[str, Any] | None:
    """The entry's fields as a new draft, or None when there is nothing to resend."""
    fields = dict(entry.fields or {})
    if not fields.get("body") or not fields.get("email_stats_id"):
        return None
    for name in _NOT_RESENT:
        fields.pop(name, None)
    return fields


class OutboxDetailScreen(Screen[None]):
    """Everything known about one outbox entry; letters are safe (no inputs here)."""

    DEFAULT_CSS = """
    OutboxDetailScreen #detail { padding: 0 1; }
    OutboxDetailScreen .section { margin-top: 1; text-style: bold; color: $primary; }
    OutboxDetailScreen #detail-summary { padding: 0 1; }
    OutboxDetailScreen #detail-error { padding: 0 1; }
    OutboxDetailScreen #detail-error.-error { color: $error; }
    OutboxDetailScreen #detail-request { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="outbox-detail.back"),
        # Short labels: with m (unknown sends only) the footer still fits 80 columns.
        Binding(
            "c",
            "copy_message_id",
            "Copy ID",
            id="outbox-detail.copy-message-id",
            tooltip="Copy the Message-ID",
        ),
        Binding(
            "n", "resend", "Resend", id="outbox-detail.resend", tooltip="Resend as a new draft"
        ),
        Binding("r", "check_now", "Check", id="outbox-detail.check-now", tooltip="Check now"),
        Binding("d", "stop_tracking", "Untrack", id="outbox-detail.stop-tracking"),
        Binding("m", "resolve", "Resolve", id="outbox-detail.resolve"),
    ]
    COMMANDS: ClassVar[set[Any]] = {ResolveCommands}

    def __init__(self, entry_id: int, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.entry_id = entry_id
        self._clock_override = clock
        self.entry: OutboxEntry | None = None
        self.driver: TrackingDriver | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static("", id="detail-summary", markup=False)
            yield Static("Timeline", classes="section", markup=False)
            yield StatusTimeline(id="detail-timeline")
            yield Static("Last error", classes="section", markup=False)
            yield Static("", id="detail-error", markup=False)
            yield Static(
                "Request sent (the API key is never stored)", classes="section", markup=False
            )
            yield Static("", id="detail-request", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Outbox"
        self.sub_title = f"reply {self.entry_id}"
        self.driver = tracking_driver(self.app)
        self.driver.subscribe(self)
        self.reload()

    def on_unmount(self) -> None:
        if self.driver is not None:
            self.driver.unsubscribe(self)

    def on_reply_status_changed(self, message: ReplyStatusChanged) -> None:
        if message.entry_id == self.entry_id:
            self.reload()

    def on_tracking_state_changed(self, message: TrackingStateChanged) -> None:
        self.reload()

    # -- content ---------------------------------------------------------------------------

    def _now(self) -> float:
        if self._clock_override is not None:
            return self._clock_override()
        return self.driver.clock() if self.driver is not None else time.time()

    def reload(self) -> None:
        store: Store = self.app.store  # type: ignore[attr-defined]
        try:
            entry = store.get_entry(self.entry_id)
        except EntryNotFound:
            self.query_one("#detail-summary", Static).update(
                f"Outbox entry {self.entry_id} no longer exists."
            )
            return
        self.entry = entry
        tz = self.app.timezone  # type: ignore[attr-defined]
        now = self._now()
        note = self.driver.note_for(entry.id) if self.driver is not None else None
        view = RowView.from_entry(entry, note, now=now)
        self.refresh_bindings()  # m only while the send is unknown
        self.query_one("#detail-summary", Static).update(self._summary(entry, view, now, tz))
        self.query_one(StatusTimeline).show(
            store.journal(entry.id), store.status_history(entry.id), now=now, tz=tz
        )
        error = self.query_one("#detail-error", Static)
        error.update(Text(redact(entry.last_error)) if entry.last_error else Text("none"))
        error.set_class(bool(entry.last_error), "-error")
        self.query_one("#detail-request", Static).update(Text(self._request_text(entry)))

    def _summary(self, entry: OutboxEntry, view: RowView, now: float, tz: Any) -> Text:
        rows = [
            ("Lead", view.lead),
            ("Campaign", view.campaign),
            ("Subject", str((entry.fields or {}).get("subject") or "—")),
            ("State", display_label(view.display)),
            ("Send outcome", send_outcome(entry)),
            ("SmartLead says", _reply_status_text(entry, view)),
            ("Status message", view.message or "—"),
            ("Message-ID", entry.message_id or _no_message_id(entry)),
            ("Event time", format_when(view.event_time, now, tz)),
            ("Scheduled", format_when(view.scheduled_time, now, tz)),
            ("Last checked", format_when(view.checked_at, now, tz)),
            ("Tracking", "on" if entry.tracking else "stopped"),
        ]
        text = Text()
        for index, (label, value) in enumerate(rows):
            if index:
                text.append("\n")
            text.append(f"{label + ':':<16}", style="bold")
            text.append(value)
        return text

    @staticmethod
    def _request_text(entry: OutboxEntry) -> str:
        if not entry.request_body:
            return "Nothing was sent from here: this Message-ID was added by hand."
        body = json.dumps(entry.request_body, ensure_ascii=False, indent=2, sort_keys=True)
        return redact(f"POST {entry.endpoint}\n{body}")

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that cannot apply to this entry stay out of the footer (80 columns)."""
        entry = self.entry
        if action == "resolve":
            return entry is not None and entry.state == "unknown"
        if action == "copy_message_id":
            return entry is not None and bool(entry.message_id)
        if action == "stop_tracking":
            return entry is not None and entry.state in ("queued", "unknown") and entry.tracking
        return True

    def selected_unknown(self) -> OutboxEntry | None:
        """This entry while it is an unknown send (the palette's resolve command)."""
        return self.entry if self.entry is not None and self.entry.state == "unknown" else None

    def action_resolve(self) -> None:
        resolve_selected(self, self.entry, self.driver)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy_message_id(self) -> None:
        if self.entry is None or not self.entry.message_id:
            self.notify("No Message-ID to copy yet.", severity="warning", markup=False)
            return
        self.app.copy_to_clipboard(self.entry.message_id)
        self.notify(
            f"Copied {self.entry.message_id} (OSC 52: the terminal must allow clipboard access).",
            markup=False,
        )

    def action_resend(self) -> None:
        if self.entry is None:
            return
        prefill = resend_prefill(self.entry)
        if prefill is None:
            self.notify(
                "Nothing to resend: this entry has no body or thread (added by hand).",
                severity="warning",
                markup=False,
            )
            return
        open_compose = getattr(self.app, "open_compose", None)
        try:
            if open_compose is None:
                raise ImportError("compose")
            open_compose(prefill)
        except ImportError:
            self.notify("The compose screen is not available.", severity="error", markup=False)

    def action_check_now(self) -> None:
        if self.driver is not None and self.driver.check_now(self.entry_id):
            self.notify("Checking now.", markup=False)
        else:
            self.notify("Nothing to check: delivered or not tracked.", markup=False)

    def action_stop_tracking(self) -> None:
        if self.driver is None or self.entry is None:
            return
        if self.entry.state not in ("queued", "unknown"):
            self.notify(
                f"Only sent replies are tracked; this one is {self.entry.state}.", markup=False
            )
            return
        if not self.entry.tracking:
            self.notify("Already not tracked.", markup=False)
            return
        self.driver.stop_tracking(self.entry_id)
        self.notify("Stopped tracking this reply.", markup=False)


def _reply_status_text(entry: OutboxEntry, view: RowView) -> str:
    """The second source: SmartLead's reply-status, or why there is none yet."""
    if not entry.last_status:
        return "no reply-status yet" if entry.state == "queued" else "—"
    return status_text(view.status)


def _no_message_id(entry: OutboxEntry) -> str:
    if entry.state in ("send-failed", "cancelled"):
        return "none: it did not go out"
    if entry.state in ("held", "sending"):
        return "none yet: not sent yet"
    return "not known yet"
