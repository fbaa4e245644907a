"""A tiny driver for the real `smartlead-tui` command inside tmux, as a person would use it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


def command_path() -> str:
    """The console script installed next to this interpreter (what the README installs)."""
    exe = Path(sys.executable).with_name("smartlead-tui")
    return str(exe) if exe.exists() else f"{shlex.quote(sys.executable)} -m smartlead_tui"


class TmuxSession:
    def __init__(
        self,
        home: Path,
        *,
        width: int = 120,
        height: int = 40,
        term: str = "xterm-256color",
        env: dict[str, str] | None = None,
    ) -> None:
        self.socket = f"slt-{uuid.uuid4().hex[:8]}"
        self.name = "app"
        self.width, self.height, self.term = width, height, term
        self.env = {
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": term,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **(env or {}),
        }

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-u", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.env,
        )

    def start(self, args: str = "") -> TmuxSession:
        """Start the installed command with `args` (a shell-quoted string).

        `exec`: the app replaces start_shell's `sh -c`, so `app_pid` (the first descendant whose
        command line names smartlead) is the app, not a wrapper that kill -9 would leave it behind.
        """
        return self.start_shell(f"exec {command_path()} {args}")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        result = self._tmux("capture-pane", "-p", "-J", "-t", self.name, check=False)
        return result.stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout} s; screen:\n{screen}")

    def app_pid(self) -> int:
        """The pid of the running smartlead-tui process (a descendant of the pane's shell)."""
        pane = int(self._tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").stdout.split()[0])
        todo = [pane]
        while todo:
            pid = todo.pop()
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"smartlead" in cmdline and b"env -i" not in cmdline and pid != pane:
                return pid
            children = subprocess.run(
                ["pgrep", "-P", str(pid)], capture_output=True, text=True
            ).stdout.split()
            todo.extend(int(c) for c in children)
        raise AssertionError("smartlead-tui is not running in the pane")

    def close(self) -> None:
        self._tmux("kill-server", check=False)

    # -- added for the journey and ssh tests (issue 8) -------------------------------------------

    def start_shell(self, command: str) -> TmuxSession:
        """Run any shell command in the pane (with this session's environment), e.g. `ssh -t`.

        Like `start`, it prints EXITED:<code> when the command ends, so exits can be awaited.
        """
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        shell = f"env -i {exports} sh -c {shlex.quote(command)}; echo EXITED:$?; sleep 30"
        self._tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            shell,
        )
        return self

    def screen_ansi(self) -> str:
        """The pane with its colours (SGR escape sequences), to check which palette is in use."""
        return self._tmux("capture-pane", "-p", "-e", "-t", self.name, check=False).stdout

    def wait_for_all(self, *texts: str, timeout: float = 15.0) -> str:
        """Wait until every one of `texts` is on the screen at the same time."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.1)
        missing = [text for text in texts if text not in screen]
        raise AssertionError(f"{missing!r} did not appear within {timeout} s; screen:\n{screen}")
