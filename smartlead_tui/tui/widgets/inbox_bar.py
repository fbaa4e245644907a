"""The inbox's top line: which view is showing (with its key), and the active filters."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from smartlead_tui.inbox import VIEWS, InboxQuery


class InboxViewBar(Static):
    """'1 Inbox  2 Unread …' with the current view reversed and bracketed (readable without
    colour), then the campaign filter and search when set."""

    DEFAULT_CSS = """
    InboxViewBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)

    def show_query(self, query: InboxQuery, view_keys: list[str] | None = None) -> None:
        keys = view_keys or [str(n) for n in range(1, len(VIEWS) + 1)]
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, (view, label) in zip(keys, VIEWS.items(), strict=False):
            if view == query.view:
                text.append(f"[{key} {label}]", style="bold reverse")
            else:
                text.append(f" {key} {label} ", style="dim")
            text.append(" ")
        if query.campaign_id is not None:
            text.append("  campaign: ", style="dim")
            text.append(query.campaign_name or str(query.campaign_id), style="bold")
        if query.search:
            text.append("  search: ", style="dim")
            text.append(query.search, style="bold")
        self.update(text)
