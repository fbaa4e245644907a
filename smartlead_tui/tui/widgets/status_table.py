"""The outbox table: one row per reply, updated cell by cell as results arrive.

Two choices keep it fast with 10,000 rows. Columns have fixed widths, and cells are tiny
`Cell` objects that render on demand and do not offer a `__rich_measure__`: DataTable measures
every new cell to size auto-width columns, which for 10,000 rows cost over a second and buys
nothing with fixed widths. And rows are kept as small `RowView` records, not whole entries.

Every state has a symbol and a word as well as a colour, so the table reads the same with
16 colours or none; lead and API text is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey

from smartlead_tui.api.models import COMPLETED
from smartlead_tui.outbox.states import DISPLAY_ORDER, display_label, display_state, scheduled_at
from smartlead_tui.outbox.tracker import is_failure_status, parse_time

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

    from smartlead_tui.outbox.store import OutboxEntry

#: Local states (the journal, shown in the detail's timeline): (symbol, word).
STATE_LABELS: dict[str, tuple[str, str]] = {
    "held": ("‖", "held"),
    "sending": ("↑", "sending"),
    "queued": ("•", "queued"),
    "unknown": ("?", "unknown"),
    "send-failed": ("✗", "send-failed"),
    "cancelled": ("–", "cancelled"),
}

#: Filters offered by the panel, in the order the filter key cycles through them; after the
#: three groups, one per display state (`outbox.states.DISPLAY_LABELS`).
FILTERS: tuple[str, ...] = (
    "all",
    "in flight",
    "delivered",
    "problems",
    "held",
    "sending",
    "scheduled",
    "queued",
    "unknown",
    "failed",
    "not sent",
    "cancelled",
)
SORTS: tuple[str, ...] = ("newest", "oldest", "state", "lead", "last checked")

#: (key, header, width). Fixed widths (see the module docstring); every column fits in 120
#: cells, scrollbar included.
COLUMNS_WIDE: tuple[tuple[str, str, int], ...] = (
    ("state", "State", 13),
    ("lead", "Lead", 16),
    ("campaign", "Campaign", 10),
    ("status", "SmartLead", 11),
    ("message", "Status message", 16),
    ("event", "Event", 12),
    ("scheduled", "Scheduled", 12),
    ("checked", "Checked", 12),
)
#: Narrow terminals (80 cells): five columns that fit exactly, every header whole. SmartLead's
#: raw status and the separate times are left out on purpose: the state says it in one word,
#: "When" gives the time that matters for it, and the detail view (enter) has everything.
COLUMNS_NARROW: tuple[tuple[str, str, int], ...] = (
    ("state", "State", 11),
    ("lead", "Lead", 16),
    ("campaign", "Campaign", 12),
    ("message", "Status message", 17),
    ("when", "When", 12),
)
WIDE_FROM = 110
#: Display states that need nothing more from anyone: never counted as problems.
_SETTLED = ("delivered", "not sent", "cancelled")
#: Where the room goes when the terminal is wider than the layout: (column, share).
STRETCH: tuple[tuple[str, int], ...] = (("lead", 2), ("message", 2), ("campaign", 1))


class TimeFormatter:
    """Times in the person's zone: 11:29:05 today, Mar 12 11:29 otherwise, — for none.

    "Today" is worked out once per formatter, not once per cell: a 10,000-row table formats
    30,000 times.
    """

    def __init__(self, now: float, tz: tzinfo) -> None:
        self.tz = tz
        today = datetime.fromtimestamp(now, tz).date()
        tomorrow = today + timedelta(days=1)
        self.day_start = datetime(today.year, today.month, today.day, tzinfo=tz).timestamp()
        self.day_end = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz).timestamp()

    def __call__(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        moment = datetime.fromtimestamp(seconds, self.tz)
        if self.day_start <= seconds < self.day_end:
            return moment.strftime("%H:%M:%S")
        return moment.strftime("%b %d %H:%M")


def format_when(seconds: float | None, now: float, tz: tzinfo) -> str:
    """One time, formatted like the table does (see TimeFormatter)."""
    return TimeFormatter(now, tz)(seconds)


@dataclass(frozen=True, slots=True)
class RowView:
    """What one row shows, derived from an entry and the tracker's note about it."""

    entry_id: int
    state: str
    #: the one state shown (`outbox.states.display_state`)
    display: str
    lead: str
    campaign: str
    status: str
    message: str
    event_time: float | None
    scheduled_time: float | None
    checked_at: float | None
    hold_until: float | None
    message_id: str | None
    tracking: bool
    problem: bool
    updated_at: float | None = None

    @classmethod
    def from_entry(
        cls, entry: OutboxEntry, note: str | None = None, *, now: float | None = None
    ) -> RowView:
        fields = entry.fields or {}
        status = entry.last_status or ""
        completed = status.upper() == COMPLETED
        display = display_state(entry, now=now)
        lead = (
            entry.lead_label
            or str(fields.get("lead_label") or "")
            or str(fields.get("to_email") or "")
        )
        if not lead:
            lead = entry.message_id or f"entry {entry.id}"
        campaign = str(fields.get("campaign_name") or "")
        if not campaign and entry.campaign_id is not None:
            campaign = str(entry.campaign_id)
        message, problem = _message_for(entry, note, completed)
        scheduled = scheduled_at(entry)
        return cls(
            entry_id=entry.id,
            state=entry.state,
            display=display,
            lead=lead,
            campaign=campaign or "—",
            status=status,
            message=message,
            event_time=parse_time(entry.last_event_time),
            scheduled_time=scheduled,
            checked_at=entry.last_checked_at.timestamp() if entry.last_checked_at else None,
            hold_until=entry.hold_until.timestamp() if entry.hold_until else None,
            message_id=entry.message_id,
            tracking=entry.tracking,
            problem=display not in _SETTLED
            and (problem or is_failure_status(status) or display == "failed"),
            updated_at=entry.updated_at.timestamp(),
        )

    @property
    def delivered(self) -> bool:
        return self.display == "delivered"

    @property
    def when(self) -> float | None:
        """The time that matters for this state: when it goes, went, or last changed."""
        if self.display == "scheduled" and self.scheduled_time is not None:
            return self.scheduled_time
        if self.display == "held" and self.hold_until is not None:
            return self.hold_until
        if self.display in ("delivered", "failed") and self.event_time is not None:
            return self.event_time
        return self.updated_at

    def matches(self, name: str) -> bool:
        """Whether the row belongs under filter `name` (see FILTERS)."""
        if name == "all":
            return True
        if name == "in flight":
            return self.display in ("held", "sending", "scheduled", "queued") and not self.problem
        if name == "problems":
            return self.display in ("failed", "unknown") or self.problem
        return self.display == name


def _message_for(entry: OutboxEntry, note: str | None, completed: bool) -> tuple[str, bool]:
    """The "Status message" cell: SmartLead's words, else what we know, else what went wrong."""
    if completed:
        return entry.last_status_message or "", False
    if entry.state == "send-failed":
        return entry.last_error or entry.server_message or "the send failed", True
    if entry.state == "unknown" and not entry.message_id:
        return note or entry.last_error or "may or may not have gone: check the thread", True
    if entry.state in ("held", "sending", "cancelled"):
        return entry.last_error or entry.server_message or "", bool(entry.last_error)
    if not entry.tracking:
        return "tracking stopped", False
    if note:
        problem = note.startswith(("not found", "check failed", "no Message-ID", "SmartLead"))
        return note, problem or "failed" in note
    if entry.last_error and entry.last_status is None:
        return entry.last_error, True
    if entry.last_status:
        return entry.last_status_message or "", False
    if not entry.message_id:
        return "waiting for Message-ID", False
    return "waiting for the first check", False


class Cell:
    """A table cell rendered on demand; no `__rich_measure__`, on purpose (module docstring)."""

    __slots__ = ("entry_id", "style", "text")

    def __init__(self, text: str, style: Style | None = None, entry_id: int = 0) -> None:
        self.text = text
        self.style = style
        self.entry_id = entry_id

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(self.text, style=self.style or "", no_wrap=True, overflow="ellipsis", end="")

    def same_as(self, other: object) -> bool:
        return isinstance(other, Cell) and (self.text, self.style) == (other.text, other.style)

    def __repr__(self) -> str:
        return f"Cell({self.text!r})"


def state_text(state: str) -> str:
    """A local (journal) state with its symbol; the table shows `display_label` instead."""
    symbol, word = STATE_LABELS.get(state, ("·", state))
    return f"{symbol} {word}"


def status_text(status: str) -> str:
    if not status:
        return "—"
    if status.upper() == COMPLETED:
        return f"✓ {status}"
    if is_failure_status(status):
        return f"✗ {status}"
    return status


SortKey = Callable[[RowView], Any]
_SORT_KEYS: dict[str, tuple[SortKey, bool]] = {
    "newest": (lambda v: v.entry_id, True),
    "oldest": (lambda v: v.entry_id, False),
    "state": (lambda v: (DISPLAY_ORDER.get(v.display, 99), -v.entry_id), False),
    "lead": (lambda v: (v.lead.casefold(), -v.entry_id), False),
    "last checked": (lambda v: (v.checked_at or 0.0, v.entry_id), True),
}


class StatusTable(DataTable[Any]):
    """Outbox rows keyed by entry id; `upsert` changes only the cells that differ."""

    DEFAULT_CSS = """
    StatusTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # DataTable's own enter binding is hidden; this one names what it does here.
        Binding(
            "enter", "select_cursor", "Open", id="outbox.details", tooltip="Open the reply's detail"
        ),
        # As in the inbox: a table, so letters never type into anything.
        Binding("j", "cursor_down", "Next row", id="outbox.down", show=False),
        Binding("k", "cursor_up", "Previous row", id="outbox.up", show=False),
    ]

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        tz: tzinfo,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._clock = clock
        self._tz = tz
        self._styles: dict[str, Style] = {}
        self.sort_mode = "newest"
        self.layout_columns = COLUMNS_WIDE

    def on_mount(self) -> None:
        self._styles = self._resolve_styles()
        wide = self.app.size.width >= WIDE_FROM
        self.layout_columns = COLUMNS_WIDE if wide else COLUMNS_NARROW
        for key, label, width in self.layout_columns:
            self.add_column(label, width=width, key=key)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_columns(event.size.width)

    def fit_columns(self, width: int) -> None:
        """Give room beyond the fixed layout to the lead, message and campaign columns.

        Still fixed widths (no per-cell measuring): only recomputed when the table resizes.
        """
        widths = {key: base for key, _, base in self.layout_columns}
        used = sum(widths.values()) + 2 * self.cell_padding * len(widths) + 2  # + scrollbar
        extra = max(0, width - used)
        shares = sum(share for _, share in STRETCH)
        given = 0
        for index, (key, share) in enumerate(STRETCH):
            more = extra - given if index == len(STRETCH) - 1 else extra * share // shares
            widths[key] += more
            given += more
        changed = False
        for key, new_width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != new_width:
                column.width = new_width
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Skip DataTable's per-row measuring: widths are fixed and every row is one line.

        DataTable renders each new row once to size auto-width columns and auto-height rows;
        we have neither, and for 10,000 rows that pass cost most of a second. The virtual
        size is still computed by the base class (with no new rows to look at).
        """
        super()._update_dimensions(())

    def _resolve_styles(self) -> dict[str, Style]:
        """Theme colours as Rich styles (cells are Rich renderables, not CSS)."""
        variables = self.app.get_css_variables()

        def color(name: str) -> Style:
            value = variables.get(name)
            return Style(color=value) if value else Style()

        bold = Style(bold=True)
        return {
            "held": color("warning"),
            "sending": color("accent") + bold,
            "queued": color("primary"),
            "unknown": color("warning") + bold,
            "scheduled": color("accent"),
            "failed": color("error") + bold,
            "not sent": Style(dim=True),
            "cancelled": Style(dim=True),
            "delivered": color("success") + bold,
            "failure": color("error") + bold,
            "problem": color("warning"),
            "muted": Style(dim=True),
        }

    # -- rows ------------------------------------------------------------------------------

    def cells(self, view: RowView, when: TimeFormatter | None = None) -> list[Cell]:
        when = when or TimeFormatter(self._clock(), self._tz)
        styles = self._styles
        state_style = styles.get(view.display)
        if view.delivered:
            status_style = styles.get("delivered")
        elif is_failure_status(view.status):
            status_style = styles.get("failure")
        else:
            status_style = None
        message = view.message
        if view.state == "held" and view.hold_until is not None and not message:
            message = f"goes at {when(view.hold_until)}"
        if view.display == "scheduled" and view.scheduled_time is not None and not message:
            message = f"sends {when(view.scheduled_time)}"
        by_key = {
            "state": Cell(display_label(view.display), state_style, view.entry_id),
            "lead": Cell(view.lead),
            "campaign": Cell(view.campaign),
            "status": Cell(status_text(view.status), status_style),
            "message": Cell(message or "—", styles.get("problem") if view.problem else None),
            "event": Cell(when(view.event_time)),
            "scheduled": Cell(when(view.scheduled_time)),
            "checked": Cell(when(view.checked_at), styles.get("muted")),
            "when": Cell(when(view.when)),
        }
        return [by_key[key] for key, _, _ in self.layout_columns]

    def cell_texts(self, entry_id: int) -> dict[str, str]:
        """What a row shows, by column key (tests and the benchmark read rows this way)."""
        row = self.get_row(str(entry_id))
        return {key: cell.text for (key, _, _), cell in zip(self.layout_columns, row, strict=True)}

    def set_rows(self, views: Iterable[RowView]) -> None:
        """Replace every row (opening the panel, changing the filter), keeping the cursor's row."""
        keep = self.current_entry_id()
        self.clear()
        self.append_rows(self.ordered(views))
        self._restore_cursor(keep)

    def append_rows(self, views: Iterable[RowView]) -> int:
        """Add rows at the bottom, in the order given, skipping any already shown."""
        when = TimeFormatter(self._clock(), self._tz)
        added = 0
        for view in views:
            key = str(view.entry_id)
            if key not in self.rows:
                self.add_row(*self.cells(view, when), key=key)
                added += 1
        return added

    def upsert(self, view: RowView) -> bool:
        """Update a row in place (only changed cells); add it if new. True when added."""
        key = str(view.entry_id)
        new_cells = self.cells(view)
        try:
            current = self.get_row(key)
        except RowDoesNotExist:
            self.add_row(*new_cells, key=key)
            return True
        for (column, _, _), old, new in zip(self.layout_columns, current, new_cells, strict=True):
            if not new.same_as(old):
                self.update_cell(key, column, new)
        return False

    def remove_entry(self, entry_id: int) -> None:
        """Drop an entry's row if shown (not `remove`: that is Widget's, taking the table away)."""
        if self.has_row(entry_id):
            self.remove_row(str(entry_id))

    def has_row(self, entry_id: int) -> bool:
        return str(entry_id) in self.rows

    def current_entry_id(self) -> int | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return int(key.value) if key.value is not None else None

    # -- order -----------------------------------------------------------------------------

    def ordered(self, views: Iterable[RowView]) -> list[RowView]:
        """`views` in the table's sort order."""
        key, reverse = _SORT_KEYS[self.sort_mode]
        return sorted(views, key=key, reverse=reverse)

    def resort(self, views: dict[int, RowView]) -> None:
        """Apply `sort_mode` to the rows shown (no rebuild), keeping the cursor on its row."""
        keep = self.current_entry_id()
        key, reverse = _SORT_KEYS[self.sort_mode]

        def by_view(cell: Cell) -> Any:
            view = views.get(cell.entry_id)
            return key(view) if view is not None else (0,)

        self.sort("state", key=by_view, reverse=reverse)
        self._restore_cursor(keep)

    def _restore_cursor(self, entry_id: int | None) -> None:
        if entry_id is None or not self.has_row(entry_id):
            return
        index = self.get_row_index(str(entry_id))
        self.move_cursor(row=index, animate=False)
