"""The app-owned driver of held replies: undo countdowns, the one POST, quitting safely.

It belongs to the app, not to a screen, so a held reply still goes when its countdown ends
after the composer was closed: its timer comes from `app.set_interval` and each send runs as an
app worker. Screens follow it through `changed`, a Signal carrying every journaled change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.signal import Signal
from textual.timer import Timer

from smartlead_tui.inbox import parse_api_time
from smartlead_tui.outbox.sender import UNKNOWN_PREFIX, Sender
from smartlead_tui.outbox.store import OutboxEntry, TransitionError
from smartlead_tui.tui.wording import not_sent_toast
from smartlead_tui.validation import format_schedule
from smartlead_tui.wording import join_sentences, plural

if TYPE_CHECKING:
    from smartlead_tui.api.errors import ApiError
    from smartlead_tui.tui.app import SmartleadApp

__all__ = ["OutboxChange", "SendDriver", "get_send_driver"]

#: States counted by the outbox summary line.
SUMMARY_STATES = ("held", "sending", "unknown")


@dataclass(frozen=True)
class OutboxChange:
    """One journaled state change of an outbox entry, as published to the screens."""

    entry: OutboxEntry


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SendDriver:
    """Holds, counts down, sends and undoes replies for the whole app.

    Only replies held in this session are sent when their window ends; replies found held at
    start-up are offered to the person (send now / back to draft), never sent silently.
    """

    TICK_SECONDS = 0.2

    def __init__(self, app: App[Any], *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.app = app
        self.changed: Signal[OutboxChange] = Signal(app, "outbox-changed")
        self._clock = clock
        self._sender: Sender | None = None
        self._held: dict[int, datetime] = {}
        self._paused_at: datetime | None = None
        self._sending: dict[int, datetime] = {}
        self._timer: Timer | None = None

    # -- wiring --------------------------------------------------------------------------

    @property
    def sender(self) -> Sender:
        """The state machine over the app's current store and settings.

        Rebuilt when the app switched settings or store (`apply_settings`): replies held in
        the previous store stay held there (offered at the next start in that mode) and are
        no longer counted down here, so an entry id is never looked up in the wrong store.
        """
        app: SmartleadApp = self.app  # type: ignore[assignment]
        store, settings = app.store, app.settings
        current = self._sender
        if current is None or current.store is not store or current.settings is not settings:
            if current is not None and current.store is not store and self._held:
                self.app.notify(
                    plural(len(self._held), "1 held reply stays", "{count} held replies stay")
                    + " in the previous outbox and will "
                    "be offered when you switch back; nothing was sent.",
                    severity="warning",
                    markup=False,
                )
                self._held.clear()
            current = Sender(
                store,
                lambda: app.client,
                settings=settings,
                tz=app.timezone,
                clock=self._clock,
                on_change=self._publish,
            )
            self._sender = current
        return current

    def switch_blocker(self) -> str | None:
        """Why the store or account must not be switched right now (None: it may)."""
        if self._sending:
            return "a reply is being sent; wait for its outcome"
        if self._held:
            return "a reply is held in the undo window; let it go or undo it first"
        return None

    def start(self) -> None:
        """Start the countdown timer (idempotent); call from the app's on_mount."""
        if self._timer is None:
            self._timer = self.app.set_interval(self.TICK_SECONDS, self._tick, name="send-driver")

    def now(self) -> datetime:
        return self._clock()

    # -- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A POST is in flight (quitting must wait)."""
        return bool(self._sending)

    @property
    def last_error(self) -> ApiError | None:
        """What the latest failed send got back (screens word their advice from it)."""
        return self._sender.last_error if self._sender is not None else None

    @property
    def held_ids(self) -> list[int]:
        return sorted(self._held)

    @property
    def sending_ids(self) -> list[int]:
        return sorted(self._sending)

    def is_sending(self, entry_id: int) -> bool:
        return entry_id in self._sending

    def sending_for(self, entry_id: int) -> float | None:
        """Seconds since this session's POST of the reply started (None: not in flight)."""
        since = self._sending.get(entry_id)
        return None if since is None else max(0.0, (self.now() - since).total_seconds())

    def remaining(self, entry_id: int) -> float | None:
        """Seconds left in the undo window of a reply held by this session (None: not held)."""
        until = self._held.get(entry_id)
        if until is None:
            return None
        return max(0.0, (until - (self._paused_at or self.now())).total_seconds())

    def pause_countdowns(self) -> None:
        """Stop every undo window where it is: the person is being asked what to do with the
        held replies (the quit question), and none may go while they read it."""
        if self._paused_at is None:
            self._paused_at = self.now()

    def resume_countdowns(self) -> None:
        """Go on from where the windows stopped (the pause does not eat into them)."""
        if self._paused_at is None:
            return
        gap = self.now() - self._paused_at
        self._paused_at = None
        for entry_id in self._held:
            self._held[entry_id] += gap

    def summary_counts(self) -> dict[str, int]:
        """held / sending / unknown counts from the store (the compose screen's summary line)."""
        store = self.sender.store
        return {state: store.count_entries(states=[state]) for state in SUMMARY_STATES}

    # -- actions -------------------------------------------------------------------------

    def hold(
        self,
        fields: Mapping[str, Any],
        *,
        allow_duplicate: bool = False,
        draft_key: str | None = None,
    ) -> OutboxEntry:
        """Journal the reply as held; it goes when the undo window ends (now, if 0 s).

        Raises SendBlocked / DuplicateReply from the sender.
        """
        entry = self.sender.hold(fields, allow_duplicate=allow_duplicate, draft_key=draft_key)
        if entry.hold_until is None or entry.hold_until <= self.now():
            self._start_send(entry.id)
        else:
            self._held[entry.id] = entry.hold_until
        return entry

    def undo(self, entry_id: int | None = None) -> OutboxEntry | None:
        """Take a held reply back (the newest when no id is given); None when too late."""
        if entry_id is None:
            if not self._held:
                return None
            entry_id = max(self._held)
        if entry_id in self._sending:
            return None
        self._held.pop(entry_id, None)
        try:
            return self.sender.cancel(entry_id)
        except TransitionError:
            return None

    def send_now(self, entry_id: int) -> None:
        """Send a held reply without waiting (a recovered one the person chose to send)."""
        self._held.pop(entry_id, None)
        self._start_send(entry_id)

    def request_quit(self) -> bool:
        """True when the app may exit now: nothing held in the undo window, nothing in flight.

        Otherwise the app asks first (QuitScreen): a held reply is never dropped silently and
        a reply being POSTed must have its outcome journaled before the app goes.
        """
        return not self._sending and not self._held

    def system_commands(self) -> Iterator[SystemCommand]:
        """Command palette entries (the app yields these from get_system_commands)."""
        if self._held:
            entry_id = max(self._held)
            left = self.remaining(entry_id) or 0.0
            yield SystemCommand(
                "Undo send",
                f"Take back the held reply (sends in {left:.0f} s) into the composer",
                lambda: self.undo_into_composer(entry_id),
            )

    def undo_into_composer(self, entry_id: int | None = None) -> OutboxEntry | None:
        """Undo, then make sure a composer shows the reply again (unchanged)."""
        entry = self.undo(entry_id)
        if entry is None:
            self.app.notify(
                "Too late to undo: the reply is already being sent.",
                severity="warning",
                markup=False,
            )
            return None
        from smartlead_tui.tui.screens.compose import ComposeScreen

        screen = self.app.screen
        if not (isinstance(screen, ComposeScreen) and screen.held_entry_id == entry.id):
            opener = getattr(self.app, "open_compose", None)
            if callable(opener):
                opener(prefill=entry.fields, after_undo=True)
            else:
                self.app.push_screen(ComposeScreen(prefill=entry.fields, after_undo=True))
        return entry

    # -- internals -----------------------------------------------------------------------

    def _tick(self) -> None:
        if self._paused_at is not None:
            return
        now = self.now()
        for entry_id, until in list(self._held.items()):
            if until <= now:
                self._held.pop(entry_id, None)
                self._start_send(entry_id)

    def _start_send(self, entry_id: int) -> None:
        if entry_id in self._sending:
            return
        self._sending[entry_id] = self.now()
        self.app.run_worker(
            self._send(self.sender, entry_id),
            name=f"send-{entry_id}",
            group="send-reply",
            exit_on_error=False,
        )

    async def _send(self, sender: Sender, entry_id: int) -> None:
        try:
            entry = await sender.send(entry_id)
        except TransitionError:
            entry = None  # undone just before its window ended
        except Exception as exc:  # the store failed: say so, never crash the app
            self.app.notify(
                f"Could not record the send of reply {entry_id}: {exc}",
                title="Outbox",
                severity="error",
                markup=False,
            )
            entry = None
        finally:
            self._sending.pop(entry_id, None)
        if entry is not None:
            self._announce(entry)

    def _announce(self, entry: OutboxEntry) -> None:
        who = entry.lead_label or f"entry {entry.id}"
        if entry.state == "queued":
            when = self._scheduled_label(entry)
            if when:  # accepted to go later: not "sent" yet
                message = f"Reply to {who} scheduled: SmartLead sends it on {when}."
            else:
                message = f"Reply to {who} queued."
            if entry.last_error:
                message += f" {entry.last_error}"
            self.app.notify(message, title="Scheduled" if when else "Sent", markup=False)
        elif entry.state == "send-failed":
            self.app.notify(
                not_sent_toast(who, entry.last_error, self.last_error),
                title="Send failed",
                severity="error",
                timeout=10,
                markup=False,
            )
        elif entry.state == "unknown":
            self.app.notify(
                f"Reply to {who}: {entry.last_error or UNKNOWN_PREFIX}",
                title="Outcome unknown",
                severity="error",
                timeout=15,
                markup=False,
            )
        elif entry.state == "cancelled" and entry.last_error:
            self.app.notify(
                join_sentences(f"Reply to {who} was not sent: {entry.last_error}"),
                severity="warning",
                timeout=10,
                markup=False,
            )

    def _scheduled_label(self, entry: OutboxEntry) -> str:
        """When a scheduled reply goes, in the configured zone ("" when it goes now)."""
        text = str(entry.fields.get("scheduled_time") or "").strip()
        moment = parse_api_time(text)
        zone = getattr(self.app, "timezone", None)
        if moment is None or zone is None:
            return text
        return format_schedule(moment, zone)

    def _publish(self, entry: OutboxEntry) -> None:
        self.changed.publish(OutboxChange(entry))

    def publish_entry(self, entry: OutboxEntry) -> None:
        """An entry changed outside the sender (an unknown send resolved): tell listeners."""
        self._publish(entry)


def get_send_driver(app: App[Any]) -> SendDriver:
    """The app's driver, created and started on first use if the app did not make one."""
    driver = getattr(app, "send_driver", None)
    if isinstance(driver, SendDriver):
        return driver
    driver = SendDriver(app)
    app.send_driver = driver  # type: ignore[attr-defined]
    driver.start()
    return driver
