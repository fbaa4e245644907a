"""The live status panel in the real app, against the sandbox over loopback HTTP."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from smartlead_tui.api.models import ReplyDraft
from smartlead_tui.config import Settings
from smartlead_tui.outbox.store import OutboxEntry, Store, thread_key
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.outbox import OutboxScreen, TrackMessageIdScreen
from smartlead_tui.tui.screens.outbox_detail import OutboxDetailScreen, resend_prefill
from smartlead_tui.tui.tracking import TrackingDriver, tracking_driver
from smartlead_tui.tui.widgets.outbox_summary import OutboxSummary, summary_text
from smartlead_tui.tui.widgets.status_table import RowView, StatusTable


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


def fast_settings(server: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "poll_interval_seconds": 0.2,
        "poll_backoff_cap_seconds": 1.0,
        "not_found_grace_seconds": 5.0,
        "timezone": "UTC",
    }
    values.update(overrides)
    return dataclasses.replace(Settings(), **values)


def make_app(server: SandboxServer, tmp_path: Path, **overrides: Any) -> SmartleadApp:
    return SmartleadApp(
        fast_settings(server, **overrides), demo=True, store_path=tmp_path / "outbox.sqlite3"
    )


def new_entry(
    store: Store, server: SandboxServer, body: str, *, ref_index: int = 0, state: str = "held"
) -> tuple[OutboxEntry, ReplyDraft]:
    """What the compose screen will write: the draft's fields as a held entry."""
    ref = server.seed.all_replies()[ref_index]
    draft = ReplyDraft(
        campaign_id=ref.campaign_id,
        email_stats_id=ref.stats_id,
        body=body,
        to_email=ref.from_email,
    )
    path, payload = draft.to_payload()
    lead = server.seed.lead(ref.lead_id)
    label = f"{lead.full_name} <{ref.from_email}>"
    entry = store.create_entry(
        thread_key=thread_key(ref.campaign_id, ref.stats_id),
        fingerprint=draft.fingerprint(),
        fields={
            "campaign_id": ref.campaign_id,
            "email_stats_id": ref.stats_id,
            "lead_id": ref.lead_id,
            "lead_label": label,
            "campaign_name": server.seed.campaign(ref.campaign_id).name,
            "body": body,
            "to_email": ref.from_email,
            "subject": "[URGENT] Re: pricing",
        },
        endpoint=path,
        request_body=payload,
        lead_label=label,
        campaign_id=ref.campaign_id,
        state=state,
    )
    return entry, draft


def row_texts(app: SmartleadApp, entry_id: int) -> dict[str, str]:
    return app.screen.query_one(StatusTable).cell_texts(entry_id)


def record_row_cells(table: StatusTable, entry_id: int) -> list[tuple[str, str]]:
    """(state, message) as shown at 80 columns, for every update of one row, in order.

    Consecutive repeats are dropped; the table is wrapped, so no step is missed however late
    a test looks.
    """
    seen: list[tuple[str, str]] = []
    upsert = table.upsert

    def recording(view: RowView) -> bool:
        added = upsert(view)
        if view.entry_id == entry_id:
            cells = {
                key: cell.text
                for (key, _, _), cell in zip(table.layout_columns, table.cells(view), strict=True)
            }
            step = (cells["state"], cells["message"])
            if not seen or seen[-1] != step:
                seen.append(step)
        return added

    table.upsert = recording  # type: ignore[method-assign]
    return seen


async def wait_for(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def tracking_idle(app: SmartleadApp) -> bool:
    """No status check is running (one started earlier has had its answer)."""
    worker = tracking_driver(app)._worker
    return worker is None or not worker.is_running


async def open_outbox(app: SmartleadApp, pilot: Pilot[Any]) -> OutboxScreen:
    app.open_outbox()
    await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen) and app.screen.loaded)
    screen = app.screen
    assert isinstance(screen, OutboxScreen)
    return screen


async def test_a_sent_reply_goes_from_queued_to_completed_on_screen(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        bells: list[bool] = []
        app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
        tracking_driver(app).bell = True  # config notify_bell = true
        store = app.store
        entry, draft = new_entry(store, server, "Tuesday 10:00 works. [agenda] attached.")
        screen = await open_outbox(app, pilot)
        table = screen.query_one(StatusTable)
        assert row_texts(app, entry.id)["state"] == "‖ held"
        row_object = table.rows[str(entry.id)]  # type: ignore[index]
        # Every row update the panel makes, recorded before the send starts: sampling the
        # screen could miss the short "queued, no status yet" step on a loaded machine.
        seen = record_row_cells(table, entry.id)

        # The sender's steps, through the app's shared client, as compose will do them.
        store.transition(entry.id, "sending")
        await wait_for(pilot, lambda: row_texts(app, entry.id)["state"] == "↑ sending")
        result = await app.client.send_reply(draft)
        store.transition(entry.id, "queued", server_message=result.server_message)

        await wait_for(pilot, lambda: row_texts(app, entry.id)["state"] == "✓ delivered")
        steps = [step for step in seen if step[0] != "↑ sending"]
        # Queued with no SmartLead status yet (which waiting step is caught depends on timing).
        assert steps[0][0] == "• queued", steps
        assert steps[0][1] in (
            "waiting for Message-ID",
            "waiting for the first check",
            "not visible yet (404)",
        ), steps
        # One state, not "queued … COMPLETED": SmartLead's status is in the detail view.
        assert steps[-1] == ("✓ delivered", "Email sent successfully!"), steps
        cells = row_texts(app, entry.id)
        assert cells["lead"].startswith("José") and cells["campaign"] == "Q4 Fintech CFOs"
        assert cells["when"] != "—"  # when it was delivered
        # Updated in place: same row object, no rebuild, one row.
        assert table.rows[str(entry.id)] is row_object and table.row_count == 1  # type: ignore[index]
        assert any("Delivered" in n.message for n in app._notifications)
        assert bells == [True]
        assert store.get_entry(entry.id).message_id


async def test_sort_and_filter_keys(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        store = app.store
        held, _ = new_entry(store, server, "held one", ref_index=2)
        failed, _ = new_entry(store, server, "failed one", ref_index=1)
        store.transition(failed.id, "sending")
        store.transition(failed.id, "send-failed", error="SmartLead refused (400): bad cc")
        done = store.add_tracked_message(server.seed.first_sent().message_id)
        screen = await open_outbox(app, pilot)
        table = screen.query_one(StatusTable)
        await wait_for(pilot, lambda: row_texts(app, done.id)["status"] == "✓ COMPLETED")

        def order() -> list[int]:
            return [int(key.value) for key in table._row_locations]  # type: ignore[arg-type]

        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)] == [
            str(done.id),
            str(failed.id),
            str(held.id),
        ]
        await pilot.press("s")  # oldest
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == str(held.id)
        await pilot.press("s")  # state: held first, send-failed after queued
        keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(3)]
        assert keys == [str(held.id), str(done.id), str(failed.id)]
        assert "sort: state" in str(screen.query_one("#outbox-view").render())

        await pilot.press("f")  # in flight
        assert table.row_count == 1 and table.has_row(held.id)
        await pilot.press("f")  # delivered
        assert table.row_count == 1 and table.has_row(done.id)
        await pilot.press("f")  # problems
        assert table.row_count == 1 and table.has_row(failed.id)
        assert "bad cc" in row_texts(app, failed.id)["message"]
        await pilot.press("f", "f")  # held, then sending: nothing
        assert not table.display
        assert "No reply matches the filter 'sending'" in str(
            screen.query_one("#outbox-empty").render()
        )
        await pilot.press("a")
        assert table.row_count == 3 and "filter: all" in str(
            screen.query_one("#outbox-view").render()
        )
        assert order()  # rows are there
        table.focus()
        await pilot.press("j")  # as in the inbox, j/k move through the rows
        assert table.cursor_row == 1
        await pilot.press("k")
        assert table.cursor_row == 0


async def test_track_a_pasted_message_id_and_reject_a_malformed_one(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_outbox(app, pilot)
        assert "Nothing in the outbox yet" in str(screen.query_one("#outbox-empty").render())
        await pilot.press("t")
        assert isinstance(app.screen, TrackMessageIdScreen)
        await pilot.press(*"not-an-id", "enter")
        assert isinstance(app.screen, TrackMessageIdScreen)
        error = str(app.screen.query_one("#track-error").render())
        assert "is not a Message-ID" in error and "Nothing was added" in error
        assert app.store.count_entries() == 0

        said: list[str] = []  # toasts of a kind replace each other: record each one shown
        notify = app.notify
        app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))[1]
        sent = server.seed.first_sent().message_id
        field = app.screen.query_one("#track-input")
        field.value = f"Message-ID: {sent.strip('<>')}"  # a header line, no brackets
        await pilot.press("enter")
        assert app.screen is screen
        entry = app.store.find_by_message_id(sent)
        assert entry is not None
        await wait_for(pilot, lambda: screen.query_one(StatusTable).has_row(entry.id))
        await wait_for(pilot, lambda: row_texts(app, entry.id)["state"] == "✓ delivered")
        assert any(message.startswith("Tracking") for message in said)


async def test_detail_view_shows_the_timeline_and_copies_the_message_id(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        store = app.store
        entry, draft = new_entry(store, server, "Detail view body")
        store.transition(entry.id, "sending")
        await app.client.send_reply(draft)
        store.transition(entry.id, "queued", server_message="Email added to the queue")
        screen = await open_outbox(app, pilot)
        await wait_for(pilot, lambda: row_texts(app, entry.id)["state"] == "✓ delivered")
        screen.query_one(StatusTable).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, OutboxDetailScreen)
        detail = app.screen
        timeline = str(detail.query_one("#detail-timeline").render())
        for step in ("held", "sending", "queued", "message id found", "QUEUED", "COMPLETED"):
            assert step in timeline
        summary = str(detail.query_one("#detail-summary").render())
        assert "[URGENT] Re: pricing" in summary  # markup off: the bracket survives
        request = str(detail.query_one("#detail-request").render())
        assert "Detail view body" in request and server.api_key not in request
        assert "emailStatsId" in request
        await pilot.press("c")
        assert app.clipboard == store.get_entry(entry.id).message_id
        await pilot.press("escape")
        assert app.screen is screen


async def test_stop_tracking_and_check_now(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path, not_found_grace_seconds=600.0)
    async with app.run_test(size=(80, 24)) as pilot:
        entry = app.store.add_tracked_message("<never-there@x.example>")
        screen = await open_outbox(app, pilot)
        await wait_for(pilot, lambda: "not visible yet" in row_texts(app, entry.id)["message"])
        screen.query_one(StatusTable).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: row_texts(app, entry.id)["message"] == "tracking stopped")
        assert not app.store.get_entry(entry.id).tracking
        await wait_for(pilot, lambda: tracking_idle(app))  # a check already out has landed
        before = len(server.requests)
        await pilot.pause(0.6)
        assert len(server.requests) == before


async def test_a_rejected_key_stops_checks_and_the_banner_says_why(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path, api_key="wrong-key")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.store.add_tracked_message("<some@x.example>")
        screen = await open_outbox(app, pilot)
        banner = screen.query_one("#outbox-banner")
        await wait_for(pilot, lambda: banner.has_class("-shown"))
        text = str(banner.render())
        assert "Status checks stopped" in text and "401" in text and "press r" in text
        assert any("API key" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: tracking_idle(app))  # a check already out has landed
        count = len(server.requests)
        await pilot.pause(0.6)
        assert len(server.requests) == count  # no more polling


async def test_compose_summary_line_counts_the_outbox(
    server: SandboxServer, tmp_path: Path
) -> None:
    assert summary_text(
        held=1, sending=0, in_flight=2, unknown=0, failed=1, delivered=3, key_hint="ctrl+o"
    ) == ("Outbox: ‖ 1 held · • 2 in flight · ✗ 1 failed · ✓ 3 delivered (ctrl+o opens it)")
    assert summary_text(held=0, sending=0, in_flight=0, unknown=0, failed=0, delivered=0) == (
        "Outbox: empty"
    )
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        summary = OutboxSummary()
        await app.screen.mount(summary)
        assert str(summary.render()) == "Outbox: empty"
        entry, _ = new_entry(app.store, server, "counted")
        tracking_driver(app).entry_changed(entry.id)
        await wait_for(pilot, lambda: str(summary.render()) == "Outbox: ‖ 1 held")


async def test_resend_needs_a_body_and_drops_the_old_schedule(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        pasted = app.store.add_tracked_message("<by-hand@x.example>")
        await open_outbox(app, pilot)
        app.push_screen(OutboxDetailScreen(pasted.id))
        await pilot.pause()
        request = str(app.screen.query_one("#detail-request").render())
        assert "added by hand" in request
        await pilot.press("n")
        assert any("Nothing to resend" in n.message for n in app._notifications)
        assert isinstance(app.screen, OutboxDetailScreen)

    with Store(tmp_path / "other.sqlite3") as other:
        entry, _ = new_entry(other, server, "Again please")
    fields = dict(entry.fields, scheduled_time="2026-03-12T15:30:00+00:00", schedule_text="3pm")
    prefill = resend_prefill(dataclasses.replace(entry, fields=fields))
    assert prefill is not None and prefill["body"] == "Again please"
    assert "scheduled_time" not in prefill and "schedule_text" not in prefill


async def test_new_settings_give_the_tracker_the_new_client(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path, api_key="wrong-key")
    async with app.run_test(size=(80, 24)) as pilot:
        entry = app.store.add_tracked_message(server.seed.first_sent().message_id)
        screen = await open_outbox(app, pilot)
        driver = tracking_driver(app)
        await wait_for(pilot, lambda: driver.halted is not None)
        await app.apply_settings(fast_settings(server), demo=True)  # the key was fixed
        await wait_for(pilot, lambda: row_texts(app, entry.id)["state"] == "✓ delivered")
        assert driver.tracker is not None and driver.tracker.client is app.client
        assert not screen.query_one("#outbox-banner").has_class("-shown")


def test_tracking_driver_is_created_once_per_app(tmp_path: Path) -> None:
    app = SmartleadApp(Settings(), store_path=tmp_path / "o.sqlite3")
    driver = tracking_driver(app)
    assert isinstance(driver, TrackingDriver) and tracking_driver(app) is driver


async def test_wide_terminal_gives_lead_and_message_the_room(
    server: SandboxServer, tmp_path: Path
) -> None:
    """At 120 columns the layout fills the width; past it, names and messages stop being cut."""
    widths: dict[int, dict[str, int]] = {}
    for cols in (120, 200):
        app = make_app(server, tmp_path / str(cols))
        async with app.run_test(size=(cols, 30)) as pilot:
            app.store.add_tracked_message("<wide@x.example>")  # an empty outbox hides the table
            screen = await open_outbox(app, pilot)
            table = screen.query_one(StatusTable)
            await wait_for(pilot, lambda: table.size.width > 0)  # noqa: B023
            await pilot.pause()
            widths[cols] = {str(c.key.value): c.width for c in table.columns.values()}
    narrow, wide = widths[120], widths[200]
    assert sum(wide.values()) - sum(narrow.values()) == 80  # all the extra room is used
    assert wide["lead"] - narrow["lead"] == wide["message"] - narrow["message"] == 32
    assert wide["campaign"] - narrow["campaign"] == 16
    assert wide["state"] == narrow["state"] and wide["checked"] == narrow["checked"]
