"""The sandbox must behave like the live SmartLead API as *seen*, including its nasty cases.

These tests talk HTTP to a real started server, so they also pin the wire details
(content types, status codes, header names) that client code is written against.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartlead_tui.sandbox import FAULT_KINDS, SandboxServer
from smartlead_tui.sandbox.seed import ReplyRef

SEND = "/email-campaigns/send-email-thread"
OK_TEXT = "Email added to the queue, will be sent out soon!"


# Building an httpx.Client loads CA certs (~60 ms); share one context to keep the file fast.
_TLS = ssl.create_default_context()


def plain(**kwargs: Any) -> httpx.Client:
    return httpx.Client(verify=_TLS, timeout=5.0, **kwargs)


def api_client(server: SandboxServer) -> httpx.Client:
    return plain(base_url=server.base_url, params={"api_key": server.api_key})


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api_client(sandbox) as c:
        yield c


def send_body(ref: ReplyRef, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "campaignId": ref.campaign_id,
        "emailStatsId": ref.stats_id,
        "emailBody": "<p>Thanks — here is our pricing.</p>",
    }
    body.update(extra)
    return body


def reply_body(ref: ReplyRef, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email_stats_id": ref.stats_id,
        "email_body": "<p>Snake case works too.</p>",
        "to_email": ref.from_email,
    }
    body.update(extra)
    return body


def history(client: httpx.Client, ref: ReplyRef) -> list[dict[str, Any]]:
    r = client.get(f"/campaigns/{ref.campaign_id}/leads/{ref.lead_id}/message-history")
    assert r.status_code == 200
    return r.json()["history"]


def sandbox_sent(client: httpx.Client, ref: ReplyRef) -> list[dict[str, Any]]:
    return [m for m in history(client, ref) if "@sandbox.smartlead.test>" in m["message_id"]]


def inbox(client: httpx.Client, kind: str = "inbox-replies", **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {"offset": 0, "limit": 20, "filters": {}}
    payload.update(body)
    return client.post(f"/master-inbox/{kind}", json=payload)


# --- auth & routing ------------------------------------------------------------------------


def test_missing_or_wrong_key_is_401(sandbox: SandboxServer) -> None:
    url = f"{sandbox.base_url}/master-inbox/reply-status"
    for params in ({}, {"api_key": "nope"}):
        with plain() as c:
            r = c.get(url, params={**params, "message_id": "<a@b.c>"})
        assert r.status_code == 401
        assert r.json() == {"message": "Invalid API Key"}


def test_unknown_route_is_express_html_404(client: httpx.Client) -> None:
    r = client.post("/xyz")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<!DOCTYPE html>" in r.text
    assert "<pre>Cannot POST /api/v1/xyz</pre>" in r.text
    r = client.get(SEND)  # right path, wrong method
    assert r.status_code == 404
    assert "Cannot GET /api/v1/email-campaigns/send-email-thread" in r.text


def test_requests_are_recorded_with_key_redacted(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    ref = sandbox.seed.first_reply()
    client.post(SEND, json=send_body(ref))
    [rec] = sandbox.posts("send-email-thread")
    assert rec.query == {"api_key": "***"}
    assert rec.json == send_body(ref)
    assert rec.headers["content-type"] == "application/json"
    assert rec.body.startswith(b"{")
    assert rec.time.tzinfo is not None
    assert sandbox.posts("nothing-like-this") == []


# --- sending ---------------------------------------------------------------------------------


def test_send_email_thread_happy_path(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.colleague_reply()
    r = client.post(
        SEND,
        json=send_body(ref, toEmail=ref.from_email, cc="a@x.io, b@y.io", addSignature=True,
                       replyMessageId=ref.message_id, scheduleCondition="IMMEDIATE",
                       attachments=[{"file_url": "https://cdn.example.com/a.pdf",
                                     "file_name": "a.pdf", "file_size": 12}]),
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == OK_TEXT
    [msg] = sandbox_sent(client, ref)
    assert msg["type"] == "SENT"
    assert msg["to"] == ref.from_email
    assert msg["from"] == sandbox.seed.campaign(ref.campaign_id).mailbox
    assert msg["subject"].startswith("Re: ") and not msg["subject"].startswith("Re: Re:")
    assert msg["cc"] == "a@x.io, b@y.io"
    assert msg["bcc"] is None
    assert msg["attachments"][0]["file_url"] == "https://cdn.example.com/a.pdf"
    assert msg["email_body"] == "<p>Thanks — here is our pricing.</p>"
    assert msg["time"].endswith("Z")
    assert msg["message_id"].startswith("<") and msg["message_id"].endswith(">")


def test_send_defaults_to_lead_email(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.colleague_reply()
    assert client.post(SEND, json=send_body(ref)).status_code == 200
    [msg] = sandbox_sent(client, ref)
    assert msg["to"] == sandbox.seed.lead(ref.lead_id).email != ref.from_email


def test_reply_email_thread_happy_path(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.first_reply()
    r = client.post(f"/campaigns/{ref.campaign_id}/reply-email-thread",
                    json=reply_body(ref, add_signature=False, bcc="audit@acme.io"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text == OK_TEXT
    [msg] = sandbox_sent(client, ref)
    assert msg["bcc"] == "audit@acme.io"
    assert msg["to"] == ref.from_email


def test_send_response_modes(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.send_response = "json"
    r = client.post(SEND, json=send_body(ref))
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"success": True, "message": OK_TEXT}
    sandbox.send_response = "json-with-id"
    r = client.post(SEND, json=send_body(ref))
    data = r.json()
    assert data["success"] is True
    mid = data["data"]["message_id"]
    assert mid in {m["message_id"] for m in sandbox_sent(client, ref)}


@pytest.mark.parametrize(
    ("extra", "drop", "needle"),
    [
        ({"campaignId": "1204518"}, None, "campaignId must be a number"),
        ({"campaignId": True}, None, "campaignId"),
        ({"campaignId": 999}, None, "campaignId"),
        ({"cc": ""}, None, "cc must be a non-empty string"),
        ({"bcc": None}, None, "bcc must be a non-empty string"),
        ({"toEmail": "   "}, None, "toEmail"),
        ({"toEmail": "not-an-email"}, None, "toEmail"),
        ({"cc": "a@x.io, nope"}, None, "cc"),
        ({"mystery": 1, "other": 2}, None, "mystery, other"),
        ({"lead_id": 5}, None, "lead_id"),
        ({"id": "12"}, None, "id must be a number"),
        ({"addSignature": "true"}, None, "addSignature must be a boolean"),
        ({"scheduledTime": "2026-03-12T11:29:05"}, None, "scheduledTime"),
        ({"scheduledTime": "tomorrow"}, None, "scheduledTime"),
        ({"attachments": {"file_url": "https://x.io/a"}}, None, "attachments must be an array"),
        ({"attachments": [{"file_name": "a.pdf"}]}, None, "file_url is required"),
        ({"attachments": [{"file_url": "file:///etc/passwd"}]}, None, "http(s)"),
        ({"attachments": [{"file_url": "https://x.io/a", "file_size": "12"}]}, None, "file_size"),
        ({"emailStatsId": "does-not-exist"}, None, "emailStatsId"),
        ({"emailBody": ""}, None, "emailBody"),
        ({}, "emailBody", "emailBody is required"),
        ({}, "campaignId", "campaignId is required"),
    ],
)
def test_send_is_strict(
    sandbox: SandboxServer, client: httpx.Client, extra: dict[str, Any], drop: str | None,
    needle: str,
) -> None:
    body = send_body(sandbox.seed.first_reply(), **extra)
    if drop:
        del body[drop]
    r = client.post(SEND, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["ok"] is False
    assert needle in r.json()["error"]
    assert sandbox_sent(client, sandbox.seed.first_reply()) == []


def test_send_rejects_stats_id_from_other_campaign(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    other = next(r for r in sandbox.seed.all_replies()
                 if r.campaign_id != sandbox.seed.first_reply().campaign_id)
    r = client.post(SEND, json=send_body(other, campaignId=sandbox.seed.first_reply().campaign_id))
    assert r.status_code == 400


def test_send_requires_json(sandbox: SandboxServer, client: httpx.Client) -> None:
    r = client.post(SEND, content=b"campaignId=1", headers={"content-type": "text/plain"})
    assert r.status_code == 400
    r = client.post(SEND, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = client.post(SEND, json=[1, 2])
    assert r.status_code == 400


def test_reply_email_thread_is_strict(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.first_reply()
    url = f"/campaigns/{ref.campaign_id}/reply-email-thread"
    r = client.post(url, json=reply_body(ref, lead_id=ref.lead_id))
    assert r.status_code == 400 and "lead_id" in r.json()["error"]
    r = client.post(url, json=reply_body(ref, id=3))
    assert r.status_code == 400 and "id" in r.json()["error"]
    r = client.post(url, json=reply_body(ref, emailBody="camel"))
    assert r.status_code == 400 and "emailBody" in r.json()["error"]
    r = client.post(url, json=reply_body(ref, cc=""))
    assert r.status_code == 400 and "cc must be a non-empty string" in r.json()["error"]
    r = client.post(url, json=reply_body(ref, scheduled_time="2026-01-01 10:00"))
    assert r.status_code == 400 and "scheduled_time" in r.json()["error"]
    for bad in ("abc", "999"):
        r = client.post(f"/campaigns/{bad}/reply-email-thread", json=reply_body(ref))
        assert r.status_code == 404
        assert r.json()["ok"] is False
    assert sandbox_sent(client, ref) == []


# --- reply-status ----------------------------------------------------------------------------


def queue_and_find(sandbox: SandboxServer, client: httpx.Client, **extra: Any) -> str:
    ref = sandbox.seed.first_reply()
    before = {m["message_id"] for m in sandbox_sent(client, ref)}
    assert client.post(SEND, json=send_body(ref, **extra)).status_code == 200
    [new] = [m for m in sandbox_sent(client, ref) if m["message_id"] not in before]
    return str(new["message_id"])


def status(client: httpx.Client, message_id: str) -> httpx.Response:
    return client.get("/master-inbox/reply-status", params={"message_id": message_id})


def test_reply_status_progression(sandbox: SandboxServer, client: httpx.Client) -> None:
    mid = queue_and_find(sandbox, client)
    r = status(client, mid)
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "No reply found for the given message_id"}
    r = status(client, mid)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["status"] == "QUEUED"
    assert data["status_message"] == "Email is queued for sending"
    assert data["event_time"] is None
    r = status(client, mid)
    body = r.json()
    assert list(body) == ["ok", "data"] and body["ok"] is True
    assert list(body["data"]) == ["message_id", "status", "status_message", "event_time",
                                  "scheduled_time", "email_stats_id"]
    assert body["data"]["status"] == "COMPLETED"
    assert body["data"]["status_message"] == "Email sent successfully!"
    assert body["data"]["event_time"].endswith("Z") and len(body["data"]["event_time"]) == 24
    assert body["data"]["scheduled_time"] is None
    assert body["data"]["message_id"] == mid
    assert mid.startswith(f"<{body['data']['email_stats_id']}-")
    assert status(client, mid).json()["data"]["status"] == "COMPLETED"


def test_reply_status_knobs_are_runtime_config(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    sandbox.invisible_polls = 0
    sandbox.polls_to_complete = 3
    mid = queue_and_find(sandbox, client)
    assert [status(client, mid).json()["data"]["status"] for _ in range(4)] == [
        "QUEUED", "QUEUED", "COMPLETED", "COMPLETED"
    ]


def test_scheduled_reply_waits_for_injected_clock() -> None:
    clock = {"now": datetime(2026, 3, 12, 9, 0, tzinfo=UTC)}
    with SandboxServer(now=lambda: clock["now"]) as server, api_client(server) as c:
        when = "2026-03-12T11:30:00+01:00"  # 10:30Z
        mid = queue_and_find(server, c, scheduledTime=when)
        for _ in range(3):
            data = status(c, mid).json()["data"]
            assert data["status"] == "SCHEDULED"
            assert data["status_message"] == "Email is scheduled"
            assert data["scheduled_time"] == "2026-03-12T10:30:00.000Z"
        assert [row["lead_email"] for row in inbox(c, "scheduled").json()["data"]] == [
            server.seed.lead(server.seed.first_reply().lead_id).email
        ]
        clock["now"] += timedelta(hours=2)
        assert inbox(c, "scheduled").json()["data"] == []
        assert status(c, mid).json()["data"]["status"] == "QUEUED"
        data = status(c, mid).json()["data"]
        assert data["status"] == "COMPLETED"
        assert data["event_time"] == "2026-03-12T11:00:00.000Z"


def test_reply_status_for_seeded_messages(sandbox: SandboxServer, client: httpx.Client) -> None:
    sent = sandbox.seed.first_sent()
    data = status(client, sent.message_id).json()["data"]
    assert data["status"] == "COMPLETED"
    assert data["email_stats_id"] == sent.stats_id
    assert status(client, sandbox.seed.first_reply().message_id).status_code == 404
    assert status(client, "<unknown-123@nowhere.test>").status_code == 404


@pytest.mark.parametrize("params", [{}, {"message_id": ""}, {"message_id": "  "},
                                    {"message_id": "abc@def.com"}, {"message_id": "<abc>"}])
def test_reply_status_422(client: httpx.Client, params: dict[str, str]) -> None:
    r = client.get("/master-inbox/reply-status", params=params)
    assert r.status_code == 422
    assert r.json()["ok"] is False and r.json()["error"]


# --- master inbox --------------------------------------------------------------------------


def test_inbox_paging_and_limit(sandbox: SandboxServer, client: httpx.Client) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        r = inbox(client, offset=offset, limit=7)
        assert r.status_code == 200
        body = r.json()
        assert body["ok"] is True and body["offset"] == offset and body["limit"] == 7
        seen += [row["email_lead_id"] for row in body["data"]]
        if len(body["data"]) < 7:
            break
        offset += 7
    expected = {lead.lead_id for lead in sandbox.seed.leads.values() if not lead.archived}
    assert len(seen) == len(set(seen)) == len(expected) and set(seen) == expected
    for bad in (21, 0, "5"):
        assert inbox(client, limit=bad).status_code == 400
    assert inbox(client, offset=-1).status_code == 400
    assert inbox(client, sortBy="NEWEST").status_code == 400


def test_inbox_rows_sort_and_history(sandbox: SandboxServer, client: httpx.Client) -> None:
    rows = inbox(client).json()["data"]
    times = [row["last_reply_time"] for row in rows]
    assert times == sorted(times, reverse=True)
    asc = inbox(client, sortBy="REPLY_TIME_ASC").json()["data"]
    assert [r["last_reply_time"] for r in asc] == sorted(r["last_reply_time"] for r in asc)
    row = rows[0]
    for key in ("email_lead_id", "email_lead_map_id", "email_campaign_id", "email_campaign_name",
                "lead_email", "lead_first_name", "lead_last_name", "lead_category_id",
                "last_reply_time", "last_sent_time", "has_new_unread_email", "is_important",
                "is_archived", "is_snoozed"):
        assert key in row
    assert "email_history" not in row
    r = client.post("/master-inbox/inbox-replies", params={"fetch_message_history": "true"},
                    json={"offset": 0, "limit": 20})
    row = r.json()["data"][0]
    assert len(row["email_history"]) == len(sandbox.seed.lead(row["email_lead_id"]).history)


def test_inbox_filters(sandbox: SandboxServer, client: httpx.Client) -> None:
    def emails(**filters: Any) -> list[str]:
        r = inbox(client, filters=filters)
        assert r.status_code == 200, r.text
        return [row["lead_email"] for row in r.json()["data"]]

    assert emails(search="núñez") == ["jose.nunez@pagosrapidos.mx"]
    assert emails(search="BRONTË") == ["zoe@brontecapital.co.uk"]
    assert emails(search="佐藤") == ["hanako.sato@kaizen-soft.jp"]
    assert emails(search="[CFO]") == ["sam@riverafinance.io"]
    assert emails(search="no-such-lead") == []
    cid = sandbox.seed.first_reply().campaign_id
    in_campaign = {lead.email for lead in sandbox.seed.leads_in(cid) if not lead.archived}
    assert set(emails(campaignId=cid)) == in_campaign
    assert set(emails(campaignId=[cid])) == in_campaign
    interested = emails(leadCategories=[1])
    assert interested and all(
        sandbox.seed.find_lead(e).category_id == 1 for e in interested
    )
    assert inbox(client, filters={"campaignId": "x"}).status_code == 400
    assert inbox(client, filters=[1]).status_code == 400


def test_sibling_lists(sandbox: SandboxServer, client: httpx.Client) -> None:
    def ids(kind: str) -> set[int]:
        r = inbox(client, kind)
        assert r.status_code == 200
        return {row["email_lead_id"] for row in r.json()["data"]}

    leads = sandbox.seed.leads.values()
    assert ids("archived") == {lead.lead_id for lead in leads if lead.archived}
    assert ids("important") == {lead.lead_id for lead in leads if lead.important}
    assert ids("snoozed") == {lead.lead_id for lead in leads if lead.snoozed}
    assert ids("unread-replies") == {
        lead.lead_id for lead in leads if lead.unread and not lead.archived
    }
    assert ids("archived") and ids("snoozed") and ids("unread-replies")
    assert ids("sent") == set() and ids("scheduled") == set()
    ref = sandbox.seed.first_reply()
    client.post(SEND, json=send_body(ref))
    assert ids("sent") == {ref.lead_id}
    assert client.post("/master-inbox/bogus", json={}).status_code == 404


# --- message history -----------------------------------------------------------------------


def test_message_history_unordered_and_complete(
    sandbox: SandboxServer, client: httpx.Client
) -> None:
    for lead in [*list(sandbox.seed.leads.values())[:6], sandbox.seed.long_thread()]:
        r = client.get(f"/campaigns/{lead.campaign_id}/leads/{lead.lead_id}/message-history")
        body = r.json()
        assert body["from"] == sandbox.seed.campaign(lead.campaign_id).mailbox
        assert body["to"] == lead.email
        hist = body["history"]
        assert {m["stats_id"] for m in hist} == {m.stats_id for m in lead.history}
        assert len(hist) == len(lead.history)
        if len(hist) > 1:
            times = [m["time"] for m in hist]
            assert times != sorted(times)
        for m in hist:
            assert m["type"] in ("SENT", "REPLY")
            assert m["message_id"].startswith("<") and m["message_id"].endswith(">")
            assert set(m) >= {"stats_id", "time", "from", "to", "subject", "email_body", "cc",
                              "bcc", "attachments", "email_seq_number"}
    assert len(sandbox.seed.long_thread().history) >= 48
    again = history(client, sandbox.seed.first_reply())
    assert again == history(client, sandbox.seed.first_reply())  # deterministic


def test_message_history_filter_and_404(sandbox: SandboxServer, client: httpx.Client) -> None:
    lead = sandbox.seed.long_thread()
    url = f"/campaigns/{lead.campaign_id}/leads/{lead.lead_id}/message-history"
    cutoff = sorted(m.time for m in lead.history)[-5]
    r = client.get(url, params={"event_time_gt": cutoff.isoformat()})
    assert len(r.json()["history"]) == 4
    assert client.get(url, params={"event_time_gt": "yesterday"}).status_code == 400
    other = next(c for c in sandbox.seed.campaign_ids if c != lead.campaign_id)
    for path in (f"/campaigns/{other}/leads/{lead.lead_id}/message-history",
                 f"/campaigns/1/leads/{lead.lead_id}/message-history",
                 f"/campaigns/{lead.campaign_id}/leads/42/message-history"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["ok"] is False


def test_seed_has_the_awkward_cases(sandbox: SandboxServer) -> None:
    seed = sandbox.seed
    col = seed.colleague_reply()
    assert col.from_email != seed.lead(col.lead_id).email
    names = " ".join(lead.full_name for lead in seed.leads.values())
    assert "José Núñez" in names and "Łukasz" in names and "佐藤" in names and "[" in names
    subjects = {m.subject for lead in seed.leads.values() for m in lead.history}
    assert "[URGENT] pricing question" in subjects
    assert any("<blockquote>" in m.email_body for lead in seed.leads.values()
               for m in lead.history)
    assert 4 <= len(seed.campaigns) <= 5 and 25 <= len(seed.leads) <= 35
    clock = datetime(2026, 1, 1, tzinfo=UTC)
    a = SandboxServer(now=lambda: clock).seed.summary()
    b = SandboxServer(now=lambda: clock).seed.summary()
    assert a == b


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code", "check"),
    [
        ("401", 401, lambda r: r.json() == {"message": "Invalid API Key"}),
        ("404", 404, lambda r: r.json()["ok"] is False),
        ("422", 422, lambda r: r.json()["ok"] is False),
        ("500", 500, lambda r: "ER_LOCK_DEADLOCK" in r.json()["error"]),
        ("non-json", 200, lambda r: r.headers["content-type"].startswith("text/html")
         and r.text == "<html><body>Bad gateway</body></html>"),
        ("success-false", 200, lambda r: r.json() == {"success": False,
                                                      "message": "Something went wrong"}),
    ],
)
def test_simple_faults_fire_once_and_skip_processing(
    sandbox: SandboxServer, client: httpx.Client, kind: str, code: int, check: Any
) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.add_fault(kind, path="send-email-thread")
    r = client.post(SEND, json=send_body(ref))
    assert r.status_code == code and check(r)
    assert sandbox.posts(SEND)[-1].fault == kind
    assert sandbox_sent(client, ref) == []
    assert client.post(SEND, json=send_body(ref)).text == OK_TEXT  # used up


def test_429_with_and_without_retry_after(sandbox: SandboxServer, client: httpx.Client) -> None:
    sandbox.add_fault("429", path="reply-status", retry_after=7)
    sandbox.add_fault("429", path="reply-status")
    r = status(client, "<a@b.c>")
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    r = status(client, "<a@b.c>")
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert status(client, "<a@b.c>").status_code == 404


def test_fault_filters_and_times(sandbox: SandboxServer, client: httpx.Client) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.add_fault("500", path="reply-status", method="GET", times=2)
    assert client.post(SEND, json=send_body(ref)).status_code == 200
    assert status(client, "<a@b.c>").status_code == 500
    assert status(client, "<a@b.c>").status_code == 500
    assert status(client, "<a@b.c>").status_code == 404
    sandbox.add_fault("500", method="POST", times=5)
    sandbox.clear_faults()
    assert client.post(SEND, json=send_body(ref)).status_code == 200
    with pytest.raises(ValueError):
        sandbox.add_fault("explode")
    assert "drop-after" in FAULT_KINDS


def wait_for(predicate: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def test_slow_fault_still_processes_the_send(sandbox: SandboxServer) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.add_fault("slow", path="send-email-thread", delay=0.4)
    with api_client(sandbox) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post(SEND, json=send_body(ref), timeout=0.1)
        # Processed after its 0.4 s delay; a loaded machine may take much longer than that.
        assert wait_for(lambda: len(sandbox_sent(c, ref)) == 1, timeout=10.0)
        sandbox.add_fault("slow", delay=0.05)
        t0 = time.monotonic()
        r = c.post(SEND, json=send_body(ref))
        assert r.text == OK_TEXT and time.monotonic() - t0 >= 0.05
    assert [r.fault for r in sandbox.posts(SEND)] == ["slow", "slow"]


def test_drop_does_not_process(sandbox: SandboxServer) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.add_fault("drop", path="send-email-thread")
    with api_client(sandbox) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(SEND, json=send_body(ref))
        assert sandbox_sent(c, ref) == []
        assert c.post(SEND, json=send_body(ref)).status_code == 200


def test_drop_after_processes_then_hangs_up(sandbox: SandboxServer) -> None:
    ref = sandbox.seed.first_reply()
    sandbox.add_fault("drop-after", path="send-email-thread")
    with api_client(sandbox) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(SEND, json=send_body(ref))
        assert len(sandbox_sent(c, ref)) == 1  # the nasty case: queued, but no answer


def test_rate_limit(client: httpx.Client, sandbox: SandboxServer) -> None:
    sandbox.rate_limit_per_minute = 3
    r = status(client, "<a@b.c>")
    assert r.headers["x-ratelimit-limit"] == "3"
    assert r.headers["x-ratelimit-remaining"] == "2"
    assert int(r.headers["x-ratelimit-reset"]) >= 1
    client.post(SEND, json={})
    assert status(client, "<a@b.c>").headers["x-ratelimit-remaining"] == "0"
    r = status(client, "<a@b.c>")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    sandbox.rate_limit_per_minute = None
    assert "x-ratelimit-limit" not in status(client, "<a@b.c>").headers


# --- test-control endpoints & lifecycle ----------------------------------------------------


def test_control_endpoints(sandbox: SandboxServer, client: httpx.Client) -> None:
    root = sandbox.root_url
    with plain() as http:
        ref = sandbox.seed.first_reply()
        r = http.post(f"{root}/__sandbox/faults", json={"kind": "500", "path": "send-email"})
        assert r.status_code == 200
        assert client.post(SEND, json=send_body(ref)).status_code == 500
        http.post(f"{root}/__sandbox/faults", json={"kind": "500", "times": 3})
        assert http.delete(f"{root}/__sandbox/faults").status_code == 200
        assert http.post(f"{root}/__sandbox/faults", json={"kind": "boom"}).status_code == 400

        r = http.post(f"{root}/__sandbox/config", json={"send_response": "json",
                                                         "invisible_polls": 0})
        assert r.status_code == 200 and r.json()["send_response"] == "json"
        assert client.post(SEND, json=send_body(ref)).json()["success"] is True
        assert sandbox.invisible_polls == 0
        bad = http.post(f"{root}/__sandbox/config", json={"send_response": "xml"})
        assert bad.status_code == 400

        rows = http.get(f"{root}/__sandbox/requests").json()
        assert [row["method"] for row in rows] == ["POST", "POST"]
        assert rows[0]["query"] == {"api_key": "***"}
        assert rows[0]["json"]["campaignId"] == ref.campaign_id
        assert rows[0]["path"] == "/api/v1" + SEND and rows[0]["time"].endswith("Z")
        assert all(not r.path.startswith("/__sandbox") for r in sandbox.requests)
        seed = http.get(f"{root}/__sandbox/seed").json()
        assert seed["leads"][0]["latest_reply"]["stats_id"] == ref.stats_id


def test_lifecycle() -> None:
    server = SandboxServer(api_key="k")
    server.stop()  # before start: no-op
    server.start()
    port = server.port
    assert port > 0 and server.base_url == f"http://127.0.0.1:{port}/api/v1"
    assert server.start() is server
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        plain().get(f"http://127.0.0.1:{port}/api/v1/x", timeout=1)


def test_serve_forever_blocking_can_be_stopped() -> None:
    server = SandboxServer()
    thread = threading.Thread(target=server.serve_forever_blocking, daemon=True)
    thread.start()
    assert wait_for(lambda: server.port > 0, timeout=10.0)
    with api_client(server) as c:
        r = c.get("/campaigns/1/leads/1/message-history")
    assert r.status_code == 404
    server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
