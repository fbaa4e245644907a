"""Command palette entries for the reply form's own keys (ctrl+l strip, ctrl+end).

Their bindings live on the form, which the palette does not look at: a screen names this
provider in its COMMANDS so every key of the form can also be found by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from smartlead_tui.tui.widgets.reply_form import ReplyForm

__all__ = ["ReplyFormCommands"]


class ReplyFormCommands(Provider):
    """Palette commands of the ReplyForm on the calling screen, while it is editable."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], None]]]:
        forms = self.screen.query(ReplyForm)
        if not forms or forms.first().disabled:
            return
        form = forms.first()
        yield (
            "Strip control characters",
            f"Remove pasted terminal codes (ESC, BEL…) from every field "
            f"({form.key_for('compose.strip-controls')})",
            form.action_strip_controls,
        )
        yield (
            "End of body",
            f"Jump to the end of the reply body ({form.key_for('compose.body-end')})",
            form.action_body_end,
        )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
