"""The API key is removed from every text that can leave the process."""

from __future__ import annotations

import logging

from smartlead_tui.redact import RedactingFilter, redact, register_secret


def test_query_parameter_is_masked() -> None:
    url = "https://server.smartlead.ai/api/v1/x?api_key=abc123secret&message_id=%3Cx%3E"
    assert redact(url) == "https://server.smartlead.ai/api/v1/x?api_key=***&message_id=%3Cx%3E"


def test_encoded_and_uppercase_forms_are_masked() -> None:
    assert "abc123" not in redact("API_KEY=abc123 and api_key%3Dabc123")


def test_registered_secret_is_masked_anywhere() -> None:
    register_secret("sk-live-9f8e7d6c")
    assert redact("key sk-live-9f8e7d6c in a sentence") == "key *** in a sentence"


def test_log_filter_rewrites_message_and_traceback() -> None:
    register_secret("zz-secret-key-42")
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: %s %s",
        ("GET", "http://h/?api_key=zz-secret-key-42"),
        None,
    )
    try:
        raise RuntimeError("boom zz-secret-key-42")
    except RuntimeError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RedactingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "zz-secret-key-42" not in text
    assert "api_key=***" in text
