"""Render every screen in its main states to SVG (Textual's export) and PNG (cairosvg, optional).

Runs the real app against the in-process sandbox. Usage: python screenshots/make.py
PNG needs `pip install cairosvg` and the Fira Code font (`apt-get install fonts-firacode`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from smartlead_tui.config import Settings
from smartlead_tui.sandbox import SandboxServer
from smartlead_tui.tui.app import SmartleadApp

HERE = Path(__file__).parent

Step = Callable[[Pilot[int]], Awaitable[None]]


async def _keys(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


SHOTS: list[tuple[str, tuple[int, int], Step]] = [
    ("home", (120, 40), lambda p: _keys(p, "c")),
    ("home-80x24", (80, 24), lambda p: _keys(p)),
    ("help", (80, 24), lambda p: _keys(p, "f1")),
]


async def shoot(sandbox: SandboxServer, name: str, size: tuple[int, int], step: Step,
                store_dir: Path) -> Path:
    settings = dataclasses.replace(
        Settings(), api_key=sandbox.api_key, api_key_source="demo", base_url=sandbox.base_url
    )
    app = SmartleadApp(settings, demo=True, store_path=store_dir / f"{name}.sqlite3")
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        await step(pilot)
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"smartlead-tui — {name}"), encoding="utf-8")
    return path


def to_png(svg: Path) -> Path | None:
    try:
        import cairosvg  # type: ignore[import-untyped]
    except ImportError:
        return None
    png = svg.with_suffix(".png")
    cairosvg.svg2png(url=str(svg), write_to=str(png))
    return png


async def main() -> int:
    with SandboxServer() as sandbox, tempfile.TemporaryDirectory() as tmp:
        for name, size, step in SHOTS:
            svg = await shoot(sandbox, name, size, step, Path(tmp))
            png = to_png(svg)
            print(f"{svg.relative_to(HERE.parent)}" + (f"  {png.name}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
