"""The send state machine: draft -> held (undo window) -> sending -> queued | send-failed | unknown.

Two product rules shape it. Never lose a reply: every state change is journaled in the store
*before* the next step starts, so a crash at any point is recovered at the next start. Never send
one twice: the POST goes exactly once (no automatic retry), a timeout ends in "unknown", and a
reply identical to one sent in the last 24 h (same campaign, stats id and body) needs an explicit
yes. Plain Python, no Textual: the TUI and the CLI share it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from smartlead_tui.api.errors import ApiError
from smartlead_tui.api.models import Attachment, ReplyDraft, SendEndpoint, SendResult
from smartlead_tui.body_format import outgoing_body, text_to_html
from smartlead_tui.categories import CategoryNames, do_not_contact_warning
from smartlead_tui.control_chars import describe_controls, find_controls
from smartlead_tui.outbox.store import (
    NEW_THREAD,
    OutboxEntry,
    Store,
    StoreError,
    TransitionError,
    thread_key,
)
from smartlead_tui.redact import redact
from smartlead_tui.validation import (
    ValidationError,
    find_unfilled_merge_fields,
    guess_attachment,
    normalize_message_id,
    parse_campaign_id,
    parse_email_list,
    parse_iso_datetime,
    parse_positive_int,
    parse_schedule,
    require_text,
    schedule_to_wire,
    validate_attachment_url,
    validate_email,
)

if TYPE_CHECKING:
    from smartlead_tui.api.client import SmartLeadClient
    from smartlead_tui.config import Settings

__all__ = [
    "DUPLICATE_WINDOW",
    "FIELD_DEFAULTS",
    "UNKNOWN_PREFIX",
    "WORK_HOURS",
    "DuplicateReply",
    "FieldCheck",
    "Problem",
    "SendBlocked",
    "Sender",
    "check_fields",
    "draft_from_fields",
    "draft_from_payload",
    "draft_key_for",
    "fields_from_args",
    "lead_label_for",
    "normalize_fields",
    "review_warnings",
]

log = logging.getLogger("smartlead_tui.outbox")

#: A reply with the same fingerprint inside this window needs an explicit yes.
DUPLICATE_WINDOW = timedelta(hours=24)

#: Scheduled outside these local hours (in the chosen zone) earns a review warning.
WORK_HOURS = (8, 18)

#: How an "unknown" outcome starts, everywhere it is shown.
UNKNOWN_PREFIX = "unknown — check the thread before resending"

#: The canonical draft "fields" dict (drafts, outbox entries, compose prefill) and its defaults.
#: `add_signature` None means "the configured default".
FIELD_DEFAULTS: dict[str, Any] = {
    "campaign_id": None,
    "email_stats_id": "",
    "lead_id": None,
    "lead_label": "",
    "lead_category_id": None,
    "campaign_name": "",
    "subject": "",
    "body": "",
    "thread_id": None,
    "to_email": "",
    "to_first_name": "",
    "to_last_name": "",
    "cc": "",
    "bcc": "",
    "schedule_text": "",
    "scheduled_time": None,
    "add_signature": None,
    "attachments": [],
    "reply_message_id": "",
    "reply_email_body": "",
    "reply_email_time": "",
    "schedule_condition": "",
    "seq_type": "",
}


#: Free-text fields that no other check looks at, and how a problem names them.
_FREE_TEXT_FIELDS: dict[str, str] = {
    "body": "body",
    "to_first_name": "first name",
    "to_last_name": "last name",
    "email_stats_id": "email stats id",
    "reply_email_body": "original body",
    "schedule_condition": "schedule condition",
    "seq_type": "sequence type",
}


class SendBlocked(Exception):
    """The fields do not make a sendable reply; `problems` are the one-line reasons."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "the reply is not ready to send")


class DuplicateReply(Exception):
    """The same reply (campaign, stats id, body) was held/sent recently; `entry` is that one."""

    def __init__(self, entry: OutboxEntry) -> None:
        self.entry = entry
        when = entry.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(
            f"the same reply (campaign {entry.campaign_id}, same stats id and body) was "
            f"{entry.state} at {when} (outbox entry {entry.id})"
        )


@dataclass(frozen=True)
class Problem:
    """One reason a reply cannot go: `key` is the fields-dict key it belongs to."""

    key: str
    message: str


@dataclass(frozen=True)
class FieldCheck:
    """Result of validating a fields dict: the draft when everything is fine, else problems."""

    draft: ReplyDraft | None
    problems: tuple[Problem, ...] = ()
    #: The resolved "send at" time (None: send now, or the schedule text is invalid).
    scheduled_time: datetime | None = None
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.draft is not None

    @property
    def messages(self) -> list[str]:
        return [p.message for p in self.problems]

    def for_key(self, key: str) -> list[str]:
        return [p.message for p in self.problems if p.key == key]


# --------------------------------------------------------------------------------------------
# Fields dict -> ReplyDraft


def _text(value: Any) -> str:
    """A field value as text: None -> "", numbers as typed; JSON drafts may hold either."""
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def _opt(value: Any) -> str | None:
    text = _text(value).strip()
    return text or None


def normalize_fields(fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every canonical key present (defaults filled in), unknown keys kept as they are."""
    merged: dict[str, Any] = {
        k: (list(v) if isinstance(v, list) else v) for k, v in FIELD_DEFAULTS.items()
    }
    for key, value in (fields or {}).items():
        if key == "attachments":
            merged[key] = [dict(a) for a in value if isinstance(a, Mapping)] if value else []
        else:
            merged[key] = value
    return merged


def lead_label_for(fields: Mapping[str, Any]) -> str:
    """How the outbox names a reply: the prefilled label, else "First Last <to>", else ids."""
    label = _text(fields.get("lead_label")).strip()
    if label:
        return label
    name = " ".join(
        p for p in (_text(fields.get("to_first_name")), _text(fields.get("to_last_name"))) if p
    ).strip()
    to = _text(fields.get("to_email")).strip()
    if name and to:
        return f"{name} <{to}>"
    if name or to:
        return name or to
    campaign = _text(fields.get("campaign_id")).strip()
    return f"campaign {campaign}" if campaign else "new reply"


def check_fields(
    fields: Mapping[str, Any], *, settings: Settings, tz: tzinfo, now: datetime
) -> FieldCheck:
    """Validate every field at once, so the UI can show each problem next to its input.

    Messages are the shared ones from `validation` ("cc: 'bob@' is not an email address").
    `now` must be aware; schedule text is read in `tz`. The signature default is the
    configured one when the fields leave it unset.
    """
    problems: list[Problem] = []

    def check(key: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            problems.append(Problem(key, str(exc)))
        return None

    campaign_id = check("campaign_id", parse_campaign_id, _text(fields.get("campaign_id")))
    stats_id = check(
        "email_stats_id", require_text, _text(fields.get("email_stats_id")), field="email stats id"
    )
    body = check("body", require_text, _text(fields.get("body")), field="body")
    if body:
        unfilled = find_unfilled_merge_fields(body)
        if unfilled:
            problems.append(
                Problem(
                    "body", f"body: unfilled merge fields {', '.join(unfilled)}; fill them in first"
                )
            )

    to_text = _text(fields.get("to_email")).strip()
    to_email = check("to_email", validate_email, to_text, field="to") if to_text else None
    exclude = [to_text] if to_text else []
    cc, cc_problems = parse_email_list(_text(fields.get("cc")), field="cc", exclude=exclude)
    problems += [Problem("cc", p) for p in cc_problems]
    bcc_all, bcc_problems = parse_email_list(_text(fields.get("bcc")), field="bcc", exclude=exclude)
    problems += [Problem("bcc", p) for p in bcc_problems]
    in_cc = {a.casefold() for a in cc}
    bcc = []
    for address in bcc_all:
        if address.casefold() in in_cc:
            problems.append(Problem("bcc", f"bcc: '{address}' is already in cc"))
        else:
            bcc.append(address)

    schedule_text = _text(fields.get("schedule_text")).strip()
    if not schedule_text:
        schedule_text = _text(fields.get("scheduled_time")).strip()
    scheduled = (
        check("schedule_text", parse_schedule, schedule_text, now=now, tz=tz)
        if schedule_text
        else None
    )

    attachments: list[Attachment] = []
    seen_urls: set[str] = set()
    raw_attachments = fields.get("attachments") or []
    for raw in raw_attachments if isinstance(raw_attachments, list) else []:
        item = raw if isinstance(raw, Mapping) else {"file_url": raw}
        url = check("attachments", validate_attachment_url, _text(item.get("file_url")))
        if url is None:
            continue
        if url in seen_urls:
            problems.append(Problem("attachments", f"attachment: '{url}' is listed twice"))
            continue
        seen_urls.add(url)
        guessed = guess_attachment(url)
        size = item.get("file_size")
        attachments.append(
            Attachment(
                file_url=url,
                file_name=_opt(item.get("file_name")) or guessed["file_name"],
                file_type=_opt(item.get("file_type")) or guessed["file_type"],
                file_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )

    thread_text = _text(fields.get("thread_id")).strip()
    thread_id = (
        check("thread_id", parse_positive_int, thread_text, field="thread id")
        if thread_text
        else None
    )
    mid_text = _text(fields.get("reply_message_id")).strip()
    reply_message_id = (
        check("reply_message_id", normalize_message_id, mid_text) if mid_text else None
    )
    time_text = _text(fields.get("reply_email_time")).strip()
    reply_time = (
        check("reply_email_time", parse_iso_datetime, time_text, field="reply time")
        if time_text
        else None
    )

    for key, label in _FREE_TEXT_FIELDS.items():
        value = _text(fields.get(key))
        controls = describe_controls(value)
        if controls:
            them = "it" if sum(find_controls(value).values()) == 1 else "them"
            problems.append(
                Problem(
                    key, f"{label}: contains {controls} (pasted from a terminal?); remove {them}"
                )
            )

    if problems:
        return FieldCheck(None, tuple(problems), scheduled, tuple(attachments))
    signature = fields.get("add_signature")
    body_format = getattr(settings, "body_format", "html")
    draft = ReplyDraft(
        campaign_id=campaign_id,
        email_stats_id=stats_id,
        body=outgoing_body(body, body_format),  # the one conversion, for the TUI and the CLI
        typed_body=body if body_format != "plain" else None,
        thread_id=thread_id,
        to_email=to_email,
        to_first_name=_opt(fields.get("to_first_name")),
        to_last_name=_opt(fields.get("to_last_name")),
        scheduled_time=scheduled,
        reply_message_id=reply_message_id,
        reply_email_body=_text(fields.get("reply_email_body")) or None,
        reply_email_time=reply_time,
        cc=tuple(cc),
        bcc=tuple(bcc),
        schedule_condition=_opt(fields.get("schedule_condition")),
        seq_type=_opt(fields.get("seq_type")),
        add_signature=settings.add_signature if signature is None else bool(signature),
        attachments=tuple(attachments),
    )
    return FieldCheck(draft, (), scheduled, tuple(attachments))


def draft_from_fields(
    fields: Mapping[str, Any], *, settings: Settings, tz: tzinfo, now: datetime
) -> tuple[ReplyDraft | None, list[str]]:
    """The ReplyDraft and no problems, or None and every problem (one sentence each)."""
    result = check_fields(fields, settings=settings, tz=tz, now=now)
    return result.draft, result.messages


def fields_from_args(args: Any, *, body: str | None = None) -> dict[str, Any]:
    """The canonical fields dict from the `send`/`compose` flags (argparse attribute names).

    The body comes separately because `--body-file` is read by the CLI. Values stay as typed;
    `check_fields` does the validating.
    """

    def arg(name: str) -> Any:
        return getattr(args, name, None)

    fields = normalize_fields({})
    fields.update(
        {
            "campaign_id": arg("campaign_id"),
            "email_stats_id": arg("email_stats_id") or "",
            "body": body if body is not None else (arg("body") or ""),
            "to_email": arg("to") or "",
            "to_first_name": arg("first_name") or "",
            "to_last_name": arg("last_name") or "",
            "cc": arg("cc") or "",
            "bcc": arg("bcc") or "",
            "schedule_text": arg("schedule") or "",
            "add_signature": arg("signature"),
            "attachments": [{"file_url": url} for url in (arg("attach") or [])],
            "thread_id": arg("thread_id"),
            "reply_message_id": arg("reply_message_id") or "",
            "reply_email_body": arg("reply_body") or "",
            "reply_email_time": arg("reply_time") or "",
            "schedule_condition": arg("schedule_condition") or "",
            "seq_type": arg("seq_type") or "",
        }
    )
    for key in ("campaign_id", "thread_id"):
        value = fields[key]
        if isinstance(value, str) and value.strip().isdigit():
            fields[key] = int(value.strip())
    return fields


def review_warnings(
    draft: ReplyDraft,
    fields: Mapping[str, Any],
    *,
    tz: tzinfo,
    now: datetime | None = None,
    categories: CategoryNames | None = None,
    already_scheduled: Sequence[OutboxEntry] = (),
) -> list[str]:
    """Things worth a second look before sending; none of them blocks the send.

    `categories` are the account's names: a lead in a negative or "do not contact"-like
    category is warned about first (ids come from the inbox row, names from the API).
    `already_scheduled`: our replies to the same lead still waiting for their time
    (`Sender.review_warnings` finds them in the outbox).
    """
    warnings: list[str] = []
    if categories is not None:
        do_not_contact = do_not_contact_warning(fields, categories)
        if do_not_contact:
            warnings.append(do_not_contact)
    warnings.extend(_scheduled_warning(entry, tz) for entry in already_scheduled)
    if not draft.add_signature:
        warnings.append("No signature: the mailbox signature will not be added.")
    when = draft.scheduled_time
    if when is not None:
        local = when.astimezone(tz)
        start, end = WORK_HOURS
        minutes = local.hour * 60 + local.minute
        if minutes < start * 60 or minutes > end * 60:
            zone = getattr(tz, "key", None) or local.strftime("%z")
            warnings.append(
                f"Scheduled at {local:%H:%M} {zone}, outside {start:02d}:00–{end:02d}:00 "
                "working hours."
            )
        elif local.weekday() >= 5:
            warnings.append(f"Scheduled on a {local:%A}.")
    if not _text(fields.get("subject")).strip() and not draft.reply_message_id:
        warnings.append(
            "Empty subject context: no subject and no reply-to Message-ID, so the reply may not "
            "thread under the lead's message."
        )
    elif not _text(fields.get("subject")).strip():
        warnings.append("Empty subject context: the subject of the thread is unknown.")
    if not draft.to_email:
        warnings.append("No To address: SmartLead sends to the lead's imported address.")
    return warnings


def _scheduled_warning(entry: OutboxEntry, tz: tzinfo) -> str:
    from smartlead_tui.outbox.states import scheduled_at

    when = scheduled_at(entry)
    local = datetime.fromtimestamp(when, UTC).astimezone(tz) if when is not None else None
    at = f"{local:%a %d %b %H:%M}" if local is not None else "later"
    return (
        f"This lead already has a reply scheduled for {at} (outbox entry {entry.id}); this one "
        "goes as well, and the scheduled one is not cancelled."
    )


# --------------------------------------------------------------------------------------------
# Stored request body -> ReplyDraft (what was reviewed is exactly what goes out)

_CAMEL = {
    "toEmail": "to_email",
    "toFirstName": "to_first_name",
    "toLastName": "to_last_name",
    "replyMessageId": "reply_message_id",
    "replyEmailBody": "reply_email_body",
    "replyEmailTime": "reply_email_time",
    "scheduleCondition": "schedule_condition",
    "seqType": "seq_type",
}


def draft_from_payload(path: str, body: Mapping[str, Any]) -> ReplyDraft:
    """Inverse of `ReplyDraft.to_payload` for either wire format.

    A held entry stores the exact request body the person reviewed; the send rebuilds the draft
    from it (not from the fields, which would be re-read against a later clock).
    """
    if "emailStatsId" in body:
        snake = {_CAMEL.get(k, k): v for k, v in body.items()}
        campaign_id = int(body["campaignId"])
        stats_id = str(body["emailStatsId"])
        text = str(body["emailBody"])
        thread_id = int(body["id"]) if body.get("id") is not None else None
        scheduled = body.get("scheduledTime")
        signature = body.get("addSignature")
    else:
        snake = dict(body)
        campaign_text = path.strip("/").split("/")[1] if path.startswith("/campaigns/") else ""
        campaign_id = int(campaign_text)
        stats_id = str(body["email_stats_id"])
        text = str(body["email_body"])
        thread_id = None
        scheduled = body.get("scheduled_time")
        signature = body.get("add_signature")
    attachments = tuple(
        Attachment(
            file_url=str(a["file_url"]),
            file_name=a.get("file_name"),
            file_type=a.get("file_type"),
            file_size=a.get("file_size"),
        )
        for a in snake.get("attachments") or []
    )
    cc = tuple(a for a in str(snake.get("cc") or "").split(",") if a)
    bcc = tuple(a for a in str(snake.get("bcc") or "").split(",") if a)
    return ReplyDraft(
        campaign_id=campaign_id,
        email_stats_id=stats_id,
        body=text,
        thread_id=thread_id,
        to_email=snake.get("to_email"),
        to_first_name=snake.get("to_first_name"),
        to_last_name=snake.get("to_last_name"),
        scheduled_time=datetime.fromisoformat(scheduled) if scheduled else None,
        reply_message_id=snake.get("reply_message_id"),
        reply_email_body=snake.get("reply_email_body"),
        reply_email_time=snake.get("reply_email_time"),
        cc=cc,
        bcc=bcc,
        schedule_condition=snake.get("schedule_condition"),
        seq_type=snake.get("seq_type"),
        add_signature=signature if isinstance(signature, bool) else None,
        attachments=attachments,
    )


def _endpoint_kind(path: str) -> SendEndpoint:
    return "reply-email-thread" if path.endswith("/reply-email-thread") else "send-email-thread"


# --------------------------------------------------------------------------------------------
# The state machine


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    """Drives outbox entries over a Store and a SmartLeadClient; never retries a POST.

    `client` may be a callable so the TUI can keep creating its client lazily. `on_change` is
    called after every journaled state change (the TUI publishes it to the screens).
    """

    def __init__(
        self,
        store: Store,
        client: SmartLeadClient | Callable[[], SmartLeadClient],
        *,
        settings: Settings,
        tz: tzinfo,
        clock: Callable[[], datetime] = _utc_now,
        on_change: Callable[[OutboxEntry], None] | None = None,
    ) -> None:
        self.store = store
        self._client = client
        self.settings = settings
        self.tz = tz
        self._clock = clock
        self.on_change = on_change
        #: What the last `send` got back (for the CLI's report): the answer or the error.
        self.last_result: SendResult | None = None
        self.last_error: ApiError | None = None

    @property
    def endpoint(self) -> SendEndpoint:
        reply = self.settings.send_endpoint == "reply-email-thread"
        return "reply-email-thread" if reply else "send-email-thread"

    @property
    def undo_seconds(self) -> int:
        return max(0, int(self.settings.undo_seconds))

    def now(self) -> datetime:
        return self._clock()

    def client(self) -> SmartLeadClient:
        return self._client() if callable(self._client) else self._client

    def check(self, fields: Mapping[str, Any], *, now: datetime | None = None) -> FieldCheck:
        return check_fields(
            fields, settings=self.settings, tz=self.tz, now=now or self.now().astimezone(self.tz)
        )

    def review_warnings(
        self,
        draft: ReplyDraft,
        fields: Mapping[str, Any],
        *,
        categories: CategoryNames | None = None,
    ) -> list[str]:
        """`review_warnings` plus what only the outbox knows: a reply to this lead already
        scheduled (two replies would reach the lead)."""
        from smartlead_tui.outbox.states import scheduled_for_lead

        now = self.now()
        try:
            entries = self.store.list_entries(limit=500)
        except StoreError as exc:  # a warning is a nicety: never block the review for it
            log.warning("could not look for scheduled replies: %s", exc)
            entries = []
        scheduled = scheduled_for_lead(
            entries,
            campaign_id=draft.campaign_id,
            lead_id=fields.get("lead_id"),
            to_email=draft.to_email or "",
            now=now.timestamp(),
        )
        return review_warnings(
            draft,
            fields,
            tz=self.tz,
            now=now.astimezone(self.tz),
            categories=categories,
            already_scheduled=scheduled,
        )

    def find_duplicate(self, draft: ReplyDraft) -> OutboxEntry | None:
        """A held/sending/queued/unknown entry with the same fingerprint in the last 24 h.

        The same text counts whichever `body_format` it went out in (plain, or its HTML),
        so switching the setting between two sends does not hide a double send.
        """
        bodies = [draft.body]
        if draft.typed_body is not None:
            bodies += [draft.typed_body, text_to_html(draft.typed_body)]
        else:
            bodies.append(text_to_html(draft.body))
        for body in dict.fromkeys(bodies):
            found = self.store.find_recent_duplicate(
                draft.fingerprint(body), within=DUPLICATE_WINDOW
            )
            if found is not None:
                return found
        return None

    def hold(
        self,
        fields: Mapping[str, Any],
        *,
        allow_duplicate: bool = False,
        undo_seconds: int | None = None,
        draft_key: str | None = None,
    ) -> OutboxEntry:
        """Validate, then journal the reply as 'held' until now + undo window.

        The thread's draft is deleted in the same transaction (a crash never leaves both a held
        reply and its draft). `draft_key` is the key the composer autosaved under, if it differs.
        Raises SendBlocked (problems) or DuplicateReply (unless `allow_duplicate`).
        """
        now = self.now()
        result = self.check(fields, now=now.astimezone(self.tz))
        if result.draft is None:
            raise SendBlocked(result.messages)
        draft = result.draft
        duplicate = self.find_duplicate(draft)
        if duplicate is not None and not allow_duplicate:
            raise DuplicateReply(duplicate)
        path, body = draft.to_payload(self.endpoint)
        stored = normalize_fields(fields)
        stored["scheduled_time"] = (
            schedule_to_wire(draft.scheduled_time) if draft.scheduled_time else None
        )
        key = thread_key(draft.campaign_id, draft.email_stats_id)
        seconds = self.undo_seconds if undo_seconds is None else max(0, int(undo_seconds))
        detail = f"held for {seconds} s (undo window)"
        if duplicate is not None:
            detail += f"; sent again on purpose (same as entry {duplicate.id})"
        entry = self.store.create_entry(
            thread_key=key,
            fingerprint=draft.fingerprint(),
            fields=stored,
            endpoint=path,
            request_body=body,
            lead_label=lead_label_for(stored),
            campaign_id=draft.campaign_id,
            state="held",
            hold_until=now + timedelta(seconds=seconds),
            detail=detail,
            consume_draft=True,
        )
        if draft_key and draft_key != key:
            self.store.delete_draft(draft_key)
        self._changed(entry)
        return entry

    def cancel(self, entry_id: int, *, detail: str = "undone by the user") -> OutboxEntry:
        """Undo: held -> cancelled, the fields written back as the thread's draft.

        Raises TransitionError when it is too late (the send already started).
        """
        entry = self.store.transition(entry_id, "cancelled", detail=detail, restore_draft=True)
        self._changed(entry)
        return entry

    async def send(self, entry_id: int) -> OutboxEntry:
        """held -> sending (journaled) -> one POST -> queued | send-failed | unknown.

        Raises TransitionError if the entry is not held (undone, or already sending). A held
        reply whose scheduled time passed meanwhile is not sent: it goes back to the drafts.
        """
        entry = self.store.get_entry(entry_id)
        if entry.state != "held":
            raise TransitionError(f"outbox entry {entry_id} is {entry.state}, not held")
        try:
            draft = draft_from_payload(entry.endpoint, entry.request_body)
        except (KeyError, TypeError, ValueError) as exc:
            return self._finish(
                entry_id,
                "cancelled",
                error=f"the stored reply is unreadable ({exc}); it is back in the drafts",
                restore_draft=True,
            )
        if draft.scheduled_time is not None and draft.scheduled_time <= self.now():
            return self._finish(
                entry_id,
                "cancelled",
                error="its scheduled time has passed; it is back in the drafts to reschedule",
                restore_draft=True,
            )
        sending = self.store.transition(entry_id, "sending", detail=f"POST {entry.endpoint}")
        self._changed(sending)
        self.last_result = None
        self.last_error = None
        try:
            result = await self.client().send_reply(draft)
        except ApiError as exc:
            self.last_error = exc
            if exc.maybe_sent:
                return self._finish(entry_id, "unknown", error=f"{UNKNOWN_PREFIX}. {exc}")
            return self._finish(entry_id, "send-failed", error=str(exc), restore_draft=True)
        except asyncio.CancelledError:
            # The app is going away mid-POST: the request may have left. Journal it now.
            self._finish(entry_id, "unknown", error=f"{UNKNOWN_PREFIX}. The send was interrupted.")
            raise
        except Exception as exc:  # a bug or an odd transport: it may have gone
            log.exception("unexpected error while sending entry %s", entry_id)
            return self._finish(
                entry_id,
                "unknown",
                error=f"{UNKNOWN_PREFIX}. Unexpected error ({type(exc).__name__}).",
            )
        self.last_result = result
        return self._finish(
            entry_id,
            "queued",
            message_id=result.message_id,
            server_message=result.server_message,
            error=result.warning,
            detail=f"HTTP {result.status_code}: {result.server_message}",
        )

    async def send_immediately(
        self, fields: Mapping[str, Any], *, allow_duplicate: bool = False
    ) -> OutboxEntry:
        """hold (no undo window) + send: the CLI's `send`, journaled like the TUI's."""
        entry = self.hold(fields, allow_duplicate=allow_duplicate, undo_seconds=0)
        return await self.send(entry.id)

    def _finish(
        self,
        entry_id: int,
        state: str,
        *,
        error: str | None = None,
        message_id: str | None = None,
        server_message: str | None = None,
        detail: str = "",
        restore_draft: bool = False,
    ) -> OutboxEntry:
        entry = self.store.transition(
            entry_id,
            state,
            detail=detail,
            error=error,
            message_id=message_id,
            server_message=server_message,
            restore_draft=restore_draft,
        )
        if state in ("send-failed", "unknown"):
            # Support reads the log: a refused or unclear send is worth a line (key redacted).
            log.warning(
                "reply %d (%s): %s: %s", entry_id, entry.lead_label or "?", state, redact(error)
            )
        self._changed(entry)
        return entry

    def _changed(self, entry: OutboxEntry) -> None:
        if self.on_change is not None:
            try:
                self.on_change(entry)
            except Exception:  # a display problem must never break the journal
                log.exception("outbox change callback failed")


def draft_key_for(fields: Mapping[str, Any]) -> str:
    """The one-draft-per-thread key of a fields dict ("<campaign>:<stats id>" or "new")."""
    campaign = _text(fields.get("campaign_id")).strip()
    stats = _text(fields.get("email_stats_id")).strip()
    if not campaign.isdigit() or not stats:
        return NEW_THREAD
    return thread_key(int(campaign), stats)
