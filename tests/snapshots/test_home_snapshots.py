"""How the home screen looks at the two sizes we promise."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartlead_tui.config import Settings
from smartlead_tui.tui.app import SmartleadApp


def _app(tmp_path: Path) -> SmartleadApp:
    settings = dataclasses.replace(
        Settings(),
        api_key="sandbox-key",
        api_key_source="demo",
        base_url="http://127.0.0.1:9/api/v1",
    )
    return SmartleadApp(
        settings, demo=True, store_path=tmp_path / "outbox.sqlite3", home="connection"
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_home(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(tmp_path), terminal_size=size)


def test_help(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["f1"])
