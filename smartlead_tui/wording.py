"""Small helpers for the sentences people read (no Textual: the CLI and core use them too)."""

from __future__ import annotations

_ENDINGS = (".", "!", "?", "…")


def join_sentences(*parts: str | None) -> str:
    """Sentences joined with exactly one full stop after each, whatever each already ends with.

    Error texts arrive with or without their final period ("… Nothing was sent."); gluing
    them with "." by hand made "Nothing was sent.. It is back in the drafts."
    """
    sentences = []
    for part in parts:
        text = (part or "").strip()
        if not text:
            continue
        while text.endswith("..") and not text.endswith("..."):
            text = text[:-1]
        if not text.endswith(_ENDINGS):
            text += "."
        sentences.append(text)
    return " ".join(sentences)


def plural(count: int, one: str, many: str) -> str:
    """`one` for a single thing, else `many` with `{count}` filled in: people read "1 draft
    was" and "3 drafts were", not "1 draft(s) were"."""
    return one if count == 1 else many.format(count=count)
