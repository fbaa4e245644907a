"""Render every screen in its main states to SVG (Textual's export) and PNG (cairosvg, optional).

Runs the real app headless against the in-process sandbox and drives it with keys, as a person
would: read the inbox, open a thread, reply, review, confirm, watch the outbox reach COMPLETED.
Times are shown in UTC; the data is the sandbox's seeded day, so runs look the same apart from
clock times. Usage: python screenshots/make.py  (about 30 s)

PNG needs `pip install cairosvg` and the Fira Code font (`apt-get install fonts-firacode`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp

HERE = Path(__file__).parent

#: What the settings and welcome screens show as the config file (never read or written here).
SHOWN_CONFIG = Path("~/.config/smartlead-tui/config.toml")

REPLIES = [
    "Hi {first},\n\nThanks for the quick answer. Tuesday at 10:00 works for me; I'll send an "
    "invite with a short agenda and the [pricing] one-pager.\n\nBest,\nAlex",
    "Hi {first},\n\nGreat to hear. I've attached the case study we talked about; happy to walk "
    "you through it on a call this week.\n\nAlex",
    "Hi {first},\n\nUnderstood, I'll check back next quarter.\n\nAlex",
]

written: list[str] = []


# -- helpers ---------------------------------------------------------------------------------


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, timeout: float = 30
) -> None:
    """Wait (without fixed sleeps) for the app to get somewhere, then let it paint."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    await pilot.pause()
    await pilot.pause(0.1)


def screen_is(app: SmartleadApp, name: str) -> bool:
    return type(app.screen).__name__ == name


def shoot(app: SmartleadApp, name: str) -> None:
    """Write NAME.svg (and NAME.png), with blinking cursors held on."""
    for widget in app.screen.query("TextArea, Input"):
        if isinstance(widget, TextArea | Input):
            widget.cursor_blink = False
    svg = HERE / f"{name}.svg"
    svg.write_text(app.export_screenshot(title=f"smartlead-tui — {name}"), encoding="utf-8")
    png = to_png(svg)
    written.append(f"{svg.name}" + (f"  {png.name}" if png else ""))
    print(written[-1], flush=True)


def to_png(svg: Path) -> Path | None:
    try:
        import cairosvg  # type: ignore[import-untyped]
    except ImportError:
        return None
    png = svg.with_suffix(".png")
    text = with_fallback_fonts(svg.read_text(encoding="utf-8"))
    cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(png))
    return png


#: Glyphs no usual font has (Textual's header icon): drawn as a look-alike in the PNG only.
LOOK_ALIKES = {"\u2b58": "\u25cb"}  # ⭘ -> ○

_TEXT = re.compile(r"(<text\b)([^>]*>)([^<]*)(</text>)")


@functools.cache
def families_with(char: str) -> tuple[str, ...]:
    """Font families (fontconfig) that draw `char`; empty when fc-list is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    out = subprocess.run(
        [fc_list, f":charset={ord(char):x}", "family"], capture_output=True, text=True
    ).stdout
    return tuple(sorted({line.split(",")[0].strip() for line in out.splitlines() if line}))


def with_fallback_fonts(svg: str) -> str:
    """Per-glyph font fallback for cairosvg, which has none (browsers do it themselves).

    Textual's SVG draws every run of text in Fira Code; a run with a glyph Fira Code lacks
    (✗, CJK names) gets a font that has them, else the PNG shows empty boxes. The SVG files
    stay exactly as Textual exported them.
    """
    if not families_with("a"):
        return svg

    def fix(match: re.Match[str]) -> str:
        opening, rest, content, closing = match.groups()
        for glyph, alike in LOOK_ALIKES.items():
            content = content.replace(glyph, alike)
        missing = {c for c in html.unescape(content) if ord(c) > 127}
        missing = {c for c in missing if "Fira Code" not in families_with(c)}
        if not missing:
            return f"{opening}{rest}{content}{closing}"
        candidates = set.intersection(*(set(families_with(c)) for c in missing))
        family = next(
            (f for f in ("DejaVu Sans Mono", "Noto Sans Mono", "DejaVu Sans") if f in candidates),
            min(candidates) if candidates else None,
        )
        if family is None:
            return f"{opening}{rest}{content}{closing}"
        return f"{opening} style=\"font-family: '{family}'\"{rest}{content}{closing}"

    return _TEXT.sub(fix, svg)


def demo_settings(sandbox: SandboxServer) -> Settings:
    return dataclasses.replace(
        Settings(),
        api_key=sandbox.api_key,
        api_key_source="demo",
        base_url=sandbox.base_url,
        timezone="UTC",
        poll_interval_seconds=1.0,  # COMPLETED within seconds rather than half a minute
        config_path=SHOWN_CONFIG,
    )


def account_settings(settings: Settings) -> Settings:
    """A plausible configured account for the settings screen (the key is shown masked)."""
    return dataclasses.replace(
        settings,
        api_key="sk_live_4f1c2a7e9b03d5c8e6a19c",
        api_key_source="file",
        base_url=Settings().base_url,
    )


def inbox_ready(app: SmartleadApp) -> bool:
    screen: Any = app.screen
    return screen_is(app, "InboxScreen") and screen.table.row_count > 0 and not screen.busy


async def write_reply(pilot: Pilot[Any], text: str) -> Any:
    """On a compose screen: put the body in, as typed."""
    app: Any = pilot.app
    await until(pilot, lambda: screen_is(app, "ComposeScreen"), "the composer")
    compose = app.screen
    body = compose.form.query_one("#body", TextArea)
    await until(pilot, lambda: body.has_focus, "the body to have focus")
    first = str(compose.form.get_fields().get("to_first_name") or "there")
    body.insert(text.format(first=first))
    await pilot.pause(0.2)
    return compose


async def send_reply(pilot: Pilot[Any], compose: Any, *, shots: bool = False) -> None:
    """Review, confirm, and (skipping the rest of the undo window) send."""
    app: Any = pilot.app
    await pilot.press("ctrl+s")
    await until(pilot, lambda: screen_is(app, "ReviewScreen"), "the review")
    if shots:
        shoot(app, "review")
    await pilot.press("enter")
    await until(pilot, lambda: compose.phase == "held", "the undo window")
    # Back on the inbox at once, the next conversation selected; u would take it back.
    await until(pilot, lambda: inbox_ready(app), "back on the inbox")
    if shots:
        await pilot.pause(0.3)
        shoot(app, "compose-held")
    app.send_driver.send_now(compose.held_entry_id)
    await until(pilot, lambda: compose.phase in ("done", "edit"), "the send's outcome")


# -- sessions --------------------------------------------------------------------------------


async def main_flow(sandbox: SandboxServer, folder: Path) -> None:
    """120x40: inbox → thread → compose → review → held → outbox → detail → settings → help."""
    settings = demo_settings(sandbox)
    app = SmartleadApp(
        settings,
        demo=True,
        store_path=folder / "flow.sqlite3",
        account_settings=account_settings(settings),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: inbox_ready(app), "the inbox")
        shoot(app, "inbox")

        # 1. Read a thread, reply from it, with every step of the send on camera.
        await pilot.press("enter")
        await until(
            pilot,
            lambda: screen_is(app, "ThreadScreen") and app.screen.history_fresh,  # type: ignore[attr-defined]
            "the thread",
        )
        shoot(app, "thread")
        await pilot.press("r")
        compose = await write_reply(pilot, REPLIES[0])
        shoot(app, "compose")
        await send_reply(pilot, compose, shots=True)
        first_id = compose.held_entry_id

        # 2. Another reply straight from the inbox (the send left the next row selected).
        await pilot.press("r")
        compose = await write_reply(pilot, REPLIES[1])
        await send_reply(pilot, compose)

        # 3. One SmartLead refuses (a 500): nothing went; r on it shows the reply and why.
        sandbox.add_fault("500", method="POST", path="send-email-thread")
        await pilot.press("r")
        compose = await write_reply(pilot, REPLIES[2])
        await send_reply(pilot, compose)
        await pilot.press("up", "r")
        await until(pilot, lambda: screen_is(app, "ComposeScreen"), "the refused reply")
        await pilot.pause(0.6)
        shoot(app, "compose-failed")
        await pilot.press("escape")
        await until(pilot, lambda: inbox_ready(app), "back in the inbox")

        # The live panel: in flight first, then delivered.
        await pilot.press("ctrl+o")
        await until(
            pilot,
            lambda: screen_is(app, "OutboxScreen") and app.screen.loaded,  # type: ignore[attr-defined]
            "the outbox",
        )
        shoot(app, "outbox-live")

        def delivered() -> bool:
            entries = app.store.list_entries(limit=10)
            return sum(e.last_status == "COMPLETED" for e in entries) >= 2

        await until(pilot, delivered, "two replies COMPLETED", timeout=60)
        await pilot.pause(0.5)
        shoot(app, "outbox")

        table: Any = app.screen.query_one("StatusTable")
        table.move_cursor(row=table.get_row_index(str(first_id)))
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, "OutboxDetailScreen"), "the detail")
        shoot(app, "outbox-detail")

        await pilot.press("f2")
        await until(pilot, lambda: screen_is(app, "SettingsScreen"), "the settings")
        shoot(app, "settings")

        app.open_inbox()
        await until(pilot, lambda: inbox_ready(app), "the inbox again")
        await pilot.press("f1")
        await until(pilot, lambda: screen_is(app, "HelpScreen"), "the help")
        shoot(app, "help")


async def narrow(sandbox: SandboxServer, folder: Path) -> None:
    """80x24, the smallest size we promise: the inbox and a filled composer."""
    app = SmartleadApp(demo_settings(sandbox), demo=True, store_path=folder / "narrow.sqlite3")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: inbox_ready(app), "the inbox")
        shoot(app, "inbox-80x24")
        await pilot.press("r")
        await write_reply(pilot, REPLIES[0])
        shoot(app, "compose-80x24")


async def welcome(sandbox: SandboxServer, folder: Path) -> None:
    """The first start without a key: the welcome screen over the running demo."""
    settings = demo_settings(sandbox)
    app = SmartleadApp(
        settings,
        demo=True,
        store_path=folder / "welcome.sqlite3",
        account_settings=dataclasses.replace(settings, api_key=None, api_key_source="none"),
        first_run=True,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: screen_is(app, "WelcomeScreen"), "the welcome screen")
        shoot(app, "welcome")


async def main() -> int:
    with SandboxServer() as sandbox, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await main_flow(sandbox, folder)
        await narrow(sandbox, folder)
        await welcome(sandbox, folder)
    print(f"{len(written)} screenshots in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
