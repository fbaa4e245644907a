"""Delivery tracking: which replies to check when (a pure planner), and the loop that checks them.

The schedule is the part that is easy to get subtly wrong (backoff, the 404 grace period after
queueing, scheduled sends, a Retry-After pause), so `Schedule` is pure: a clock value in,
decisions out, testable with a fake clock and no network. `Tracker` only performs the checks the
schedule hands out, inside the client's shared request budget and always as *background*
requests (so a send never waits behind polling), and writes every answer to the store before
reporting it as a `TrackerEvent`.

No Textual here: the TUI driver, `smartlead-tui track --watch` and `status --watch` share it.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from smartlead_tui.api.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
)
from smartlead_tui.api.models import COMPLETED, Message, ReplyStatus, int_or_none
from smartlead_tui.body_format import sent_body

if TYPE_CHECKING:
    from smartlead_tui.api.limiter import RequestBudget
    from smartlead_tui.outbox.store import JournalRow, OutboxEntry, Store

__all__ = [
    "DISCOVER",
    "DONE",
    "NOT_FOUND",
    "NO_ID",
    "POLL",
    "REJECTED",
    "Check",
    "DiscoveryTarget",
    "PollPolicy",
    "Schedule",
    "TrackItem",
    "Tracker",
    "TrackerEvent",
    "is_failure_status",
    "match_sent_messages",
    "normalize_body",
    "parse_pasted_ids",
    "parse_time",
]

log = logging.getLogger("smartlead_tui.tracker")

# -- phases of a tracked reply ------------------------------------------------------------------

#: Waiting for the Message-ID: read the thread's history until our message shows up.
DISCOVER = "discover"
#: Message-ID known: poll reply-status.
POLL = "poll"
#: COMPLETED: never checked again.
DONE = "done"
#: reply-status kept answering 404 past the grace period.
NOT_FOUND = "not-found"
#: No Message-ID and no way (or no more patience) to discover it.
NO_ID = "no-id"
#: SmartLead refused the lookup itself (400/422): asking again cannot help.
REJECTED = "rejected"

ACTIVE_PHASES = frozenset({DISCOVER, POLL})

EventKind = Literal[
    "status",  # SmartLead status (or its message) changed
    "completed",  # reached COMPLETED: final
    "checked",  # checked, nothing changed
    "message-id",  # Message-ID discovered in the thread's history
    "sent",  # an 'unknown' send proved to have gone: now 'queued'
    "not-sent",  # an 'unknown' send proved not to have gone (only its resend shows)
    "waiting",  # 404 within the grace period, or not in the thread yet
    "not-found",  # 404 past the grace period: gave up
    "no-message-id",  # discovery impossible or gave up
    "rejected",  # SmartLead refused the lookup (400/422)
    "error",  # a check failed (5xx, network, bad answer): backing off
    "auth",  # 401/403: all checks stopped
    "rate-limited",  # 429: all checks paused
]

#: Statuses that read like a failure: shown verbatim like any other, but worth a notification.
_FAILURE_WORDS = re.compile(r"FAIL|BOUNCE|ERROR|REJECT|BLOCK|INVALID", re.IGNORECASE)


def is_failure_status(status: str | None) -> bool:
    """True for statuses a person should hear about (FAILED, BOUNCED...); COMPLETED is not."""
    return bool(status) and bool(_FAILURE_WORDS.search(status or ""))


@dataclass(frozen=True)
class PollPolicy:
    """Every knob of the schedule, in seconds. `from_settings` maps the config keys."""

    #: first delay between checks of a fresh reply (config poll_interval_seconds)
    interval: float = 5.0
    #: longest delay between checks (config poll_backoff_cap_seconds)
    cap: float = 300.0
    #: how long a 404 right after queueing means "not visible yet" (not_found_grace_seconds)
    grace: float = 120.0
    #: each unchanged answer multiplies the delay by this
    factor: float = 2.0
    #: first history read after queueing (SmartLead needs a moment to record the message)
    discovery_delay: float = 3.0
    #: give up looking for the Message-ID this long after queueing (or the scheduled time)
    discovery_timeout: float = 1800.0
    #: a scheduled reply is checked this long after its scheduled time
    scheduled_slack: float = 5.0
    #: ... and at least this often before it (someone may cancel or reschedule it)
    scheduled_recheck: float = 3600.0
    #: a reply is "not found" only after this many 404s, however long the grace period ran
    not_found_checks: int = 3
    #: pause after a 429 that carried no Retry-After
    rate_limit_pause: float = 30.0
    #: our clock and SmartLead's may disagree by this much when matching send times
    clock_skew: float = 60.0
    #: how many normalised characters of the body identify our message in the thread
    body_prefix: int = 80

    @classmethod
    def from_settings(cls, settings: Any, **overrides: float) -> PollPolicy:
        """Read the config keys (optional ones through getattr, so older Settings still work)."""
        interval = float(settings.poll_interval_seconds)
        values: dict[str, Any] = {
            "interval": interval,
            "cap": max(interval, float(settings.poll_backoff_cap_seconds)),
            "grace": float(settings.not_found_grace_seconds),
            "discovery_delay": min(3.0, interval),
            "discovery_timeout": float(
                getattr(settings, "discovery_timeout_seconds", cls.discovery_timeout)
            ),
        }
        values.update(overrides)
        return cls(**values)


# -- pure helpers -----------------------------------------------------------------------------


def parse_time(value: str | datetime | None) -> float | None:
    """ISO 8601 text (SmartLead's "2026-03-12T11:29:05.173Z") or a datetime -> epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>")
_DROP_BLOCKS = re.compile(r"(?is)<\s*(script|style)\b.*?<\s*/\s*\1\s*>")
_TAGS = re.compile(r"<[/!]?[A-Za-z][^<>]*>")  # "a < b" in plain text is not a tag


def normalize_body(text: str) -> str:
    """Body text as a person reads it: tags and entities gone, whitespace collapsed, casefolded.

    Applied to both our plain text and SmartLead's HTML so the two compare equal.
    """
    text = _DROP_BLOCKS.sub(" ", text or "")
    text = _BLOCK_TAGS.sub(" ", text)
    text = _TAGS.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class DiscoveryTarget:
    """One of our sends looking for its Message-ID in a thread."""

    entry_id: int
    body_prefix: str  # normalize_body(body)[:N]
    sent_after: float  # epoch seconds; SmartLead's message time is not earlier (minus skew)
    #: SmartLead accepted this send (queued); False for an 'unknown' one that may not exist
    confirmed: bool = True


def match_sent_messages(
    messages: Iterable[Message],
    targets: Sequence[DiscoveryTarget],
    *,
    taken: Collection[str] = (),
    skew: float = 60.0,
) -> dict[int, str]:
    """Pair our sends with the outgoing messages of a thread: entry id -> Message-ID.

    A message qualifies when it is ours to claim (not a REPLY, not `taken` by another entry),
    is no older than the send (minus `skew`), and its normalised body starts with the target's
    prefix. Confirmed sends are served first (a message of theirs certainly exists), then the
    'unknown' ones, each group oldest send first, each target taking the earliest qualifying
    message: two sends of similar text to one thread never share a Message-ID, and an unknown
    attempt never takes the message of the resend that SmartLead did accept.
    """
    candidates: list[tuple[float, str, str]] = []
    for message in messages:
        if message.is_reply or not message.message_id or message.message_id in taken:
            continue
        when = parse_time(message.time)
        if when is None:
            continue
        candidates.append((when, message.message_id, normalize_body(message.body_html)))
    candidates.sort(key=lambda c: c[0])
    found: dict[int, str] = {}
    used: set[str] = set()
    for target in sorted(targets, key=lambda t: (not t.confirmed, t.sent_after, t.entry_id)):
        if not target.body_prefix:
            continue
        for when, message_id, body in candidates:
            if message_id in used or when < target.sent_after - skew:
                continue
            if body.startswith(target.body_prefix):
                found[target.entry_id] = message_id
                used.add(message_id)
                break
    return found


# -- the schedule (pure) ----------------------------------------------------------------------


@dataclass
class TrackItem:
    """What the schedule knows about one outbox entry. Times are epoch seconds."""

    entry_id: int
    message_id: str | None
    local_state: str  # 'queued' or 'unknown'
    anchor: float  # when it was queued (or added by hand): the 404 grace runs from here
    sent_after: float  # the send started here: its message in the thread is not older
    campaign_id: int | None = None
    lead_id: int | None = None
    body_prefix: str = ""
    scheduled_at: float | None = None
    phase: str = POLL
    due: float = 0.0
    interval: float = 5.0
    status: str | None = None
    status_message: str = ""
    seen: bool = False  # reply-status answered 200 at least once
    note: str = ""  # what the panel shows while there is no status to show
    discovery_deadline: float = 0.0
    last_check: float | None = None
    last_check_before: float | None = None  # the check before `last_check` (scheduled times)
    not_found: int = 0  # 404s before the reply was first seen
    checks: int = 0
    errors: int = 0

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    @property
    def thread(self) -> tuple[int, int] | None:
        if self.campaign_id is None or self.lead_id is None:
            return None
        return (self.campaign_id, self.lead_id)


@dataclass(frozen=True)
class Check:
    """One request the tracker should make now."""

    kind: Literal["status", "discover"]
    entry_ids: tuple[int, ...]
    message_id: str | None = None
    campaign_id: int | None = None
    lead_id: int | None = None


@dataclass(frozen=True)
class TrackerEvent:
    """Something the panel (or a watching CLI) should show. `entry_id` None: tracker-wide."""

    kind: EventKind
    entry_id: int | None
    text: str = ""
    status: ReplyStatus | None = None
    message_id: str | None = None
    final: bool = False


class Schedule:
    """Which entries are due when. Pure: every method takes `now` (epoch seconds)."""

    def __init__(self, policy: PollPolicy | None = None) -> None:
        self.policy = policy or PollPolicy()
        self.items: dict[int, TrackItem] = {}
        self.paused_until = 0.0
        self.halted: str | None = None

    # -- membership ------------------------------------------------------------------------

    def track(
        self,
        entry_id: int,
        *,
        now: float,
        anchor: float,
        message_id: str | None = None,
        local_state: str = "queued",
        sent_after: float | None = None,
        campaign_id: int | None = None,
        lead_id: int | None = None,
        body: str = "",
        scheduled_at: float | None = None,
        status: str | None = None,
        status_message: str = "",
        check_at_once: bool = False,
    ) -> TrackItem:
        """Add (or replace) an entry; its first check is placed by age and what is known.

        A fresh send is first checked one interval after queueing (sooner is a certain 404);
        `check_at_once` is for Message-IDs a person pasted, which may well be visible already.
        """
        p = self.policy
        age = max(0.0, now - anchor)
        # Older replies start slower: a reply queued an hour ago is not polled every 5 s.
        interval = min(p.cap, max(p.interval, age * 0.1))
        item = TrackItem(
            entry_id=entry_id,
            message_id=message_id,
            local_state=local_state,
            anchor=anchor,
            sent_after=anchor if sent_after is None else sent_after,
            campaign_id=campaign_id,
            lead_id=lead_id,
            body_prefix=normalize_body(body)[: p.body_prefix],
            scheduled_at=scheduled_at,
            interval=interval,
            status=status,
            status_message=status_message,
            seen=status is not None,
        )
        if message_id:
            item.phase = POLL
            if status is not None and scheduled_at is not None and scheduled_at > now:
                item.due = self._scheduled_due(item, now)
            elif check_at_once:
                item.due = now
            else:
                item.due = max(now, anchor + p.interval)
        elif item.thread is not None and item.body_prefix:
            item.phase = DISCOVER
            item.note = "waiting for Message-ID"
            item.due = max(now, item.sent_after + p.discovery_delay)
            start = max(anchor, scheduled_at or anchor)
            item.discovery_deadline = max(start + p.discovery_timeout, item.due)
        else:
            item.phase = NO_ID
            item.note = (
                "no Message-ID: lead unknown, cannot look it up"
                if item.thread is None
                else "no Message-ID: no body to look for"
            )
        self.items[entry_id] = item
        return item

    def remove(self, entry_id: int) -> TrackItem | None:
        return self.items.pop(entry_id, None)

    def get(self, entry_id: int) -> TrackItem | None:
        return self.items.get(entry_id)

    @property
    def active_count(self) -> int:
        return sum(1 for item in self.items.values() if item.active)

    # -- what to do now --------------------------------------------------------------------

    def paused_for(self, now: float) -> float:
        return max(0.0, self.paused_until - now)

    def due(self, now: float) -> list[Check]:
        """Checks due now, most overdue first; one history read serves a whole thread."""
        if self.halted is not None or now < self.paused_until:
            return []
        ready = sorted(
            (i for i in self.items.values() if i.active and i.due <= now),
            key=lambda i: (i.due, i.entry_id),
        )
        checks: list[Check] = []
        threads_done: set[tuple[int, int]] = set()
        for item in ready:
            if item.phase == POLL:
                checks.append(Check("status", (item.entry_id,), message_id=item.message_id))
                continue
            thread = item.thread
            if thread is None or thread in threads_done:
                continue
            threads_done.add(thread)
            checks.append(
                Check(
                    "discover",
                    self.discovery_group(thread, now),
                    campaign_id=thread[0],
                    lead_id=thread[1],
                )
            )
        return checks

    def discovery_group(self, thread: tuple[int, int], now: float) -> tuple[int, ...]:
        """Every entry of this thread old enough to be visible: the read is shared."""
        delay = self.policy.discovery_delay
        return tuple(
            sorted(
                i.entry_id
                for i in self.items.values()
                if i.phase == DISCOVER and i.thread == thread and i.sent_after + delay <= now
            )
        )

    def next_wake(self, now: float) -> float | None:
        """When something may next be due (None: nothing left to do, or halted)."""
        if self.halted is not None:
            return None
        dues = [i.due for i in self.items.values() if i.active]
        if not dues:
            return None
        return max(min(dues), self.paused_until)

    # -- results ---------------------------------------------------------------------------

    def on_status(self, entry_id: int, status: ReplyStatus, now: float) -> bool:
        """Record a 200; returns whether status or its message changed."""
        item = self._checked(entry_id, now)
        changed = (status.status, status.status_message) != (item.status, item.status_message)
        previous_check = item.last_check_before
        item.status, item.status_message = status.status, status.status_message
        item.seen, item.errors, item.note = True, 0, ""
        if status.is_terminal:
            item.phase = DONE
            return changed
        scheduled = parse_time(status.scheduled_time) or item.scheduled_at
        item.scheduled_at = scheduled
        p = self.policy
        if changed or (
            scheduled is not None
            and previous_check is not None
            and previous_check < scheduled <= now
        ):
            item.interval = p.interval  # something moved: look again soon
        else:
            item.interval = min(p.cap, item.interval * p.factor)
        if scheduled is not None and scheduled > now:
            item.due = self._scheduled_due(item, now)
        else:
            item.due = now + item.interval
        return changed

    def on_not_found(self, entry_id: int, now: float) -> bool:
        """A 404. Returns True when that ends tracking (the grace period is over)."""
        item = self._checked(entry_id, now)
        p = self.policy
        if item.seen:
            # It was visible before: not the "not yet" case. Keep looking, slowly.
            self._back_off(item, now, "SmartLead no longer finds this reply (404)")
            return False
        item.not_found += 1
        grace_end = item.anchor + p.grace
        if now >= grace_end and item.not_found >= p.not_found_checks:
            item.phase = NOT_FOUND
            item.note = f"not found: no reply with this Message-ID after {_span(p.grace)}"
            return True
        item.note = "not visible yet (404)"
        item.interval = min(p.cap, item.interval * p.factor)
        if now >= grace_end:
            # Past the grace period but asked too few times (polling was starved by a burst
            # of sends, or the app was closed): a few more looks, one interval apart.
            item.due = now + p.interval
        else:
            # The last look happens right at the end of the grace period, not an interval later.
            item.due = min(now + item.interval, max(grace_end, now + p.interval))
        return False

    def on_error(self, entry_id: int, now: float, message: str) -> None:
        """5xx, network, a bad answer: this entry backs off; the others carry on."""
        item = self._checked(entry_id, now)
        self._back_off(item, now, f"check failed: {message}")

    def on_rejected(self, entry_id: int, now: float, message: str) -> None:
        item = self._checked(entry_id, now)
        item.phase = REJECTED
        item.note = f"SmartLead refused the lookup: {message}"

    def on_discovered(self, entry_id: int, message_id: str, now: float) -> None:
        """The Message-ID is known: poll its status from one interval on."""
        item = self._checked(entry_id, now)
        item.message_id = message_id
        item.phase = POLL
        item.note = ""
        item.interval = self.policy.interval
        if item.scheduled_at is not None and item.scheduled_at > now:
            item.due = now + self.policy.interval
        else:
            item.due = now + item.interval

    def on_discovery_miss(self, entry_id: int, now: float, reason: str = "") -> bool:
        """Our message is not in the thread (yet). True when discovery gives up."""
        item = self._checked(entry_id, now)
        if now >= item.discovery_deadline:
            item.phase = NO_ID
            item.note = reason or (
                f"no Message-ID: our message did not appear in the thread within "
                f"{_span(self.policy.discovery_timeout)}"
            )
            return True
        item.note = reason or "waiting for Message-ID"
        item.interval = min(self.policy.cap, item.interval * self.policy.factor)
        due = now + item.interval
        if item.scheduled_at is not None and item.scheduled_at > now:
            # A scheduled reply shows up in the thread once it has gone out.
            due = min(
                max(due, item.scheduled_at + self.policy.scheduled_slack),
                now + self.policy.scheduled_recheck,
            )
        item.due = min(due, max(item.discovery_deadline, now + self.policy.interval))
        return False

    def rearm_unknown(self, thread: tuple[int, int], now: float, *, exclude: int) -> None:
        """A new accepted send in this thread (maybe a resend): unknown sends there that
        stopped looking get one more grace period to show up, or to be shown not sent."""
        p = self.policy
        for item in self.items.values():
            if (
                item.entry_id != exclude
                and item.thread == thread
                and item.local_state == "unknown"
                and not item.message_id
                and item.body_prefix
                and item.phase == NO_ID
            ):
                item.phase = DISCOVER
                item.interval = p.interval
                item.due = now + p.discovery_delay + p.interval
                item.discovery_deadline = now + max(p.grace, p.discovery_delay + p.interval)

    def on_discovery_impossible(self, entry_id: int, now: float, reason: str) -> None:
        item = self._checked(entry_id, now)
        item.phase = NO_ID
        item.note = reason

    def on_discovery_error(self, entry_id: int, now: float, message: str) -> None:
        item = self._checked(entry_id, now)
        self._back_off(item, now, f"reading the thread failed: {message}")

    # -- tracker-wide ------------------------------------------------------------------------

    def pause(self, seconds: float, now: float) -> None:
        """429: nothing is due until the pause is over (SmartLead's Retry-After)."""
        self.paused_until = max(self.paused_until, now + max(0.0, seconds))

    def halt(self, reason: str) -> None:
        """401/403: no check can succeed until the key is fixed."""
        self.halted = reason

    def resume(self) -> None:
        self.halted = None

    def check_now(self, entry_id: int, now: float) -> bool:
        """A person asked: make it due now, giving finished-without-success entries one more try.

        COMPLETED stays done. Returns whether a check will happen.
        """
        item = self.items.get(entry_id)
        if item is None or item.phase == DONE:
            return False
        if item.phase in (NOT_FOUND, REJECTED):
            item.phase = POLL if item.message_id else NO_ID
        elif item.phase == NO_ID:
            if item.message_id:
                item.phase = POLL
            elif item.thread is not None and item.body_prefix:
                item.phase = DISCOVER
                item.discovery_deadline = now  # one more look, then give up again
            else:
                return False
        item.due = now
        return True

    # -- internals -----------------------------------------------------------------------------

    def _checked(self, entry_id: int, now: float) -> TrackItem:
        item = self.items[entry_id]
        item.last_check_before = item.last_check
        item.last_check = now
        item.checks += 1
        return item

    def _back_off(self, item: TrackItem, now: float, note: str) -> None:
        item.errors += 1
        item.note = note
        item.interval = min(self.policy.cap, item.interval * self.policy.factor)
        item.due = now + item.interval

    def _scheduled_due(self, item: TrackItem, now: float) -> float:
        assert item.scheduled_at is not None
        p = self.policy
        return max(
            now + p.interval,
            min(item.scheduled_at + p.scheduled_slack, now + p.scheduled_recheck),
        )


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


# -- the tracker (I/O) ------------------------------------------------------------------------


class StatusClient(Protocol):
    """What the tracker needs of `SmartLeadClient`."""

    budget: RequestBudget

    async def reply_status(self, message_id: str, *, background: bool = False) -> ReplyStatus: ...

    async def message_history(
        self,
        campaign_id: int,
        lead_id: int,
        *,
        event_time_gt: str | None = None,
        background: bool = False,
    ) -> list[Message]: ...


def _to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def send_times(entry: OutboxEntry, journal: Sequence[JournalRow]) -> tuple[float, float]:
    """(anchor, sent_after) of an entry from its journal.

    anchor: when it became 'queued' (the first such row), or, still 'unknown', when that
    happened; sent_after: when its send started ('sending'), since SmartLead may record the
    message before our 'queued' row is written.
    """
    queued = next((row.at for row in journal if row.state == "queued"), None)
    sending = next((row.at for row in reversed(journal) if row.state == "sending"), None)
    unknown = next((row.at for row in journal if row.state == "unknown"), None)
    anchor_dt = queued or unknown or entry.created_at
    start_dt = sending or anchor_dt
    return anchor_dt.timestamp(), min(start_dt, anchor_dt).timestamp()


class Tracker:
    """Runs the schedule's due checks through the shared client and records every answer.

    Every request is a background one: the budget keeps its reserve for sends, and the tracker
    never starts a check while the budget has no background slot free, so it never queues up
    behind itself or in front of a send.
    """

    def __init__(
        self,
        client: StatusClient,
        store: Store,
        *,
        policy: PollPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.store = store
        self.schedule = Schedule(policy)
        self._clock = clock

    @property
    def policy(self) -> PollPolicy:
        return self.schedule.policy

    @property
    def budget(self) -> RequestBudget:
        return self.client.budget

    @property
    def halted(self) -> str | None:
        return self.schedule.halted

    def now(self) -> float:
        return self._clock()

    # -- what is tracked -------------------------------------------------------------------

    def load(self) -> int:
        """Resume after a start: every entry the store says to track. Returns how many."""
        for entry in self.store.list_tracking():
            self.sync_entry(entry)
        return len(self.schedule.items)

    async def aload(self) -> int:
        """`load` off the event loop (thousands of entries read their journals)."""
        entries = await asyncio.to_thread(self._load_entries)
        for entry, journal in entries:
            self._add(entry, journal)
        return len(self.schedule.items)

    def _load_entries(self) -> list[tuple[OutboxEntry, list[JournalRow]]]:
        return [
            (entry, self.store.journal(entry.id))
            for entry in self.store.list_tracking()
            if self._wants(entry)
        ]

    @staticmethod
    def _wants(entry: OutboxEntry) -> bool:
        return (
            entry.tracking
            and entry.state in ("queued", "unknown")
            and (entry.last_status or "").upper() != COMPLETED
        )

    def sync_entry(self, entry: OutboxEntry) -> bool:
        """Bring one entry in line with the store (new, changed state, stopped). True if changed."""
        known = self.schedule.get(entry.id)
        if not self._wants(entry):
            return self.schedule.remove(entry.id) is not None
        if known is not None:
            if entry.message_id and entry.message_id != known.message_id:
                self.schedule.on_discovered(entry.id, entry.message_id, self.now())
                known.local_state = entry.state
                return True
            if known.local_state != entry.state:
                known.local_state = entry.state
                return True
            return False
        item = self._add(entry, self.store.journal(entry.id))
        if entry.state == "queued" and item.thread is not None:
            self.schedule.rearm_unknown(item.thread, self.now(), exclude=entry.id)
        return True

    def _add(self, entry: OutboxEntry, journal: Sequence[JournalRow]) -> TrackItem:
        anchor, sent_after = send_times(entry, journal)
        fields = entry.fields or {}
        campaign = fields.get("campaign_id", entry.campaign_id)
        lead = fields.get("lead_id")
        return self.schedule.track(
            entry.id,
            now=self.now(),
            anchor=anchor,
            sent_after=sent_after,
            message_id=entry.message_id,
            local_state=entry.state,
            campaign_id=int_or_none(campaign),
            lead_id=int_or_none(lead),
            body=sent_body(fields, entry.request_body),  # the HTML that went out, if it did
            scheduled_at=parse_time(entry.last_scheduled_time)
            or parse_time(fields.get("scheduled_time")),
            status=entry.last_status,
            status_message=entry.last_status_message or "",
            check_at_once=not entry.request_body,  # added by hand, not sent from here
        )

    def forget(self, entry_id: int) -> None:
        self.schedule.remove(entry_id)

    def note(self, entry_id: int) -> str | None:
        item = self.schedule.get(entry_id)
        return item.note if item is not None and item.note else None

    def is_active(self, entry_id: int) -> bool:
        item = self.schedule.get(entry_id)
        return item is not None and item.active

    def check_now(self, entry_id: int) -> bool:
        """A person asked for a fresh look (also lifts a 401 stop: they may have fixed the key)."""
        self.schedule.resume()
        return self.schedule.check_now(entry_id, self.now())

    def resume(self) -> None:
        self.schedule.resume()

    # -- running ---------------------------------------------------------------------------

    def budget_allows(self) -> bool:
        return self.budget.delay_for(background=True) <= 0

    async def run_due(self, *, max_checks: int | None = None) -> list[TrackerEvent]:
        """Make every check that is due and fits the budget right now; return what happened."""
        events: list[TrackerEvent] = []
        for done, check in enumerate(self.schedule.due(self.now())):
            if max_checks is not None and done >= max_checks:
                break
            if self.schedule.halted is not None or self.schedule.paused_for(self.now()) > 0:
                break
            if not self.budget_allows():
                break
            if check.kind == "status":
                events.extend(await self._check_status(check))
            else:
                events.extend(await self._discover(check))
        return events

    async def run_until_done(
        self,
        on_event: Callable[[TrackerEvent], None],
        *,
        timeout: float | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> bool:
        """Check until nothing is left to track (or halted, or `timeout`). True: all finished."""
        deadline = None if timeout is None else self.now() + timeout
        while True:
            for event in await self.run_due():
                on_event(event)
            if self.schedule.halted is not None:
                return False
            now = self.now()
            wake = self.schedule.next_wake(now)
            if wake is None:
                return True
            if deadline is not None and now >= deadline:
                return False
            wait = max(wake - now, self.budget.delay_for(background=True), 0.02)
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now) + 0.01)
            await sleep(min(wait, 5.0))

    # -- one check ---------------------------------------------------------------------------

    async def _check_status(self, check: Check) -> list[TrackerEvent]:
        entry_id = check.entry_ids[0]
        message_id = check.message_id or ""
        try:
            status = await self.client.reply_status(message_id, background=True)
        except NotFoundError:
            if entry_id not in self.schedule.items:
                return []  # tracking was stopped while the request was out
            now = self.now()
            gave_up = self.schedule.on_not_found(entry_id, now)
            item = self.schedule.items[entry_id]
            self.store.record_check_error(entry_id, item.note, checked_at=_to_datetime(now))
            kind: EventKind = "not-found" if gave_up else "waiting"
            return [TrackerEvent(kind, entry_id, item.note, message_id=message_id, final=gave_up)]
        except ApiError as exc:
            if entry_id not in self.schedule.items:
                return []
            return self._failed(entry_id, exc, discovery=False)
        if entry_id not in self.schedule.items:
            return []
        now = self.now()
        changed = self.schedule.on_status(entry_id, status, now)
        self.store.record_status(
            entry_id,
            status=status.status,
            status_message=status.status_message,
            event_time=status.event_time,
            scheduled_time=status.scheduled_time,
            checked_at=_to_datetime(now),
        )
        events = self._prove_sent(entry_id, message_id, "SmartLead knows its Message-ID")
        if status.is_terminal:
            kind = "completed"
        elif changed:
            kind = "status"
        else:
            kind = "checked"
        events.append(
            TrackerEvent(
                kind,
                entry_id,
                status.status_message or status.status,
                status=status,
                message_id=message_id,
                final=status.is_terminal,
            )
        )
        return events

    async def _discover(self, check: Check) -> list[TrackerEvent]:
        assert check.campaign_id is not None and check.lead_id is not None
        entry_ids = [e for e in check.entry_ids if e in self.schedule.items]
        try:
            messages = await self.client.message_history(
                check.campaign_id, check.lead_id, background=True
            )
        except (NotFoundError, RequestRejectedError) as exc:
            # No such lead/campaign (404) or SmartLead refuses the question (400): asking
            # again cannot help; a pasted Message-ID still can.
            now = self.now()
            events: list[TrackerEvent] = []
            for entry_id in entry_ids:
                if entry_id not in self.schedule.items:
                    continue
                reason = f"no Message-ID: cannot read the thread ({exc})"
                self.schedule.on_discovery_impossible(entry_id, now, reason)
                self.store.record_check_error(entry_id, str(exc), checked_at=_to_datetime(now))
                events.append(TrackerEvent("no-message-id", entry_id, reason, final=True))
            return events
        except ApiError as exc:
            events = []
            for entry_id in entry_ids:
                if entry_id not in self.schedule.items:
                    continue
                events.extend(self._failed(entry_id, exc, discovery=True))
                if self.schedule.halted is not None or self.schedule.paused_until > self.now():
                    break  # tracker-wide: one event is enough
            return events
        now = self.now()
        items = [self.schedule.items[e] for e in entry_ids if e in self.schedule.items]
        # Unknown sends of this thread that stopped looking still deserve this read: it may
        # show them, or show that only their resend went.
        thread = (check.campaign_id, check.lead_id)
        for item in self.schedule.items.values():
            if (
                item.thread == thread
                and item.local_state == "unknown"
                and not item.message_id
                and item.entry_id not in entry_ids
                and item.body_prefix
            ):
                items.append(item)
                entry_ids.append(item.entry_id)
        targets = [
            DiscoveryTarget(
                i.entry_id, i.body_prefix, i.sent_after, confirmed=i.local_state != "unknown"
            )
            for i in items
        ]
        # Message-IDs other entries of ours already own (only recent outgoing ones can matter).
        oldest = min((t.sent_after for t in targets), default=now) - self.policy.clock_skew
        taken = {
            m.message_id
            for m in messages
            if m.message_id
            and not m.is_reply
            and (parse_time(m.time) or 0.0) >= oldest
            and (owner := self.store.find_by_message_id(m.message_id)) is not None
            and owner.id not in entry_ids
        }
        found = match_sent_messages(messages, targets, taken=taken, skew=self.policy.clock_skew)
        events = []
        # Messages found first: an unknown send is then judged against every owner known.
        items.sort(key=lambda i: i.entry_id not in found)
        for item in items:
            message_id = found.get(item.entry_id)
            if message_id is None and item.local_state == "unknown":
                closed = self._only_resend_shows(item.entry_id, messages)
                if closed is not None:
                    events.append(closed)
                    continue
            if message_id is None and not item.active:
                continue  # it had stopped looking: this read was only a chance for it
            if message_id is None:
                gave_up = self.schedule.on_discovery_miss(item.entry_id, now)
                self.store.record_check_error(
                    item.entry_id,
                    item.note if gave_up else "our message is not in the thread's history yet",
                    checked_at=_to_datetime(now),
                )
                kind: EventKind = "no-message-id" if gave_up else "waiting"
                events.append(TrackerEvent(kind, item.entry_id, item.note, final=gave_up))
                continue
            self.store.set_message_id(item.entry_id, message_id)
            events.extend(
                self._prove_sent(item.entry_id, message_id, "found in the thread's history")
            )
            self.schedule.on_discovered(item.entry_id, message_id, now)
            events.append(
                TrackerEvent(
                    "message-id", item.entry_id, f"Message-ID {message_id}", message_id=message_id
                )
            )
        return events

    def _only_resend_shows(self, entry_id: int, messages: Sequence[Message]) -> TrackerEvent | None:
        """Asked after matching, so the thread had every chance to show this unknown attempt
        (an older message of ours would have been claimed by it before the resend's)."""
        from smartlead_tui.outbox.resolve import close_if_only_the_resend_shows

        resend = close_if_only_the_resend_shows(self.store, entry_id, messages)
        if resend is None:
            return None
        self.schedule.remove(entry_id)
        return TrackerEvent(
            "not-sent",
            entry_id,
            f"it did not go out: the thread shows only its resend (outbox entry {resend.id})",
            final=True,
        )

    def _prove_sent(self, entry_id: int, message_id: str, how: str) -> list[TrackerEvent]:
        """An 'unknown' send that SmartLead knows about did go: record it as queued."""
        item = self.schedule.items.get(entry_id)
        if item is None or item.local_state != "unknown":
            return []
        from smartlead_tui.outbox.store import StoreError

        try:
            self.store.transition(
                entry_id,
                "queued",
                detail=f"{how} ({message_id}): the reply was sent",
                message_id=message_id,
            )
        except StoreError as exc:  # someone (the person) decided first
            log.info("entry %s not moved to queued: %s", entry_id, exc)
            return []
        item.local_state = "queued"
        return [
            TrackerEvent("sent", entry_id, f"the reply was sent ({how})", message_id=message_id)
        ]

    def _failed(self, entry_id: int, exc: ApiError, *, discovery: bool) -> list[TrackerEvent]:
        now = self.now()
        message = str(exc)
        self.store.record_check_error(entry_id, message, checked_at=_to_datetime(now))
        if isinstance(exc, AuthError):
            reason = f"Status checks stopped: {message}"
            self.schedule.halt(reason)
            return [TrackerEvent("auth", None, reason)]
        if isinstance(exc, RateLimitedError):
            pause = exc.retry_after if exc.retry_after is not None else self.policy.rate_limit_pause
            self.schedule.pause(pause, now)
            self.budget.pause(pause)
            return [
                TrackerEvent("rate-limited", None, f"Status checks paused {pause:.0f} s (429)"),
                TrackerEvent("checked", entry_id, message),  # its row shows the 429 too
            ]
        if isinstance(exc, RequestRejectedError) and not discovery:
            self.schedule.on_rejected(entry_id, now, message)
            return [TrackerEvent("rejected", entry_id, message, final=True)]
        if discovery:
            self.schedule.on_discovery_error(entry_id, now, message)
        else:
            self.schedule.on_error(entry_id, now, message)
        return [TrackerEvent("error", entry_id, message)]


_HEADER_NAME = re.compile(r"^\s*message-id\s*:\s*", re.IGNORECASE)


def parse_pasted_ids(text: str) -> tuple[list[str], list[str]]:
    """Message-IDs from pasted text: (normalised ids, one problem per bad token).

    Accepts what people copy: "<id@host>", "id@host", a whole "Message-ID: <id@host>" header
    line, several separated by spaces, commas or new lines. Duplicates are dropped.
    """
    from smartlead_tui.validation import ValidationError, normalize_message_id

    ids: list[str] = []
    problems: list[str] = []
    for line in (text or "").splitlines():
        line = _HEADER_NAME.sub("", line)
        for token in re.split(r"[\s,;]+", line):
            if not token:
                continue
            try:
                message_id = normalize_message_id(token)
            except ValidationError as exc:
                problems.append(str(exc))
                continue
            if message_id not in ids:
                ids.append(message_id)
    return ids, problems
