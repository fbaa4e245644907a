"""Toasts that never bury the screen: few at once, the newest of a kind replacing the older.

At 80x24 three stacked toasts covered half the inbox. Here at most `MAX_TOASTS` show; a new
one with the same title and severity (the same kind of news: "Outbox", "Send failed")
replaces the one before it, and of the rest the least urgent (information before warnings
before errors), oldest first, goes first: a "Delivered" never pushes a "Send failed" away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import Notification

#: Toasts visible at once.
MAX_TOASTS = 2
#: Seconds an information toast stays (Textual's default is 5; errors pass their own).
TOAST_SECONDS = 4.0
_URGENCY = {"information": 0, "warning": 1, "error": 2}


def make_room(app: App[Any], incoming: Notification) -> None:
    """Drop what `incoming` supersedes, then the oldest, so at most MAX_TOASTS remain."""
    current = sorted(app._notifications, key=lambda n: n.raised_at)
    same_kind = [n for n in current if (n.title, n.severity) == (incoming.title, incoming.severity)]
    rest = sorted(
        (n for n in current if n not in same_kind),
        key=lambda n: (_URGENCY.get(n.severity, 0), n.raised_at),
    )
    drop = same_kind + rest[: max(0, len(rest) - (MAX_TOASTS - 1))]
    for notification in drop:
        app._unnotify(notification, refresh=False)
