"""Unexpected exceptions become a message and a log entry, never the end of the app.

Textual answers any exception that escapes a handler with `App._handle_exception`: the app
exits with a traceback (and a Pilot test re-raises it at the end). Worse, the message loop the
handler ran in stops for good first: for a widget or screen that means it is pruned from the
screen with everything inside it, and every key binding runs in the app's own loop. A person
writing a reply must not lose the session to one widget bug, so:

- `install()` (called by SmartleadApp) wraps `MessagePump._dispatch_message`, the one call
  every message loop makes, so a handler's exception is reported there and the loop goes on.
- `SmartleadApp._handle_exception` asks `CrashGuard.handle` first for the rest (timers,
  workers, anything Textual reports itself).

Either way the traceback goes to the log file (the API key is redacted by its filter), every
open composer writes its draft, and a notification says what happened. Textual's own behaviour
is kept when `SMARTLEAD_TUI_STRICT_ERRORS` is set (the test suite sets it, so a genuine failure
still fails its test), before the first frame (a start-up error must still print), in any app
that is not a SmartleadApp, and when errors keep coming (MAX_ERRORS within WINDOW_SECONDS: a
paint that fails every frame).

This leans on two Textual internals, `MessagePump._dispatch_message` and
`App._handle_exception`; tests/tui/test_crash_guard.py checks that they still exist.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import WorkerFailed

from smartlead_tui.redact import redact

__all__ = ["STRICT_ENV", "CrashGuard", "install"]

#: Set to anything but "" or "0": unexpected exceptions end the app as Textual does by default.
STRICT_ENV = "SMARTLEAD_TUI_STRICT_ERRORS"
MAX_ERRORS = 5
WINDOW_SECONDS = 10.0

log = logging.getLogger("smartlead_tui.tui.errors")


class CrashGuard:
    """Reports unexpected exceptions for one app, once it has painted its first frame."""

    def __init__(self, app: App[Any], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.armed = False
        self.caught: list[BaseException] = []
        self._clock = clock
        self._recent: deque[float] = deque()

    @staticmethod
    def strict() -> bool:
        return os.environ.get(STRICT_ENV, "") not in ("", "0")

    def arm(self) -> None:
        """From the first frame on, errors are reported instead of ending the app."""
        self.armed = True

    def handle(self, error: BaseException) -> bool:
        """True when the error was reported and the app carries on; False: let Textual exit."""
        app = self.app
        if self.strict() or not self.armed or app._exit or app._closing or app._closed:
            return False
        cause = error.error if isinstance(error, WorkerFailed) else error
        log.error(
            "unexpected error in the TUI (the app kept running)",
            exc_info=(type(cause), cause, cause.__traceback__),
        )
        saved = self.keep_drafts()
        now = self._clock()
        self._recent.append(now)
        while self._recent and now - self._recent[0] > WINDOW_SECONDS:
            self._recent.popleft()
        if len(self._recent) > MAX_ERRORS:
            log.error("%d unexpected errors in %.0f s: exiting", len(self._recent), WINDOW_SECONDS)
            return False
        self.caught.append(cause)
        try:
            self._notify(cause, saved)
        except Exception:  # the message is a courtesy: the log has it, the app carries on
            log.exception("could not show the unexpected error")
        return True

    def keep_drafts(self) -> int:
        """Ask every open screen that holds a draft to write it now; how many did."""
        saved = 0
        for screen in list(self.app.screen_stack):
            keep = getattr(screen, "keep_draft", None)
            if keep is None:
                continue
            try:
                if keep():
                    saved += 1
            except Exception:  # the draft's own failure: logged, the others still saved
                log.exception("could not save a draft after an unexpected error")
        return saved

    def _notify(self, cause: BaseException, saved: int) -> None:
        from smartlead_tui.logs import log_file_path

        detail = " ".join(redact(cause).split())
        if len(detail) > 120:
            detail = detail[:119] + "…"
        what = f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__
        kept = "Your draft is saved and the app" if saved else "The app"
        where = log_file_path()
        logged = f"the traceback is in {where}" if where else "the traceback was logged"
        self.app.notify(
            f"Something went wrong inside the app ({what}). {kept} keeps running; {logged}.",
            title="Unexpected error",
            severity="error",
            timeout=20,
            markup=False,
        )


def _report(pump: MessagePump, error: Exception) -> bool:
    """True when the app of `pump` reported the error and its loop may go on."""
    try:
        app = pump if isinstance(pump, App) else pump.app
    except Exception:  # not attached to an app any more: nothing to report to
        return False
    guard = getattr(app, "crash_guard", None)
    return isinstance(guard, CrashGuard) and guard.handle(error)


def install() -> None:
    """Guard every message loop of this process (idempotent); apps without a CrashGuard, and
    strict mode, see Textual's behaviour unchanged."""
    original = MessagePump._dispatch_message
    if getattr(original, "_smartlead_guarded", False):
        return

    async def _dispatch_message(self: MessagePump, message: Message) -> None:
        try:
            await original(self, message)
        except Exception as error:
            if not _report(self, error):
                raise

    _dispatch_message._smartlead_guarded = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = _dispatch_message  # type: ignore[method-assign]
