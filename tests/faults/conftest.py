"""Fixtures of the fault drills, the `drill` marker, and the drills summary table.

The summary hook lives in this (non-root) conftest: pytest loads it while collecting
tests/faults, before the terminal summary, so the table prints whenever drills ran (and not
when only other tests were selected).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import smartlead_tui.logs as logs_module
import smartlead_tui.tui.app as app_module
from smartlead_tui.api.client import SmartLeadClient
from smartlead_tui.config import Settings
from tests.faults import DRILL_KEY, DrillSandbox

_RESULTS = pytest.StashKey[dict[str, tuple[str, str]]]()
_RANK = {"passed": 0, "skipped": 1, "xfailed": 2, "failed": 3}


# -- the marker and the summary ------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "drill(name): a fault drill; listed by name in the fault-drill summary"
    )
    config.stash[_RESULTS] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    marker = item.get_closest_marker("drill")
    if marker is None:
        return report
    name = str(marker.args[0]) if marker.args else item.name
    if report.failed:
        outcome = "failed"
    elif report.skipped and hasattr(report, "wasxfail"):
        outcome = "xfailed"
    elif report.skipped:
        outcome = "skipped"
    else:
        outcome = "passed"
    results = item.config.stash[_RESULTS]
    previous = results.get(item.nodeid)
    if previous is None or _RANK[outcome] > _RANK[previous[1]]:
        results[item.nodeid] = (name, outcome)
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, {})
    if not results:
        return
    rows = list(results.values())
    count = {kind: sum(1 for _, o in rows if o == kind) for kind in _RANK}
    run = len(rows) - count["skipped"]
    head = f"Fault drills: {run} run, {count['passed']} passed"
    if count["xfailed"]:
        head += f", {count['xfailed']} known bug(s) (xfail)"
    if count["failed"]:
        head += f", {count['failed']} FAILED"
    if count["skipped"]:
        head += f", {count['skipped']} skipped"
    labels = {"passed": "passed", "failed": "FAILED", "xfailed": "known bug", "skipped": "skipped"}
    width = max(40, max(len(name) for name, _ in rows) + 4)
    terminalreporter.write_sep("=", "fault drills")
    terminalreporter.write_line(head)
    for name, outcome in rows:
        dots = "." * max(3, width - len(name))
        terminalreporter.write_line(f"  {name} {dots} {labels[outcome]}")


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[DrillSandbox]:
    """A started sandbox that only accepts the distinctive drill key."""
    sandbox = DrillSandbox(api_key=DRILL_KEY).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real config, data or log dir of the person running the tests is touched."""
    for name in ("SMARTLEAD_API_KEY", "SMARTLEAD_BASE_URL", "SMARTLEAD_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMARTLEAD_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("SMARTLEAD_LOG_LEVEL", "DEBUG")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's real client, with read retries backing off in milliseconds, not seconds."""

    def make_client(settings: Settings) -> SmartLeadClient:
        client = SmartLeadClient.from_settings(settings)
        client.backoff_base = 0.01
        return client

    monkeypatch.setattr(app_module, "make_client", make_client)


@pytest.fixture(autouse=True)
def drill_log(isolated_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The app's real log file (DEBUG, httpx included) for this drill; the key must not be in it.

    `setup_logging` configures once per process: it is re-armed here and its handlers and
    levels are taken back afterwards, so each drill reads only its own log.
    """
    from smartlead_tui.config import log_dir

    names = ("smartlead_tui", "httpx")
    loggers = [logging.getLogger(n) for n in names]
    before = [(list(lg.handlers), lg.level) for lg in loggers]
    monkeypatch.setattr(logs_module, "_configured", False)
    logs_module.setup_logging()
    path = log_dir() / "smartlead-tui.log"
    try:
        yield path
    finally:
        for lg, (handlers, level) in zip(loggers, before, strict=True):
            for handler in lg.handlers[:]:
                if handler not in handlers:
                    lg.removeHandler(handler)
                    handler.close()
            lg.setLevel(level)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    assert DRILL_KEY not in text, f"the API key leaked into the log {path}"
