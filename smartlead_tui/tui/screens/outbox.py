"""The live status panel: every reply, its local state and SmartLead's status, updated in place.

Rows come from the store once (in a thread: 10,000 entries take a quarter of a second to read)
and then change one cell at a time as the tracking driver reports results. Sorting reorders the
rows in place; only changing the filter rebuilds them.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from smartlead_tui.outbox.store import EntryNotFound
from smartlead_tui.tui.screens.resolve_unknown import ResolveCommands, resolve_selected
from smartlead_tui.tui.screens.track_message_id import TrackMessageIdScreen
from smartlead_tui.tui.tracking import (
    ReplyStatusChanged,
    TrackingDriver,
    TrackingStateChanged,
    tracking_driver,
)
from smartlead_tui.tui.widgets.budget_meter import BudgetMeter
from smartlead_tui.tui.widgets.key_footer import KeyFooter
from smartlead_tui.tui.widgets.status_table import FILTERS, SORTS, RowView, StatusTable

if TYPE_CHECKING:
    from datetime import tzinfo

    from smartlead_tui.outbox.store import OutboxEntry, Store

__all__ = ["OutboxScreen", "TrackMessageIdScreen"]  # the modal lives in track_message_id

#: Rows read and shown before the rest: a screenful or two, newest first.
FIRST_PAGE = 200
#: Rows added per frame while the rest loads (about 40 ms of work each).
CHUNK = 1000
#: From this many rows on, the loaded rows are frozen for the garbage collector (see
#: `OutboxScreen._freeze_rows`).
FREEZE_FROM = 2000

EMPTY_TEXT = (
    "Nothing in the outbox yet.\n\n"
    "Replies you send appear here and are followed until SmartLead reports COMPLETED.\n"
    "Press t to follow any Message-ID (paste it from the email's headers)."
)


class OutboxScreen(Screen[None]):
    """One row per reply; letters act on the table (no text input lives on this screen)."""

    #: The app-wide action that leads here: hidden from the footer while here.
    NAV_ACTION = "open_outbox"

    DEFAULT_CSS = """
    OutboxScreen #outbox-banner {
        display: none; height: auto; padding: 0 1;
        background: $error; color: $text; text-style: bold;
    }
    OutboxScreen #outbox-banner.-shown { display: block; }
    OutboxScreen #outbox-bar { height: 1; }
    OutboxScreen #outbox-view { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
    OutboxScreen #outbox-empty { display: none; height: auto; padding: 1 2; }
    OutboxScreen #outbox-empty.-shown { display: block; }
    OutboxScreen StatusTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="outbox.back"),
        Binding("s", "cycle_sort", "Sort", id="outbox.sort"),
        Binding("f", "cycle_filter", "Filter", id="outbox.filter"),
        Binding("a", "show_all", "Show all", id="outbox.show-all", show=False),
        # Not in the footer (80 columns): the empty outbox names it, and F1 lists it.
        Binding(
            "t",
            "track",
            "Track",
            id="outbox.track",
            tooltip="Track a pasted Message-ID",
            show=False,
        ),
        Binding("r", "check_now", "Check", id="outbox.check-now", tooltip="Check the status now"),
        Binding(
            "d", "stop_tracking", "Untrack", id="outbox.stop-tracking", tooltip="Stop tracking"
        ),
        Binding(
            "m",
            "resolve",
            "Resolve",
            id="outbox.resolve",
            tooltip="Say whether an unknown send went (sent / not sent)",
        ),
    ]
    COMMANDS: ClassVar[set[Any]] = {ResolveCommands}

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self._clock_override = clock
        self.filter_name = "all"
        #: every row is in the table (tests and the benchmark wait for this)
        self.loaded = False
        #: perf_counter times: the first page painted / every row added (the benchmark)
        self.first_page_at: float | None = None
        self.first_paint_at: float | None = None
        self.loaded_at: float | None = None
        self._loading = False
        self._frozen = False
        self._expected = 0
        self._generation = 0
        self._backlog: list[RowView] = []
        self._views: dict[int, RowView] = {}
        self._pending: set[int] = set()
        self.driver: TrackingDriver | None = None

    # -- building ----------------------------------------------------------------------------

    @property
    def clock(self) -> Callable[[], float]:
        if self._clock_override is not None:
            return self._clock_override
        return self.driver.clock if self.driver is not None else time.time

    def _tz(self) -> tzinfo:
        return self.app.timezone  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        self.driver = tracking_driver(self.app)
        yield Header()
        yield Static("", id="outbox-banner", markup=False)
        with Horizontal(id="outbox-bar"):
            yield Static("Loading the outbox…", id="outbox-view", markup=False)
            yield BudgetMeter(self.driver, id="outbox-budget")
        yield StatusTable(clock=self.clock, tz=self._tz(), id="outbox-table")
        yield Static(EMPTY_TEXT, id="outbox-empty", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Outbox"
        self.sub_title = "live status"
        assert self.driver is not None
        self.driver.subscribe(self)
        self.driver.start()
        self._update_banner()
        self.load_rows(self.app.store)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        if self.driver is not None:
            self.driver.unsubscribe(self)
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    @work(thread=True, exclusive=True, group="outbox-load", exit_on_error=False)
    def load_rows(self, store: Store) -> None:
        """Read entries off the event loop: the newest page first, so the panel is useful at
        once, then the rest, which the event loop adds in chunks between frames."""
        generation = self._generation
        total = store.count_entries()
        first = self._views_of(store.list_entries(limit=FIRST_PAGE))
        self.app.call_from_thread(self._show_first, generation, first, total)
        rest = self._views_of(store.list_entries(offset=FIRST_PAGE)) if total > FIRST_PAGE else []
        self.app.call_from_thread(self._show_rest, generation, rest)

    def _views_of(self, entries: list[OutboxEntry]) -> list[RowView]:
        driver = self.driver
        now = self.clock()
        return [
            RowView.from_entry(entry, driver.note_for(entry.id) if driver else None, now=now)
            for entry in entries
        ]

    def _current(self, generation: int) -> bool:
        """Results of this read still wanted: same store, screen still open."""
        return generation == self._generation and self.is_mounted

    def _show_first(self, generation: int, views: list[RowView], total: int) -> None:
        if not self._current(generation):
            return
        self._views = {view.entry_id: view for view in views}
        self._expected = total
        self._loading = True
        self._rebuild()
        self.first_page_at = time.perf_counter()
        self.call_after_refresh(self._note_first_paint)
        pending, self._pending = self._pending, set()
        for entry_id in pending:
            self._refresh_entry(entry_id)

    def _note_first_paint(self) -> None:
        self.first_paint_at = time.perf_counter()

    def _show_rest(self, generation: int, views: list[RowView]) -> None:
        if not self._current(generation):
            return
        for view in views:
            self._views.setdefault(view.entry_id, view)  # a live update may be fresher
        wanted = [v for v in views if v.matches(self.filter_name)]
        self._backlog = self.table.ordered(wanted) if self.table.sort_mode != "newest" else wanted
        self._append_chunk()

    def _append_chunk(self) -> None:
        """Add the next chunk of rows; the next one waits for a frame, so keys stay live."""
        if not self.is_mounted:
            return
        chunk, self._backlog = self._backlog[:CHUNK], self._backlog[CHUNK:]
        # Each row's latest view: it may have changed (even out of the filter) since it was read.
        latest = (self._views[v.entry_id] for v in chunk)
        self.table.append_rows(v for v in latest if v.matches(self.filter_name))
        if self._backlog:
            self._update_view_line()
            self.call_after_refresh(self._append_chunk)
            return
        self._loading = False
        self.table.resort(self._views)  # rows updated live while loading were added early
        self._update_view_line()
        self._freeze_rows()
        self.loaded = True
        self.loaded_at = time.perf_counter()

    def _freeze_rows(self) -> None:
        """Keep the garbage collector from re-scanning the rows on every full collection.

        10,000 rows are a few hundred thousand long-lived objects; each full collection walked
        them all (130-170 ms on a 2-core machine: a visible hitch while scrolling). Frozen
        objects are skipped until `gc.unfreeze()`, which `on_unmount` calls, so what the panel
        leaves behind is collected as usual once it closes.
        """
        if len(self._views) >= FREEZE_FROM and not self._frozen:
            gc.collect()
            gc.freeze()
            self._frozen = True

    @property
    def table(self) -> StatusTable:
        return self.query_one(StatusTable)

    def _rebuild(self) -> None:
        self._backlog = []  # a full rebuild includes every row read so far
        self.table.set_rows(v for v in self._views.values() if v.matches(self.filter_name))
        self._update_view_line()

    def _update_view_line(self) -> None:
        shown = self.table.row_count
        total = max(len(self._views), self._expected if self._loading else 0)
        noun = "reply" if total == 1 else "replies"
        what = f"{total} {noun}" if shown == total else f"{shown} of {total}"
        if self._loading:
            what += " (loading…)"
        self.query_one("#outbox-view", Static).update(
            f"{what} · filter: {self.filter_name} · sort: {self.table.sort_mode}"
        )
        empty = self.query_one("#outbox-empty", Static)
        if total == 0:
            empty.update(EMPTY_TEXT)
        elif shown == 0:
            empty.update(
                f"No reply matches the filter '{self.filter_name}'. Press a to show all, "
                "f for the next filter."
            )
        empty.set_class(shown == 0, "-shown")
        self.table.display = shown > 0
        # Focus decides the footer's keys: the table only while it has rows, so the footer
        # does not depend on when a hidden table happened to be focused.
        if shown == 0 and self.focused is self.table:
            self.set_focus(None)
        elif shown > 0 and self.focused is None:
            self.table.focus()

    def _update_banner(self) -> None:
        banner = self.query_one("#outbox-banner", Static)
        driver = self.driver
        text = (driver.halted or driver.problem) if driver is not None else None
        if text and driver is not None and driver.halted:
            text += " Fix the key, then press r to check again."
        banner.update(text or "")
        banner.set_class(bool(text), "-shown")

    # -- live updates ------------------------------------------------------------------------

    def on_reply_status_changed(self, message: ReplyStatusChanged) -> None:
        if self.first_page_at is None:
            self._pending.add(message.entry_id)
            return
        self._refresh_entry(message.entry_id)

    def on_tracking_state_changed(self, message: TrackingStateChanged) -> None:
        self._update_banner()

    def on_settings_changed(self, message: object) -> None:
        """Another account or demo/real mode: another store, so read every row again."""
        self._generation += 1
        self.loaded, self.first_page_at, self._backlog = False, None, []
        self._update_banner()
        self.load_rows(self.app.store)  # type: ignore[attr-defined]

    def _refresh_entry(self, entry_id: int) -> None:
        table = self.table
        try:
            entry = self.app.store.get_entry(entry_id)  # type: ignore[attr-defined]
        except EntryNotFound:
            self._views.pop(entry_id, None)
            table.remove_entry(entry_id)
            self._update_view_line()
            return
        note = self.driver.note_for(entry_id) if self.driver is not None else None
        view = RowView.from_entry(entry, note, now=self.clock())
        known = entry_id in self._views
        self._views[entry_id] = view
        if not view.matches(self.filter_name):
            table.remove_entry(entry_id)
        elif table.has_row(entry_id):
            table.upsert(view)  # in place: only the cells that changed
        elif known and self._loading:
            pass  # still in the loading backlog, which reads the latest view
        else:
            table.upsert(view)
            table.resort(self._views)  # a new row goes where the sort puts it
        self._update_view_line()
        if entry_id == self._selected():
            self.refresh_bindings()  # m / d follow the selected row's state

    # -- actions ---------------------------------------------------------------------------

    def _selected(self) -> int | None:
        if self.first_page_at is None or not self.table.display:
            return None
        return self.table.current_entry_id()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.notify("This is the first screen; ctrl+q quits.", markup=False)

    def action_cycle_sort(self) -> None:
        table = self.table
        table.sort_mode = SORTS[(SORTS.index(table.sort_mode) + 1) % len(SORTS)]
        if self.first_page_at is not None:
            table.resort(self._views)
        self._update_view_line()

    def action_cycle_filter(self) -> None:
        self.filter_name = FILTERS[(FILTERS.index(self.filter_name) + 1) % len(FILTERS)]
        if self.first_page_at is not None:
            self._rebuild()

    def action_show_all(self) -> None:
        if self.filter_name != "all":
            self.filter_name = "all"
            if self.first_page_at is not None:
                self._rebuild()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # m / d follow the selected row's state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show m only on an unknown row and d only on a tracked sent one: the footer keeps
        to what applies, and fits 80 columns."""
        if action not in ("resolve", "stop_tracking"):
            return True
        entry_id = self._selected()
        view = self._views.get(entry_id) if entry_id is not None else None
        if view is None:
            return False
        if action == "resolve":
            return view.state == "unknown"
        return view.state in ("queued", "unknown") and view.tracking

    def selected_unknown(self) -> OutboxEntry | None:
        """The selected entry when it is an unknown send (the palette's resolve command)."""
        entry_id = self._selected()
        view = self._views.get(entry_id) if entry_id is not None else None
        if view is None or view.state != "unknown":
            return None
        try:
            return self.app.store.get_entry(view.entry_id)  # type: ignore[attr-defined]
        except EntryNotFound:
            return None

    def action_resolve(self) -> None:
        entry = self.selected_unknown()
        if entry is None:
            self.notify("Select an unknown send to resolve it.", markup=False)
            return
        resolve_selected(self, entry, self.driver)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        entry_id = self._selected()
        if entry_id is None:
            return
        from smartlead_tui.tui.screens.outbox_detail import OutboxDetailScreen

        self.app.push_screen(OutboxDetailScreen(entry_id, clock=self._clock_override))

    def action_track(self) -> None:
        self.app.push_screen(TrackMessageIdScreen(), self._track_ids)

    def _track_ids(self, ids: list[str] | None) -> None:
        if not ids or self.driver is None:
            return
        added = []
        for message_id in ids:
            _, new = self.driver.track(message_id)
            added.append(message_id if new else f"{message_id} (already tracked)")
        self.notify("Tracking " + ", ".join(added), title="Outbox", markup=False)

    def action_check_now(self) -> None:
        entry_id = self._selected()
        if entry_id is None or self.driver is None:
            return
        if self.driver.check_now(entry_id):
            self.notify("Checking now.", title="Outbox", markup=False)
        else:
            self.notify(
                "Nothing to check: this reply is delivered or not being tracked.", markup=False
            )

    def action_stop_tracking(self) -> None:
        entry_id = self._selected()
        if entry_id is None or self.driver is None:
            return
        view = self._views.get(entry_id)
        if view is not None and view.state not in ("queued", "unknown"):
            self.notify(f"Only sent replies are tracked; this one is {view.state}.", markup=False)
            return
        if view is not None and not view.tracking:
            self.notify(
                "Already not tracked. Press t and paste its Message-ID to follow it again.",
                markup=False,
            )
            return
        self.driver.stop_tracking(entry_id)
        who = view.lead if view is not None else f"entry {entry_id}"
        unknown = view is not None and view.state == "unknown"
        hint = " It is still unknown: m says whether it went." if unknown else ""
        self.notify(f"Stopped tracking the reply to {who}.{hint}", title="Outbox", markup=False)
