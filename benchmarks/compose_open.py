"""`r` to a composer ready for typing, in a real terminal (tmux), against a floor.

Starts `smartlead-tui --demo` in tmux at 80x24, then repeats: `r` on the selected conversation,
time until the pane shows the composer's "Review & send" key (the footer shows it once the body
has focus), `escape`, time until the inbox is back. The floor is the same terminal's cost of a
key that repaints the inbox (`j`/`k` moving the cursor): what any screen change costs here.
The first open builds the form; every later one refills it (issue 11, item 10).

Bounded: about 20 s. Usage: python benchmarks/compose_open.py [--opens 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from keystroke import Pane, app_command, pane_env, percentile


def styled(pane: Pane) -> str:
    """The pane with its colours: the inbox cursor is a highlight, not text."""
    return subprocess.run(
        [*pane.tmux, "capture-pane", "-p", "-e"], capture_output=True, text=True, env=pane.env
    ).stdout


def until_changed(pane: Pane, key: str, marker: str | None, timeout: float = 5.0) -> float:
    """ms from sending `key` until the pane shows `marker` (or any change when None)."""
    before = styled(pane)
    started = time.perf_counter()
    pane.send(key)
    while time.perf_counter() - started < timeout:
        shown = pane.screen() if marker is not None else styled(pane)
        if (marker in shown) if marker is not None else (shown != before):
            return (time.perf_counter() - started) * 1000
    raise TimeoutError(f"{key} -> {marker!r} not seen:\n{pane.screen()}")


def measure(opens: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"floor": [], "first": [], "again": [], "back": []}
    with tempfile.TemporaryDirectory() as home:
        env = pane_env(home)
        pane = Pane(f"{app_command()} --demo", env, (80, 24))
        try:
            pane.wait_for("20 conversations")
            time.sleep(0.5)
            for index in range(opens):
                results["floor"].append(until_changed(pane, "k" if index % 2 else "j", None))
                time.sleep(0.15)
                label = "first" if index == 0 else "again"
                results[label].append(until_changed(pane, "r", "Review & send"))
                time.sleep(0.3)
                results["back"].append(until_changed(pane, "Escape", "20 conversations"))
                time.sleep(0.3)
        finally:
            pane.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is required", file=sys.stderr)
        return 2
    results = measure(max(2, args.opens))
    floor = statistics.median(results["floor"])
    print(f"`r` to a composer ready for typing, tmux 80x24, {args.opens} opens\n")
    print("| measure | median | p90 | min | max | × floor |")
    print("|---|---|---|---|---|---|")
    rows = (
        ("inbox cursor key to repaint (floor)", results["floor"]),
        ("r → composer, first open (builds the form)", results["first"]),
        ("r → composer, later opens (refilled)", results["again"]),
        ("escape → inbox", results["back"]),
    )
    for label, values in rows:
        med = statistics.median(values)
        print(
            f"| {label} | {med:.0f} ms | {percentile(values, 90):.0f} ms | {min(values):.0f} ms "
            f"| {max(values):.0f} ms | {med / floor:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
