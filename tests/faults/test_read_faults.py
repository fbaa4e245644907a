"""Reading under faults: the inbox, a thread, and the outbox's status checks.

Reads may be retried (a query changes nothing), a bounded number of times; what cannot be
retried away is said on screen in words, with the way out (retry countdown, ctrl+r, r). The
server can also vanish mid-session and come back on the same port: the app says so, stays
usable, and picks up again. No drill here ever makes a send POST.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from textual.message import Message
from textual.pilot import Pilot

from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.screens.inbox import InboxScreen
from smartlead_tui.tui.screens.outbox import OutboxScreen
from smartlead_tui.tui.screens.thread import ThreadScreen
from smartlead_tui.tui.tracking import TrackingStateChanged
from smartlead_tui.tui.widgets.budget_meter import BudgetMeter
from smartlead_tui.tui.widgets.inbox_state import InboxPlaceholder
from smartlead_tui.tui.widgets.message_view import MessageCard
from smartlead_tui.tui.widgets.status_table import RowView, StatusTable
from tests.faults import (
    DRILL_KEY,
    SEND_PATH,
    SIZE,
    DrillSandbox,
    assert_key_hidden,
    make_app,
    notes,
    static_text,
    wait_for,
)

INBOX_PATH = "/master-inbox/inbox-replies"
HISTORY_PATH = "/message-history"
STATUS_PATH = "/master-inbox/reply-status"
#: Reads need more room than sends: a normal inbox answer right after a slow one must fit in
#: the read timeout even on a loaded machine, or it is retried once more than the drill expects.
READ_SLOW_TIMEOUT = 1.5
READ_SLOW_DELAY = 3.0


def reads(server: DrillSandbox, path: str) -> list[Any]:
    return [r for r in server.requests if path in r.path]


def placeholder(screen: InboxScreen) -> str:
    return str(screen.query_one(InboxPlaceholder).render())


async def inbox_shown(pilot: Pilot[Any]) -> InboxScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    return screen


async def inbox_loaded(pilot: Pilot[Any]) -> InboxScreen:
    screen = await inbox_shown(pilot)
    await wait_for(pilot, lambda: screen.table.row_count == 20 and not screen.busy)
    assert screen.error is None and not screen.has_class("placeholder")
    return screen


# -- the inbox -------------------------------------------------------------------------------------


class ReadFault(NamedTuple):
    kind: str
    times: int
    retry_after: float | None
    title: str | None  # None: the read recovers by itself, nothing to say
    words: str


INBOX_FAULTS: dict[str, ReadFault] = {
    "401": ReadFault("401", 1, None, "API key rejected", "SmartLead rejected the API key (401)"),
    "404": ReadFault(
        "404", 1, None, "SmartLead's answer was not usable", "nothing to list the inbox (404)"
    ),
    "422": ReadFault(
        "422", 1, None, "SmartLead's answer was not usable", "refused to list the inbox (422)"
    ),
    "429+retry-after": ReadFault("429", 1, 1.0, None, ""),
    "429": ReadFault(
        "429", 4, None, "SmartLead is rate limiting us", "rate limiting requests (429)"
    ),
    "500": ReadFault("500", 4, None, "SmartLead had a server error", "server error (500)"),
    "slow": ReadFault("slow", 1, None, None, ""),
    "drop": ReadFault("drop", 4, None, "SmartLead unreachable", "connection to 127.0.0.1 dropped"),
    "non-json": ReadFault(
        "non-json", 1, None, "SmartLead's answer was not usable", "was not JSON (text/html"
    ),
    "success-false": ReadFault(
        "success-false", 1, None, "SmartLead's answer was not usable", "no list of conversations"
    ),
}
INBOX_DRILLS = {
    "401": "inbox: 401",
    "404": "inbox: 404",
    "422": "inbox: 422",
    "429+retry-after": "inbox: 429 with Retry-After (waits, then loads)",
    "429": "inbox: 429 without Retry-After, every retry",
    "500": "inbox: 500 on every retry",
    "slow": "inbox: slow answer (retried, loads)",
    "drop": "inbox: dropped connection on every retry",
    "non-json": "inbox: non-JSON body",
    "success-false": "inbox: 200 with success=false",
}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=n, marks=pytest.mark.drill(INBOX_DRILLS[n])) for n in INBOX_FAULTS],
)
@pytest.mark.usefixtures("still_countdown")
async def test_inbox_under_fault(server: DrillSandbox, tmp_path: Path, name: str) -> None:
    fault = INBOX_FAULTS[name]
    server.add_fault(
        fault.kind,
        path=INBOX_PATH,
        times=fault.times,
        retry_after=fault.retry_after,
        delay=READ_SLOW_DELAY,
    )
    timeout = READ_SLOW_TIMEOUT if fault.kind == "slow" else 5.0
    app = make_app(server, tmp_path, home="inbox", read_timeout_seconds=timeout)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await inbox_shown(pilot)
        if fault.title is None:
            # Retried by the client (once), then loaded: nothing for the person to do.
            await inbox_loaded(pilot)
            tries = reads(server, INBOX_PATH)
            assert [r.fault for r in tries] == [fault.kind, None]
            if fault.retry_after:
                gap = (tries[1].time - tries[0].time).total_seconds()
                assert gap >= fault.retry_after - 0.1, f"Retry-After not honoured ({gap:.2f} s)"
        else:
            await wait_for(pilot, lambda: screen.error is not None and not screen.busy)
            text = placeholder(screen)
            assert fault.title in text and fault.words in text, text
            assert "Traceback" not in app.export_screenshot()
            if fault.kind == "401":
                assert "Fix the key, then press ctrl+r" in text
                assert screen._retry_timer is None  # a rejected key is not retried
            else:
                assert "retrying in 8 s" in text and "Press ctrl+r to retry now" in text
            assert len(reads(server, INBOX_PATH)) == fault.times  # bounded retries
            assert_key_hidden(app)
            # Usable: ctrl+r now (the fault has passed) loads the inbox.
            await pilot.press("ctrl+r")
            await inbox_loaded(pilot)
        assert_key_hidden(app)
    assert server.posts(SEND_PATH) == []


@pytest.mark.drill("server gone mid-session, then back on the same port")
async def test_server_gone_mid_session_and_back(server: DrillSandbox, tmp_path: Path) -> None:
    port = server.port
    app = make_app(server, tmp_path, home="inbox")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await inbox_loaded(pilot)
        server.vanish()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.error is not None and not screen.busy)
        text = placeholder(screen)
        assert "SmartLead unreachable — retrying in" in text, text
        assert "connection refused" in text and "Press ctrl+r to retry now" in text
        # Still usable: the outbox (local) opens and closes; views switch without a crash.
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen) and app.screen.loaded)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("2")
        await wait_for(pilot, lambda: screen.error is not None and not screen.busy)
        assert "SmartLead unreachable" in placeholder(screen)
        assert_key_hidden(app)

        # The server comes back on the same address: the next load (a view key) just works.
        revived = DrillSandbox(port=port, api_key=DRILL_KEY).start()
        try:
            await pilot.press("1")
            await inbox_loaded(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
            thread = app.screen
            assert isinstance(thread, ThreadScreen)
            await wait_for(pilot, lambda: thread.history_fresh)
            assert_key_hidden(app)
        finally:
            revived.stop()
    assert revived.posts(SEND_PATH) == [] and server.posts(SEND_PATH) == []


# -- a thread --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        pytest.param(
            "500", "server error (500)", id="500", marks=pytest.mark.drill("thread: 500, every try")
        ),
        pytest.param(
            "non-json",
            "was not JSON (text/html, HTTP 200)",
            id="non-json",
            marks=pytest.mark.drill("thread: non-JSON body"),
        ),
    ],
)
async def test_thread_under_fault(
    server: DrillSandbox, tmp_path: Path, kind: str, words: str
) -> None:
    server.add_fault(kind, path=HISTORY_PATH, times=4)
    app = make_app(server, tmp_path, home="inbox")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await inbox_loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        assert isinstance(thread, ThreadScreen)
        await wait_for(pilot, lambda: thread.error is not None)
        status = static_text(thread, "#thread-status")
        assert "Could not read the thread" in status and words in status, status
        assert "Showing the inbox's copy" in status
        # Nothing lost from view: the inbox's copy of the conversation is on screen.
        assert len(thread.query(MessageCard)) == len(thread.conversation.history) > 0
        assert_key_hidden(app)
        server.clear_faults()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: thread.history_fresh and thread.error is None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
    assert server.posts(SEND_PATH) == []


# -- the outbox's status checks --------------------------------------------------------------------


class StatusFault(NamedTuple):
    kind: str
    times: int
    retry_after: float | None
    words: str  # what the panel says (banner, budget meter or the reply's row)
    completes: bool = True  # the reply still reaches COMPLETED within the drill


STATUS_FAULTS: dict[str, StatusFault] = {
    "401": StatusFault("401", 1, None, "Status checks stopped"),
    "404": StatusFault("404", 1, None, "not visible yet (404)"),
    "422": StatusFault("422", 1, None, "(422)"),
    "429+retry-after": StatusFault("429", 1, 2.0, "paused"),  # the budget meter
    # Every retry limited and no Retry-After: checks pause for the policy's 30 s.
    "429": StatusFault("429", 4, None, "(429); slowing down", completes=False),
    "500": StatusFault("500", 4, None, "server error (500)"),
    "slow": StatusFault("slow", 4, None, "did not answer within 1.5 s"),
    "drop": StatusFault("drop", 4, None, "dropped"),
    "non-json": StatusFault("non-json", 1, None, "was not JSON"),
}
STATUS_DRILLS = {
    "401": "status checks: 401 (stop, say so, r resumes)",
    "404": "status checks: 404 (not visible yet)",
    "422": "status checks: 422",
    "429+retry-after": "status checks: 429 with Retry-After (pause)",
    "429": "status checks: 429 without Retry-After, every retry",
    "500": "status checks: 500 on every retry",
    "slow": "status checks: slow answers",
    "drop": "status checks: dropped connections",
    "non-json": "status checks: non-JSON body",
}


def record_tracking_notices(app: SmartleadApp, seen: list[str]) -> None:
    """Add the tracker's app-wide notices ("Status checks stopped", "paused 30 s (429)") to
    `seen`: the banner can change again before a poll would read it."""
    post = app.tracking._post

    def recording(message: Message) -> None:
        if isinstance(message, TrackingStateChanged):
            seen.append(message.text)
        post(message)

    app.tracking._post = recording  # type: ignore[method-assign]


def record_meter(app: SmartleadApp, meter: BudgetMeter, seen: list[str]) -> None:
    """Add every line the budget meter shows to `seen`, redrawn the moment a pause starts.

    A 429 with Retry-After is absorbed by the client (it waits in the shared budget, then
    retries), so no tracker notice or row message mentions it: only the meter says "paused",
    and it redraws once a second, which a 2 s pause on a loaded machine can fall between.
    Redrawing when the budget is paused records what the meter shows during the pause.
    """
    update = meter.update

    def recording(content: Any = "", **kwargs: Any) -> None:
        seen.append(str(content))
        update(content, **kwargs)

    meter.update = recording  # type: ignore[method-assign]
    budget = app.client.budget  # the one the meter reads (created now, used by the tracker)
    pause = budget.pause

    def pausing(seconds: float, now: float | None = None) -> None:
        pause(seconds, now)
        meter.refresh_meter()

    budget.pause = pausing  # type: ignore[method-assign]


def outbox_text(app: SmartleadApp, entry_id: int) -> str:
    screen = app.screen
    assert isinstance(screen, OutboxScreen)
    cells = screen.query_one(StatusTable).cell_texts(entry_id)
    banner = str(screen.query_one("#outbox-banner").render())
    meter = str(screen.query_one(BudgetMeter).render())
    return " | ".join([banner, meter, *cells.values()])


def record_row_messages(table: StatusTable) -> list[str]:
    """Every status message the table is given for a row, in order.

    An error shows only until the next check succeeds (a fraction of a second here): the drill
    reads what was put on screen, rather than hoping to poll at the right moment.
    """
    seen: list[str] = []
    upsert = table.upsert

    def recording(view: RowView) -> bool:
        seen.append(f"{view.status} {view.message}")
        return upsert(view)

    table.upsert = recording  # type: ignore[method-assign]
    return seen


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=n, marks=pytest.mark.drill(STATUS_DRILLS[n])) for n in STATUS_FAULTS],
)
async def test_status_checks_under_fault(server: DrillSandbox, tmp_path: Path, name: str) -> None:
    fault = STATUS_FAULTS[name]
    sent = server.seed.first_sent()
    timeout = READ_SLOW_TIMEOUT if fault.kind == "slow" else 5.0
    app = make_app(server, tmp_path, read_timeout_seconds=timeout)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # The panel is open and recording before the reply is tracked: a one-off error can be
        # cleared by the next check before a late-opening panel would ever see it.
        app.open_outbox()
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen) and app.screen.loaded)
        screen = app.screen
        table = screen.query_one(StatusTable)
        shown = record_row_messages(table)
        record_tracking_notices(app, shown)
        record_meter(app, screen.query_one(BudgetMeter), shown)
        server.add_fault(
            fault.kind,
            path=STATUS_PATH,
            times=fault.times,
            retry_after=fault.retry_after,
            delay=READ_SLOW_DELAY,
        )
        entry = app.store.add_tracked_message(sent.message_id, lead_label="[b]Ann[/b] <a@x.io>")
        app.tracking.entry_changed(entry.id)
        await wait_for(pilot, lambda: table.has_row(entry.id))
        await wait_for(
            pilot,
            lambda: (
                fault.words in outbox_text(app, entry.id) or any(fault.words in m for m in shown)
            ),
            timeout=20,
        )
        assert "Traceback" not in app.export_screenshot()
        assert_key_hidden(app)
        if fault.kind == "401":
            assert "Fix the key, then press r" in outbox_text(app, entry.id)
            assert "API key" in notes(app)
            count = len(reads(server, STATUS_PATH))
            await pilot.pause(0.5)
            assert len(reads(server, STATUS_PATH)) == count  # stopped: no polling
            table.focus()
            await pilot.press("r")  # check again (the key is fine now)
        elif fault.kind == "422":
            table.focus()
            await pilot.press("r")  # a rejected lookup waits for the person
        elif not fault.completes:
            count = len(reads(server, STATUS_PATH))
            assert count == fault.times  # the client's bounded retries, then a pause
            meter = screen.query_one(BudgetMeter)
            await wait_for(pilot, lambda: "s (429)" in str(meter.render()), timeout=10)
            # "paused 30 s (429)", then 29...: the policy's pause, not another quick retry.
            assert re.search(r"paused (30|2\d) s \(429\)", str(meter.render()))
            await pilot.pause(0.3)
            assert len(reads(server, STATUS_PATH)) == count  # the pause is honoured
            await pilot.press("escape")  # usable: back to where we came from
            assert not isinstance(app.screen, OutboxScreen)
        if fault.completes:
            # Whatever happened, the reply is still there and gets to its real status.
            await wait_for(
                pilot, lambda: "delivered" in table.cell_texts(entry.id)["state"], timeout=25
            )
            assert "[b]Ann[/b]" in table.cell_texts(entry.id)["lead"]  # markup shown as typed
        assert len(app.store.list_entries()) == 1
        assert_key_hidden(app)
    assert server.posts(SEND_PATH) == []
    if fault.kind == "429" and fault.retry_after:
        tries = [r for r in reads(server, STATUS_PATH) if r.fault is None]
        limited = next(r for r in reads(server, STATUS_PATH) if r.fault == "429")
        gap = (tries[0].time - limited.time).total_seconds()
        assert gap >= fault.retry_after - 0.1, f"Retry-After not honoured ({gap:.2f} s)"
