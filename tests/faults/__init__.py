"""Fault drills: the app against a misbehaving SmartLead, and shared helpers for the drills.

Every drill runs the real app (or the real CLI) against a real loopback sandbox with a fault
injected, and checks the same four things: the app stays usable, the message is clear, no
draft or outbox row is lost, and no POST is repeated. The API key is distinctive so a leak
onto the screen, into CLI output or into the log is easy to spot.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.sandbox.server import _Handler, _HTTPServer
from smartlead_tui.tui.app import SmartleadApp
from smartlead_tui.tui.wording import in_app_words
from tests.prefill import thread_prefill as prefill_for  # noqa: F401 (the drills import it from here)

#: Distinctive on purpose: any appearance on screen, in output or in a log is a leak.
DRILL_KEY = "sk-DRILL-7f3a91c4-SECRET-never-show"
SIZE = (80, 24)
SEND_PATH = "send-email-thread"
#: Read timeout of the drills that make SmartLead answer slowly, and that slow answer's delay.
SLOW_READ_TIMEOUT = 0.5
SLOW_DELAY = 0.9


class _TrackingHTTPServer(_HTTPServer):
    """Remembers open client connections so `vanish` can cut them like a dead process would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.live.discard(request)
        super().shutdown_request(request)


class DrillSandbox(SandboxServer):
    """The sandbox, plus `vanish()`: the server goes away *including* kept-alive connections.

    `SandboxServer.stop()` only closes the listening socket; a kept-alive connection would still
    be answered by its handler thread, which a crashed or unplugged server would not do.
    """

    def _bind(self) -> _HTTPServer:
        if self._httpd is None:
            httpd = _TrackingHTTPServer((self.host, self._requested_port), _Handler)
            httpd.sandbox = self
            self._httpd = httpd
        return self._httpd

    def vanish(self) -> None:
        httpd = self._httpd
        self.stop()
        if isinstance(httpd, _TrackingHTTPServer):
            for sock in list(httpd.live):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def drill_settings(server: SandboxServer, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a drill: short timeouts and fast polling so each drill takes a second."""
    values: dict[str, Any] = {
        "api_key": server.api_key,
        "api_key_source": "env",
        "base_url": server.base_url,
        "timezone": "UTC",
        "undo_seconds": 0,
        "connect_timeout_seconds": 1.0,
        "read_timeout_seconds": 1.0,
        "poll_interval_seconds": 0.2,
        "poll_backoff_cap_seconds": 1.0,
        "not_found_grace_seconds": 5.0,
        "config_path": tmp_path / "config" / "config.toml",
    }
    values.update(overrides)
    return dataclasses.replace(Settings(), **values)


class DrillApp(SmartleadApp):
    """The real app, remembering every notification it showed: a newer toast of the same kind
    takes an older one's place on screen (tui/toasts.py), and drills check what was said."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.said: list[str] = []

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        self.said.append(f"{title} {in_app_words(message)}")  # as shown (SmartleadApp.notify)
        super().notify(message, title=title, **kwargs)


def make_app(
    server: SandboxServer, tmp_path: Path, *, home: str = "connection", **overrides: Any
) -> SmartleadApp:
    return DrillApp(
        drill_settings(server, tmp_path, **overrides),
        demo=True,
        store_path=tmp_path / "outbox.sqlite3",
        home=home,
    )


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 8.0) -> None:
    """Poll cheaply, then let the screen settle; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
    await pilot.pause()


def static_text(screen: Any, selector: str) -> str:
    """What a Static shows, as plain text (markup never interpreted)."""
    content = screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=2000, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def notes(app: Any) -> str:
    """Every notification so far, titles and messages, as one string (also those a newer
    toast has replaced on screen)."""
    said = getattr(app, "said", None)
    if said is not None:
        return "\n".join(said)
    return "\n".join(f"{n.title} {n.message}" for n in app._notifications)


def assert_key_hidden(app: Any, *more: str) -> None:
    """The key is not on screen (the whole SVG), not in a notification, not in `more`."""
    seen = [app.export_screenshot(), notes(app), *more]
    for text in seen:
        assert DRILL_KEY not in text, "the API key leaked"
        assert DRILL_KEY[3:] not in text, "part of the API key leaked"
