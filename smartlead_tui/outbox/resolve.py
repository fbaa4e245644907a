"""Closing "unknown" sends: by the person's decision, or by what SmartLead's thread shows.

An unknown send (the POST went out, no answer came back) may or may not have reached the lead.
It must never be resent by itself, and it must not stay open forever either: the person can
say "it was sent" or "it was not sent" after looking at the thread, and the tracker closes it
on its own when the thread shows it, or when the thread shows only a later resend of the same
reply. Each decision is one journaled transition (unknown -> queued / send-failed); nothing is
sent from here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from smartlead_tui.outbox.states import RESOLVED_NOT_SENT
from smartlead_tui.outbox.store import StoreError

if TYPE_CHECKING:
    from smartlead_tui.api.models import Message
    from smartlead_tui.outbox.store import OutboxEntry, Store

log = logging.getLogger("smartlead_tui.outbox.resolve")

__all__ = [
    "MARKED_NOT_SENT",
    "MARKED_SENT",
    "close_if_only_the_resend_shows",
    "mark_not_sent",
    "mark_sent",
    "only_the_resend_shows",
    "resend_shown",
]

MARKED_SENT = "you marked it as sent (checked the thread)"
MARKED_NOT_SENT = "you marked it as not sent (checked the thread)"


def mark_sent(store: Store, entry_id: int) -> OutboxEntry:
    """The person saw the reply in the thread: unknown -> queued, tracked from here on.

    Raises the store's TransitionError when the entry is no longer unknown.
    """
    return store.transition(entry_id, "queued", detail=MARKED_SENT)


def mark_not_sent(store: Store, entry_id: int) -> OutboxEntry:
    """The person saw it is not in the thread: unknown -> send-failed (it never went).

    Raises the store's TransitionError when the entry is no longer unknown.
    """
    return store.transition(
        entry_id,
        "send-failed",
        detail=MARKED_NOT_SENT,
        error=MARKED_NOT_SENT,
        server_message=RESOLVED_NOT_SENT,
    )


def resend_shown(
    entry: OutboxEntry, candidates: Iterable[OutboxEntry], shown_ids: Iterable[str]
) -> OutboxEntry | None:
    """A later send of the same reply that SmartLead accepted and the thread shows, if any."""
    shown = set(shown_ids)
    for other in candidates:
        if (
            other.id > entry.id
            and other.fingerprint
            and other.fingerprint == entry.fingerprint
            and other.state == "queued"
            and other.message_id in shown
        ):
            return other
    return None


def only_the_resend_shows(store: Store, entry_id: int, resend: OutboxEntry) -> OutboxEntry:
    """The thread shows the resend but not this earlier attempt: it did not go."""
    reason = f"the thread shows only its resend (outbox entry {resend.id}, {resend.message_id})"
    return store.transition(
        entry_id, "send-failed", detail=reason, error=reason, server_message=RESOLVED_NOT_SENT
    )


def close_if_only_the_resend_shows(
    store: Store, entry_id: int, messages: Sequence[Message]
) -> OutboxEntry | None:
    """Close an unknown send as not sent when `messages` (its thread, just read) show a later
    accepted resend of it but not it. Returns the resend when it did so."""
    shown = [m.message_id for m in messages if m.message_id and not m.is_reply]
    owners = [o for mid in shown if (o := store.find_by_message_id(mid)) is not None]
    try:
        entry = store.get_entry(entry_id)
        resend = resend_shown(entry, owners, shown)
        if resend is None or entry.state != "unknown":
            return None
        only_the_resend_shows(store, entry_id, resend)
    except StoreError as exc:  # the person decided first
        log.info("entry %s not closed as not sent: %s", entry_id, exc)
        return None
    return resend
