"""What goes over the wire and what comes back, as plain dataclasses.

`ReplyDraft.to_payload` is the only place that knows the two send wire formats. Parsers of
answers are tolerant: the public docs promise shapes that reality does not always keep.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SendEndpoint = Literal["send-email-thread", "reply-email-thread"]

#: The only reply status SmartLead documents; every other value is shown verbatim and polled on.
COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Attachment:
    """A file SmartLead downloads itself from a public URL (there is no upload endpoint)."""

    file_url: str
    file_name: str | None = None
    file_type: str | None = None
    file_size: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"file_url": self.file_url}
        if self.file_name:
            wire["file_name"] = self.file_name
        if self.file_type:
            wire["file_type"] = self.file_type
        if self.file_size is not None:
            wire["file_size"] = self.file_size
        return wire


@dataclass(frozen=True)
class ReplyDraft:
    """Every field of a reply. Validation happens before one is built (see `validation`)."""

    campaign_id: int
    email_stats_id: str
    body: str
    thread_id: int | None = None
    to_email: str | None = None
    to_first_name: str | None = None
    to_last_name: str | None = None
    scheduled_time: datetime | None = None
    reply_message_id: str | None = None
    reply_email_body: str | None = None
    reply_email_time: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    schedule_condition: str | None = None
    seq_type: str | None = None
    add_signature: bool | None = None
    attachments: tuple[Attachment, ...] = ()
    #: The text as the person typed it when `body` is its HTML form (not sent; identity only).
    typed_body: str | None = field(default=None, compare=False, repr=False)

    def fingerprint(self, body: str | None = None) -> str:
        """Identity for "same reply sent twice?": campaign, stats id and body."""
        digest = hashlib.sha256()
        text = self.body if body is None else body
        for part in (str(self.campaign_id), self.email_stats_id, text):
            digest.update(part.encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()

    def to_payload(
        self, endpoint: SendEndpoint = "send-email-thread"
    ) -> tuple[str, dict[str, Any]]:
        """Return (path, JSON body) for the chosen endpoint, omitting every empty optional field."""
        scheduled = (
            self.scheduled_time.isoformat(timespec="seconds") if self.scheduled_time else None
        )
        common: list[tuple[str, str, Any]] = [
            # (camelCase, snake_case, value)
            ("toEmail", "to_email", self.to_email),
            ("toFirstName", "to_first_name", self.to_first_name),
            ("toLastName", "to_last_name", self.to_last_name),
            ("scheduledTime", "scheduled_time", scheduled),
            ("replyMessageId", "reply_message_id", self.reply_message_id),
            ("replyEmailBody", "reply_email_body", self.reply_email_body),
            ("replyEmailTime", "reply_email_time", self.reply_email_time),
            ("cc", "cc", ",".join(self.cc)),
            ("bcc", "bcc", ",".join(self.bcc)),
            ("scheduleCondition", "schedule_condition", self.schedule_condition),
            ("seqType", "seq_type", self.seq_type),
            ("addSignature", "add_signature", self.add_signature),
            ("attachments", "attachments", [a.to_wire() for a in self.attachments]),
        ]
        if endpoint == "reply-email-thread":
            body: dict[str, Any] = {"email_stats_id": self.email_stats_id, "email_body": self.body}
            body.update({snake: value for _, snake, value in common if _present(value)})
            return f"/campaigns/{int(self.campaign_id)}/reply-email-thread", body
        body = {
            "campaignId": int(self.campaign_id),
            "emailStatsId": self.email_stats_id,
            "emailBody": self.body,
        }
        if self.thread_id is not None:
            body["id"] = int(self.thread_id)
        body.update({camel: value for camel, _, value in common if _present(value)})
        return "/email-campaigns/send-email-thread", body


def _present(value: Any) -> bool:
    """Booleans count even when False; strings and lists only when non-empty."""
    if value is None:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, tuple, dict)):
        return len(value) > 0
    return True


@dataclass(frozen=True)
class SendResult:
    """A send SmartLead accepted (any 2xx). `message_id` only when the answer carried one."""

    status_code: int
    server_message: str
    message_id: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class ReplyStatus:
    """One answer of `GET /master-inbox/reply-status`."""

    message_id: str
    status: str
    status_message: str = ""
    event_time: str | None = None
    scheduled_time: str | None = None
    email_stats_id: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.upper() == COMPLETED

    @classmethod
    def from_api(cls, data: dict[str, Any], *, asked_for: str) -> ReplyStatus:
        return cls(
            message_id=_text(data.get("message_id")) or asked_for,
            status=_text(data.get("status")) or "UNKNOWN",
            status_message=_text(data.get("status_message")) or "",
            event_time=_text(data.get("event_time")),
            scheduled_time=_text(data.get("scheduled_time")),
            email_stats_id=_text(data.get("email_stats_id")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "status": self.status,
            "status_message": self.status_message,
            "event_time": self.event_time,
            "scheduled_time": self.scheduled_time,
            "email_stats_id": self.email_stats_id,
        }


@dataclass(frozen=True)
class Message:
    """One email of a thread's message history."""

    stats_id: str
    message_id: str | None
    type: str
    time: str
    from_email: str
    to_email: str
    subject: str = ""
    body_html: str = ""
    cc: str = ""
    bcc: str = ""
    attachments: tuple[dict[str, Any], ...] = ()
    seq_number: int | None = None

    @property
    def is_reply(self) -> bool:
        """A message from the lead (the API calls those REPLY; everything else we sent)."""
        return self.type.upper() == "REPLY"

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Message:
        attachments = raw.get("attachments")
        seq = raw.get("email_seq_number")
        return cls(
            stats_id=_text(raw.get("stats_id")) or "",
            message_id=_text(raw.get("message_id")),
            type=_text(raw.get("type")) or "SENT",
            time=_text(raw.get("time")) or "",
            from_email=_text(raw.get("from")) or "",
            to_email=_text(raw.get("to")) or "",
            subject=_text(raw.get("subject")) or "",
            body_html=_text(raw.get("email_body")) or "",
            cc=_text(raw.get("cc")) or "",
            bcc=_text(raw.get("bcc")) or "",
            attachments=tuple(a for a in attachments if isinstance(a, dict))
            if isinstance(attachments, list)
            else (),
            seq_number=int(seq)
            if isinstance(seq, (int, float)) and not isinstance(seq, bool)
            else None,
        )


@dataclass(frozen=True)
class Conversation:
    """One row of the master inbox: a lead's conversation in one campaign."""

    lead_id: int | None
    lead_map_id: int | None
    campaign_id: int | None
    campaign_name: str
    lead_email: str
    lead_first_name: str = ""
    lead_last_name: str = ""
    category_id: int | None = None
    last_reply_time: str | None = None
    unread: bool = False
    important: bool = False
    archived: bool = False
    snoozed: bool = False
    history: tuple[Message, ...] = field(default=())

    @property
    def lead_name(self) -> str:
        return " ".join(p for p in (self.lead_first_name, self.lead_last_name) if p).strip()

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Conversation:
        history = raw.get("email_history")
        messages = (
            tuple(Message.from_api(m) for m in history if isinstance(m, dict))
            if isinstance(history, list)
            else ()
        )
        return cls(
            lead_id=int_or_none(raw.get("email_lead_id")),
            lead_map_id=int_or_none(raw.get("email_lead_map_id")),
            campaign_id=int_or_none(raw.get("email_campaign_id")),
            campaign_name=_text(raw.get("email_campaign_name")) or "",
            lead_email=_text(raw.get("lead_email")) or "",
            lead_first_name=_text(raw.get("lead_first_name")) or "",
            lead_last_name=_text(raw.get("lead_last_name")) or "",
            category_id=int_or_none(raw.get("lead_category_id")),
            last_reply_time=_text(raw.get("last_reply_time")),
            unread=bool(raw.get("has_new_unread_email")),
            important=bool(raw.get("is_important")),
            archived=bool(raw.get("is_archived")),
            snoozed=bool(raw.get("is_snoozed")),
            history=sort_messages(messages),
        )


def sort_messages(messages: tuple[Message, ...] | list[Message]) -> tuple[Message, ...]:
    """History order is not guaranteed by the API: oldest first, by time."""
    return tuple(sorted(messages, key=lambda m: m.time))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def int_or_none(value: Any) -> int | None:
    """An id from the API: an int, or digits in a string; anything else (bools too) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
