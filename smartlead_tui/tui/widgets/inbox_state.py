"""What the inbox shows instead of a blank table (loading, empty, error), and its status line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class InboxPlaceholder(Static):
    """A centred message in place of the table: a title line and an explanation."""

    DEFAULT_CSS = """
    InboxPlaceholder {
        height: 1fr;
        content-align: center middle;
        text-align: center;
        padding: 1 2;
        background: $surface;
    }
    InboxPlaceholder.error { color: $error; }
    InboxPlaceholder.loading { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.state = ""

    def show_state(self, state: str, title: str, detail: str = "") -> None:
        """`state` is 'loading', 'empty' or 'error' (a CSS class; the words carry the meaning)."""
        self.state = state
        self.set_classes(state)
        text = Text(title, style="bold")
        if detail:
            text.append("\n\n")
            text.append(detail, style="")
        self.update(text)


class InboxStatusLine(Static):
    """One line under the table: counts, paging, last update, refresh problems."""

    DEFAULT_CSS = """
    InboxStatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    InboxStatusLine.warning { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)

    def show(self, text: str, *, warning: bool = False) -> None:
        self.set_class(warning, "warning")
        self.update(Text(text, no_wrap=True, overflow="ellipsis"))
