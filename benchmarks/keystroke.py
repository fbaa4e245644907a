"""Keystroke-to-paint latency in the compose body, in a real terminal (tmux).

Starts `smartlead-tui --demo` in tmux, opens the composer on the newest conversation (r), then
types ~100 characters into the body one at a time. For each key it records the time from
handing the key to tmux until the pane's text shows the change (polling `capture-pane`), with a
pause between keys like a fast typist. The same is measured against a minimal Textual app with
one TextArea: the floor this machine, tmux and Textual set. The autosave (a SQLite write within
a second of the last key) and live validation run as in real use. Prints a Markdown table.

Bounded: about 20 s. Usage: python benchmarks/keystroke.py [--keys 100] [--gap 0.06]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

FLOOR_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Static, TextArea

    class Floor(App):
        def compose(self):
            yield Static("FLOOR-READY")
            yield TextArea(id="body")

        def on_mount(self):
            self.query_one(TextArea).focus()

    Floor().run()
    """
)

#: What is typed. No spaces: a space at the end of a line is invisible in the pane's text, so
#: its echo could not be seen (a space costs what a letter does). No ";": tmux reads it as a
#: command separator.
TEXT = (
    "Thanks-for-the-quick-reply.Tuesday-at-10:00-works-for-me!I'll-send-the-agenda-and-a-"
    "short-deck-before-the-call,so-we-can-use-the-time-well.Best,Alex."
)

#: Key to paint under this is not noticed while typing (the usual rule of thumb).
TARGET_MS = 50.0


class Pane:
    """One tmux server with one pane running `command`."""

    def __init__(self, command: str, env: dict[str, str], size: tuple[int, int]) -> None:
        self.tmux = ["tmux", "-u", "-L", f"keys-{uuid.uuid4().hex[:8]}"]
        self.env = env
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), command],
            check=True,
            env=env,
        )

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p"], capture_output=True, text=True, env=self.env
        ).stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        flag = ["-l"] if literal else []
        subprocess.run([*self.tmux, "send-keys", *flag, *keys], check=True, env=self.env)

    def wait_for(self, marker: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.screen():
                return
            time.sleep(0.02)
        raise TimeoutError(f"{marker!r} did not appear in {timeout:g} s:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, env=self.env)


def type_and_time(pane: Pane, count: int, gap: float, timeout: float = 2.0) -> list[float]:
    """Latency (ms) of each of `count` keystrokes; a key whose echo never shows is skipped."""
    latencies: list[float] = []
    for char in (TEXT * (count // len(TEXT) + 1))[:count]:
        before = pane.screen()  # fresh: late repaints of the previous key are not counted
        started = time.perf_counter()
        pane.send(char, literal=True)
        while True:
            if pane.screen() != before:
                latencies.append((time.perf_counter() - started) * 1000)
                break
            if time.perf_counter() - started > timeout:
                break
        time.sleep(gap)
    return latencies


def app_command() -> str:
    exe = Path(sys.executable).with_name("smartlead-tui")
    return (
        shlex.quote(str(exe)) if exe.exists() else f"{shlex.quote(sys.executable)} -m smartlead_tui"
    )


def pane_env(home: str) -> dict[str, str]:
    """A private HOME (no config, a fresh demo outbox) and a UTF-8 256-colour terminal."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMARTLEAD_")},
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_DATA_HOME": f"{home}/data",
        "XDG_STATE_HOME": f"{home}/state",
    }


def measure(
    count: int, gap: float, size: tuple[int, int], floor: bool
) -> list[tuple[str, list[float]]]:
    results: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as home:
        env = pane_env(home)
        if floor:
            script = Path(home) / "floor.py"
            script.write_text(FLOOR_APP, encoding="utf-8")
            pane = Pane(f"{shlex.quote(sys.executable)} {script}", env, size)
            try:
                pane.wait_for("FLOOR-READY")
                time.sleep(0.3)  # let start-up work settle before timing
                results.append(
                    ("minimal Textual TextArea (floor)", type_and_time(pane, count, gap))
                )
            finally:
                pane.close()
        pane = Pane(f"{app_command()} --demo", env, size)
        try:
            pane.wait_for("20 conversations")
            pane.send("r")
            pane.wait_for("Review & send")  # the footer shows it once the body has focus
            time.sleep(0.3)
            results.append(("smartlead-tui compose body", type_and_time(pane, count, gap)))
        finally:
            pane.close()
    return results


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1] if len(values) >= 2 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.06, help="pause between keys (s)")
    parser.add_argument("--size", default="120x40", help="terminal size, e.g. 80x24")
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal-app floor")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is required", file=sys.stderr)
        return 2
    width, height = (int(n) for n in args.size.lower().split("x"))
    results = measure(args.keys, args.gap, (width, height), not args.no_floor)
    print(
        f"Keystroke to painted frame, {args.keys} keys, {args.gap * 1000:.0f} ms apart, "
        f"tmux {width}x{height} (pane text polled with capture-pane)\n"
    )
    print("| measure | median | p90 | min | max | keys seen | target |")
    print("|---|---|---|---|---|---|---|")
    for label, values in results:
        if not values:
            print(f"| {label} | — | — | — | — | 0 of {args.keys} | < {TARGET_MS:g} ms |")
            continue
        med = statistics.median(values)
        verdict = "ok" if med < TARGET_MS else "SLOW"
        target = f"< {TARGET_MS:g} ms ({verdict})" if "floor" not in label else ""
        print(
            f"| {label} | {med:.1f} ms | {percentile(values, 90):.1f} ms | {min(values):.1f} ms "
            f"| {max(values):.1f} ms | {len(values)} of {args.keys} | {target} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
