"""Draft autosave timing, independent of any UI: at most about a second of typing is ever lost.

A pure "save after a quiet pause" debounce loses everything typed during a long burst if the
process dies mid-burst, so a pending change is also written once it is `max_delay` old, even
while the person keeps typing. The caller ticks it from a timer (the TUI: `set_interval`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from smartlead_tui.outbox.store import Store

__all__ = ["DraftAutosaver"]


class DraftAutosaver:
    """Writes the latest fields of one composer to the store, one draft per thread key.

    `changed()` records the newest state; `tick()` writes it when the typing paused for
    `quiet` seconds or the oldest unsaved change is `max_delay` old; `flush()` writes now.
    When the fields equal the `baseline` (what the composer opened with), the draft is deleted
    instead: opening a thread and leaving it untouched leaves nothing to recover.
    """

    def __init__(
        self,
        store: Store,
        *,
        quiet: float = 0.3,
        max_delay: float = 0.8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.quiet = quiet
        self.max_delay = max_delay
        self._clock = clock
        self._pending: tuple[str, dict[str, Any]] | None = None
        self._first_change: float | None = None
        self._last_change: float | None = None
        self._saved_key: str | None = None
        self.baseline: dict[str, Any] | None = None
        self.saves = 0

    @property
    def pending(self) -> bool:
        return self._pending is not None

    @property
    def saved_key(self) -> str | None:
        """The key this composer's draft was last written under (or opened with)."""
        return self._saved_key

    def reset(self, key: str | None, baseline: Mapping[str, Any] | None) -> None:
        """Start over (opened, restored or undone): nothing pending, this is the clean state."""
        self._pending = None
        self._first_change = self._last_change = None
        self._saved_key = key
        self.baseline = dict(baseline) if baseline is not None else None

    def changed(self, key: str, fields: Mapping[str, Any]) -> None:
        now = self._clock()
        self._pending = (key, dict(fields))
        if self._first_change is None:
            self._first_change = now
        self._last_change = now

    def due(self) -> bool:
        if self._pending is None or self._first_change is None or self._last_change is None:
            return False
        now = self._clock()
        return now - self._last_change >= self.quiet or now - self._first_change >= self.max_delay

    def tick(self) -> bool:
        """Save if due; True when something was written."""
        return self.flush() if self.due() else False

    def flush(self) -> bool:
        """Write the pending change now (leaving a screen, before a send)."""
        if self._pending is None:
            return False
        key, fields = self._pending
        self._pending = None
        self._first_change = self._last_change = None
        if self._saved_key is not None and self._saved_key != key:
            # The thread context was edited: the draft moves to its new key.
            self.store.delete_draft(self._saved_key)
        if self.baseline is not None and fields == self.baseline:
            self.store.delete_draft(key)
        else:
            self.store.save_draft(key, fields)
        self._saved_key = key
        self.saves += 1
        return True

    def discard(self) -> None:
        """Forget pending changes (the draft was consumed by a send)."""
        self._pending = None
        self._first_change = self._last_change = None
