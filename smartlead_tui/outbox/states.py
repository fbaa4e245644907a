"""One state a person reads at a glance, from the two sources the outbox keeps.

An entry has a local *send outcome* (the journal: held, sending, queued, unknown, send-failed,
cancelled) and, once SmartLead knows the reply, a *reply-status* (COMPLETED, SCHEDULED...).
Shown side by side they contradicted each other ("queued … COMPLETED"), so every screen shows
`display_state` instead and keeps the two sources for the detail view. Also here: whether an
entry is a scheduled reply and when it goes, which the thread, the inbox and compose need.
No Textual, no store access: entries in, words out.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from smartlead_tui.api.models import COMPLETED
from smartlead_tui.outbox.tracker import is_failure_status, normalize_body, parse_time

__all__ = [
    "DISPLAY_LABELS",
    "DISPLAY_ORDER",
    "RESOLVED_NOT_SENT",
    "SCHEDULED_STATUS",
    "display_label",
    "display_state",
    "is_resolved_not_sent",
    "scheduled_at",
    "scheduled_for_lead",
    "scheduled_messages",
    "send_outcome",
]

#: SmartLead's reply-status for a reply waiting for its time (as the sandbox answers it).
SCHEDULED_STATUS = "SCHEDULED"

#: `server_message` of an unknown send closed as "not sent" (by the person or the tracker):
#: no answer of SmartLead's ever filled it, so it cannot be confused with one.
RESOLVED_NOT_SENT = "resolved: not sent"

#: Display state -> (symbol, word). The word alone carries the meaning (16 colours, or none).
DISPLAY_LABELS: dict[str, tuple[str, str]] = {
    "held": ("‖", "held"),
    "sending": ("↑", "sending"),
    "scheduled": ("◷", "scheduled"),
    "queued": ("•", "queued"),
    "delivered": ("✓", "delivered"),
    "unknown": ("?", "unknown"),
    "failed": ("✗", "failed"),
    "not sent": ("–", "not sent"),
    "cancelled": ("–", "cancelled"),
}
DISPLAY_ORDER = {name: rank for rank, name in enumerate(DISPLAY_LABELS)}

#: Scheduled replies still to go: SmartLead accepted them (or may have) and they are not done.
_MAY_GO = ("held", "sending", "queued", "unknown")


def display_label(name: str) -> str:
    """'✓ delivered' for a display state name."""
    symbol, word = DISPLAY_LABELS.get(name, ("·", name))
    return f"{symbol} {word}"


def is_resolved_not_sent(entry: Any) -> bool:
    """A send that ended as 'not sent' by a decision (not a refusal by SmartLead)."""
    return entry.state == "send-failed" and entry.server_message == RESOLVED_NOT_SENT


def scheduled_at(entry: Any) -> float | None:
    """When a scheduled reply goes (epoch seconds): SmartLead's word first, else what we asked."""
    fields = entry.fields or {}
    return parse_time(entry.last_scheduled_time) or parse_time(fields.get("scheduled_time"))


def display_state(entry: Any, *, now: float | None = None) -> str:
    """The one state of an outbox entry (see the module docstring)."""
    state = entry.state
    if state == "send-failed":
        return "not sent" if is_resolved_not_sent(entry) else "failed"
    if state != "queued":
        return state if state in DISPLAY_LABELS else "unknown"
    status = (entry.last_status or "").upper()
    if status == COMPLETED:
        return "delivered"
    if is_failure_status(status):
        return "failed"
    if status == SCHEDULED_STATUS:
        return "scheduled"
    when = scheduled_at(entry)
    moment = time.time() if now is None else now
    if when is not None and when > moment and not status:
        return "scheduled"
    return "queued"


def send_outcome(entry: Any) -> str:
    """The local source in words: what happened to our POST (the detail view shows it)."""
    state = entry.state
    if state == "held":
        return "held in the undo window (nothing sent yet)"
    if state == "sending":
        return "being sent: waiting for SmartLead's answer"
    if state == "queued":
        if not entry.request_body:
            return "not sent from here (Message-ID added by hand)"
        answer = f": {entry.server_message}" if entry.server_message else ""
        return f"accepted by SmartLead{answer}"
    if state == "unknown":
        return "unknown: SmartLead's answer never came; check the thread, then resolve it"
    if state == "send-failed":
        if is_resolved_not_sent(entry):
            return f"not sent: {entry.last_error}"
        return f"refused or failed: {entry.last_error or 'the send failed'}"
    if state == "cancelled":
        return "undone before it went (nothing sent)"
    return state


def scheduled_for_lead(
    entries: Iterable[Any],
    *,
    campaign_id: Any,
    lead_id: Any,
    to_email: str = "",
    now: float | None = None,
    exclude: int | None = None,
) -> list[Any]:
    """Our replies to this lead that are scheduled and still to go, soonest first."""
    moment = time.time() if now is None else now
    campaign = str(campaign_id) if campaign_id not in (None, "") else ""
    lead = str(lead_id) if lead_id not in (None, "") else ""
    address = to_email.strip().casefold()
    found = []
    for entry in entries:
        if entry.id == exclude or entry.state not in _MAY_GO:
            continue
        fields = entry.fields or {}
        if str(fields.get("campaign_id", entry.campaign_id) or "") != campaign or not campaign:
            continue
        same_lead = bool(lead) and str(fields.get("lead_id") or "") == lead
        same_address = bool(address) and str(fields.get("to_email") or "").casefold() == address
        if not (same_lead or same_address):
            continue
        when = scheduled_at(entry)
        if when is None or when <= moment:
            continue
        if (entry.last_status or "").upper() == COMPLETED:
            continue
        found.append((when, entry))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return [entry for _, entry in found]


def scheduled_messages(
    entries: Iterable[Any],
    history: Iterable[Any],
    *,
    now: float | None = None,
    skew: float = 60.0,
) -> dict[str, float]:
    """Outgoing messages of a thread that are only scheduled: stats id -> when they go.

    SmartLead lists a scheduled reply in the history like a sent one. It is scheduled when its
    time is still ahead, or when it is one of ours (same Message-ID, or, before the tracker
    found that, a message of ours starting with the body of a reply we scheduled) that has
    not gone yet. `entries` are outbox entries, `history` the thread's messages.
    """
    moment = time.time() if now is None else now
    waiting = [
        (entry, scheduled_at(entry))
        for entry in entries
        if display_state(entry, now=moment) == "scheduled"
    ]
    by_id = {entry.message_id: when for entry, when in waiting if entry.message_id}
    unmatched = [
        (normalize_body(str((entry.fields or {}).get("body") or ""))[:80], entry, when)
        for entry, when in waiting
        if not entry.message_id
    ]
    found: dict[str, float] = {}
    for message in history:
        if message.is_reply or not message.stats_id:
            continue
        sent = parse_time(message.time)
        if sent is not None and sent > moment + skew:
            found[message.stats_id] = sent
            continue
        if message.message_id and message.message_id in by_id:
            found[message.stats_id] = by_id[message.message_id] or sent or moment
            continue
        body = normalize_body(message.body_html)
        for prefix, entry, when in unmatched:
            if (
                prefix
                and body.startswith(prefix)
                and (sent or moment) >= (entry.created_at.timestamp() - skew)
            ):
                found[message.stats_id] = when or sent or moment
                break
    return found
