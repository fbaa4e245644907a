"""The inbox table: one row per conversation, updated in place as pages and refreshes arrive."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

from smartlead_tui.api.models import Conversation
from smartlead_tui.categories import CategoryNames
from smartlead_tui.inbox import conversation_key, parse_api_time, relative_time
from smartlead_tui.outbox.states import scheduled_at, scheduled_for_lead

#: Cell padding is 1 on each side of each of the 5 columns, plus the vertical scrollbar.
_CHROME = 2 * 5 + 2
_FLAG_WIDTH = 3
_WHEN_WIDTH = 11
_CATEGORY_WIDTH = 15


@dataclass(frozen=True)
class _WhenCell:
    """The 'last reply' cell: shows a relative time, sorts by the real one."""

    text: str
    stamp: float

    def __rich__(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis")

    def __str__(self) -> str:
        return self.text


class ConversationList(DataTable[Any]):
    """Conversations, newest reply first. Rows are keyed by `conversation_key`.

    Lead and API text always goes in as `rich.text.Text`: DataTable would read a plain string
    as markup, and a name like "Sam Rivera [CFO]" must show as is.
    """

    #: DataTable's own enter binding is hidden; this one says what enter does here. The screen
    #: has the remappable `inbox.open` binding; this keeps enter working on the table too.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="inbox.select-row"),
        Binding("home", "scroll_top", "First row", id="inbox.first-row", show=False),
        Binding("end", "scroll_bottom", "Last row", id="inbox.last-row", show=False),
    ]

    #: What the marks in the first column mean; the help screen (F1) shows it.
    HELP_LEGEND: ClassVar[tuple[tuple[str, str], ...]] = (
        ("NEW", "a reply arrived since the list was loaded"),
        ("●", "unread: the lead's latest reply is not opened yet"),
        ("!", "important (flagged in SmartLead)"),
        ("—", "none (no campaign name or category)"),
    )

    DEFAULT_CSS = """
    ConversationList {
        height: 1fr;
        max-height: 100%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.conversations: dict[str, Conversation] = {}
        self.new_keys: set[str] = set()
        self.read_keys: dict[str, str | None] = {}  # key -> last reply time when opened here
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.zone: tzinfo = UTC
        self._widths: tuple[int, int] | None = None
        #: The account's names (set by the screen); an id they lack shows as "#id".
        self.categories = CategoryNames()
        #: Told about an id the names lack, so the screen can re-read the list.
        self.on_unknown_category: Callable[[int], None] | None = None
        self._entries: list[Any] | None = None

    # -- columns -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._build_columns(self._fit_widths(self.size.width or 80))

    def _fit_widths(self, total: int) -> tuple[int, int]:
        """(lead, campaign) widths for this width; flag, category and time are fixed."""
        free = max(20, total - _CHROME - _FLAG_WIDTH - _WHEN_WIDTH - _CATEGORY_WIDTH)
        campaign = max(10, min(28, free * 2 // 5))
        return free - campaign, campaign

    def _build_columns(self, widths: tuple[int, int]) -> None:
        self._widths = widths
        lead, campaign = widths
        self.add_column(Text(""), width=_FLAG_WIDTH, key="flag")
        self.add_column(Text("Lead"), width=lead, key="lead")
        self.add_column(Text("Campaign"), width=campaign, key="campaign")
        self.add_column(Text("Category"), width=_CATEGORY_WIDTH, key="category")
        when = "Sends" if self._scheduled_view() else "Last reply"
        self.add_column(Text(when), width=_WHEN_WIDTH, key="when")

    def on_resize(self, event: Resize) -> None:
        widths = self._fit_widths(event.size.width)
        if widths == self._widths:
            return
        # Column widths are fixed once added: rebuild (rare: only when the terminal resizes).
        current = self.cursor_key
        ordered = [self.conversations[k] for k in self.ordered_keys()]
        self.clear(columns=True)
        self._build_columns(widths)
        self._add(ordered)
        self._restore_cursor(current)

    # -- rows --------------------------------------------------------------------------------

    def _cells(self, conversation: Conversation) -> list[Any]:
        return [
            self._flag_cell(conversation),
            self._lead_cell(conversation),
            Text(conversation.campaign_name or "—", no_wrap=True, overflow="ellipsis"),
            self._category_cell(conversation),
            self._when_cell(conversation),
        ]

    def _category_cell(self, conversation: Conversation) -> Text:
        cid = conversation.category_id
        if cid is not None and self.categories.get(cid) is None and self.on_unknown_category:
            self.on_unknown_category(cid)
        return Text(self.categories.label(cid), no_wrap=True, overflow="ellipsis")

    def set_categories(self, names: CategoryNames) -> None:
        """The account's names arrived or changed: repaint only the category cells."""
        self.categories = names
        for key, conversation in self.conversations.items():
            try:
                self.update_cell(key, "category", self._category_cell(conversation))
            except Exception:
                continue

    def _add(self, conversations: Iterable[Conversation]) -> None:
        for conversation in conversations:
            self.add_row(*self._cells(conversation), key=conversation_key(conversation))

    def is_unread(self, conversation: Conversation) -> bool:
        """Unread on SmartLead and not opened here since its last reply."""
        key = conversation_key(conversation)
        if key in self.read_keys and self.read_keys[key] == conversation.last_reply_time:
            return False
        return conversation.unread

    def _flag_cell(self, conversation: Conversation) -> Text:
        key = conversation_key(conversation)
        if key in self.new_keys:
            return Text("NEW", style="bold reverse")
        flag = "●" if self.is_unread(conversation) else " "
        flag += "!" if conversation.important else " "
        return Text(flag, style="bold")

    def _lead_cell(self, conversation: Conversation) -> Text:
        name = conversation.lead_name
        text = Text(no_wrap=True, overflow="ellipsis")
        bold = "bold" if self.is_unread(conversation) else ""
        if name:
            text.append(name, style=bold)
            text.append(f" {conversation.lead_email}", style="dim")
        else:
            text.append(conversation.lead_email, style=bold)
        return text

    def _when_cell(self, conversation: Conversation) -> _WhenCell:
        if self._scheduled_view():
            return self._sends_cell(conversation)
        when = parse_api_time(conversation.last_reply_time)
        return _WhenCell(
            relative_time(when, self.clock(), self.zone), when.timestamp() if when else 0.0
        )

    # -- the Scheduled view: when the reply goes, not when the lead wrote ----------------------

    def _scheduled_view(self) -> bool:
        query = getattr(self.screen, "inbox_query", None) if self.is_attached else None
        return getattr(query, "view", "") == "scheduled"

    def _sends_cell(self, conversation: Conversation) -> _WhenCell:
        """'in 3h' for the scheduled reply of this conversation, '—' when nobody says when."""
        now = self.clock()
        times = [
            stamp
            for m in conversation.history
            if not m.is_reply
            and (stamp := parse_api_time(m.time)) is not None
            and stamp.timestamp() > now.timestamp()
        ]
        ours = scheduled_for_lead(
            self._outbox_entries(),
            campaign_id=conversation.campaign_id,
            lead_id=conversation.lead_id,
            to_email=conversation.lead_email,
            now=now.timestamp(),
        )
        stamps = [t.timestamp() for t in times] + [
            when for e in ours if (when := scheduled_at(e)) is not None
        ]
        if not stamps:
            return _WhenCell("—", 0.0)
        soonest = min(stamps)
        return _WhenCell(
            relative_time(datetime.fromtimestamp(soonest, UTC), now, self.zone), soonest
        )

    def _outbox_entries(self) -> list[Any]:
        """Our recent outbox entries, read once per page shown (not once per cell)."""
        if self._entries is None:
            try:
                self._entries = self.app.store.list_entries(limit=500)  # type: ignore[attr-defined]
            except Exception:  # no store (or a broken one): only SmartLead's times then
                self._entries = []
        return self._entries

    def _label_when(self) -> None:
        """The time column says which time it shows."""
        label = "Sends" if self._scheduled_view() else "Last reply"
        column = self.columns.get(ColumnKey("when"))
        if column is not None and column.label.plain != label:
            column.label = Text(label)
            self._require_update_dimensions = True
            self.refresh()

    # -- public API ----------------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value) if row_key.value is not None else None

    @property
    def current(self) -> Conversation | None:
        key = self.cursor_key
        return self.conversations.get(key) if key else None

    def ordered_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    def replace_all(self, conversations: Iterable[Conversation]) -> None:
        """A new query's first page (view, search or campaign changed)."""
        self.clear()
        self.conversations.clear()
        self.new_keys.clear()
        self._entries = None
        self._label_when()
        self.append(conversations)
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def append(self, conversations: Iterable[Conversation]) -> int:
        """A further page; rows already shown (shifted by new arrivals) are updated instead."""
        fresh: list[Conversation] = []
        for conversation in conversations:
            key = conversation_key(conversation)
            if key in self.conversations:
                self.update(conversation)
            else:
                self.conversations[key] = conversation
                fresh.append(conversation)
        self._add(fresh)
        return len(fresh)

    def merge(
        self,
        added: Iterable[Conversation],
        changed: Iterable[Conversation],
        new_keys: Iterable[str],
    ) -> None:
        """A refresh: add and update rows in place, re-sort, and keep the cursor on its row."""
        current = self.cursor_key
        self._entries = None  # a refresh: the outbox may have changed too
        self.new_keys.update(new_keys)
        for conversation in changed:
            self.update(conversation)
        resort = self.append(added) > 0
        for key in new_keys:
            if key in self.conversations:
                self._repaint_row(self.conversations[key])
                resort = True
        if resort:
            self.sort("when", key=lambda cell: cell.stamp, reverse=True)
        self._restore_cursor(current)

    def update(self, conversation: Conversation) -> None:
        key = conversation_key(conversation)
        self.conversations[key] = conversation
        self._repaint_row(conversation)

    def _repaint_row(self, conversation: Conversation) -> None:
        key = conversation_key(conversation)
        try:
            self.get_row_index(key)
        except RowDoesNotExist:
            return
        for column, value in zip(
            ("flag", "lead", "campaign", "category", "when"), self._cells(conversation), strict=True
        ):
            self.update_cell(key, column, value)

    def mark_read(self, key: str) -> None:
        """Opened here: drop the NEW and unread markers until another reply arrives."""
        conversation = self.conversations.get(key)
        if conversation is None:
            return
        self.new_keys.discard(key)
        self.read_keys[key] = conversation.last_reply_time
        self._repaint_row(conversation)

    def refresh_times(self) -> None:
        """Relative times age: recompute only the 'last reply' cells."""
        for key, conversation in self.conversations.items():
            try:
                self.update_cell(key, "when", self._when_cell(conversation))
            except Exception:
                continue

    def neighbour(self, key: str, delta: int) -> Conversation | None:
        """The conversation `delta` rows from `key` (n/p inside a thread); moves the cursor."""
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:
            return None
        target = index + delta
        if not 0 <= target < self.row_count:
            return None
        self.move_cursor(row=target, animate=False)
        return self.current

    def select_key(self, key: str) -> None:
        self._restore_cursor(key)

    def _restore_cursor(self, key: str | None) -> None:
        if key is None or not self.row_count:
            return
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:
            return
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False)
