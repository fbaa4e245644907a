"""The SQLite store: schema, durability, the send state machine, recovery, corruption."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.outbox.store import (
    ALLOWED_TRANSITIONS,
    INTERRUPTED_DETAIL,
    OUTBOX_STATES,
    SCHEMA_VERSION,
    EntryNotFound,
    OutboxEntry,
    Store,
    StoreError,
    TransitionError,
    can_transition,
    split_thread_key,
    thread_key,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "outbox.sqlite3"


@pytest.fixture
def store(store_path: Path, clock: FakeClock) -> Iterator[Store]:
    with Store(store_path, clock=clock) as s:
        yield s


def draft(body: str = "Thanks, Ana!", stats_id: str = "st-1", campaign: int = 42) -> ReplyDraft:
    return ReplyDraft(
        campaign_id=campaign,
        email_stats_id=stats_id,
        body=body,
        to_email="ana@x.com",
        cc=("b@x.com",),
    )


def entry_kwargs(d: ReplyDraft | None = None, **overrides: Any) -> dict[str, Any]:
    """Everything create_entry needs, built the way the sender will build it."""
    d = d or draft()
    endpoint, body = d.to_payload("send-email-thread")
    fields = asdict(d)
    kwargs: dict[str, Any] = {
        "thread_key": thread_key(d.campaign_id, d.email_stats_id),
        "fingerprint": d.fingerprint(),
        "fields": fields,
        "endpoint": endpoint,
        "request_body": body,
        "lead_label": "Ana Díaz <ana@x.com>",
        "campaign_id": d.campaign_id,
    }
    kwargs.update(overrides)
    return kwargs


def entry_in(store: Store, state: str) -> OutboxEntry:
    """An entry driven to `state` through legal transitions only."""
    path = {
        "held": [],
        "cancelled": ["cancelled"],
        "sending": ["sending"],
        "queued": ["sending", "queued"],
        "send-failed": ["sending", "send-failed"],
        "unknown": ["sending", "unknown"],
    }[state]
    entry = store.create_entry(**entry_kwargs(draft(body=f"body for {state}")))
    for step in path:
        entry = store.transition(entry.id, step)
    assert entry.state == state
    return entry


# -- thread keys ---------------------------------------------------------------------------


def test_thread_key_text_and_new() -> None:
    assert thread_key(42, "st-1") == "42:st-1"
    assert thread_key(None, "st-1") == "new"
    assert thread_key(42, None) == "new"
    assert thread_key(42, "") == "new"
    assert split_thread_key("42:st:1") == (42, "st:1")
    assert split_thread_key("new") is None


# -- schema, pragmas, permissions ------------------------------------------------------------


def test_schema_created_with_pragmas(store: Store, store_path: Path) -> None:
    conn = store._conn
    assert conn is not None
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "drafts", "outbox", "journal", "status_history"} <= tables
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {
        "ix_outbox_state",
        "ix_outbox_fingerprint_created",
        "ix_outbox_message_id",
        "ix_outbox_updated_at",
    } <= indexes
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
    assert [r[0] for r in conn.execute("SELECT version FROM schema_version")] == [1]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.recovered_from is None


def test_file_and_dir_permissions(store: Store, store_path: Path) -> None:
    store.save_draft("new", {"body": "x"})
    assert stat.S_IMODE(store_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    wal = Path(f"{store_path}-wal")
    assert wal.exists()
    assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopen_does_not_migrate_again(store_path: Path) -> None:
    Store(store_path).close()
    with Store(store_path) as again:
        assert again._conn is not None
        assert again._conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


# -- drafts ---------------------------------------------------------------------------------


def test_draft_upsert_one_per_thread(store: Store, clock: FakeClock) -> None:
    store.save_draft("42:st-1", {"body": "H"})
    clock.advance(seconds=1)
    store.save_draft("42:st-1", {"body": "Hello", "cc": ["b@x.com"]})
    clock.advance(seconds=1)
    store.save_draft("new", {"body": "other"})

    one = store.load_draft("42:st-1")
    assert one is not None
    assert one.fields == {"body": "Hello", "cc": ["b@x.com"]}
    assert one.updated_at == T0 + timedelta(seconds=1)
    assert one.updated_at.tzinfo is not None
    assert [d.thread_key for d in store.list_drafts()] == ["new", "42:st-1"]

    store.delete_draft("42:st-1")
    store.delete_draft("42:st-1")  # no-op
    assert store.load_draft("42:st-1") is None
    assert [d.thread_key for d in store.list_drafts()] == ["new"]


def test_draft_fields_must_be_json(store: Store) -> None:
    with pytest.raises(StoreError, match="JSON"):
        store.save_draft("new", {"when": datetime.now(UTC)})
    assert store.load_draft("new") is None


def test_draft_unicode_roundtrip(store: Store) -> None:
    store.save_draft("new", {"body": "Olá, Ana — ¿qué tal? 👋"})
    loaded = store.load_draft("new")
    assert loaded is not None
    assert loaded.fields["body"] == "Olá, Ana — ¿qué tal? 👋"


# -- outbox entries and transitions ------------------------------------------------------------


def test_create_entry_writes_entry_and_journal(store: Store) -> None:
    d = draft()
    hold = T0 + timedelta(seconds=10)
    entry = store.create_entry(**entry_kwargs(d), hold_until=hold, detail="held for 10 s")
    assert entry.state == "held"
    assert entry.thread_key == "42:st-1"
    assert entry.fingerprint == d.fingerprint()
    assert entry.endpoint == "/email-campaigns/send-email-thread"
    assert entry.request_body == d.to_payload()[1]
    assert entry.fields["body"] == "Thanks, Ana!"
    assert entry.hold_until == hold
    assert entry.created_at == entry.updated_at == T0
    assert entry.lead_label == "Ana Díaz <ana@x.com>"
    assert entry.campaign_id == 42
    assert entry.tracking is True
    assert entry.message_id is None
    assert [(j.state, j.detail) for j in store.journal(entry.id)] == [("held", "held for 10 s")]
    assert store.get_entry(entry.id) == entry


def test_create_entry_refuses_api_key_and_bad_state(store: Store) -> None:
    with pytest.raises(StoreError, match="API key"):
        store.create_entry(**entry_kwargs(request_body={"api_key": "secret"}))
    with pytest.raises(StoreError, match="API key"):
        store.create_entry(**entry_kwargs(endpoint="/x?api_key=secret"))
    with pytest.raises(StoreError, match="state"):
        store.create_entry(**entry_kwargs(state="sent"))
    assert store.count_entries() == 0


def test_create_entry_can_consume_the_draft_atomically(store: Store) -> None:
    store.save_draft("42:st-1", {"body": "Thanks, Ana!"})
    store.create_entry(**entry_kwargs(), consume_draft=True)
    assert store.load_draft("42:st-1") is None


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s, targets in ALLOWED_TRANSITIONS.items() for t in sorted(targets)],
)
def test_allowed_transitions(store: Store, clock: FakeClock, start: str, target: str) -> None:
    entry = entry_in(store, start)
    clock.advance(seconds=5)
    moved = store.transition(entry.id, target, detail=f"to {target}")
    assert moved.state == target
    assert moved.updated_at == clock.now
    assert store.get_entry(entry.id).state == target
    assert store.journal(entry.id)[-1].state == target
    assert store.journal(entry.id)[-1].detail == f"to {target}"


FORBIDDEN = [
    (s, t)
    for s in OUTBOX_STATES
    for t in OUTBOX_STATES
    if t not in ALLOWED_TRANSITIONS.get(s, frozenset())
]


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_forbidden_transitions(store: Store, start: str, target: str) -> None:
    entry = entry_in(store, start)
    journal_before = store.journal(entry.id)
    with pytest.raises(TransitionError):
        store.transition(entry.id, target)
    assert store.get_entry(entry.id) == entry
    assert store.journal(entry.id) == journal_before


def test_forbidden_list_covers_the_product_rule() -> None:
    assert ("queued", "sending") in FORBIDDEN
    assert ("send-failed", "sending") in FORBIDDEN
    assert ("unknown", "sending") in FORBIDDEN
    assert ("cancelled", "held") in FORBIDDEN
    assert not can_transition("queued", "sending")
    assert can_transition("held", "sending")


def test_transition_errors(store: Store) -> None:
    with pytest.raises(EntryNotFound):
        store.transition(999, "sending")
    with pytest.raises(EntryNotFound):
        store.get_entry(999)
    entry = entry_in(store, "held")
    with pytest.raises(StoreError, match="state"):
        store.transition(entry.id, "delivered")


def test_database_trigger_also_guards_transitions(store: Store) -> None:
    entry = entry_in(store, "queued")
    assert store._conn is not None
    with pytest.raises(sqlite3.IntegrityError, match="forbidden"):
        store._conn.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (entry.id,))
    assert store.get_entry(entry.id).state == "queued"


def test_transition_records_outcome_fields(store: Store) -> None:
    entry = entry_in(store, "sending")
    failed = store.transition(entry.id, "unknown", error="read timeout after 30 s")
    assert failed.last_error == "read timeout after 30 s"
    ok = store.transition(
        entry.id,
        "queued",
        detail="user confirmed it went",
        message_id="<m1@x>",
        server_message="Email added to the queue",
    )
    assert ok.message_id == "<m1@x>"
    assert ok.server_message == "Email added to the queue"
    assert ok.last_error is None  # it went: the old error no longer describes it
    assert [(j.state, j.detail) for j in store.journal(entry.id)] == [
        ("held", ""),
        ("sending", ""),
        ("unknown", "read timeout after 30 s"),
        ("queued", "user confirmed it went"),
    ]


def test_undo_restores_the_draft_atomically(store: Store) -> None:
    entry = store.create_entry(**entry_kwargs(), consume_draft=True)
    store.transition(entry.id, "cancelled", detail="undo", restore_draft=True)
    restored = store.load_draft(entry.thread_key)
    assert restored is not None
    assert restored.fields == entry.fields


def test_journal_order_oldest_first(store: Store, clock: FakeClock) -> None:
    entry = store.create_entry(**entry_kwargs(), detail="held")
    clock.advance(seconds=10)
    store.transition(entry.id, "sending", detail="posting")
    clock.advance(seconds=1)
    store.transition(entry.id, "queued", detail="200 OK")
    clock.advance(seconds=30)
    store.set_message_id(entry.id, "<m1@x>")
    rows = store.journal(entry.id)
    assert [(r.state, r.detail) for r in rows] == [
        ("held", "held"),
        ("sending", "posting"),
        ("queued", "200 OK"),
        ("queued", "message id found: <m1@x>"),
    ]
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    assert rows[0].at == T0
    assert all(r.entry_id == entry.id for r in rows)


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="naive"):
        store.create_entry(**entry_kwargs(), hold_until=datetime(2024, 5, 1, 12, 0, 10))


# -- durability -------------------------------------------------------------------------------


def test_durable_across_close_and_reopen(store_path: Path, clock: FakeClock) -> None:
    with Store(store_path, clock=clock) as first:
        first.save_draft("42:st-2", {"body": "later"})
        held = first.create_entry(**entry_kwargs(draft(stats_id="st-3")))
        sent = entry_in(first, "queued")
        first.set_message_id(sent.id, "<m1@x>")
        first.record_status(sent.id, status="SCHEDULED", status_message="in queue")
        snapshot = {e.id: e for e in first.list_entries()}
        journals = {i: first.journal(i) for i in snapshot}
        history = first.status_history(sent.id)

    with Store(store_path, clock=clock) as second:
        assert {e.id: e for e in second.list_entries()} == snapshot
        assert {i: second.journal(i) for i in snapshot} == journals
        assert second.status_history(sent.id) == history
        assert second.get_entry(held.id).state == "held"
        draft_back = second.load_draft("42:st-2")
        assert draft_back is not None and draft_back.fields == {"body": "later"}


def test_draft_survives_sigkill_right_after_save(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from smartlead_tui.outbox.store import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "store.save_draft('42:st-1', {'body': 'never lose me'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path)], env=env, capture_output=True, timeout=30
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    with Store(path) as reopened:
        saved = reopened.load_draft("42:st-1")
        assert saved is not None
        assert saved.fields == {"body": "never lose me"}
        assert reopened.recovered_from is None


def test_sending_killed_mid_post_comes_back_unknown(tmp_path: Path) -> None:
    """The journaled 'sending' row is on disk before the POST would start."""
    path = tmp_path / "outbox.sqlite3"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from smartlead_tui.outbox.store import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "e = store.create_entry(thread_key='1:s', fingerprint='f', fields={'body': 'b'},\n"
        "                       endpoint='/x', request_body={'emailBody': 'b'})\n"
        "store.transition(e.id, 'sending')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path)], env=env, capture_output=True, timeout=30
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    with Store(path) as reopened:
        recovery = reopened.recover()
        assert [e.state for e in recovery.interrupted] == ["unknown"]


# -- recovery ---------------------------------------------------------------------------------


def test_recover_turns_sending_into_unknown(store: Store, clock: FakeClock) -> None:
    store.save_draft("42:st-9", {"body": "half written"})
    held = entry_in(store, "held")
    sending = entry_in(store, "sending")
    queued = entry_in(store, "queued")
    clock.advance(minutes=5)

    recovery = store.recover()

    assert [d.thread_key for d in recovery.drafts] == ["42:st-9"]
    assert [e.id for e in recovery.held] == [held.id]
    assert [e.id for e in recovery.interrupted] == [sending.id]
    assert recovery.interrupted[0].state == "unknown"
    assert store.get_entry(sending.id).state == "unknown"
    last = store.journal(sending.id)[-1]
    assert (last.state, last.detail, last.at) == ("unknown", INTERRUPTED_DETAIL, clock.now)
    assert store.get_entry(queued.id).state == "queued"
    assert store.get_entry(held.id).state == "held"

    again = store.recover()
    assert again.interrupted == []
    assert [e.id for e in again.held] == [held.id]


def test_unknown_can_be_resolved_either_way(store: Store) -> None:
    went = entry_in(store, "unknown")
    did_not = entry_in(store, "unknown")
    assert store.transition(went.id, "queued", detail="user: it went").state == "queued"
    assert store.transition(did_not.id, "send-failed").state == "send-failed"
    with pytest.raises(TransitionError):
        store.transition(went.id, "sending")


# -- duplicates -------------------------------------------------------------------------------


def test_duplicate_within_and_outside_window(store: Store, clock: FakeClock) -> None:
    d = draft()
    entry = store.create_entry(**entry_kwargs(d))
    store.transition(entry.id, "sending")
    store.transition(entry.id, "queued")

    clock.advance(hours=23, minutes=59)
    dup = store.find_recent_duplicate(d.fingerprint())
    assert dup is not None and dup.id == entry.id
    assert store.find_recent_duplicate(draft(body="other").fingerprint()) is None

    clock.advance(minutes=2)
    assert store.find_recent_duplicate(d.fingerprint()) is None
    found = store.find_recent_duplicate(d.fingerprint(), within=timedelta(hours=48))
    assert found is not None and found.id == entry.id


@pytest.mark.parametrize(
    ("state", "counts"),
    [
        ("held", True),
        ("sending", True),
        ("queued", True),
        ("unknown", True),
        ("send-failed", False),
        ("cancelled", False),
    ],
)
def test_duplicate_only_counts_live_states(store: Store, state: str, counts: bool) -> None:
    entry = entry_in(store, state)
    found = store.find_recent_duplicate(entry.fingerprint)
    assert (found is not None) is counts


def test_duplicate_ignores_empty_fingerprint(store: Store) -> None:
    store.add_tracked_message("<m9@x>")
    assert store.find_recent_duplicate("") is None


# -- statuses and tracking ----------------------------------------------------------------


def test_record_status_appends_history_only_on_change(store: Store, clock: FakeClock) -> None:
    entry = entry_in(store, "queued")
    store.set_message_id(entry.id, "<m1@x>")
    store.record_status(
        entry.id, status="SCHEDULED", status_message="queued", scheduled_time="2024-05-01T13:00:00Z"
    )
    first_update = store.get_entry(entry.id).updated_at
    clock.advance(seconds=10)
    store.record_status(
        entry.id, status="SCHEDULED", status_message="queued", scheduled_time="2024-05-01T13:00:00Z"
    )
    same = store.get_entry(entry.id)
    assert same.last_checked_at == clock.now
    assert same.updated_at == first_update  # nothing visible changed
    clock.advance(seconds=10)
    store.record_status(entry.id, status="SCHEDULED", status_message="retrying")
    clock.advance(seconds=10)
    store.record_status(
        entry.id,
        status="COMPLETED",
        status_message="sent",
        event_time="2024-05-01T12:00:40Z",
        checked_at=clock.now,
    )

    history = store.status_history(entry.id)
    assert [(h.status, h.status_message) for h in history] == [
        ("SCHEDULED", "queued"),
        ("SCHEDULED", "retrying"),
        ("COMPLETED", "sent"),
    ]
    assert history[0].scheduled_time == "2024-05-01T13:00:00Z"
    assert history[-1].event_time == "2024-05-01T12:00:40Z"
    assert [h.at for h in history] == [T0, T0 + timedelta(seconds=20), T0 + timedelta(seconds=30)]
    final = store.get_entry(entry.id)
    assert (final.last_status, final.last_status_message) == ("COMPLETED", "sent")
    assert final.last_event_time == "2024-05-01T12:00:40Z"
    assert final.last_checked_at == clock.now


def test_record_check_error_keeps_last_status(store: Store, clock: FakeClock) -> None:
    entry = entry_in(store, "queued")
    store.record_status(entry.id, status="SCHEDULED")
    clock.advance(seconds=5)
    store.record_check_error(entry.id, "server error 502")
    failed = store.get_entry(entry.id)
    assert failed.last_error == "server error 502"
    assert failed.last_status == "SCHEDULED"
    assert failed.last_checked_at == clock.now
    clock.advance(seconds=5)
    store.record_status(entry.id, status="SCHEDULED")
    assert store.get_entry(entry.id).last_error is None
    assert len(store.status_history(entry.id)) == 1
    with pytest.raises(EntryNotFound):
        store.record_check_error(999, "x")
    with pytest.raises(EntryNotFound):
        store.record_status(999, status="X")


def test_set_message_id_is_idempotent(store: Store) -> None:
    entry = entry_in(store, "queued")
    store.set_message_id(entry.id, "<m1@x>")
    store.set_message_id(entry.id, "<m1@x>")
    assert store.get_entry(entry.id).message_id == "<m1@x>"
    assert [j.detail for j in store.journal(entry.id)].count("message id found: <m1@x>") == 1
    found = store.find_by_message_id("<m1@x>")
    assert found is not None and found.id == entry.id


def test_tracked_message_and_stop_tracking(store: Store) -> None:
    tracked = store.add_tracked_message("<ext@x>", lead_label="Bo <bo@x.com>")
    assert tracked.state == "queued"
    assert tracked.message_id == "<ext@x>"
    assert tracked.fingerprint == ""
    assert tracked.request_body == {}
    assert tracked.fields == {}
    assert tracked.lead_label == "Bo <bo@x.com>"
    assert tracked.tracking is True
    assert [e.id for e in store.list_tracking()] == [tracked.id]

    store.stop_tracking(tracked.id)
    assert store.get_entry(tracked.id).tracking is False
    assert store.list_tracking() == []
    assert store.journal(tracked.id)[-1].detail == "tracking stopped"

    again = store.add_tracked_message("<ext@x>")
    assert again.id == tracked.id
    assert again.tracking is True
    assert store.count_entries() == 1
    with pytest.raises(StoreError):
        store.add_tracked_message("  ")
    with pytest.raises(EntryNotFound):
        store.stop_tracking(999)


# -- listing and scale ------------------------------------------------------------------------


def bulk_entries(store: Store, n: int) -> list[int]:
    """The one helper for big outboxes: n entries in one transaction, states cycling."""
    specs = []
    for i in range(n):
        d = draft(body=f"reply number {i}", stats_id=f"st-{i}")
        specs.append(entry_kwargs(d, state=OUTBOX_STATES[i % len(OUTBOX_STATES)]))
    return store.create_entries(specs)


def test_list_and_count_with_states(store: Store) -> None:
    ids = bulk_entries(store, 12)
    assert [e.id for e in store.list_entries()] == ids[::-1]
    assert store.count_entries() == 12
    assert store.count_entries(states=["held"]) == 2
    assert store.count_entries(states=["held", "queued"]) == 4
    assert store.count_entries(states=[]) == 0
    assert store.list_entries(states=[]) == []
    held = store.list_entries(states=("held",))
    assert [e.id for e in held] == [ids[6], ids[0]]
    with pytest.raises(StoreError):
        store.list_entries(states=["delivered"])


def test_ten_thousand_entries_listed_with_limit_and_offset(store: Store) -> None:
    started = time.perf_counter()
    ids = bulk_entries(store, 10_000)
    assert store.count_entries() == 10_000
    assert len(store.journal(ids[-1])) == 1

    page = store.list_entries(limit=50, offset=100)
    assert [e.id for e in page] == ids[::-1][100:150]
    held_page = store.list_entries(states=["held"], limit=20, offset=20)
    assert len(held_page) == 20
    assert all(e.state == "held" for e in held_page)
    assert [e.id for e in held_page] == sorted((e.id for e in held_page), reverse=True)
    assert store.count_entries(states=["queued"]) == 10_000 // len(OUTBOX_STATES) + (
        1 if 10_000 % len(OUTBOX_STATES) > 2 else 0
    )
    assert len(store.list_entries(offset=9_990)) == 10

    page_started = time.perf_counter()
    for offset in range(0, 5_000, 500):
        store.list_entries(states=["queued", "unknown"], limit=100, offset=offset)
    assert time.perf_counter() - page_started < 1.0
    assert time.perf_counter() - started < 10.0  # generous; typically well under 2 s

    assert store._conn is not None
    plan = " ".join(
        str(tuple(r))
        for r in store._conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE state IN ('held') "
            "ORDER BY id DESC LIMIT 10"
        )
    )
    assert "ix_outbox_state" in plan
    dup_plan = " ".join(
        str(tuple(r))
        for r in store._conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE fingerprint = 'x' "
            "AND created_at >= '2024'"
        )
    )
    assert "ix_outbox_fingerprint_created" in dup_plan


# -- corruption and versions ----------------------------------------------------------------


def test_random_bytes_are_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "outbox.sqlite3"
    junk = os.urandom(8192)
    path.write_bytes(junk)
    with Store(path, clock=clock) as store:
        expected = tmp_path / "outbox.sqlite3.corrupt-20240501T120000Z"
        assert store.recovered_from == expected
        assert expected.read_bytes() == junk
        store.save_draft("new", {"body": "fresh"})
        assert store.count_entries() == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_short_junk_and_second_corruption_get_distinct_names(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"not a database")
    first = Store(path, clock=clock)
    first.close()
    path.write_bytes(b"still not a database")
    with Store(path, clock=clock) as second:
        assert first.recovered_from is not None and second.recovered_from is not None
        assert first.recovered_from != second.recovered_from
        assert first.recovered_from.read_bytes() == b"not a database"
        assert second.recovered_from.read_bytes() == b"still not a database"


def test_damaged_pages_are_moved_aside(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "outbox.sqlite3"
    with Store(path, clock=clock) as store:
        bulk_entries(store, 200)
    size = path.stat().st_size
    assert size > 8 * 4096
    with open(path, "r+b") as handle:  # keep the header, smash the b-tree pages
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))
    with Store(path, clock=clock) as store:
        assert store.recovered_from is not None
        assert store.count_entries() == 0


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer") as info:
        Store(path)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_closed_store_refuses_work(store_path: Path) -> None:
    store = Store(store_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_entries()


def test_recover_leaves_a_running_process_alone(tmp_path: Path) -> None:
    """A second instance must not call the first one's in-flight send 'unknown'."""
    path = tmp_path / "outbox.sqlite3"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from smartlead_tui.outbox.store import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "e = store.create_entry(thread_key='1:s', fingerprint='f', fields={'body': 'b'},\n"
        "                       endpoint='/x', request_body={'emailBody': 'b'})\n"
        "store.transition(e.id, 'sending')\n"
        "print('sending', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "sending\n"
        with Store(path) as second:
            busy = second.recover()
            assert busy.skipped_busy
            assert (busy.interrupted, busy.held, busy.drafts) == ([], [], [])
            assert [e.state for e in second.list_entries()] == ["sending"]
    finally:
        proc.kill()
        proc.wait(timeout=30)
    with Store(path) as reopened:  # the first one is gone: now it is recovered
        recovery = reopened.recover()
        assert not recovery.skipped_busy
        assert [e.state for e in recovery.interrupted] == ["unknown"]


def test_two_stores_in_one_process_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    with Store(path) as first:
        with Store(path) as second:
            assert second.recover().skipped_busy
        assert not first.recover().skipped_busy
