"""Control characters in what a person typed or pasted: find them, name them, show them, strip them.

A paste from a terminal can carry ESC sequences and bells. A terminal acts on them instead of
showing them (the line scrambles), and a mail client would get them verbatim, so they block a
send. The person needs every one of them named (not just the first), a safe way to see where
they are, and one key to remove them. Pure stdlib: the CLI, the outbox and the TUI share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "CONTROL_CHARS",
    "control_names",
    "describe_controls",
    "find_controls",
    "has_controls",
    "strip_controls",
    "visible_controls",
]

#: Characters a terminal or a mail client acts on rather than shows: C0 controls, DEL, C1.
#: Tab, newline and carriage return are text (a body file written on Windows has CRLF ends).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# fmt: off
_C0_NAMES = (
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC",
    "FS", "GS", "RS", "US",
)
_C1_NAMES = (
    "PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU",
    "RI", "SS2", "SS3", "DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGC", "SCI",
    "CSI", "ST", "OSC", "PM", "APC",
)
# fmt: on

#: One visible, one-cell stand-in per control character, so a line keeps its length and the
#: cursor stays where it is: Unicode's Control Pictures (␛ for ESC, ␇ for BEL, ␡ for DEL);
#: C1 controls have no picture and show as the replacement character.
_PICTURES = {
    **{code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)},
    0x7F: "\u2421",
    **{code: "\ufffd" for code in range(0x80, 0xA0)},
}


def _name(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return _C0_NAMES[code]
    if code == 0x7F:
        return "DEL"
    return _C1_NAMES[code - 0x80]


def find_controls(text: str) -> dict[str, int]:
    """Each control character in `text` with how often it occurs, in order of first appearance."""
    found: dict[str, int] = {}
    for match in CONTROL_CHARS.finditer(text or ""):
        found[match.group()] = found.get(match.group(), 0) + 1
    return found


def has_controls(values: Iterable[object]) -> bool:
    """Whether any of `values` is a string holding a control character."""
    return any(isinstance(v, str) and CONTROL_CHARS.search(v) for v in values)


def control_names(found: dict[str, int]) -> list[str]:
    """ "U+001B (ESC)" per character, with "×3" when it occurs more than once."""
    names = []
    for char, count in found.items():
        name = f"U+{ord(char):04X} ({_name(char)})"
        names.append(f"{name} ×{count}" if count > 1 else name)
    return names


def describe_controls(text: str) -> str:
    """A sentence part naming every control character in `text`, or "" when there is none.

    "the control character U+0007 (BEL)", or "control characters U+0007 (BEL) and
    U+001B (ESC) ×2": a message that named only the first left the ESC after it unexplained.
    """
    found = find_controls(text)
    if not found:
        return ""
    names = control_names(found)
    if len(names) == 1:
        return f"the control character {names[0]}"
    return f"control characters {', '.join(names[:-1])} and {names[-1]}"


#: A whole terminal escape sequence (CSI like "ESC[31m", OSC up to BEL or ST, a two-byte ESC x):
#: stripping the ESC alone would leave "[31m" in the reply.
ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


def strip_controls(text: str) -> str:
    """`text` without its control characters or the escape sequences they start (tab, newline
    and carriage return stay)."""
    return CONTROL_CHARS.sub("", ESCAPE_SEQUENCE.sub("", text))


def visible_controls(text: str) -> str:
    """`text` with each control character replaced by its one-cell picture (same length)."""
    if not CONTROL_CHARS.search(text):
        return text
    return CONTROL_CHARS.sub(lambda m: _PICTURES[ord(m.group())], text)
