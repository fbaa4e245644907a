"""A rotating log file in the user's log dir, with the API key redacted from every record."""

from __future__ import annotations

import logging
import os
from pathlib import Path

_configured = False
_log_file: Path | None = None


def log_file_path() -> Path | None:
    """Where this process logs (None: logging is off), for messages that point at it."""
    return _log_file


def setup_logging() -> None:
    """Log to `<user_log_dir>/smartlead-tui.log`; silently skip if that dir is not writable.

    Logging must never be the reason the app fails to start (read-only home, full disk).
    """
    global _configured, _log_file
    if _configured:
        return
    _configured = True
    from smartlead_tui.redact import RedactingFilter, install_log_redaction

    install_log_redaction()
    level_name = os.environ.get("SMARTLEAD_LOG_LEVEL", "INFO").upper()
    level = getattr(logging, level_name, logging.INFO)
    root = logging.getLogger("smartlead_tui")
    root.setLevel(level)
    try:
        from logging.handlers import RotatingFileHandler

        from smartlead_tui.config import log_dir

        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = RotatingFileHandler(
            directory / "smartlead-tui.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return
    _log_file = directory / "smartlead-tui.log"
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    # httpx logs every request URL (with the key) at INFO: keep it, but through the same filter.
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.addHandler(handler)
    httpx_logger.setLevel(logging.WARNING if level > logging.DEBUG else logging.DEBUG)
