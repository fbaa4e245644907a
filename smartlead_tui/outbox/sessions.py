"""Whether the last session on an outbox ended cleanly, so recovery is offered for crashes only.

Each app process marks its session with a small file in `<store>.sessions/` and removes it
when it exits cleanly. A mark whose process is gone (read only while no other process holds the
outbox, see SessionLock.alone) means that session crashed, was killed or lost its terminal: the
drafts it wrote since it started are the ones to offer back, once. Drafts a person left on
purpose, by closing the composer and quitting, are not pushed at them at every start; they
are listed on request (the Drafts screen).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["SessionMarks"]

DIR_SUFFIX = ".sessions"

#: A mark that cannot be read still says "a session crashed"; from when is unknown, so every
#: draft counts as written in it.
UNKNOWN_START = datetime(1970, 1, 1, tzinfo=UTC)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SessionMarks:
    """This process's "session open" mark beside one outbox file, and the marks of crashed ones."""

    def __init__(self, store_path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.directory = Path(f"{store_path}{DIR_SUFFIX}")
        self._clock = clock
        self._own: Path | None = None
        self._started_at = ""
        self._left: dict[str, str] = {}

    def begin(self) -> None:
        """Mark this session as open (idempotent). Without a writable directory nothing is
        marked: a later crash of this session then offers no drafts, which are still listed."""
        if self._own is not None:
            return
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        self._started_at = self._clock().isoformat()
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            path = self.directory / name
            self._write(path)
        except OSError:
            return
        self._own = path

    def _write(self, path: Path) -> None:
        from smartlead_tui.config import atomic_write  # the project's one: 0600, fsync, replace

        mark = {"pid": os.getpid(), "started_at": self._started_at, "left": self._left}
        atomic_write(path, json.dumps(mark).encode("utf-8"))

    def note_left(self, thread_key: str) -> None:
        """The person closed this thread's composer on purpose: if this session crashes later,
        that draft is theirs to pick up (Drafts screen), not a crash's to offer."""
        if self._own is None:
            return
        self._left[thread_key] = self._clock().isoformat()
        with contextlib.suppress(OSError):
            self._write(self._own)

    def left_in_crashed(self) -> dict[str, datetime]:
        """Drafts the crashed sessions' people closed on purpose, and when (the latest)."""
        left: dict[str, datetime] = {}
        for path in self._others():
            try:
                marks = json.loads(path.read_text("utf-8")).get("left") or {}
                items = [(str(k), datetime.fromisoformat(str(v))) for k, v in marks.items()]
            except (OSError, ValueError, AttributeError, TypeError):
                continue
            for key, when in items:
                if when.tzinfo is not None and (key not in left or when > left[key]):
                    left[key] = when
        return left

    def _others(self) -> list[Path]:
        try:
            found = sorted(self.directory.glob("*.json"))
        except OSError:
            return []
        return [path for path in found if path != self._own]

    def crashed_since(self) -> datetime | None:
        """When the oldest session that did not end cleanly started (None: all ended cleanly).

        Only meaningful while this process is alone on the outbox: a live second copy of the
        app has a mark too.
        """
        starts: list[datetime] = []
        for path in self._others():
            try:
                started = datetime.fromisoformat(json.loads(path.read_text("utf-8"))["started_at"])
                if started.tzinfo is None:
                    raise ValueError("naive time")
            except (OSError, ValueError, KeyError, TypeError):
                started = UNKNOWN_START
            starts.append(started)
        return min(starts) if starts else None

    def forget_crashed(self) -> None:
        """The crash was dealt with (offered once): its marks go, the drafts stay."""
        for path in self._others():
            with contextlib.suppress(OSError):
                path.unlink()

    def end(self) -> None:
        """A clean exit: this session leaves nothing to offer at the next start."""
        own, self._own = self._own, None
        if own is not None:
            with contextlib.suppress(OSError):
                own.unlink()
