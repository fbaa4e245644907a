"""A terminal-input parser that keeps a bracketed paste whole, ESC sequences and all.

Textual 8.2's XTermParser reads an ESC inside a bracketed paste as the start of a key sequence:
what follows it leaves the paste and arrives first as typed keys, the ESC itself as "^". A
pasted "Hi\\x07 \\x1b[31mred" became "^[31mredHi\\x07 " in the body (the line scrambled), and
the composer could name the BEL but never the ESC. This parser takes everything between the
paste markers as the paste itself; the composer then names every control character and
offers to strip them.

It relies on Textual internals (the drivers look `XTermParser` up in their module when their
input thread starts), kept to this one module and checked by tests/tui/test_paste_parser.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from textual import _xterm_parser, events
from textual._time import get_time
from textual.message import Message

__all__ = ["PASTE_END", "PASTE_START", "PasteKeepingParser", "install"]

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"

#: A paste whose end marker never comes (a broken terminal) is delivered after this much
#: silence, so input cannot be swallowed for good.
PASTE_STALL_SECONDS = 2.0

#: How long the end of a read that may be a split start marker ("ESC [ 2 0") waits for the
#: rest before it is parsed as keys after all.
HOLD_SECONDS = 0.05

#: Driver modules that build an XTermParser when their input thread starts.
_DRIVER_MODULES = (
    "textual.drivers.linux_driver",
    "textual.drivers.linux_inline_driver",
    "textual.drivers.web_driver",
)


def _partial_suffix(data: str, marker: str) -> int:
    """Length of the longest end of `data` that could be the start of `marker`."""
    for size in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


class PasteKeepingParser(_xterm_parser.XTermParser):
    """XTermParser that hands a bracketed paste over verbatim, as one Paste event."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._paste: list[str] | None = None
        self._held = ""  # a chunk's end that may be the start of a paste marker
        self._held_at = 0.0
        self._paste_seen_at = 0.0

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            if self._paste is not None:
                self._paste.append(self._take_held())
            yield from self._finish_paste()
            yield from self._keys(self._take_held())
            yield from super().feed(data)
            return
        data = self._take_held() + data
        while data:
            if self._paste is not None:
                self._paste_seen_at = get_time()
                end = data.find(PASTE_END)
                if end < 0:
                    keep = _partial_suffix(data, PASTE_END)
                    self._paste.append(data[: len(data) - keep])
                    self._hold(data[len(data) - keep :])
                    return
                self._paste.append(data[:end])
                data = data[end + len(PASTE_END) :]
                yield from self._finish_paste()
                continue
            start = data.find(PASTE_START)
            if start < 0:
                # Hold back a possible split start marker for a moment, but never a lone
                # ESC: the escape key must not wait (a marker split right after its ESC is
                # left to Textual's own paste handling).
                keep = _partial_suffix(data, PASTE_START)
                keep = keep if keep >= 2 else 0
                yield from self._keys(data[: len(data) - keep])
                self._hold(data[len(data) - keep :])
                return
            yield from self._keys(data[:start])
            self._paste = []
            self._paste_seen_at = get_time()
            data = data[start + len(PASTE_START) :]

    def tick(self) -> Iterable[Message]:
        if self._paste is None and self._held and get_time() - self._held_at >= HOLD_SECONDS:
            yield from self._keys(self._take_held())  # no marker came: they were keys
        elif self._paste is not None and get_time() - self._paste_seen_at > PASTE_STALL_SECONDS:
            self._paste.append(self._take_held())
            yield from self._finish_paste()
        yield from super().tick()

    def _keys(self, text: str) -> Iterable[Message]:
        """Parse input outside a paste the stock way ("" would mean end of input to it)."""
        if text:
            yield from super().feed(text)

    def _hold(self, text: str) -> None:
        self._held = text
        self._held_at = get_time()

    def _take_held(self) -> str:
        held, self._held = self._held, ""
        return held

    def _finish_paste(self) -> Iterable[Message]:
        if self._paste is None:
            return
        text = "".join(self._paste)
        self._paste = None
        # NUL is dropped as Textual does (Textualize/textual#1661); everything else is kept.
        yield events.Paste(text.replace("\x00", ""))


def install() -> None:
    """Make the terminal drivers build PasteKeepingParser (call before the app runs)."""
    _xterm_parser.XTermParser = PasteKeepingParser  # type: ignore[misc]
    for name in _DRIVER_MODULES:
        module = sys.modules.get(name)
        if module is not None and "XTermParser" in vars(module):
            vars(module)["XTermParser"] = PasteKeepingParser
