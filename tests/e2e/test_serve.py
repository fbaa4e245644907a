"""Browser mode: `smartlead-tui serve` serves the real app on loopback (textual-serve)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="browser mode needs smartlead-tui[serve]")
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLEAD_")}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
        XDG_STATE_HOME=str(tmp_path / "s"),
        TERM="xterm-256color",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "smartlead_tui", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("serve did not start listening within 20 s")
    yield port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def _screen_text(port: int, wanted: str, timeout: float = 20.0) -> str:
    import aiohttp

    received = ""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws,
    ):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and wanted not in received:
            try:
                message = await ws.receive(timeout=1.0)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                received += message.data.decode("utf-8", "replace")
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
    return received


def test_served_app_paints_the_demo(served: int) -> None:
    text = asyncio.run(_screen_text(served, "demo sandbox"))
    assert "demo sandbox" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")
def test_page_loads_in_headless_chromium_and_connects(served: int, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"http://127.0.0.1:{served}/",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "textual-terminal" in result.stdout
    assert "-connected" in result.stdout
