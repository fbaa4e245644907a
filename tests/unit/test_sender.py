"""The send state machine over a real Store and a real client against the loopback sandbox."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.models import Attachment, ReplyDraft
from smartlead_tui.config import Settings
from smartlead_tui.outbox.drafts import DraftAutosaver
from smartlead_tui.outbox.sender import (
    UNKNOWN_PREFIX,
    DuplicateReply,
    SendBlocked,
    Sender,
    check_fields,
    draft_from_fields,
    draft_from_payload,
    draft_key_for,
    fields_from_args,
    lead_label_for,
    normalize_fields,
    review_warnings,
)
from smartlead_tui.outbox.store import OutboxEntry, Store, TransitionError
from smartlead_tui.sandbox import SandboxServer
from tests.import_check import loaded_by

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "outbox.sqlite3") as s:
        yield s


def settings_for(server: SandboxServer | None = None, **overrides: Any) -> Settings:
    base = Settings()
    if server is not None:
        base = dataclasses.replace(base, api_key=server.api_key, base_url=server.base_url)
    return dataclasses.replace(base, timezone="Europe/Berlin", **overrides)


@pytest.fixture
async def client(server: SandboxServer) -> AsyncIterator[SmartLeadClient]:
    async with SmartLeadClient(server.api_key, base_url=server.base_url, read_timeout=0.5) as api:
        yield api


def fields_for(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    ref = server.seed.first_reply()
    fields = normalize_fields(
        {
            "campaign_id": ref.campaign_id,
            "email_stats_id": ref.stats_id,
            "lead_id": ref.lead_id,
            "lead_label": "José Núñez <jose@x.mx>",
            "to_email": ref.from_email,
            "reply_message_id": ref.message_id,
            "subject": "Re: [URGENT] pricing",
            "body": "Thanks José — Tuesday works.",
            "add_signature": True,
        }
    )
    fields.update(overrides)
    return fields


def make_sender(
    store: Store, server: SandboxServer, client: SmartLeadClient, **settings: Any
) -> tuple[Sender, list[OutboxEntry]]:
    changes: list[OutboxEntry] = []
    sender = Sender(
        store,
        client,
        settings=settings_for(server, **settings),
        tz=BERLIN,
        on_change=changes.append,
    )
    return sender, changes


# -- validation: fields -> draft ------------------------------------------------------------------


def test_every_field_reaches_the_draft() -> None:
    fields = normalize_fields(
        {
            "campaign_id": "3021",
            "email_stats_id": " stats-1 ",
            "body": "Hello Ana,\nsee you Tuesday.",
            "to_email": "ana@example.com",
            "to_first_name": "Ana",
            "to_last_name": "Lima",
            "cc": "b@example.com; c@example.com",
            "bcc": "d@example.com",
            "schedule_text": "tomorrow 9am",
            "add_signature": False,
            "attachments": [{"file_url": "https://cdn.example.com/files/deck%20v2.pdf"}],
            "thread_id": "77",
            "reply_message_id": "abc@mail.example.com",
            "reply_email_body": "<p>Interested</p>",
            "reply_email_time": "2026-03-09T11:29:05.173Z",
            "schedule_condition": "IF_NO_REPLY",
            "seq_type": "FOLLOW_UP",
        }
    )
    draft, problems = draft_from_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert problems == []
    assert draft == ReplyDraft(
        campaign_id=3021,
        email_stats_id="stats-1",
        # Sent as minimal HTML by default (issue 11 item 7); the typed text is kept beside it.
        body="<p>Hello Ana,<br>see you Tuesday.</p>",
        typed_body="Hello Ana,\nsee you Tuesday.",
        thread_id=77,
        to_email="ana@example.com",
        to_first_name="Ana",
        to_last_name="Lima",
        scheduled_time=datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN),
        reply_message_id="<abc@mail.example.com>",
        reply_email_body="<p>Interested</p>",
        reply_email_time="2026-03-09T11:29:05.173+00:00",
        cc=("b@example.com", "c@example.com"),
        bcc=("d@example.com",),
        schedule_condition="IF_NO_REPLY",
        seq_type="FOLLOW_UP",
        add_signature=False,
        attachments=(
            Attachment(
                file_url="https://cdn.example.com/files/deck%20v2.pdf",
                file_name="deck v2.pdf",
                file_type="application/pdf",
            ),
        ),
    )


def test_signature_defaults_to_config() -> None:
    fields = normalize_fields({"campaign_id": 1, "email_stats_id": "s", "body": "hi"})
    on, _ = draft_from_fields(fields, settings=Settings(add_signature=True), tz=BERLIN, now=NOW)
    off, _ = draft_from_fields(fields, settings=Settings(add_signature=False), tz=BERLIN, now=NOW)
    assert on is not None and on.add_signature is True
    assert off is not None and off.add_signature is False


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"campaign_id": "abc"}, "campaign_id", "campaign id: 'abc' is not a number"),
        ({"campaign_id": None}, "campaign_id", "campaign id: is required"),
        ({"email_stats_id": "  "}, "email_stats_id", "email stats id: is empty"),
        ({"body": " \n "}, "body", "body: is empty"),
        (
            {"body": "Hi {{first_name}}, about %COMPANY%"},
            "body",
            "body: unfilled merge fields {{first_name}}, %COMPANY%; fill them in first",
        ),
        ({"to_email": "jose@"}, "to_email", "to: 'jose@' is not an email address"),
        ({"cc": "bob@"}, "cc", "cc: 'bob@' is not an email address"),
        ({"cc": "a@x.com, A@x.com"}, "cc", "cc: 'A@x.com' is listed twice"),
        ({"to_email": "a@x.com", "cc": "a@x.com"}, "cc", "cc: 'a@x.com' is already the To address"),
        (
            {"to_email": "a@x.com", "bcc": "A@X.com"},
            "bcc",
            "bcc: 'A@X.com' is already the To address",
        ),
        ({"cc": "b@x.com", "bcc": "b@x.com"}, "bcc", "bcc: 'b@x.com' is already in cc"),
        ({"schedule_text": "someday"}, "schedule_text", "schedule: can't read 'someday'"),
        ({"schedule_text": "2026-03-01 10:00"}, "schedule_text", "is in the past"),
        (
            {"attachments": [{"file_url": "/home/me/deck.pdf"}]},
            "attachments",
            "attachment: '/home/me/deck.pdf' is a local file",
        ),
        (
            {"attachments": [{"file_url": "http://localhost/x.pdf"}]},
            "attachments",
            "must be a public http(s) URL",
        ),
        ({"thread_id": "x1"}, "thread_id", "thread id: 'x1' is not a number"),
        (
            {"reply_message_id": "nope"},
            "reply_message_id",
            "message id: 'nope' is not a Message-ID",
        ),
        ({"reply_email_time": "yesterday"}, "reply_email_time", "reply time: 'yesterday' is not"),
    ],
)
def test_each_rule_blocks_with_a_sentence(
    overrides: dict[str, Any], key: str, message: str
) -> None:
    fields = normalize_fields({"campaign_id": 1, "email_stats_id": "s", "body": "hi"})
    fields.update(overrides)
    result = check_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert result.draft is None
    assert any(message in m for m in result.for_key(key)), result.messages


def test_all_problems_are_reported_at_once() -> None:
    fields = normalize_fields({"campaign_id": "x", "cc": "bob@", "schedule_text": "someday"})
    _, problems = draft_from_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert len(problems) == 5  # campaign, stats id, body, cc, schedule


def test_scheduled_time_is_used_when_no_text() -> None:
    fields = normalize_fields(
        {
            "campaign_id": 1,
            "email_stats_id": "s",
            "body": "hi",
            "scheduled_time": "2026-03-12T15:00:00+01:00",
        }
    )
    draft, problems = draft_from_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert problems == [] and draft is not None
    assert draft.scheduled_time == datetime(2026, 3, 12, 15, 0, tzinfo=BERLIN)


def test_fields_from_args_matches_the_send_flags() -> None:
    args = argparse.Namespace(
        campaign_id="12",
        email_stats_id="st",
        body=None,
        body_file=None,
        to="a@x.com",
        first_name="Ana",
        last_name=None,
        cc="b@x.com",
        bcc=None,
        schedule="in 2h",
        timezone=None,
        signature=False,
        attach=["https://x.com/a.pdf"],
        thread_id="5",
        reply_message_id="<m@x.com>",
        reply_body="orig",
        reply_time="2026-03-09T10:00Z",
        schedule_condition=None,
        seq_type="FOLLOW_UP",
    )
    fields = fields_from_args(args, body="from file")
    assert fields["campaign_id"] == 12 and fields["thread_id"] == 5
    assert fields["body"] == "from file"
    assert fields["schedule_text"] == "in 2h"
    assert fields["attachments"] == [{"file_url": "https://x.com/a.pdf"}]
    assert fields["add_signature"] is False
    draft, problems = draft_from_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert problems == [] and draft is not None
    assert draft.scheduled_time == NOW + timedelta(hours=2)


def test_draft_key_and_label() -> None:
    assert draft_key_for({"campaign_id": 5, "email_stats_id": "s"}) == "5:s"
    assert draft_key_for({"campaign_id": "5", "email_stats_id": " s "}) == "5:s"
    assert draft_key_for({"campaign_id": "x", "email_stats_id": "s"}) == "new"
    assert lead_label_for({"to_first_name": "Ana", "to_email": "a@x.com"}) == "Ana <a@x.com>"
    assert lead_label_for({"lead_label": "[VIP] Ana"}) == "[VIP] Ana"


@pytest.mark.parametrize("endpoint", ["send-email-thread", "reply-email-thread"])
def test_payload_round_trip(endpoint: str) -> None:
    fields = normalize_fields(
        {
            "campaign_id": 9,
            "email_stats_id": "s",
            "body": "hi",
            "to_email": "a@x.com",
            "cc": "b@x.com,c@x.com",
            "schedule_text": "2026-04-01 10:00",
            "thread_id": 4,
            "attachments": [{"file_url": "https://x.com/a.pdf"}],
            "add_signature": False,
            "reply_message_id": "<m@x.com>",
            "seq_type": "X",
        }
    )
    draft, _ = draft_from_fields(fields, settings=Settings(), tz=BERLIN, now=NOW)
    assert draft is not None
    path, body = draft.to_payload(endpoint)  # type: ignore[arg-type]
    again = draft_from_payload(path, body)
    assert again.to_payload(endpoint) == (path, body)  # type: ignore[arg-type]


def test_review_warnings() -> None:
    base = {
        "campaign_id": 1,
        "email_stats_id": "s",
        "body": "hi",
        "to_email": "a@x.com",
        "subject": "Re: hi",
        "reply_message_id": "<m@x.com>",
        "add_signature": True,
    }
    draft, _ = draft_from_fields(normalize_fields(base), settings=Settings(), tz=BERLIN, now=NOW)
    assert draft is not None
    assert review_warnings(draft, base, tz=BERLIN) == []
    late = {**base, "schedule_text": "2026-03-10 21:30", "add_signature": False, "subject": ""}
    draft, _ = draft_from_fields(normalize_fields(late), settings=Settings(), tz=BERLIN, now=NOW)
    assert draft is not None
    warnings = review_warnings(draft, late, tz=BERLIN)
    assert any("No signature" in w for w in warnings)
    assert any("21:30 Europe/Berlin, outside 08:00–18:00" in w for w in warnings)
    assert any("Empty subject context" in w for w in warnings)


# -- the state machine ---------------------------------------------------------------------


async def test_hold_journals_and_consumes_the_draft(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    sender, changes = make_sender(store, server, client, undo_seconds=7)
    fields = fields_for(server)
    store.save_draft(draft_key_for(fields), fields)
    store.save_draft("new", {"body": "old composer key"})
    entry = sender.hold(fields, draft_key="new")
    assert entry.state == "held"
    assert entry.hold_until is not None
    assert 6.5 <= (entry.hold_until - datetime.now(UTC)).total_seconds() <= 7.0
    assert store.list_drafts() == []
    assert [row.state for row in store.journal(entry.id)] == ["held"]
    assert entry.request_body["emailBody"] == f"<p>{fields['body']}</p>"  # HTML (item 7)
    assert entry.lead_label == "José Núñez <jose@x.mx>"
    assert changes == [entry]
    assert server.posts() == []


async def test_blocked_fields_are_not_held(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    sender, _ = make_sender(store, server, client)
    with pytest.raises(SendBlocked) as info:
        sender.hold(fields_for(server, cc="bob@"))
    assert info.value.problems == ["cc: 'bob@' is not an email address"]
    assert store.count_entries() == 0


async def test_cancel_restores_the_fields_unchanged(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    sender, _ = make_sender(store, server, client)
    fields = fields_for(server, schedule_text="in 2h", cc="b@x.com")
    entry = sender.hold(fields)
    cancelled = sender.cancel(entry.id)
    assert cancelled.state == "cancelled"
    draft = store.load_draft(entry.thread_key)
    assert draft is not None
    assert {k: v for k, v in draft.fields.items() if k != "scheduled_time"} == {
        k: v for k, v in fields.items() if k != "scheduled_time"
    }
    with pytest.raises(TransitionError):
        await sender.send(entry.id)
    assert server.posts() == []


async def test_send_queued_journals_sending_before_the_post(
    store: Store, server: SandboxServer
) -> None:
    # The server holds its answer long enough that the POST is seen while the send is still
    # out, however slowly this loop gets its turns on a loaded machine.
    server.add_fault("slow", method="POST", delay=2.0)
    async with SmartLeadClient(server.api_key, base_url=server.base_url, read_timeout=20) as api:
        sender, _ = make_sender(store, server, api)
        entry = sender.hold(fields_for(server), undo_seconds=0)
        task = asyncio.create_task(sender.send(entry.id))
        deadline = time.monotonic() + 10.0
        while not server.posts() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert len(server.posts()) == 1
        assert store.get_entry(entry.id).state == "sending"  # journaled before the POST
        done = await task
    assert done.state == "queued"
    assert [row.state for row in store.journal(entry.id)] == ["held", "sending", "queued"]
    assert server.posts()[0].json["emailBody"] == "<p>Thanks José — Tuesday works.</p>"


async def test_timeout_is_unknown_and_never_retried(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    server.add_fault("slow", method="POST", delay=1.0)
    sender, changes = make_sender(store, server, client)
    entry = sender.hold(fields_for(server), undo_seconds=0)
    done = await sender.send(entry.id)
    assert done.state == "unknown"
    assert done.last_error is not None and done.last_error.startswith(UNKNOWN_PREFIX)
    assert [c.state for c in changes] == ["held", "sending", "unknown"]
    await asyncio.sleep(1.1)
    assert len(server.posts("send-email-thread")) == 1
    assert store.load_draft(entry.thread_key) is None  # never offered for a blind resend


@pytest.mark.parametrize("kind", ["500", "422", "401"])
async def test_rejected_send_fails_once_and_returns_the_draft(
    store: Store, server: SandboxServer, client: SmartLeadClient, kind: str
) -> None:
    server.add_fault(kind, method="POST", times=3)
    sender, _ = make_sender(store, server, client)
    fields = fields_for(server)
    entry = sender.hold(fields, undo_seconds=0)
    done = await sender.send(entry.id)
    assert done.state == "send-failed"
    assert done.last_error
    assert len(server.posts()) == 1
    draft = store.load_draft(entry.thread_key)
    assert draft is not None and draft.fields["body"] == fields["body"]


async def test_duplicate_needs_explicit_permission(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    sender, _ = make_sender(store, server, client)
    first = await sender.send_immediately(fields_for(server))
    assert first.state == "queued"
    with pytest.raises(DuplicateReply) as info:
        sender.hold(fields_for(server))
    assert info.value.entry.id == first.id
    assert "campaign" in str(info.value)
    different = sender.hold(fields_for(server, body="Something else"))
    assert different.state == "held"
    again = await sender.send_immediately(fields_for(server), allow_duplicate=True)
    assert again.state == "queued"
    assert "sent again on purpose" in store.journal(again.id)[0].detail
    assert len(server.posts()) == 2


async def test_scheduled_time_passed_goes_back_to_drafts(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    clock = [datetime.now(UTC)]
    sender = Sender(store, client, settings=settings_for(server), tz=BERLIN, clock=lambda: clock[0])
    entry = sender.hold(fields_for(server, schedule_text="in 1h"))
    clock[0] += timedelta(hours=2)  # e.g. recovered after a long shutdown
    done = await sender.send(entry.id)
    assert done.state == "cancelled"
    assert "scheduled time has passed" in (done.last_error or "")
    assert store.load_draft(entry.thread_key) is not None
    assert server.posts() == []


async def test_reply_email_thread_endpoint(store: Store, server: SandboxServer) -> None:
    async with SmartLeadClient(
        server.api_key, base_url=server.base_url, send_endpoint="reply-email-thread"
    ) as api:
        sender = Sender(
            store, api, settings=settings_for(server, send_endpoint="reply-email-thread"), tz=BERLIN
        )
        done = await sender.send_immediately(fields_for(server, thread_id=3))
    assert done.state == "queued"
    post = server.posts()[0]
    assert post.path.endswith("/reply-email-thread")
    assert post.json["email_body"] == "<p>Thanks José — Tuesday works.</p>"


# -- autosave timing -----------------------------------------------------------------------------


def test_autosave_debounces_but_never_waits_more_than_max_delay(store: Store) -> None:
    now = [0.0]
    saver = DraftAutosaver(store, quiet=0.3, max_delay=0.8, clock=lambda: now[0])
    saver.reset("new", {"body": ""})
    for i in range(10):  # typing steadily, one key per 0.1 s
        saver.changed("1:s", {"body": "x" * (i + 1)})
        now[0] += 0.1
        saver.tick()
    draft = store.load_draft("1:s")
    assert draft is not None and len(draft.fields["body"]) >= 8  # at most ~1 s behind
    now[0] += 0.3
    saver.tick()
    draft = store.load_draft("1:s")
    assert draft is not None and draft.fields["body"] == "x" * 10


def test_autosave_moves_and_deletes_untouched_drafts(store: Store) -> None:
    saver = DraftAutosaver(store)
    saver.reset("new", {"body": ""})
    saver.changed("new", {"body": "hi"})
    saver.flush()
    assert store.load_draft("new") is not None
    saver.changed("4:s", {"body": "hi", "campaign_id": 4})
    saver.flush()
    assert store.load_draft("new") is None
    assert store.load_draft("4:s") is not None
    saver.baseline = {"body": ""}
    saver.changed("4:s", {"body": ""})
    saver.flush()
    assert store.list_drafts() == []


def test_core_does_not_import_textual() -> None:
    modules = ["smartlead_tui.outbox.sender", "smartlead_tui.outbox.drafts"]
    assert loaded_by(modules, {"textual"}) == []


async def test_review_warns_when_the_lead_already_has_a_reply_scheduled(
    store: Store, server: SandboxServer, client: SmartLeadClient
) -> None:
    """Issue 11, item 6: nothing warned that a second reply would go to the same lead."""
    sender, _ = make_sender(store, server, client)
    fields = fields_for(server)
    goes = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    scheduled = store.create_entry(
        thread_key="t",
        fingerprint="f",
        fields=dict(fields, body="Earlier reply", scheduled_time=goes.isoformat()),
        endpoint="/email-campaigns/send-email-thread",
        request_body={"emailBody": "Earlier reply"},
        state="queued",
    )
    draft = sender.check(fields).draft
    assert draft is not None
    warnings = sender.review_warnings(draft, fields)
    local = goes.astimezone(BERLIN)
    assert any(
        "already has a reply scheduled" in w
        and f"{local:%a %d %b %H:%M}" in w
        and f"outbox entry {scheduled.id}" in w
        for w in warnings
    ), warnings
    # Another lead, or a scheduled reply that already went, warns of nothing.
    other = dict(fields, lead_id=999999, to_email="someone@else.example")
    other_draft = sender.check(other).draft
    assert other_draft is not None
    assert not any("scheduled" in w for w in sender.review_warnings(other_draft, other))
    store.record_status(scheduled.id, status="COMPLETED", status_message="sent")
    assert not any("already has" in w for w in sender.review_warnings(draft, fields))


async def test_a_refused_send_leaves_a_log_line_without_the_key(
    store: Store,
    server: SandboxServer,
    client: SmartLeadClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fresh-eyes trial: after 500s and 401s the log was empty, nothing for support to read."""
    import logging

    server.add_fault("500", method="POST")
    sender, _ = make_sender(store, server, client)
    caplog.set_level(logging.WARNING, logger="smartlead_tui.outbox")
    entry = sender.hold(fields_for(server), undo_seconds=0)
    await sender.send(entry.id)
    (record,) = [r for r in caplog.records if r.name == "smartlead_tui.outbox"]
    text = record.getMessage()
    assert f"reply {entry.id}" in text and "send-failed" in text and "500" in text
    assert server.api_key not in text
