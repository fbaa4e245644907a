"""The app-level tracking driver: one timer, one worker at a time, messages to whoever listens.

One `set_interval` tick starts an exclusive async worker (unless the last one is still running)
that runs the tracker's due checks and picks up outbox entries that changed elsewhere (the
sender moving a reply held -> sending -> queued). Results go out as `ReplyStatusChanged` and
`TrackingStateChanged` messages to the screens and widgets that subscribed; notifications and the
optional terminal bell are raised here, once, whatever screen is showing.

The app owns one driver (`app.tracking`); `tracking_driver(app)` creates it on first use so a
screen works before the app wires it explicitly.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.message_pump import MessagePump

from smartlead_tui.outbox.tracker import (
    PollPolicy,
    Tracker,
    TrackerEvent,
    is_failure_status,
)

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from smartlead_tui.api.limiter import RequestBudget
    from smartlead_tui.outbox.store import OutboxEntry, Store

log = logging.getLogger("smartlead_tui.tui.tracking")

#: How many of the newest entries each tick compares with what it saw last time: new sends
#: and their held -> sending -> queued moves always happen among the newest.
SYNC_WINDOW = 25


class ReplyStatusChanged(Message):
    """An outbox entry changed: SmartLead status, Message-ID, local state or tracking."""

    def __init__(self, entry_id: int, kind: str = "changed", text: str = "") -> None:
        super().__init__()
        self.entry_id = entry_id
        self.kind = kind
        self.text = text

    def can_replace(self, message: Message) -> bool:
        """A burst of changes to one entry collapses into one repaint."""
        return isinstance(message, ReplyStatusChanged) and message.entry_id == self.entry_id


class TrackingStateChanged(Message):
    """Tracker-wide news: checks stopped (401), paused (429), resumed, or a setup problem."""

    def __init__(self, kind: str, text: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.text = text


class TrackingDriver:
    """Runs the tracker for the app and tells subscribers what changed."""

    def __init__(
        self,
        app: App[Any],
        *,
        clock: Callable[[], float] = time.time,
        policy: PollPolicy | None = None,
        tick_seconds: float | None = None,
        bell: bool | None = None,
        notify: bool = True,
        enabled: bool = True,
    ) -> None:
        self.app = app
        settings = getattr(app, "settings", None)
        self._fixed_policy = policy
        self.policy = policy or _policy_for(app)
        self.clock = clock
        self.tick_seconds = tick_seconds or min(1.0, max(0.1, self.policy.interval / 2))
        self._fixed_bell = bell
        self.bell = bool(getattr(settings, "notify_bell", False)) if bell is None else bell
        self.notify_enabled = notify
        self.enabled = enabled
        #: why checks cannot run at all (no API key...), for the panel's banner
        self.problem: str | None = None
        #: replies that reached COMPLETED since the app started (the compose summary shows it)
        self.delivered_this_session = 0
        self._tracker: Tracker | None = None
        self._recent: dict[int, tuple[Any, ...]] | None = None
        self._subscribers: weakref.WeakSet[MessagePump] = weakref.WeakSet()
        self._timer: Any = None
        self._worker: Worker[Any] | None = None

    # -- wiring ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the timer (idempotent); the first check runs right away."""
        if self._timer is not None or not self.enabled:
            return
        self._timer = self.app.set_interval(self.tick_seconds, self.kick, name="outbox-tracker")
        self.app.call_later(self.kick)

    def reset(self) -> None:
        """Forget the tracker (new settings: another client, store or intervals); it is rebuilt
        on the next tick and resumes from the store."""
        self._forget()
        self._post(TrackingStateChanged("reset", ""))
        self.kick()

    def _forget(self) -> None:
        self.policy = self._fixed_policy or _policy_for(self.app)
        if self._fixed_bell is None:
            self.bell = bool(getattr(getattr(self.app, "settings", None), "notify_bell", False))
        self._tracker = None
        self._recent = None
        self.problem = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def subscribe(self, node: MessagePump) -> None:
        """`node` receives ReplyStatusChanged / TrackingStateChanged from now on."""
        self._subscribers.add(node)

    def unsubscribe(self, node: MessagePump) -> None:
        self._subscribers.discard(node)

    def kick(self) -> None:
        """Run the due checks now, unless a run is still going (never two at once)."""
        if not self.enabled:
            return
        if self._worker is not None and self._worker.is_running:
            return
        self._worker = self.app.run_worker(
            self.run_once,  # the callable, not a coroutine: a cancelled start leaves none unawaited
            name="outbox-tracker",
            group="outbox-tracker",
            exclusive=True,
            exit_on_error=False,
        )

    # -- state for screens -----------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.app.store  # type: ignore[attr-defined]

    @property
    def tracker(self) -> Tracker | None:
        return self._tracker

    @property
    def budget(self) -> RequestBudget | None:
        """The shared budget, once the client exists (never creates it: that costs start-up)."""
        client = getattr(self.app, "_client", None)
        return client.budget if client is not None else None

    @property
    def halted(self) -> str | None:
        from smartlead_tui.tui.wording import in_app_words

        reason = self._tracker.halted if self._tracker is not None else None
        return in_app_words(reason) if reason else reason

    def paused_for(self) -> float:
        if self._tracker is None:
            return 0.0
        return self._tracker.schedule.paused_for(self._tracker.now())

    def note_for(self, entry_id: int) -> str | None:
        return self._tracker.note(entry_id) if self._tracker is not None else None

    def in_flight(self) -> int:
        """Queued replies still being followed (not yet COMPLETED, not given up on)."""
        if self._tracker is None:
            return 0
        items = self._tracker.schedule.items.values()
        return sum(1 for item in items if item.active and item.local_state == "queued")

    # -- actions (from screens) --------------------------------------------------------------

    def entry_changed(self, entry_id: int) -> None:
        """Tell the driver an entry changed in the store (the sender calls this after a move)."""
        try:
            entry = self.store.get_entry(entry_id)
        except Exception as exc:  # EntryNotFound, a closed store: nothing to show
            log.debug("entry %s changed but cannot be read: %s", entry_id, exc)
            return
        if self._tracker is not None:
            self._tracker.sync_entry(entry)
        if self._recent is not None:
            self._recent[entry.id] = _fingerprint(entry)
        self._post(ReplyStatusChanged(entry_id, "changed"))
        self.kick()

    def track(self, message_id: str) -> tuple[OutboxEntry, bool]:
        """Follow a (normalised) Message-ID. Returns (entry, whether it is new)."""
        existed = self.store.find_by_message_id(message_id)
        entry = self.store.add_tracked_message(message_id)
        self.entry_changed(entry.id)
        return entry, existed is None

    def stop_tracking(self, entry_id: int) -> None:
        self.store.stop_tracking(entry_id)
        if self._tracker is not None:
            self._tracker.forget(entry_id)
        self.entry_changed(entry_id)

    def resolve(self, entry_id: int, *, sent: bool) -> OutboxEntry:
        """The person decided what became of an unknown send (see `outbox.resolve`).

        Raises the store's TransitionError when it is no longer unknown.
        """
        from smartlead_tui.outbox.resolve import mark_not_sent, mark_sent

        entry = (mark_sent if sent else mark_not_sent)(self.store, entry_id)
        self.entry_changed(entry_id)
        self._announce_state(entry_id)
        return entry

    def check_now(self, entry_id: int) -> bool:
        """Check this reply at the next chance (lifts a 401 stop too). False: nothing to do."""
        if self._tracker is None:
            self.kick()
            return True
        was_halted = self._tracker.halted is not None
        due = self._tracker.check_now(entry_id)
        if was_halted:
            self._post(TrackingStateChanged("resumed", "Status checks resumed."))
        self.kick()
        return due

    # -- the worker ------------------------------------------------------------------------

    async def run_once(self) -> list[TrackerEvent]:
        """One tick: sync recent store changes, run due checks, tell everyone. Never raises."""
        try:
            if self._tracker is not None and self._is_stale(self._tracker):
                self._forget()
                self._post(TrackingStateChanged("reset", ""))
            tracker = await self._ensure_tracker()
            if tracker is None:
                return []
            changed = self._sync_recent(tracker)
            events = await tracker.run_due()
        except Exception as exc:
            log.exception("tracking tick failed")
            self._set_problem(f"Status checks hit an unexpected error: {exc}")
            return []
        for entry_id in changed:
            self._post(ReplyStatusChanged(entry_id, "changed"))
        for event in events:
            self._dispatch(event)
        return events

    def _is_stale(self, tracker: Tracker) -> bool:
        """The app swapped its client or store (settings changed): start over with the new."""
        app = self.app
        return tracker.client is not getattr(app, "_client", tracker.client) or (
            tracker.store is not getattr(app, "_store", tracker.store)
        )

    async def _ensure_tracker(self) -> Tracker | None:
        if self._tracker is not None:
            return self._tracker
        if self.problem is not None:
            return None
        store = self.store
        entries = store.list_entries(limit=SYNC_WINDOW)
        if not entries:
            self._recent = {}
            return None  # an empty outbox: do not create the HTTP client for nothing
        try:
            client = self.app.client  # type: ignore[attr-defined]
        except Exception as exc:  # no API key: the client refuses to exist
            self._set_problem(f"Status checks are off: {exc}.")
            return None
        tracker = Tracker(client, store, policy=self.policy, clock=self.clock)
        await tracker.aload()
        self._tracker = tracker
        if self._recent is None:
            self._recent = {e.id: _fingerprint(e) for e in entries}
        return tracker

    def _sync_recent(self, tracker: Tracker) -> list[int]:
        """Entries among the newest that changed since the last tick (new sends, moves)."""
        entries = self.store.list_entries(limit=SYNC_WINDOW)
        recent = self._recent if self._recent is not None else {}
        changed = []
        for entry in entries:
            mark = _fingerprint(entry)
            if recent.get(entry.id) != mark:
                changed.append(entry.id)
                tracker.sync_entry(entry)
        self._recent = {e.id: _fingerprint(e) for e in entries}
        return changed

    def _set_problem(self, text: str) -> None:
        if self.problem == text:
            return
        self.problem = text
        self._post(TrackingStateChanged("problem", text))

    # -- telling people --------------------------------------------------------------------

    def _post(self, message: Message) -> None:
        for node in list(self._subscribers):
            if node.is_running:
                node.post_message(message)

    def _dispatch(self, event: TrackerEvent) -> None:
        if event.entry_id is None:
            self._post(TrackingStateChanged(event.kind, event.text))
            if event.kind == "auth":
                self._say(event.text, severity="error", ring=True)
            return
        self._post(ReplyStatusChanged(event.entry_id, event.kind, event.text))
        if event.kind == "completed":
            self.delivered_this_session += 1
            self._say(f"Delivered: reply to {self._who(event.entry_id)}.", ring=True)
        elif event.kind in ("not-found", "no-message-id", "rejected"):
            self._say(
                f"Reply to {self._who(event.entry_id)}: {event.text}", severity="warning", ring=True
            )
        elif event.kind == "status" and event.status and is_failure_status(event.status.status):
            detail = event.status.status_message or event.status.status
            self._say(
                f"Reply to {self._who(event.entry_id)}: {event.status.status} — {detail}",
                severity="error",
                ring=True,
            )
        elif event.kind == "sent":
            self._announce_state(event.entry_id)
            self._say(f"Reply to {self._who(event.entry_id)} did go out: {event.text}.")
        elif event.kind == "not-sent":
            self._announce_state(event.entry_id)
            self._say(f"Reply to {self._who(event.entry_id)}: {event.text}.", severity="warning")

    def _announce_state(self, entry_id: int) -> None:
        """An unknown send was resolved here, not by the sender: tell the sender's listeners
        too (the composer's outbox counts, a composer still showing that reply)."""
        publish = getattr(getattr(self.app, "send_driver", None), "publish_entry", None)
        if publish is None:
            return
        try:
            publish(self.store.get_entry(entry_id))
        except Exception as exc:  # a closed store, a listener that failed: never fatal here
            log.debug("could not announce entry %s: %s", entry_id, exc)

    def _who(self, entry_id: int) -> str:
        try:
            entry = self.store.get_entry(entry_id)
        except Exception:
            return f"entry {entry_id}"
        return (
            entry.lead_label
            or str((entry.fields or {}).get("lead_label") or "")
            or entry.message_id
            or f"entry {entry_id}"
        )

    def _say(self, text: str, *, severity: str = "information", ring: bool = False) -> None:
        if self.notify_enabled:
            self.app.notify(text, title="Outbox", severity=severity, markup=False)  # type: ignore[arg-type]
        if ring and self.bell:
            self.app.bell()


def _policy_for(app: App[Any]) -> PollPolicy:
    settings = getattr(app, "settings", None)
    return PollPolicy.from_settings(settings) if settings is not None else PollPolicy()


def _fingerprint(entry: OutboxEntry) -> tuple[Any, ...]:
    return (entry.state, entry.updated_at, entry.tracking, entry.message_id, entry.last_status)


def tracking_driver(app: App[Any]) -> TrackingDriver:
    """The app's driver (`app.tracking`), created and attached on first use."""
    driver = getattr(app, "tracking", None)
    if not isinstance(driver, TrackingDriver):
        driver = TrackingDriver(app)
        app.tracking = driver  # type: ignore[attr-defined]
    return driver
