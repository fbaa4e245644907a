"""Welcome and settings screens at 80x24 (and settings at 120x40)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartlead_tui.config import Settings
from smartlead_tui.tui.app import SmartleadApp

CONFIG = Path("/home/sdr/.config/smartlead-tui/config.toml")
URL = "http://127.0.0.1:9/api/v1"


def _welcome_app(tmp_path: Path) -> SmartleadApp:
    account = Settings(base_url=URL, config_path=CONFIG)
    demo = dataclasses.replace(account, api_key="sandbox-key", api_key_source="demo")
    return SmartleadApp(
        demo,
        demo=True,
        account_settings=account,
        first_run=True,
        store_path=tmp_path / "outbox.sqlite3",
        home="connection",
    )


def _account_app(tmp_path: Path, **extra: object) -> SmartleadApp:
    settings = Settings(
        api_key="sk-live-0123456789abcd",
        api_key_source="file",
        base_url=URL,
        config_path=CONFIG,
        profiles=("acme", "globex"),
    )
    return SmartleadApp(
        settings, store_path=tmp_path / "outbox.sqlite3", home="connection", **extra
    )  # type: ignore[arg-type]


def test_welcome(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_welcome_app(tmp_path), terminal_size=(80, 24))


def test_welcome_typed_key_is_masked(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_welcome_app(tmp_path), terminal_size=(80, 24), press=list("sk-secret"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_settings(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_account_app(tmp_path), terminal_size=size, press=["f2"])


def test_settings_with_an_error(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def type_bad_value(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", "tab")  # → profile, api_key, key command, base_url
        await pilot.press("ctrl+u", *list("http://example.com"))
        await pilot.pause()

    assert snap_compare(_account_app(tmp_path), terminal_size=(80, 24), run_before=type_bad_value)


def test_settings_broken_file(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = _account_app(
        tmp_path,
        config_error=f"{CONFIG}: invalid TOML at line 3, column 9: Expected '=' after a key",
    )
    assert snap_compare(app, terminal_size=(80, 24))
