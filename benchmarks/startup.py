"""Start-up benchmark: cold start to first paint, against a minimal Textual app as the floor.

Runs each command in a fresh tmux session (a real terminal) and polls the screen until a
marker appears. Prints a Markdown table for the README. Bounded: a few runs of each, each
with a timeout. Usage: python benchmarks/startup.py [--runs N]
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

MINIMAL_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Static

    class Minimal(App):
        def compose(self):
            yield Static("MINIMAL-READY")

    Minimal().run()
    """
)


def time_to_marker(command: str, marker: str, env: dict[str, str], timeout: float = 20.0) -> float:
    socket = f"bench-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-u", "-L", socket]
    start = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-x", "120", "-y", "40", command],
                   check=True, env=env)
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True,
                                    text=True, env=env).stdout
            if marker in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise TimeoutError(f"{marker!r} did not appear in {timeout} s")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, env=env)


def time_command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is required", file=sys.stderr)
        return 2
    exe = Path(sys.executable).with_name("smartlead-tui")
    fallback = f"{shlex.quote(sys.executable)} -m smartlead_tui"
    app = shlex.quote(str(exe)) if exe.exists() else fallback
    with tempfile.TemporaryDirectory() as home:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SMARTLEAD_")},
            "LANG": "C.UTF-8", "TERM": "xterm-256color", "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data",
            "XDG_STATE_HOME": f"{home}/state",
        }
        minimal = Path(home) / "minimal.py"
        minimal.write_text(MINIMAL_APP, encoding="utf-8")
        rows = []
        cases = [
            ("minimal Textual app (floor)", f"{shlex.quote(sys.executable)} {minimal}",
             "MINIMAL-READY"),
            ("smartlead-tui --demo, first paint", f"{app} --demo", "demo sandbox"),
        ]
        for label, command, marker in cases:
            time_to_marker(command, marker, env)  # warm the OS file cache once
            samples = [time_to_marker(command, marker, env) for _ in range(args.runs)]
            rows.append((label, samples))
        version = [time_command([*shlex.split(app), "--version"], env) for _ in range(args.runs)]
        rows.append(("smartlead-tui --version", version))
    print(f"| measurement ({args.runs} runs) | median | min | max |")
    print("|---|---|---|---|")
    for label, samples in rows:
        print(f"| {label} | {statistics.median(samples) * 1000:.0f} ms "
              f"| {min(samples) * 1000:.0f} ms | {max(samples) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
