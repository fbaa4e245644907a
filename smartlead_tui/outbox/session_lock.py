"""Which processes are using an outbox, so start-up recovery never touches another's sends.

Every process with the store open holds a shared `flock` on `<store>.lock`. Recovery (turning
'sending' into 'unknown', offering held replies) is only right when nobody else is running:
it asks for the lock exclusively without waiting, and is skipped when that fails. The kernel
drops a dead process's lock, so a crash never leaves the outbox "busy".
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking, recovery always runs
    fcntl = None  # type: ignore[assignment]

__all__ = ["SessionLock"]


class SessionLock:
    """A shared lock for this process's use of one outbox, upgraded only to check solitude."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        if fcntl is None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        except OSError:
            # A data dir that refuses the lock file: work as before, without the guard.
            self.release()

    def alone(self) -> bool:
        """True when no other process holds the outbox (then it is safe to recover).

        Linux may drop the shared lock while converting it, so it is taken again either way.
        """
        if self._fd is None or fcntl is None:
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            alone = False
        else:
            alone = True
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        return alone

    def release(self) -> None:
        """Give the lock up (closing the descriptor does); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
