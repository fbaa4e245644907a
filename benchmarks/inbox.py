"""Inbox benchmarks: start to a filled inbox, and opening a 50-message thread.

    python benchmarks/inbox.py [--runs 5] [--opens 10]

Each run is a fresh Python process (so imports count) that starts the sandbox, starts the app
headless at 120x40 with the inbox as its screen, and reports when the first page of
conversations has been painted; it then opens the sandbox's ~50-message thread several times
(keypress to painted screen). The parent prints a table. Bounded: every child is killed after
`--timeout` seconds.

Targets (issue 7): start to filled inbox < 1 s; thread of 50 messages < 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

START_TARGET_S = 1.0
THREAD_TARGET_MS = 150.0


def child(opens: int) -> None:
    """One measured run; prints a JSON line with the figures (wall-clock times are absolute,
    so the parent can count from the moment it launched the process)."""
    t0 = time.perf_counter()

    import asyncio
    import dataclasses
    from pathlib import Path
    from tempfile import TemporaryDirectory

    from textual.events import Mount

    import smartlead_tui.tui.app as app_module
    from smartlead_tui.config import Settings
    from smartlead_tui.sandbox import SandboxServer
    from smartlead_tui.tui.app import SmartleadApp
    from smartlead_tui.tui.screens.inbox import InboxScreen
    from smartlead_tui.tui.screens.thread import ThreadScreen

    class BenchApp(SmartleadApp):
        CSS_PATH = str(Path(app_module.__file__).parent / "app.tcss")

        def on_mount(self, event: Mount) -> None:
            event.prevent_default()
            self.push_screen(InboxScreen())

    result: dict[str, Any] = {}

    async def run() -> None:
        sandbox = SandboxServer().start()
        settings = dataclasses.replace(
            Settings(), api_key=sandbox.api_key, base_url=sandbox.base_url, timezone="UTC"
        )
        with TemporaryDirectory() as tmp:
            app = BenchApp(settings, demo=True, store_path=Path(tmp) / "outbox.sqlite3")
            t_app = time.perf_counter()
            async with app.run_test(size=(120, 40)) as pilot:
                painted: list[float] = []
                while True:
                    screen = app.screen
                    if isinstance(screen, InboxScreen) and screen.table.row_count:
                        break
                    await asyncio.sleep(0.002)
                screen.call_after_refresh(lambda: painted.append(time.perf_counter()))
                while not painted:
                    await asyncio.sleep(0.002)
                result["filled_at"] = time.time() - (time.perf_counter() - painted[0])
                result["interpreter_to_filled_s"] = painted[0] - t0
                result["app_to_filled_s"] = painted[0] - t_app
                result["rows"] = screen.table.row_count

                lead = sandbox.seed.long_thread()
                key = f"{lead.campaign_id}:{lead.lead_id}"
                result["thread_messages"] = len(lead.history)
                timings = []
                for _ in range(opens):
                    screen.table.select_key(key)
                    await pilot.pause()
                    started = time.perf_counter()
                    await pilot.press("enter")
                    while not (
                        isinstance(app.screen, ThreadScreen) and app.screen.painted_at is not None
                    ):
                        await asyncio.sleep(0.001)
                    thread = app.screen
                    timings.append((thread.painted_at - started) * 1000)  # type: ignore[operator]
                    while not thread.history_fresh:  # let the background re-read finish
                        await asyncio.sleep(0.005)
                    await pilot.press("escape")
                    await asyncio.sleep(0.3)  # a person reads the list before the next one
                result["thread_open_ms"] = timings
        sandbox.stop()

    asyncio.run(run())
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--opens", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.opens)
        return 0

    results: list[dict[str, Any]] = []
    env = dict(os.environ)
    for _ in range(args.runs):
        launched = time.time()
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--opens", str(args.opens)],
                capture_output=True,
                text=True,
                timeout=args.timeout,
                env=env,
                check=True,
            )
        except subprocess.TimeoutExpired:
            print(f"a run took longer than {args.timeout:g} s; stopped", file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as exc:
            print(exc.stderr[-2000:], file=sys.stderr)
            return 1
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures["process_to_filled_s"] = figures["filled_at"] - launched
        results.append(figures)

    def row(name: str, values: list[float], unit: str, target: float | None) -> str:
        med = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) >= 10 else max(values)
        verdict = "" if target is None else ("ok" if med < target else "SLOW")
        tgt = "" if target is None else f"< {target:g} {unit}"
        return (
            f"| {name:<38} | {min(values):>8.3f} | {med:>8.3f} | {p90:>8.3f} | {max(values):>8.3f} "
            f"| {unit:<4} | {tgt:<9} | {verdict:<4} |"
        )

    opens = [ms for r in results for ms in r["thread_open_ms"]]
    print(
        f"Inbox benchmark: {len(results)} runs, {results[0]['rows']} rows on the first page, "
        f"thread of {results[0]['thread_messages']} messages opened {len(opens)} times "
        "(headless 120x40, loopback sandbox)"
    )
    header = ("measure", "min", "median", "p90", "max", "unit", "target", "")
    print(
        f"| {header[0]:<38} | {header[1]:>8} | {header[2]:>8} | {header[3]:>8} | {header[4]:>8} "
        f"| {header[5]:<4} | {header[6]:<9} | {header[7]:<4} |"
    )
    print("|" + "|".join("-" * w for w in (40, 10, 10, 10, 10, 6, 11, 6)) + "|")
    print(
        row(
            "process start → inbox filled, painted",
            [r["process_to_filled_s"] for r in results],
            "s",
            START_TARGET_S,
        )
    )
    print(
        row(
            "interpreter up → inbox filled, painted",
            [r["interpreter_to_filled_s"] for r in results],
            "s",
            None,
        )
    )
    print(
        row("app start → inbox filled, painted", [r["app_to_filled_s"] for r in results], "s", None)
    )
    print(row("enter → thread of 50 painted", opens, "ms", THREAD_TARGET_MS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
