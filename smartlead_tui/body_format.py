"""What the person typed, as the body SmartLead sends: minimal HTML by default.

SmartLead stores and shows bodies as HTML (every history body is HTML), so plain text with
`\\n` line breaks may reach the lead's mail client as one run-on paragraph. The one function
here, `outgoing_body`, is used by the TUI and the CLI alike: text is HTML-escaped, blank lines
make paragraphs (`<p>`), single line breaks `<br>`, and http(s) URLs become links. The setting
`body_format = "plain"` sends the text as typed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from smartlead_tui.config import BODY_FORMATS

__all__ = ["BODY_FORMATS", "outgoing_body", "sent_body", "text_to_html"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
#: Punctuation that ends a sentence, not a URL ("see https://x.test/a.").
_TRAILING = ".,;:!?)]}'\""


def _linked(line: str) -> str:
    """Escape one line, turning each http(s) URL into a link to itself."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(line):
        url = match.group()
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break  # a balanced "(...)" belongs to the URL (Wikipedia-style)
            url = url[:-1]
        end = match.start() + len(url)
        out.append(html.escape(line[last : match.start()], quote=False))
        shown = html.escape(url, quote=False)
        out.append(f'<a href="{html.escape(url, quote=True)}">{shown}</a>')
        last = end
    out.append(html.escape(line[last:], quote=False))
    text = "".join(out)
    # HTML folds runs of spaces; keep an indent or aligned columns as typed.
    return re.sub(r"(?<= ) ", "&nbsp;", text.replace("\t", "&nbsp;&nbsp;&nbsp;&nbsp;"))


def text_to_html(text: str) -> str:
    """Typed text as minimal HTML: escaped, `<p>` per paragraph, `<br>` per line, links."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(_linked(line) for line in p.rstrip().split("\n")) + "</p>"
        for p in paragraphs
    )


def outgoing_body(text: str, body_format: str = "html") -> str:
    """The body as it is sent for the `body_format` setting ("html" or "plain")."""
    if body_format == "plain":
        return text
    if body_format != "html":
        raise ValueError(f"body_format must be one of {', '.join(BODY_FORMATS)}")
    return text_to_html(text)


def sent_body(fields: Mapping[str, Any] | None, request_body: Mapping[str, Any] | None) -> str:
    """The body that went out (journaled request), else what was typed (older entries)."""
    for key in ("emailBody", "email_body"):
        value = (request_body or {}).get(key)
        if isinstance(value, str) and value:
            return value
    value = (fields or {}).get("body")
    return value if isinstance(value, str) else ""
