"""A bracketed paste reaches the app whole: ESC sequences inside it are text, not keys."""

from __future__ import annotations

import importlib
import time

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from smartlead_tui.tui.paste_parser import PasteKeepingParser, install

PASTE = "Hi\x07 there \x1b[31mred\x1b[0m done"
WIRE = f"\x1b[200~{PASTE}\x1b[201~"


def parse(parser: XTermParser, *chunks: str) -> list[object]:
    """Like the driver's input thread: a tick right after each read."""
    out: list[object] = []
    for chunk in chunks:
        out += list(parser.feed(chunk))
        out += list(parser.tick())
    return out


def pastes(messages: list[object]) -> list[str]:
    return [m.text for m in messages if isinstance(m, events.Paste)]


def keys(messages: list[object]) -> list[str]:
    return [m.key for m in messages if isinstance(m, events.Key)]


def test_stock_parser_loses_the_escape_sequences() -> None:
    """Why this module exists: if this starts failing, Textual fixed it and it can go."""
    got = parse(XTermParser(), WIRE)
    assert pastes(got) != [PASTE]
    assert "circumflex_accent" in keys(got)  # the ESC arrived as a typed "^"


@pytest.mark.parametrize(
    "chunks",
    [
        [WIRE],
        ["a", WIRE, "b"],
        [WIRE[:4], WIRE[4:20], WIRE[20:-3], WIRE[-3:]],  # split inside both markers
        [WIRE[:2], *WIRE[2:]],  # then one character at a time
    ],
)
def test_paste_kept_whole(chunks: list[str]) -> None:
    got = parse(PasteKeepingParser(), *chunks)
    assert pastes(got) == [PASTE]
    assert "circumflex_accent" not in keys(got)


def test_keys_around_a_paste_still_work() -> None:
    parser = PasteKeepingParser()
    got = parse(parser, "x", WIRE, "\x1b[A")
    assert keys(got) == ["x", "up"]
    assert pastes(got) == [PASTE]
    # A lone ESC is the escape key, not held back waiting for a paste marker; "ESC [" not
    # followed by one gives the keys Textual gives, once the moment has passed.
    for wire in ("\x1b", "\x1b["):
        assert settled_keys(PasteKeepingParser(), wire) == settled_keys(XTermParser(), wire)
    assert settled_keys(PasteKeepingParser(), "\x1b") == ["escape"]


def settled_keys(parser: XTermParser, wire: str) -> list[str]:
    got = list(parser.feed(wire))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        got += list(parser.tick())
        if parser._timeout_time is None and not getattr(parser, "_held", ""):
            break
        time.sleep(0.01)
    return keys(got)


def test_a_paste_without_its_end_marker_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import smartlead_tui.tui.paste_parser as module

    now = [100.0]
    monkeypatch.setattr(module, "get_time", lambda: now[0])
    parser = PasteKeepingParser()
    assert pastes(parse(parser, "\x1b[200~half a paste")) == []
    now[0] += module.PASTE_STALL_SECONDS + 1
    assert pastes(list(parser.tick())) == ["half a paste"]


def test_install_reaches_the_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    linux = importlib.import_module("textual.drivers.linux_driver")
    parser_module = importlib.import_module("textual._xterm_parser")
    monkeypatch.setattr(linux, "XTermParser", linux.XTermParser)
    monkeypatch.setattr(parser_module, "XTermParser", parser_module.XTermParser)
    install()
    assert linux.XTermParser is PasteKeepingParser
    assert parser_module.XTermParser is PasteKeepingParser
