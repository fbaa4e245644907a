"""The compose prefill for the sandbox's first seeded thread, built from the seed itself.

Independent of `smartlead_tui.inbox.reply_prefill` on purpose: tests compare against it.
"""

from __future__ import annotations

from typing import Any

from smartlead_tui.sandbox import SandboxServer


def thread_prefill(server: SandboxServer) -> dict[str, Any]:
    """What the inbox hands the composer for the first seeded thread."""
    ref = server.seed.first_reply()
    lead = server.seed.lead(ref.lead_id)
    reply = lead.replies()[-1]
    return {
        "campaign_id": ref.campaign_id,
        "email_stats_id": ref.stats_id,
        "lead_id": ref.lead_id,
        "lead_label": f"{lead.full_name} <{ref.from_email}>",
        "campaign_name": server.seed.campaign(ref.campaign_id).name,
        "subject": reply.subject,
        "to_email": ref.from_email,
        "to_first_name": lead.first_name,
        "to_last_name": lead.last_name,
        "reply_message_id": ref.message_id,
        "reply_email_body": reply.email_body,
        "reply_email_time": reply.time.isoformat(),
    }
