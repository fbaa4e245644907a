"""Shared pytest fixtures."""

from collections.abc import Iterator

import pytest

from smartlead_tui.sandbox import SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A started SandboxServer on a free localhost port, stopped after the test."""
    server = SandboxServer().start()
    try:
        yield server
    finally:
        server.stop()
