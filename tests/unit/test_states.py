"""One state per outbox entry from its two sources, and what is only scheduled (issue 11)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from smartlead_tui.api.models import Message
from smartlead_tui.outbox.states import (
    RESOLVED_NOT_SENT,
    display_label,
    display_state,
    scheduled_for_lead,
    scheduled_messages,
    send_outcome,
)
from smartlead_tui.outbox.store import OutboxEntry

T0 = 1_800_000_000.0


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def entry(**changes: Any) -> OutboxEntry:
    base = OutboxEntry(
        id=1,
        thread_key="7:s1",
        fingerprint="fp",
        state="queued",
        fields={"campaign_id": 7, "lead_id": 70, "body": "See you Thursday.", "to_email": "a@b.c"},
        endpoint="/email-campaigns/send-email-thread",
        request_body={"emailBody": "See you Thursday."},
        created_at=datetime.fromtimestamp(T0, UTC),
        updated_at=datetime.fromtimestamp(T0, UTC),
        hold_until=None,
        message_id=None,
        server_message="Email added to the queue",
        last_error=None,
        last_status=None,
        last_status_message=None,
        last_event_time=None,
        last_scheduled_time=None,
        last_checked_at=None,
        lead_label="Ann <a@b.c>",
        campaign_id=7,
    )
    return dataclasses.replace(base, **changes)


def test_one_state_reads_what_the_two_sources_mean_together() -> None:
    """Before: a delivered reply read "• queued … ✓ COMPLETED"."""
    assert display_state(entry(last_status="COMPLETED"), now=T0) == "delivered"
    assert display_state(entry(last_status="QUEUED"), now=T0) == "queued"
    assert display_state(entry(last_status="SCHEDULED"), now=T0) == "scheduled"
    assert display_state(entry(last_status="BOUNCED"), now=T0) == "failed"
    assert display_state(entry(state="send-failed", last_error="400"), now=T0) == "failed"
    resolved = entry(state="send-failed", last_error="you said", server_message=RESOLVED_NOT_SENT)
    assert display_state(resolved, now=T0) == "not sent"
    for state in ("held", "sending", "unknown", "cancelled"):
        assert display_state(entry(state=state), now=T0) == state
    later = {"scheduled_time": iso(T0 + 3600)}
    waiting = entry(fields={**entry().fields, **later})
    assert display_state(waiting, now=T0) == "scheduled"
    assert display_state(waiting, now=T0 + 7200) == "queued"  # its time passed
    assert display_label("delivered") == "✓ delivered" and display_label("scheduled")[0] == "◷"


def test_the_detail_names_the_send_outcome_in_words() -> None:
    assert send_outcome(entry()).startswith("accepted by SmartLead")
    assert "unknown" in send_outcome(entry(state="unknown"))
    assert "added by hand" in send_outcome(entry(request_body={}))


def test_a_scheduled_reply_in_the_history_is_not_a_sent_one() -> None:
    """Before: the thread showed "▶ SENT" for a reply only scheduled."""
    ours = entry(
        message_id="<ours@x>",
        last_status="SCHEDULED",
        last_scheduled_time=iso(T0 + 7200),
    )

    def message(mid: str, when: float, body: str = "See you Thursday.") -> Message:
        return Message(mid.strip("<>"), mid, "SENT", iso(when), "me@x", "a@b.c", body_html=body)

    history = [
        message("<old@x>", T0 - 86400, "Earlier step"),
        message("<ours@x>", T0 + 1),
        message("<future@x>", T0 + 86400, "Scheduled elsewhere"),
    ]
    found = scheduled_messages([ours], history, now=T0 + 10)
    assert found == {"ours@x": T0 + 7200, "future@x": T0 + 86400}
    # Before the tracker learnt the Message-ID, the body still tells it apart.
    unmatched = entry(fields={**entry().fields, "scheduled_time": iso(T0 + 600)})
    assert scheduled_messages([unmatched], history[:2], now=T0 + 10) == {"ours@x": T0 + 600}
    delivered = dataclasses.replace(ours, last_status="COMPLETED")
    assert scheduled_messages([delivered], history[:2], now=T0 + 10) == {}


def test_scheduled_for_lead_finds_our_pending_replies_to_that_lead() -> None:
    later = entry(fields={**entry().fields, "scheduled_time": iso(T0 + 600)})
    assert scheduled_for_lead([later], campaign_id=7, lead_id=70, now=T0) == [later]
    assert scheduled_for_lead([later], campaign_id=7, lead_id=71, now=T0) == []
    assert scheduled_for_lead([later], campaign_id=7, lead_id=None, to_email="A@B.C", now=T0)
    assert scheduled_for_lead([later], campaign_id=7, lead_id=70, now=T0 + 601) == []
    cancelled = dataclasses.replace(later, state="cancelled")
    assert scheduled_for_lead([cancelled], campaign_id=7, lead_id=70, now=T0) == []
