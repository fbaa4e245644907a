"""The tracker's schedule under a fake clock, and the tracker against the sandbox.

The schedule is pure, so most tests drive it with plain numbers. The sandbox-backed tests use
real loopback HTTP with one fake clock shared by the tracker, the request budget, the store and
the sandbox, so minutes of polling run in well under a second and request times are exact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.api.limiter import RequestBudget
from smartlead_tui.api.models import Message, ReplyDraft, ReplyStatus
from smartlead_tui.outbox.store import Store, thread_key
from smartlead_tui.outbox.tracker import (
    DISCOVER,
    DONE,
    NO_ID,
    NOT_FOUND,
    POLL,
    DiscoveryTarget,
    PollPolicy,
    Schedule,
    Tracker,
    TrackerEvent,
    is_failure_status,
    match_sent_messages,
    normalize_body,
    parse_time,
)
from smartlead_tui.sandbox import SandboxServer

MID = "<abc-123@mail.example>"
T0 = 1_800_000_000.0  # a fixed epoch second: 2027-01-15


def status(value: str, message: str = "", scheduled: str | None = None) -> ReplyStatus:
    return ReplyStatus(
        message_id=MID, status=value, status_message=message, scheduled_time=scheduled
    )


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


POLICY = PollPolicy(interval=5, cap=300, grace=120, discovery_delay=3, discovery_timeout=600)


# -- the schedule: backoff ---------------------------------------------------------------------


def test_fresh_reply_is_checked_after_one_interval_then_backs_off_to_the_cap() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    assert schedule.due(4.9) == []
    now = schedule.get(1).due
    assert now == 5
    schedule.on_status(1, status("QUEUED"), now)  # first answer: a change -> soon again
    gaps = []
    for _ in range(9):
        due = schedule.get(1).due
        gaps.append(due - now)
        now = due
        schedule.on_status(1, status("QUEUED"), now)  # unchanged -> back off
    assert gaps == [5, 10, 20, 40, 80, 160, 300, 300, 300]


def test_a_status_change_resets_the_backoff() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    for t in (5, 10, 20, 40):
        schedule.on_status(1, status("QUEUED"), t)
    assert schedule.get(1).interval == 40
    schedule.on_status(1, status("SENDING", "handing over to the mailbox"), 80)
    assert schedule.get(1).due == 85


def test_completed_is_never_checked_again() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.on_status(1, status("COMPLETED", "Email sent successfully!"), 5)
    assert schedule.get(1).phase == DONE
    assert schedule.due(10**9) == []
    assert schedule.next_wake(10**9) is None
    assert schedule.check_now(1, 100) is False  # not even when asked


def test_any_other_status_is_kept_verbatim_and_polled_with_backoff() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.on_status(1, status("SOFT_BOUNCE", "Mailbox full"), 5)
    item = schedule.get(1)
    assert (item.phase, item.status, item.status_message) == (POLL, "SOFT_BOUNCE", "Mailbox full")
    schedule.on_status(1, status("SOFT_BOUNCE", "Mailbox full"), item.due)
    assert item.interval == 10
    assert is_failure_status("SOFT_BOUNCE") and is_failure_status("failed")
    assert not is_failure_status("COMPLETED") and not is_failure_status("QUEUED")


def test_an_old_reply_resumed_after_a_restart_starts_slow() -> None:
    schedule = Schedule(POLICY)
    item = schedule.track(1, now=T0, anchor=T0 - 3 * 3600, message_id=MID, status="QUEUED")
    assert item.due == T0  # resume at once...
    assert item.interval == 300  # ...but do not poll a 3-hour-old reply every 5 s


# -- the schedule: 404 grace period ------------------------------------------------------------


def test_404_right_after_queueing_is_retried_until_the_grace_period_ends() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    checks = []
    now = schedule.get(1).due
    while True:
        checks.append(now)
        if schedule.on_not_found(1, now):
            break
        now = schedule.get(1).due
    # Backs off within the grace period, and the last look is exactly at its end.
    assert checks == [5, 15, 35, 75, 120]
    item = schedule.get(1)
    assert item.phase == NOT_FOUND
    assert "not found" in item.note and "2 min" in item.note
    assert schedule.due(10**9) == []


def test_404_after_the_reply_was_visible_backs_off_instead_of_giving_up() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.on_status(1, status("QUEUED"), 5)
    assert schedule.on_not_found(1, 500) is False
    assert schedule.get(1).phase == POLL
    assert "no longer finds" in schedule.get(1).note


def test_a_starved_reply_is_not_given_up_on_its_first_404() -> None:
    """A burst of sends can keep polling from running until the grace period is over."""
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    assert schedule.on_not_found(1, 500) is False
    assert schedule.get(1).due == 505  # a few more looks, one interval apart
    assert schedule.on_not_found(1, 505) is False
    schedule.on_status(1, status("QUEUED"), 510)  # ...and there it is
    assert schedule.get(1).phase == POLL


def test_check_now_gives_a_not_found_reply_one_more_look() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    for t in (200, 205, 210):
        gave_up = schedule.on_not_found(1, t)
    assert gave_up is True
    assert schedule.check_now(1, 300) is True
    assert [c.entry_ids for c in schedule.due(300)] == [(1,)]
    assert schedule.on_not_found(1, 300) is True  # still past the grace: not found again


# -- the schedule: scheduled sends --------------------------------------------------------------


def test_a_scheduled_reply_is_checked_around_its_scheduled_time() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.on_status(1, status("SCHEDULED", "Email is scheduled", iso(T0 + 1800)), T0 + 5)
    item = schedule.get(1)
    assert item.due == T0 + 1800 + 5  # just after it should have gone
    assert schedule.due(T0 + 1804) == []
    schedule.on_status(1, status("QUEUED", "Email is queued"), T0 + 1805)
    assert item.due == T0 + 1810  # then the fresh cadence


def test_a_far_scheduled_reply_is_still_rechecked_now_and_then() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.on_status(1, status("SCHEDULED", "", iso(T0 + 3 * 86400)), T0)
    assert schedule.get(1).due == T0 + 3600  # scheduled_recheck


def test_a_restarted_scheduled_reply_waits_for_its_time() -> None:
    schedule = Schedule(POLICY)
    item = schedule.track(
        1, now=T0, anchor=T0 - 60, message_id=MID, status="SCHEDULED", scheduled_at=T0 + 600
    )
    assert item.due == T0 + 605


# -- the schedule: tracker-wide pause and halt ---------------------------------------------------


def test_retry_after_pauses_every_check_until_it_expires() -> None:
    schedule = Schedule(POLICY)
    for entry_id in (1, 2, 3):
        schedule.track(entry_id, now=0, anchor=0, message_id=f"<{entry_id}@x.example>")
    assert len(schedule.due(5)) == 3
    schedule.pause(30, now=5)
    assert schedule.due(5) == [] and schedule.due(34.9) == []
    assert schedule.paused_for(20) == 15
    assert schedule.next_wake(6) == 35
    assert len(schedule.due(35)) == 3


def test_halt_stops_everything_until_resumed() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, message_id=MID)
    schedule.halt("Status checks stopped: SmartLead rejected the API key (401).")
    assert schedule.due(10**6) == [] and schedule.next_wake(0) is None
    schedule.resume()
    assert len(schedule.due(10)) == 1


def test_due_checks_come_most_overdue_first() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=50, message_id="<1@x.example>")
    schedule.track(2, now=0, anchor=0, message_id="<2@x.example>")
    assert [c.entry_ids for c in schedule.due(100)] == [(2,), (1,)]


# -- the schedule: Message-ID discovery ----------------------------------------------------------


def test_discovery_waits_a_few_seconds_then_backs_off_and_finally_gives_up() -> None:
    schedule = Schedule(POLICY)
    item = schedule.track(1, now=0, anchor=0, campaign_id=7, lead_id=9, body="Hello there")
    assert (item.phase, item.note, item.due) == (DISCOVER, "waiting for Message-ID", 3)
    checks = []
    now = item.due
    while True:
        checks.append(now)
        if schedule.on_discovery_miss(1, now):
            break
        now = item.due
    assert checks[:4] == [3, 13, 33, 73]
    assert checks[-1] == 600 and item.phase == NO_ID
    assert "did not appear in the thread" in item.note


def test_one_history_read_serves_every_pending_send_of_the_thread() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, campaign_id=7, lead_id=9, body="first")
    schedule.track(2, now=0, anchor=1, campaign_id=7, lead_id=9, body="second")
    schedule.track(3, now=0, anchor=1, campaign_id=7, lead_id=10, body="other lead")
    checks = schedule.due(10)
    assert [(c.kind, c.entry_ids, c.lead_id) for c in checks] == [
        ("discover", (1, 2), 9),
        ("discover", (3,), 10),
    ]


def test_without_a_lead_there_is_no_discovery_and_the_row_says_so() -> None:
    schedule = Schedule(POLICY)
    item = schedule.track(1, now=0, anchor=0, campaign_id=7, lead_id=None, body="x")
    assert item.phase == NO_ID and "lead unknown" in item.note
    assert schedule.due(10**6) == []


def test_a_discovered_message_id_is_polled_from_one_interval_on() -> None:
    schedule = Schedule(POLICY)
    schedule.track(1, now=0, anchor=0, campaign_id=7, lead_id=9, body="Hello")
    schedule.on_discovered(1, MID, 3)
    item = schedule.get(1)
    assert (item.phase, item.message_id, item.due, item.note) == (POLL, MID, 8, "")


# -- matching our message in the thread --------------------------------------------------------


def msg(mid: str, when: float, body: str, kind: str = "SENT") -> Message:
    return Message(
        stats_id=mid.strip("<>"),
        message_id=mid,
        type=kind,
        time=iso(when).replace("+00:00", "Z"),
        from_email="a@x.example",
        to_email="b@y.example",
        body_html=body,
    )


def target(entry_id: int, body: str, sent_after: float) -> DiscoveryTarget:
    return DiscoveryTarget(entry_id, normalize_body(body)[:80], sent_after)


def test_normalize_body_reads_html_like_a_person() -> None:
    html = "<div>Thanks Jos&eacute; &mdash;<br>Tuesday&nbsp;10:00   works.</div><p>[agenda]</p>"
    assert normalize_body(html) == "thanks josé — tuesday 10:00 works. [agenda]"
    assert normalize_body("Thanks José —\nTuesday 10:00 works.") == (
        "thanks josé — tuesday 10:00 works."
    )
    assert normalize_body("a < b and c > d") == "a < b and c > d"


def test_match_takes_the_new_outgoing_message_whose_body_starts_with_ours() -> None:
    ours = "Thanks José — Tuesday 10:00 works. [agenda] attached."
    messages = [
        msg("<old@x>", T0 - 3600, f"<p>{ours}</p>"),  # same text, sent long before: not ours
        msg("<reply@x>", T0 + 5, f"<p>{ours}</p>", kind="REPLY"),  # the lead's, not ours
        msg("<other@x>", T0 + 6, "<p>Something else</p>"),
        msg("<ours@x>", T0 + 7, f"<div>{ours}</div><div>-- <br>Alex, Acme</div>"),
    ]
    assert match_sent_messages(messages, [target(1, ours, T0)]) == {1: "<ours@x>"}


def test_match_never_gives_one_message_id_to_two_entries() -> None:
    body = "Sounds good, talk soon."
    messages = [msg("<b@x>", T0 + 20, body), msg("<a@x>", T0 + 10, body)]
    found = match_sent_messages(messages, [target(2, body, T0 + 5), target(1, body, T0)])
    assert found == {1: "<a@x>", 2: "<b@x>"}
    # ...and not one already claimed by another entry of ours.
    assert match_sent_messages(messages, [target(3, body, T0)], taken={"<a@x>"}) == {3: "<b@x>"}


def test_match_allows_a_little_clock_skew() -> None:
    messages = [msg("<a@x>", T0 - 30, "Hi")]
    assert match_sent_messages(messages, [target(1, "Hi", T0)], skew=60) == {1: "<a@x>"}
    assert match_sent_messages(messages, [target(1, "Hi", T0)], skew=10) == {}


def test_parse_time_reads_smartleads_format() -> None:
    assert parse_time("2026-03-12T11:29:05.173Z") == pytest.approx(
        datetime(2026, 3, 12, 11, 29, 5, 173000, tzinfo=UTC).timestamp()
    )
    assert parse_time("not a time") is None and parse_time(None) is None


# -- the tracker against the sandbox, with one fake clock ---------------------------------------


class FakeClock:
    """Epoch seconds for the tracker and budget; aware datetimes for the store and sandbox."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def dt(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(now=clock.dt) as sandbox:
        yield sandbox


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    with Store(tmp_path / "outbox.sqlite3", clock=clock.dt) as opened:
        yield opened


@pytest.fixture
async def client(server: SandboxServer, clock: FakeClock) -> AsyncIterator[SmartLeadClient]:
    budget = RequestBudget(50, 10, clock=clock)
    async with SmartLeadClient(
        server.api_key, base_url=server.base_url, budget=budget, read_retries=0
    ) as api:
        yield api


@pytest.fixture
async def sender(server: SandboxServer) -> AsyncIterator[SmartLeadClient]:
    """Sends through its own budget so the tracker's budget only sees tracking."""
    async with SmartLeadClient(
        server.api_key, base_url=server.base_url, budget=RequestBudget(1000, 100)
    ) as api:
        yield api


def tracker_for(
    client: SmartLeadClient, store: Store, clock: FakeClock, **policy: float
) -> Tracker:
    values = {"interval": 5.0, "cap": 300.0, "grace": 120.0, "discovery_delay": 3.0}
    values.update(policy)
    return Tracker(client, store, policy=PollPolicy(**values), clock=clock)


async def queue_reply(
    server: SandboxServer,
    sender: SmartLeadClient,
    store: Store,
    body: str,
    *,
    ref_index: int = 0,
    with_lead: bool = True,
) -> int:
    """Send for real (sandbox) and record it the way the sender does: held->sending->queued."""
    ref = server.seed.all_replies()[ref_index]
    fields = {
        "campaign_id": ref.campaign_id,
        "email_stats_id": ref.stats_id,
        "lead_id": ref.lead_id if with_lead else None,
        "lead_label": ref.from_email,
        "campaign_name": server.seed.campaign(ref.campaign_id).name,
        "body": body,
    }
    draft = ReplyDraft(campaign_id=ref.campaign_id, email_stats_id=ref.stats_id, body=body)
    path, payload = draft.to_payload()
    entry = store.create_entry(
        thread_key=thread_key(ref.campaign_id, ref.stats_id),
        fingerprint=draft.fingerprint(),
        fields=fields,
        endpoint=path,
        request_body=payload,
        lead_label=ref.from_email,
        campaign_id=ref.campaign_id,
    )
    store.transition(entry.id, "sending")
    result = await sender.send_reply(draft)
    store.transition(entry.id, "queued", server_message=result.server_message)
    return entry.id


def status_requests(server: SandboxServer) -> list[str]:
    return [r.path for r in server.requests if r.method == "GET"]


async def run_for(
    tracker: Tracker, clock: FakeClock, seconds: float, step: float = 1.0
) -> list[TrackerEvent]:
    events: list[TrackerEvent] = []
    end = clock.now + seconds
    while clock.now < end:
        events.extend(await tracker.run_due())
        clock.now += step
    return events


async def test_discovers_the_message_id_then_follows_it_to_completed(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    entry_id = await queue_reply(server, sender, store, "Tuesday 10:00 works — see you then.")
    tracker = tracker_for(client, store, clock)
    assert tracker.load() == 1
    assert tracker.note(entry_id) == "waiting for Message-ID"
    server.requests.clear()

    events = await run_for(tracker, clock, 60)

    kinds = [e.kind for e in events if e.entry_id == entry_id]
    assert kinds == ["message-id", "waiting", "status", "completed"]
    entry = store.get_entry(entry_id)
    assert entry.message_id and entry.message_id.endswith("@sandbox.smartlead.test>")
    assert entry.last_status == "COMPLETED" and entry.last_error is None
    assert [s.status for s in store.status_history(entry_id)] == ["QUEUED", "COMPLETED"]
    # One history read and (invisible + polls_to_complete) status reads: nothing wasted.
    paths = status_requests(server)
    assert sum("message-history" in p for p in paths) == 1
    assert sum("reply-status" in p for p in paths) == 3
    assert not tracker.is_active(entry_id)


async def test_two_sends_to_one_thread_get_distinct_message_ids_from_one_read(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    first = await queue_reply(server, sender, store, "Same words.")
    second = await queue_reply(server, sender, store, "Same words.")
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.requests.clear()
    clock.now += 3
    events = await tracker.run_due()
    assert sorted(e.entry_id for e in events if e.kind == "message-id") == [first, second]
    assert store.get_entry(first).message_id != store.get_entry(second).message_id
    assert sum("message-history" in p for p in status_requests(server)) == 1


async def test_a_message_id_already_owned_by_another_entry_is_not_taken(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    tracker = tracker_for(client, store, clock)
    first = await queue_reply(server, sender, store, "Same words again.")
    tracker.load()
    clock.now += 3
    await tracker.run_due()
    owned = store.get_entry(first).message_id
    assert owned
    clock.now += 10  # well within the clock-skew allowance of the first message
    second = await queue_reply(server, sender, store, "Same words again.")
    tracker.sync_entry(store.get_entry(second))
    clock.now += 3
    await tracker.run_due()
    found = store.get_entry(second).message_id
    assert found and found != owned


async def test_a_reply_without_a_lead_says_why_it_has_no_message_id(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    entry_id = await queue_reply(server, sender, store, "No lead id here", with_lead=False)
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.requests.clear()
    await run_for(tracker, clock, 30)
    assert "lead unknown" in (tracker.note(entry_id) or "")
    assert status_requests(server) == []


async def test_an_unknown_send_found_in_the_thread_becomes_queued(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    ref = server.seed.first_reply()
    body = "This one timed out on our side but did go."
    draft = ReplyDraft(campaign_id=ref.campaign_id, email_stats_id=ref.stats_id, body=body)
    path, payload = draft.to_payload()
    entry = store.create_entry(
        thread_key=thread_key(ref.campaign_id, ref.stats_id),
        fingerprint=draft.fingerprint(),
        fields={"campaign_id": ref.campaign_id, "lead_id": ref.lead_id, "body": body},
        endpoint=path,
        request_body=payload,
    )
    store.transition(entry.id, "sending")
    await sender.send_reply(draft)
    store.transition(entry.id, "unknown", error="SmartLead did not answer within 20 s")
    tracker = tracker_for(client, store, clock)
    tracker.load()
    clock.now += 3
    events = await tracker.run_due()
    assert [e.kind for e in events] == ["sent", "message-id"]
    after = store.get_entry(entry.id)
    assert after.state == "queued" and after.message_id
    assert "the reply was sent" in store.journal(entry.id)[-1].detail


async def test_tracking_resumes_after_a_restart(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    done = await queue_reply(server, sender, store, "First reply, will complete.")
    pending = await queue_reply(server, sender, store, "Second reply.", ref_index=1)
    first = tracker_for(client, store, clock)
    first.load()
    await run_for(first, clock, 60)
    assert store.get_entry(done).last_status == "COMPLETED"
    store.record_status(pending, status="QUEUED", status_message="Email is queued")

    restarted = tracker_for(client, store, clock)
    assert restarted.load() == 1  # COMPLETED is never loaded again
    assert restarted.schedule.get(pending).status == "QUEUED"
    await run_for(restarted, clock, 120)
    assert store.get_entry(pending).last_status == "COMPLETED"


async def test_401_stops_all_checks_and_says_why(
    server: SandboxServer, client: SmartLeadClient, store: Store, clock: FakeClock
) -> None:
    ids = [store.add_tracked_message(f"<n{i}@x.example>").id for i in range(3)]
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.add_fault("401", path="reply-status", times=10)
    clock.now += 5
    events = await tracker.run_due()
    assert [e.kind for e in events] == ["auth"]
    assert "API key" in events[0].text
    assert (tracker.halted or "").startswith("Status checks stopped")
    assert "API key" in (store.get_entry(ids[0]).last_error or "")
    before = len(server.requests)
    await run_for(tracker, clock, 600, step=10)
    assert len(server.requests) == before  # nothing more until resumed
    server.clear_faults()
    tracker.check_now(ids[0])
    assert tracker.halted is None


async def test_429_pauses_every_check_for_retry_after(
    server: SandboxServer, client: SmartLeadClient, store: Store, clock: FakeClock
) -> None:
    for i in range(3):
        store.add_tracked_message(f"<r{i}@x.example>")
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.add_fault("429", path="reply-status", retry_after=30)
    clock.now += 5
    events = await tracker.run_due()
    assert [e.kind for e in events] == ["rate-limited", "checked"]
    assert "(429)" in (events[1].text or "")
    assert tracker.schedule.paused_for(clock.now) == 30
    assert client.budget.paused_for() == 30
    count = len(server.requests)
    await run_for(tracker, clock, 29)
    assert len(server.requests) == count
    clock.now += 1
    await tracker.run_due()
    assert len(server.requests) == count + 3


async def test_5xx_backs_off_only_the_failing_reply(
    server: SandboxServer, client: SmartLeadClient, store: Store, clock: FakeClock
) -> None:
    sent = server.seed.first_sent().message_id  # the sandbox answers COMPLETED for it
    bad = store.add_tracked_message("<flaky@x.example>").id
    good = store.add_tracked_message(sent).id
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.add_fault("500", path="reply-status", times=1)  # the first request: `bad`'s
    clock.now += 5
    events = await tracker.run_due()
    assert [(e.kind, e.entry_id) for e in events] == [("error", bad), ("completed", good)]
    item = tracker.schedule.get(bad)
    assert item.due == clock.now + 10 and "server error (500)" in item.note
    assert "server error (500)" in (store.get_entry(bad).last_error or "")


async def test_a_pasted_id_that_never_appears_ends_as_not_found(
    server: SandboxServer, client: SmartLeadClient, store: Store, clock: FakeClock
) -> None:
    entry_id = store.add_tracked_message("<never@x.example>").id
    tracker = tracker_for(client, store, clock)
    tracker.load()
    events = await run_for(tracker, clock, 200)
    kinds = [e.kind for e in events]
    assert kinds == ["waiting"] * 4 + ["not-found"]
    assert "not found" in (tracker.note(entry_id) or "")
    assert "not found" in (store.get_entry(entry_id).last_error or "")


async def test_stopping_tracking_mid_flight_records_nothing(
    server: SandboxServer, client: SmartLeadClient, store: Store, clock: FakeClock
) -> None:
    entry_id = store.add_tracked_message("<stop@x.example>").id
    tracker = tracker_for(client, store, clock)
    tracker.load()
    store.stop_tracking(entry_id)
    assert tracker.sync_entry(store.get_entry(entry_id)) is True
    clock.now += 10
    assert await tracker.run_due() == []
    assert store.get_entry(entry_id).last_checked_at is None


async def test_the_budget_is_never_exceeded_and_a_send_never_waits(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    """200 replies, 10 simulated minutes: every 60 s window stays within the background share."""
    server.invisible_polls = 3
    server.polls_to_complete = 4
    refs = len(server.seed.all_replies())
    for i in range(200):
        await queue_reply(server, sender, store, f"Reply number {i} to you.", ref_index=i % refs)
    store.add_tracked_message("<never-visible@x.example>")
    tracker = tracker_for(client, store, clock, grace=900.0)
    assert tracker.load() == 201
    server.requests.clear()
    budget = client.budget
    send_blocked = 0
    end = clock.now + 600
    while clock.now < end:
        await tracker.run_due()
        if budget.delay_for(background=False) > 0:
            send_blocked += 1
        clock.now += 0.5
    times = sorted(r.time.timestamp() for r in server.requests)
    assert len(times) > 300  # the budget, not the schedule, was the limit
    background_cap = budget.per_minute - budget.reserve
    worst = max(sum(1 for t in times if start <= t < start + 60) for start in times)
    assert worst <= background_cap
    worst_burst = max(sum(1 for t in times if start <= t < start + 2) for start in times)
    assert worst_burst < budget.burst
    assert send_blocked == 0


# -- unknown sends close by themselves (issue 11, item 8) -----------------------------------


def unknown_attempt(server: SandboxServer, store: Store, body: str) -> tuple[int, ReplyDraft]:
    """A send whose POST never got an answer (and, here, never reached SmartLead)."""
    ref = server.seed.first_reply()
    draft = ReplyDraft(campaign_id=ref.campaign_id, email_stats_id=ref.stats_id, body=body)
    path, payload = draft.to_payload()
    entry = store.create_entry(
        thread_key=thread_key(ref.campaign_id, ref.stats_id),
        fingerprint=draft.fingerprint(),
        fields={"campaign_id": ref.campaign_id, "lead_id": ref.lead_id, "body": body},
        endpoint=path,
        request_body=payload,
    )
    store.transition(entry.id, "sending")
    store.transition(entry.id, "unknown", error="SmartLead did not answer within 20 s")
    return entry.id, draft


async def test_an_unknown_send_whose_resend_alone_shows_closes_as_not_sent(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    """Before: the original matched the resend's message (or stayed unknown forever)."""
    body = "Tuesday at 10 works for me."
    original, _ = unknown_attempt(server, store, body)
    tracker = tracker_for(client, store, clock, discovery_timeout=30.0)
    tracker.load()
    await run_for(tracker, clock, 40)  # the attempt never shows: discovery gives up
    assert store.get_entry(original).state == "unknown"
    assert not tracker.is_active(original)

    clock.now += 120
    resend = await queue_reply(server, sender, store, body)  # same reply, accepted this time
    tracker.sync_entry(store.get_entry(resend))
    events = await run_for(tracker, clock, 30)

    closed = store.get_entry(original)
    assert closed.state == "send-failed" and f"entry {resend}" in (closed.last_error or "")
    assert store.get_entry(resend).message_id  # the resend keeps its own message
    assert any(e.kind == "not-sent" and e.entry_id == original for e in events)
    from smartlead_tui.outbox.states import display_state

    assert display_state(closed) == "not sent"
    assert store.count_entries(states=["unknown"]) == 0  # the header's count drops


async def test_an_unknown_send_that_did_go_keeps_its_message_and_the_resend_its_own(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    """Two copies in the thread: the accepted resend is served first, both end as sent."""
    body = "Both of these went out."
    ref = server.seed.first_reply()
    original, draft = unknown_attempt(server, store, body)
    await sender.send_reply(draft)  # it did reach SmartLead, the answer was lost
    clock.now += 5
    resend = await queue_reply(server, sender, store, body)
    tracker = tracker_for(client, store, clock)
    tracker.load()
    await run_for(tracker, clock, 10)
    first, second = store.get_entry(original), store.get_entry(resend)
    assert first.state == "queued" and second.state == "queued"
    assert first.message_id and second.message_id and first.message_id != second.message_id
    history = server.seed.lead(ref.lead_id).history
    assert [m.message_id for m in history[-2:]] == [first.message_id, second.message_id]


def test_match_serves_accepted_sends_before_unknown_ones() -> None:
    body = "Same text."
    messages = [msg("<resend@x>", T0 + 100, body)]
    unknown = DiscoveryTarget(1, normalize_body(body), T0, confirmed=False)
    accepted = DiscoveryTarget(2, normalize_body(body), T0 + 90)
    assert match_sent_messages(messages, [unknown, accepted]) == {2: "<resend@x>"}


async def test_one_read_that_finds_the_resend_closes_the_unknown_attempt_too(
    server: SandboxServer,
    sender: SmartLeadClient,
    client: SmartLeadClient,
    store: Store,
    clock: FakeClock,
) -> None:
    """Both still looking when the thread is read: the resend is matched first, then the
    unknown attempt is closed by the same read (before: it waited for later reads)."""
    body = "Resent the same morning."
    original, _ = unknown_attempt(server, store, body)
    clock.now += 90
    resend = await queue_reply(server, sender, store, body)
    tracker = tracker_for(client, store, clock)
    tracker.load()
    server.requests.clear()
    clock.now += 3
    events = await tracker.run_due()
    assert store.get_entry(original).state == "send-failed"
    assert store.get_entry(resend).message_id
    assert [e.kind for e in events if e.entry_id == original] == ["not-sent"]
    assert sum("message-history" in p for p in status_requests(server)) == 1
