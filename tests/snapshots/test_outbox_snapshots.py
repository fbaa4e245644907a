"""The status panel at 80x24 and 120x40: empty, mixed states, and with errors.

Deterministic by construction: the store is filled beforehand with a fixed clock, the panel gets
the same fixed clock (times shown are "today"), and the tracking driver is disabled, so nothing
changes while the snapshot is taken and no network is touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.events import Mount
from textual.pilot import Pilot

from smartlead_tui.config import Settings
from smartlead_tui.outbox.store import Store
from smartlead_tui.tui import app as app_module
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.outbox import OutboxScreen
from smartlead_tui.tui.tracking import TrackingDriver

NOW = datetime(2026, 3, 12, 12, 0, 0, tzinfo=UTC)
SIZES = [(80, 24), (120, 40)]


def fixed_clock() -> float:
    return NOW.timestamp()


class PanelApp(SmartleadApp):
    """The real app showing only the panel, with a driver that never polls."""

    CSS_PATH = str(
        Path(app_module.__file__).parent / "app.tcss"
    )  # relative paths follow subclasses

    def __init__(self, store_path: Path) -> None:
        settings = dataclasses.replace(
            Settings(),
            api_key="sandbox-key",
            api_key_source="demo",
            base_url="http://127.0.0.1:9/api/v1",
            timezone="UTC",
        )
        super().__init__(settings, demo=True, store_path=store_path)
        self.tracking = TrackingDriver(self, clock=fixed_clock, enabled=False, notify=False)

    def on_mount(self, event: Mount) -> None:
        event.prevent_default()  # not the home screen: the panel alone
        self.push_screen(OutboxScreen(clock=fixed_clock))


class StepClock:
    def __init__(self) -> None:
        self.now = NOW - timedelta(minutes=30)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now


def _entry(store: Store, n: int, lead: str, state: str = "held", **fields: Any) -> int:
    body = fields.pop("body", f"Reply number {n}: happy to talk on Tuesday.")
    entry = store.create_entry(
        thread_key=f"1204518:stats-{n}",
        fingerprint=f"fp-{n}",
        fields={
            "campaign_id": 1204518,
            "lead_id": 100 + n,
            "lead_label": lead,
            "campaign_name": fields.pop("campaign", "Q4 Fintech CFOs"),
            "body": body,
            **fields,
        },
        endpoint="/email-campaigns/send-email-thread",
        request_body={"campaignId": 1204518, "emailStatsId": f"stats-{n}", "emailBody": body},
        lead_label=lead,
        campaign_id=1204518,
        state=state,
        hold_until=NOW + timedelta(seconds=8) if state == "held" else None,
    )
    return entry.id


def _queued(store: Store, n: int, lead: str, **fields: Any) -> int:
    entry_id = _entry(store, n, lead, **fields)
    store.transition(entry_id, "sending")
    store.transition(entry_id, "queued", server_message="Email added to the queue")
    return entry_id


def fill_mixed(path: Path) -> None:
    with Store(path, clock=StepClock()) as store:
        done = _queued(store, 1, "José Núñez <jose@fintech.mx>")
        store.set_message_id(done, "<done-1@mail.outreach-acme.io>")
        store.record_status(
            done,
            status="COMPLETED",
            status_message="Email sent successfully!",
            event_time="2026-03-12T11:40:05.173Z",
            checked_at=NOW - timedelta(minutes=19),
        )
        queued = _queued(store, 2, "[VIP] Zoë Ångström <zoe@nordbank.se>", campaign="EU Banks")
        store.set_message_id(queued, "<queued-2@mail.outreach-acme.io>")
        store.record_status(
            queued,
            status="QUEUED",
            status_message="Email is queued for sending",
            checked_at=NOW - timedelta(seconds=20),
        )
        scheduled = _queued(
            store, 3, "Priya Raman <priya@ledgerly.io>", scheduled_time="2026-03-12T15:30:00+00:00"
        )
        store.set_message_id(scheduled, "<sched-3@mail.outreach-acme.io>")
        store.record_status(
            scheduled,
            status="SCHEDULED",
            status_message="Email is scheduled",
            scheduled_time="2026-03-12T15:30:00.000Z",
            checked_at=NOW - timedelta(minutes=2),
        )
        _queued(store, 4, "Ben Carter <ben@payflow.com>")  # waiting for its Message-ID
        sending = _entry(store, 5, "Chloé Dubois <chloe@caisse.fr>")
        store.transition(sending, "sending")
        unknown = _entry(store, 6, "Omar Haddad <omar@souk.ae>")
        store.transition(unknown, "sending")
        store.transition(unknown, "unknown", error="SmartLead did not answer within 20 s")
        _entry(store, 7, "Mia Wong <mia@hk-fin.com>")  # held
        bounced = _queued(store, 8, "Lars Berg <lars@nordic.no>")
        store.set_message_id(bounced, "<bounce-8@mail.outreach-acme.io>")
        store.record_status(
            bounced,
            status="BOUNCED",
            status_message="550 mailbox unavailable",
            event_time="2026-03-12T11:51:00.000Z",
            checked_at=NOW - timedelta(minutes=1),
        )


def fill_errors(path: Path) -> None:
    with Store(path, clock=StepClock()) as store:
        failed = _entry(store, 1, "José Núñez <jose@fintech.mx>")
        store.transition(failed, "sending")
        store.transition(
            failed,
            "send-failed",
            error="SmartLead refused to send the reply (400): cc must be comma-separated email "
            "addresses; invalid: 'bob@'. Nothing was sent.",
        )
        flaky = _queued(store, 2, "Zoë Ångström <zoe@nordbank.se>")
        store.set_message_id(flaky, "<flaky-2@mail.outreach-acme.io>")
        store.record_check_error(
            flaky,
            "SmartLead had a server error (500) while trying to look up reply "
            "<flaky-2@mail.outreach-acme.io>: ER_LOCK_DEADLOCK.",
            checked_at=NOW - timedelta(seconds=40),
        )
        lost = store.add_tracked_message("<pasted-3@mail.example.com>")
        store.record_check_error(
            lost.id,
            "not found: no reply with this Message-ID after 2 min",
            checked_at=NOW - timedelta(minutes=3),
        )


def _run_before(problem: str | None = None) -> Callable[[Pilot[Any]], Any]:
    async def wait_loaded(pilot: Pilot[Any]) -> None:
        app = pilot.app
        for _ in range(200):
            if isinstance(app.screen, OutboxScreen) and app.screen.loaded:
                break
            await pilot.pause(0.02)
        if problem is not None:
            app.tracking._set_problem(problem)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.pause(0.2)  # let focus settle: the footer's keys depend on it
        await pilot.pause()

    return wait_loaded


@pytest.mark.parametrize("size", SIZES)
def test_outbox_empty(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = PanelApp(tmp_path / "outbox.sqlite3")
    assert snap_compare(app, terminal_size=size, run_before=_run_before())


@pytest.mark.parametrize("size", SIZES)
def test_outbox_mixed_states(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    fill_mixed(tmp_path / "outbox.sqlite3")
    app = PanelApp(tmp_path / "outbox.sqlite3")
    assert snap_compare(app, terminal_size=size, run_before=_run_before())


@pytest.mark.parametrize("size", SIZES)
def test_outbox_errors(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    fill_errors(tmp_path / "outbox.sqlite3")
    app = PanelApp(tmp_path / "outbox.sqlite3")
    problem = (
        "Status checks stopped: SmartLead rejected the API key (401). "
        "Check it with `smartlead-tui config`."
    )
    assert snap_compare(app, terminal_size=size, run_before=_run_before(problem))


def test_outbox_filtered_to_problems(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fill_mixed(tmp_path / "outbox.sqlite3")
    app = PanelApp(tmp_path / "outbox.sqlite3")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_run_before(), press=["f"] * 3)


def test_outbox_detail(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fill_mixed(tmp_path / "outbox.sqlite3")
    app = PanelApp(tmp_path / "outbox.sqlite3")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_run_before(), press=["enter"])
