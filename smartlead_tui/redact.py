"""Keep the API key out of everything a person or a log file can see.

SmartLead authenticates with `?api_key=KEY` in the URL, and httpx copies the full URL into its
exception text and its INFO log lines. Everything that leaves the process goes through here.
"""

from __future__ import annotations

import logging
import re
import threading

_QUERY_KEY = re.compile(r"(api_key(?:=|%3D))[^&\s'\"#<>]*", re.IGNORECASE)
_MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so `redact` removes it wherever it appears, not only after `api_key=`."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)


def redact(text: object) -> str:
    """Return `text` as a string with every API key replaced by `***`."""
    result = _QUERY_KEY.sub(lambda m: m.group(1) + _MASK, str(text))
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        result = result.replace(secret, _MASK)
    return result


class RedactingFilter(logging.Filter):
    """Rewrites each record's message so no handler ever formats the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not crash logging
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the filter to the loggers that see request URLs (httpx logs each one at INFO)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in ("httpx", "httpcore", "smartlead_tui"):
        logging.getLogger(name).addFilter(RedactingFilter())
