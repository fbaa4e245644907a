"""SmartLeadClient against the sandbox over real loopback sockets: every endpoint, every error."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Iterator

import pytest

from smartlead_tui.api.client import USER_AGENT, SmartLeadClient
from smartlead_tui.api.errors import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    SendOutcomeUnknownError,
    ServerError,
)
from smartlead_tui.api.models import Attachment, ReplyDraft
from smartlead_tui.config import ConfigError
from smartlead_tui.sandbox import SandboxServer

SECRET = "sk-test-SECRET-4242-do-not-leak"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key=SECRET) as sandbox:
        yield sandbox


def make_client(server: SandboxServer, **kwargs: object) -> SmartLeadClient:
    options: dict[str, object] = {"read_timeout": 1.0, "backoff_base": 0.01}
    options.update(kwargs)
    return SmartLeadClient(SECRET, base_url=server.base_url, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(server: SandboxServer) -> AsyncIterator[SmartLeadClient]:
    async with make_client(server) as api:
        yield api


def draft_for(server: SandboxServer, **overrides: object) -> ReplyDraft:
    ref = server.seed.first_reply()
    fields: dict[str, object] = {
        "campaign_id": ref.campaign_id,
        "email_stats_id": ref.stats_id,
        "body": "Thanks José — Tuesday 10:00 works. [agenda] attached.",
        "to_email": ref.from_email,
    }
    fields.update(overrides)
    return ReplyDraft(**fields)  # type: ignore[arg-type]


def assert_no_key(*texts: object) -> None:
    for text in texts:
        assert SECRET not in str(text), text


def assert_error_clean(exc: ApiError) -> None:
    """The key is in none of the error's text, repr, detail or formatted traceback."""
    formatted = "".join(traceback.format_exception(exc))
    assert_no_key(str(exc), repr(exc), exc.detail, formatted)
    assert "\n" not in str(exc)


# -- send ---------------------------------------------------------------------------------------


async def test_send_spec_endpoint_every_field(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    from datetime import datetime, timedelta, timezone

    ref = server.seed.first_reply()
    when = datetime.now(timezone(timedelta(hours=1))).replace(microsecond=0) + timedelta(days=1)
    draft = draft_for(
        server,
        thread_id=77,
        to_first_name="José",
        to_last_name="Núñez",
        scheduled_time=when,
        reply_message_id=ref.message_id,
        reply_email_body="<p>Interested, tell me more</p>",
        reply_email_time="2026-11-20T09:00:00+00:00",
        cc=("ana@example.com", "bo@example.org"),
        bcc=("log@example.net",),
        schedule_condition="BUSINESS_HOURS",
        seq_type="REPLY",
        add_signature=False,
        attachments=(
            Attachment("https://files.example.com/deck.pdf", "deck.pdf", "application/pdf"),
        ),
    )
    result = await client.send_reply(draft)
    assert result.status_code == 200
    assert result.server_message == "Email added to the queue, will be sent out soon!"
    assert result.message_id is None  # the real API's plain-text answer carries none
    [post] = server.posts("send-email-thread")
    body = post.json
    assert body == {
        "campaignId": ref.campaign_id,
        "emailStatsId": ref.stats_id,
        "emailBody": draft.body,
        "id": 77,
        "toEmail": ref.from_email,
        "toFirstName": "José",
        "toLastName": "Núñez",
        "scheduledTime": when.isoformat(timespec="seconds"),
        "replyMessageId": ref.message_id,
        "replyEmailBody": "<p>Interested, tell me more</p>",
        "replyEmailTime": "2026-11-20T09:00:00+00:00",
        "cc": "ana@example.com,bo@example.org",
        "bcc": "log@example.net",
        "scheduleCondition": "BUSINESS_HOURS",
        "seqType": "REPLY",
        "addSignature": False,
        "attachments": [
            {
                "file_url": "https://files.example.com/deck.pdf",
                "file_name": "deck.pdf",
                "file_type": "application/pdf",
            }
        ],
    }
    assert isinstance(body["campaignId"], int) and isinstance(body["addSignature"], bool)
    assert post.headers["user-agent"] == USER_AGENT
    assert post.query["api_key"] == "***"


async def test_send_omits_empty_optional_fields(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    await client.send_reply(draft_for(server, to_email=None, to_first_name=" "))
    [post] = server.posts("send-email-thread")
    assert set(post.json) == {"campaignId", "emailStatsId", "emailBody"}


async def test_send_campaign_scoped_endpoint_uses_snake_case(server: SandboxServer) -> None:
    ref = server.seed.first_reply()
    async with make_client(server, send_endpoint="reply-email-thread") as api:
        await api.send_reply(
            draft_for(server, cc=("ana@example.com",), add_signature=True, thread_id=5)
        )
    [post] = server.posts("reply-email-thread")
    assert post.path.endswith(f"/campaigns/{ref.campaign_id}/reply-email-thread")
    assert post.json == {
        "email_stats_id": ref.stats_id,
        "email_body": draft_for(server).body,
        "to_email": ref.from_email,
        "cc": "ana@example.com",
        "add_signature": True,
    }


async def test_send_picks_up_message_id_from_json_answer(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    server.send_response = "json-with-id"
    result = await client.send_reply(draft_for(server))
    assert result.message_id and result.message_id.startswith("<")
    assert result.message_id.endswith(">")


async def test_send_success_false_is_queued_with_a_warning(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    server.add_fault("success-false", method="POST")
    result = await client.send_reply(draft_for(server))
    assert result.warning and "check the thread" in result.warning


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("401", AuthError),
        ("404", NotFoundError),
        ("422", RequestRejectedError),
        ("429", RateLimitedError),
        ("500", ServerError),
    ],
)
async def test_send_errors_are_typed_and_never_retried(
    server: SandboxServer, client: SmartLeadClient, kind: str, error_type: type[ApiError]
) -> None:
    server.add_fault(kind, method="POST", times=5, retry_after=1)
    with pytest.raises(error_type) as caught:
        await client.send_reply(draft_for(server))
    assert len(server.posts()) == 1
    assert not caught.value.maybe_sent
    assert_error_clean(caught.value)


async def test_send_422_carries_the_server_message(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    with pytest.raises(RequestRejectedError) as caught:
        await client.send_reply(draft_for(server, email_stats_id="no-such-stats-id"))
    assert "no-such-stats-id" in str(caught.value) or "stats" in str(caught.value).lower()


async def test_send_timeout_is_unknown_and_posts_once(server: SandboxServer) -> None:
    server.add_fault("slow", method="POST", delay=1.5)
    async with make_client(server, read_timeout=0.3) as api:
        with pytest.raises(SendOutcomeUnknownError) as caught:
            await api.send_reply(draft_for(server))
    assert caught.value.maybe_sent
    assert "check the thread" in str(caught.value)
    assert_error_clean(caught.value)
    await asyncio.sleep(1.5)  # let the slow handler finish: it still queued the reply
    assert len(server.posts()) == 1


@pytest.mark.parametrize("kind", ["drop", "drop-after"])
async def test_send_dropped_connection_is_unknown(
    server: SandboxServer, client: SmartLeadClient, kind: str
) -> None:
    server.add_fault(kind, method="POST")
    with pytest.raises(SendOutcomeUnknownError) as caught:
        await client.send_reply(draft_for(server))
    assert_error_clean(caught.value)
    assert len(server.posts()) == 1


async def test_send_to_a_closed_port_is_a_clear_network_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = SmartLeadClient(SECRET, base_url=f"http://127.0.0.1:{port}/api/v1", read_timeout=1)
    async with api:
        with pytest.raises(NetworkError) as caught:
            await api.send_reply(ReplyDraft(campaign_id=1, email_stats_id="s", body="b"))
    assert "connection refused" in str(caught.value)
    assert not caught.value.maybe_sent
    assert_error_clean(caught.value)


# -- reply status -------------------------------------------------------------------------------


async def test_reply_status_moves_from_not_visible_to_completed(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    server.send_response = "json-with-id"
    result = await client.send_reply(draft_for(server))
    assert result.message_id
    with pytest.raises(NotFoundError):
        await client.reply_status(result.message_id)
    seen = []
    for _ in range(5):
        status = await client.reply_status(result.message_id)
        seen.append(status.status)
        if status.is_terminal:
            break
    assert seen[-1] == "COMPLETED"
    assert status.status_message == "Email sent successfully!"
    assert status.event_time


async def test_reply_status_adds_angle_brackets_and_url_encodes(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    ref = server.seed.first_sent()
    bare = ref.message_id.strip("<>")
    status = await client.reply_status(bare)
    assert status.status == "COMPLETED"
    last = server.requests[-1]
    assert last.query["message_id"] == ref.message_id


async def test_reply_status_raw_url_is_percent_encoded(server: SandboxServer) -> None:
    import httpx

    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url.raw_path, "ascii"))

    api = make_client(server)
    api._http.event_hooks["request"].append(record)
    async with api:
        await api.reply_status(server.seed.first_sent().message_id)
    assert "message_id=%3C" in seen[0] and "%40" in seen[0] and "%3E" in seen[0]


async def test_reply_status_unknown_is_not_found(client: SmartLeadClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.reply_status("<nobody@example.com>")
    assert "<nobody@example.com>" in str(caught.value)


async def test_malformed_message_id_is_refused_before_any_request(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    from smartlead_tui.validation import ValidationError

    with pytest.raises(ValidationError):
        await client.reply_status("not a message id")
    assert server.requests == []


# -- reads: retries, errors ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "429", "drop", "slow"])
async def test_reads_back_off_and_retry(server: SandboxServer, kind: str) -> None:
    server.add_fault(kind, method="GET", times=1, retry_after=0.2, delay=3.0)
    async with make_client(server, read_timeout=1.5) as api:  # room for a loaded machine
        status = await api.reply_status(server.seed.first_sent().message_id)
    assert status.status == "COMPLETED"
    assert len([r for r in server.requests if r.method == "GET"]) == 2


async def test_reads_give_up_after_a_bounded_number_of_retries(server: SandboxServer) -> None:
    server.add_fault("500", method="GET", times=10)
    async with make_client(server, read_retries=2) as api:
        with pytest.raises(ServerError) as caught:
            await api.reply_status(server.seed.first_sent().message_id)
    assert len(server.requests) == 3
    assert "ER_LOCK_DEADLOCK" in str(caught.value)
    assert_error_clean(caught.value)


async def test_read_timeout_error_after_retries(server: SandboxServer) -> None:
    server.add_fault("slow", method="GET", times=3, delay=0.6)
    async with make_client(server, read_timeout=0.2, read_retries=1) as api:
        with pytest.raises(ApiTimeoutError) as caught:
            await api.reply_status(server.seed.first_sent().message_id)
    assert_error_clean(caught.value)


async def test_429_without_retry_after_still_backs_off(server: SandboxServer) -> None:
    server.add_fault("429", method="GET", times=1, retry_after=None)
    async with make_client(server) as api:
        status = await api.reply_status(server.seed.first_sent().message_id)
    assert status.is_terminal


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [("401", AuthError), ("422", RequestRejectedError), ("non-json", BadResponseError)],
)
async def test_read_errors_that_are_not_retried(
    server: SandboxServer, client: SmartLeadClient, kind: str, error_type: type[ApiError]
) -> None:
    server.add_fault(kind, method="GET", times=5)
    with pytest.raises(error_type) as caught:
        await client.message_history(*_lead(server))
    assert len(server.requests) == 1
    assert_error_clean(caught.value)


async def test_wrong_key_message_is_for_people(server: SandboxServer) -> None:
    api = SmartLeadClient("wrong-key-123456", base_url=server.base_url)
    async with api:
        with pytest.raises(AuthError) as caught:
            await api.reply_status("<x@y.z>")
    assert str(caught.value) == (
        "SmartLead rejected the API key (401). Check it with `smartlead-tui config`."
    )


async def test_unknown_route_html_404_is_summarised(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.message_history(999999, 1)
    assert_error_clean(caught.value)


# -- inbox and history --------------------------------------------------------------------------


def _lead(server: SandboxServer) -> tuple[int, int]:
    ref = server.seed.first_reply()
    return ref.campaign_id, ref.lead_id


async def test_inbox_pages_of_twenty(server: SandboxServer, client: SmartLeadClient) -> None:
    first = await client.inbox_replies(limit=50)
    assert len(first) == 20
    second = await client.inbox_replies(offset=20)
    assert first[0].lead_email not in {c.lead_email for c in second}
    assert all(c.history for c in first)
    times = [c.last_reply_time for c in first]
    assert times == sorted(times, reverse=True)
    body = server.requests[0].json
    assert body["limit"] == 20 and body["sortBy"] == "REPLY_TIME_DESC"


async def test_inbox_views_and_search(client: SmartLeadClient) -> None:
    found = await client.inbox_replies(filters={"search": "núñez"})
    assert [c.lead_last_name for c in found] == ["Núñez"]
    for view in ("unread", "important", "snoozed", "archived", "sent", "scheduled"):
        rows = await client.inbox_replies(view=view)
        assert isinstance(rows, list)
    with pytest.raises(ValueError):
        await client.inbox_replies(view="spam")


async def test_message_history_sorted_oldest_first(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    lead = server.seed.long_thread()
    messages = await client.message_history(lead.campaign_id, lead.lead_id)
    assert len(messages) == len(lead.history) >= 40
    assert [m.time for m in messages] == sorted(m.time for m in messages)
    assert {m.type for m in messages} == {"SENT", "REPLY"}


# -- safety -------------------------------------------------------------------------------------


def test_plain_http_is_refused_unless_loopback() -> None:
    with pytest.raises(ConfigError):
        SmartLeadClient(SECRET, base_url="http://server.smartlead.ai/api/v1")
    for url in ("http://127.0.0.1:9/api/v1", "http://localhost:9/api/v1", "http://[::1]:9/x"):
        SmartLeadClient(SECRET, base_url=url)


def test_repr_masks_the_key() -> None:
    api = SmartLeadClient(SECRET, base_url="http://127.0.0.1:9/api/v1")
    assert_no_key(repr(api))


async def test_no_log_record_contains_the_key(
    server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.add_fault("500", method="GET", times=1)
    server.add_fault("drop", method="POST", times=1)
    async with make_client(server) as api:
        await api.reply_status(server.seed.first_sent().message_id)
        with pytest.raises(SendOutcomeUnknownError):
            await api.send_reply(draft_for(server))
        with pytest.raises(NotFoundError):
            await api.reply_status("<missing@example.com>")
    assert caplog.records, "expected request logs"
    for record in caplog.records:
        assert_no_key(record.getMessage())
    assert_no_key(caplog.text)


async def test_429_on_a_send_pauses_the_shared_budget(
    server: SandboxServer, client: SmartLeadClient
) -> None:
    """The send is not retried, but the polling behind it must wait out Retry-After too."""
    server.add_fault("429", method="POST", times=1, retry_after=30)
    with pytest.raises(RateLimitedError):
        await client.send_reply(draft_for(server))
    assert 25 < client.budget.paused_for() <= 30
    assert len(server.requests) == 1
