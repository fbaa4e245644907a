"""Deterministic seed data for the sandbox: campaigns, leads and their email threads.

The data is generated from a fixed `random.Random(seed)` and a base time taken once at
construction, so every sandbox started with the same seed and clock serves the same ids,
names and bodies. Tests and the e2e harness rely on that to address threads by id.

The conversations deliberately contain the awkward cases a client must survive: non-ASCII
names, square brackets (Rich/Textual markup look-alikes), quoted `<blockquote>` history,
a reply from a colleague rather than the imported lead address, and one ~50-message thread.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

#: The account's lead categories as `GET /leads/fetch-categories` serves them: SmartLead's
#: defaults (ids 1..7 as seen on real accounts) plus a custom one with a large id, as accounts
#: get them. Clients must show these names and never map an id by hand.
CUSTOM_CATEGORY_ID = 4497
CATEGORIES: list[dict[str, Any]] = [
    {"id": cid, "name": name, "sentiment_type": sentiment, "created_at": created}
    for cid, name, sentiment, created in (
        (1, "Interested", "positive", "2024-02-06T10:12:44.512Z"),
        (2, "Meeting Request", "positive", "2024-02-06T10:12:44.512Z"),
        (3, "Not Interested", "negative", "2024-02-06T10:12:44.512Z"),
        (4, "Do Not Contact", "negative", "2024-02-06T10:12:44.512Z"),
        (5, "Information Request", "neutral", "2024-02-06T10:12:44.512Z"),
        (6, "Out Of Office", "neutral", "2024-02-06T10:12:44.512Z"),
        (7, "Wrong Person", "neutral", "2024-02-06T10:12:44.512Z"),
        (CUSTOM_CATEGORY_ID, "Follow up Q1", "neutral", "2025-11-03T08:41:09.077Z"),
    )
]


def iso_ms(value: datetime | None) -> str | None:
    """Format like SmartLead does: UTC, milliseconds, trailing Z (e.g. 2026-03-12T11:29:05.173Z)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class Message:
    """One email in a lead's thread, in the shape message-history returns."""

    stats_id: str
    message_id: str
    type: str  # "SENT" | "REPLY"
    time: datetime
    from_email: str
    to_email: str
    subject: str
    email_body: str
    cc: str | None = None
    bcc: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    email_seq_number: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Wire form; `email_seq_number` is a string like the live API tends to send."""
        return {
            "stats_id": self.stats_id,
            "message_id": self.message_id,
            "type": self.type,
            "time": iso_ms(self.time),
            "from": self.from_email,
            "to": self.to_email,
            "subject": self.subject,
            "email_body": self.email_body,
            "cc": self.cc,
            "bcc": self.bcc,
            "attachments": [dict(a) for a in self.attachments],
            "email_seq_number": self.email_seq_number,
        }


@dataclass
class Campaign:
    """A campaign and the single mailbox it sends from."""

    id: int
    name: str
    mailbox: str
    sender_name: str
    subject_template: str
    pitch: str


@dataclass
class Lead:
    """One lead-in-campaign conversation (a row of the master inbox)."""

    lead_id: int
    lead_map_id: int
    campaign_id: int
    first_name: str
    last_name: str
    email: str
    company: str
    category_id: int | None
    unread: bool = False
    important: bool = False
    snoozed: bool = False
    archived: bool = False
    history: list[Message] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def replies(self) -> list[Message]:
        """REPLY messages, oldest first."""
        return sorted((m for m in self.history if m.type == "REPLY"), key=lambda m: m.time)

    def sent(self) -> list[Message]:
        """SENT messages, oldest first."""
        return sorted((m for m in self.history if m.type == "SENT"), key=lambda m: m.time)


class ReplyRef(NamedTuple):
    """Everything a caller needs to answer (or look up) one message."""

    campaign_id: int
    lead_id: int
    stats_id: str
    message_id: str
    from_email: str


# ---------------------------------------------------------------------------
# static tables

_CAMPAIGNS: list[tuple[int, str, str, str, str, str]] = [
    (
        1204518,
        "Q4 Fintech CFOs",
        "alex@outreach-acme.io",
        "Alex",
        "{company} + a faster month-end close",
        "we help finance teams at fintechs close the books in 3 days instead of 10",
    ),
    (
        1204522,
        "SaaS RevOps — EU",
        "sofia@acme-growth.eu",
        "Sofia",
        "Pipeline hygiene at {company}",
        "we automate CRM hygiene for RevOps teams — dedupe, enrichment and routing",
    ),
    (
        1204537,
        "[Beta] Agency partners",
        "jamie@tryacme.co",
        "Jamie",
        "Partnering with {company}?",
        "we're opening a small beta of our white-label reporting for agencies",
    ),
    (
        1204541,
        "Healthcare IT — follow-ups",
        "priya@outreach-acme.io",
        "Priya",
        "HIPAA-ready scheduling for {company}",
        "we run patient scheduling and reminders that pass HIPAA audits out of the box",
    ),
    (
        1204560,
        "Founders / Series A (NYC)",
        "alex@acmehq-mail.com",
        "Alex",
        "Idea for {company}'s first sales hire",
        "we help Series A founders hand outbound to their first AE without losing pipeline",
    ),
]

# first, last, email, company, campaign index, category, flags, extra
_LEADS: list[tuple[str, str, str, str, int, int | None, str, dict[str, Any]]] = [
    ("José", "Núñez", "jose.nunez@pagosrapidos.mx", "Pagos Rápidos", 0, 1, "ui", {"attach": True}),
    ("Zoë", "Brontë", "zoe@brontecapital.co.uk", "Brontë Capital", 0, 2, "u",
     {"cc": "ops@brontecapital.co.uk"}),
    ("Łukasz", "Wróbel", "lukasz.wrobel@finverto.pl", "Finverto", 1, 6, "", {}),
    ("花子", "佐藤", "hanako.sato@kaizen-soft.jp", "Kaizen Soft", 1, 1, "u", {}),
    ("Margaret", "O'Neill", "moneill@harborbank.com", "Harbor Bank", 0, 3, "a", {}),
    ("Tom", "Becker", "tom.becker@nordlicht-pay.de", "Nordlicht Pay", 0, 1, "ui",
     {"colleague": ("Anna", "Schmidt", "anna.schmidt@nordlicht-pay.de")}),
    ("Sam", "Rivera [CFO]", "sam@riverafinance.io", "Rivera Finance", 0, 2, "i", {}),
    ("Aisha", "Bello", "aisha.bello@lagosledger.ng", "Lagos Ledger", 0, None, "u", {}),
    ("Chen", "Wei", "chen.wei@huadian-cloud.cn", "Huadian Cloud", 1, 7, "", {}),
    ("Søren", "Højgaard", "soren@hojgaard.dk", "Højgaard ApS", 1, 2, "s", {}),
    ("Renée", "Dubois", "renee.dubois@atelier-lumiere.fr", "Atelier Lumière", 2, 1, "u", {}),
    ("Björn", "Andersson", "bjorn@nordkap-media.se", "Nordkap Media", 2, 6, "s", {}),
    ("Priya", "Raman", "priya.raman@northwind-health.org", "Northwind Health", 3, 2, "ui",
     {"long": 50}),
    ("Kwame", "Mensah", "kwame@accra-digital.gh", "Accra Digital", 2, 1, "", {}),
    ("Olivia", "Smith", "olivia.smith@brightlane.co", "Brightlane", 2, 3, "a", {}),
    ("Mateus", "Gonçalves", "mateus@lisboa-labs.pt", "Lisboa Labs", 1, 1, "u", {}),
    ("Ingrid", "Müller-Lüdenscheidt", "ingrid.mueller@medsys-hamburg.de", "MedSys Hamburg", 3, 6,
     "", {}),
    ("Daniel", "Kim", "dkim@seoulsaas.kr", "Seoul SaaS", 4, 1, "u",
     {"subject": "[URGENT] pricing question"}),
    ("Fatima Zahra", "El Idrissi", "fatima@casa-health.ma", "Casa Health", 3, 7, "", {}),
    ("Ravi", "Shankar", "ravi@bengaluru-bytes.in", "Bengaluru Bytes", 4, 2, "", {}),
    ("Emily", "Johnson", "emily.j@hudsonyards.vc", "Hudson Yards Ventures", 4, 4, "a", {}),
    ("Noah", "Williams", "noah@brooklynforge.com", "Brooklyn Forge", 4, None, "u", {}),
    ("Ana Lucía", "Fernández", "ana.fernandez@clinicasol.cl", "Clínica Sol", 3, 1, "i", {}),
    ("Yuki", "Tanaka", "yuki.tanaka@sakura-ads.jp", "Sakura Ads", 2, 2, "s", {}),
    ("Oksana", "Kovalenko", "oksana@kyiv-analytics.ua", "Kyiv Analytics", 1, 5, "", {}),
    ("Liam", "O'Brien", "liam.obrien@dublinpay.ie", "DublinPay", 0, 4, "", {}),
    ("Grace", "Lee", "grace@nyc-founders.co", "NYC Founders Co", 4, 1, "u", {}),
    ("Mohammed", "Al-Farsi", "m.alfarsi@gulfclinics.ae", "Gulf Clinics", 3,
     CUSTOM_CATEGORY_ID, "", {}),
    ("Camille", "Laurent", "camille@laurent-agence.fr", "Laurent Agence", 2, 7, "", {}),
    ("Hannah", "Weber", "h.weber@ostsee-saas.de", "Ostsee SaaS", 1, 3, "", {}),
]

_SEQUENCE: list[str] = [
    "<p>Hi {first},</p><p>Quick one — {pitch}. Teams like {company} usually see the payoff "
    "in the first month.</p><p>Worth a 15-minute look next week?</p><p>Best,<br>{sender}</p>",
    "<p>Hi {first},</p><p>Bumping this in case it got buried. Happy to send a two-minute "
    "Loom instead of a call if that's easier.</p><p>{sender}</p>",
    "<p>{first}, one more idea: we put together a short teardown of how a company your size "
    "handles this today. Want me to send it over?</p><p>Cheers,<br>{sender}</p>",
    "<p>Hi {first},</p><p>I'll stop here so I don't clutter your inbox. If timing is better "
    "next quarter, just reply \"later\" and I'll circle back.</p><p>All the best,<br>{sender}</p>",
]

_REPLIES: dict[int | None, list[str]] = {
    1: [
        "<p>Hi {sender},</p><p>Thanks for reaching out — this is timely. We're re-evaluating "
        "our stack next quarter. Can you send over pricing and a couple of references?</p>"
        "<p>{first}</p>",
        "<p>Interesting. How does this compare to what we'd build in-house? Send me a one-pager "
        "and I'll share it with the team.</p><p>— {first}</p>",
    ],
    2: [
        "<p>Hi {sender},</p><p>Happy to chat. Does Thursday at 14:00 CET work? Send an invite "
        "to this address.</p><p>Best,<br>{first}</p>",
        "<p>Sure, let's talk. I'm free Tuesday or Wednesday afternoon (my time).</p><p>{first}</p>",
    ],
    3: [
        "<p>Please remove me from your list. Not interested.</p>",
        "<p>Thanks, but we just signed with another vendor. Not a fit right now.</p>"
        "<p>{first}</p>",
    ],
    6: [
        "<p>Hello,</p><p>I'm out of the office until Monday with limited access to email. "
        "For anything urgent please contact office@{domain}.</p><p>{first}</p>",
    ],
    7: [
        "<p>Hi {sender}, I'm not the right person for this — you'd want our Head of Operations. "
        "I've forwarded your note.</p><p>{first}</p>",
    ],
    4: [
        "<p>Do not contact me again. [unsubscribe]</p>",
    ],
    # Lists keep the length of the category a lead had before the ids were made realistic, so
    # the seeded random choices (and every generated id and time) stay the same.
    5: [
        "<p>Hi {sender},</p><p>Before anything else: what does this cost for a team of 12, and "
        "do you have a security whitepaper?</p><p>{first}</p>",
        "<p>Could you send a one-pager with pricing? I'll pass it to our COO.</p><p>{first}</p>",
    ],
    CUSTOM_CATEGORY_ID: [
        "<p>Not this quarter — budgets are frozen until January. Ping me in Q1?</p>"
        "<p>{first}</p>",
        "<p>Timing is bad right now. Let's talk again after the new year.</p><p>{first}</p>",
    ],
    None: [
        "<p>What exactly do you mean by \"payoff in the first month\"? [citation needed] 🙂</p>"
        "<p>{first}</p>",
        "<p>Got it. Let me think about it and come back to you.</p><p>{first}</p>",
    ],
}

_SECOND_REPLY = [
    "<p>Also — can you confirm whether you support SSO (SAML) and EU data residency?</p>"
    "<p>{first}</p>",
    "<p>Adding: our procurement cycle is ~6 weeks, so earlier is better.</p><p>{first}</p>",
    "<p>Quick follow-up: I'm back in the office now, feel free to send details.</p><p>{first}</p>",
]

_COLLEAGUE_REPLY = (
    "<p>Hi {sender},</p><p>{lead_first} has moved on from {company}; I look after finance "
    "tooling now. We are interested — please send details to me directly.</p>"
    "<p>Thanks,<br>{col_first} {col_last}</p>"
)

_URGENT_REPLY = (
    "<p>Hi {sender},</p><p>Our renewal with the current vendor is due Friday. I need your "
    "pricing for 25 seats <b>today</b> if we're going to consider you.</p><p>{first}</p>"
)

_LONG_SENT = [
    "<p>Hi {first}, following up on the rollout plan — attached is the draft timeline.</p>",
    "<p>Thanks {first}! I've looped in our implementation lead.</p>",
    "<p>Good question. Reminders go out by SMS and email; templates are editable per clinic.</p>",
    "<p>Confirmed for next week. I'll send the agenda the day before.</p>",
    "<p>Here's the security questionnaire, filled in. Let me know what's missing.</p>",
]
_LONG_REPLY = [
    "<p>Thanks {sender}. Legal wants to review the BAA first.</p>",
    "<p>Can we move the call 30 minutes later?</p>",
    "<p>Our IT team asked about SSO again — any update?</p>",
    "<p>Looks good. One more question on data retention.</p>",
    "<p>Sharing with our COO today, will revert.</p>",
]


def _quote(sender: str, when: datetime, body: str) -> str:
    """Gmail-style quoted previous mail, as real replies carry it."""
    stamp = when.astimezone(UTC).strftime("%a, %b %d, %Y at %H:%M")
    return (
        f'<div class="gmail_quote"><div class="gmail_attr">On {stamp} {sender} wrote:</div>'
        f"<blockquote>{body}</blockquote></div>"
    )


class SeedData:
    """The mutable world the sandbox serves; build once per server, then mutate under its lock."""

    def __init__(self, *, base_time: datetime, seed: int = 7) -> None:
        self.base_time = base_time
        self.seed = seed
        self._rng = random.Random(seed)
        self.campaigns: dict[int, Campaign] = {}
        self.leads: dict[int, Lead] = {}
        for cid, name, mailbox, sender, subject, pitch in _CAMPAIGNS:
            self.campaigns[cid] = Campaign(cid, name, mailbox, sender, subject, pitch)
        self._build()

    # -- generation -----------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _token(self, n: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(n))

    def _sent_message(
        self, lead: Lead, campaign: Campaign, when: datetime, subject: str, body: str, seq: int
    ) -> Message:
        stats_id = self._uuid()
        domain = campaign.mailbox.split("@", 1)[1]
        return Message(
            stats_id=stats_id,
            # Same shape as the live API: the stats id is the Message-ID's local-part prefix.
            message_id=f"<{stats_id}-{self._token(7)}@{domain}>",
            type="SENT",
            time=when,
            from_email=campaign.mailbox,
            to_email=lead.email,
            subject=subject,
            email_body=body,
            email_seq_number=str(seq),
        )

    def _reply_message(
        self, sender: str, campaign: Campaign, when: datetime, subject: str, body: str, seq: int
    ) -> Message:
        domain = sender.split("@", 1)[1]
        if self._rng.random() < 0.5:
            mid = f"<CA+{self._token(24, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop0123456789')}"
            mid += "@mail.gmail.com>"
        else:
            mid = f"<{self._token(32, '0123456789abcdef')}@{domain}>"
        return Message(
            stats_id=self._uuid(),
            message_id=mid,
            type="REPLY",
            time=when,
            from_email=sender,
            to_email=campaign.mailbox,
            subject=subject,
            email_body=body,
            email_seq_number=str(seq),
        )

    def _build(self) -> None:
        rng = self._rng
        for index, (first, last, email, company, cidx, category, flags, extra) in enumerate(_LEADS):
            campaign = self.campaigns[_CAMPAIGNS[cidx][0]]
            lead = Lead(
                lead_id=2_906_101 + index * 7,
                lead_map_id=88_410_300 + index * 13,
                campaign_id=campaign.id,
                first_name=first,
                last_name=last,
                email=email,
                company=company,
                category_id=category,
                unread="u" in flags,
                important="i" in flags,
                snoozed="s" in flags,
                archived="a" in flags,
            )
            self.leads[lead.lead_id] = lead
            if "long" in extra:
                self._build_long(lead, campaign, int(extra["long"]))
            else:
                self._build_thread(lead, campaign, extra, rng)

    def _build_thread(
        self, lead: Lead, campaign: Campaign, extra: dict[str, Any], rng: random.Random
    ) -> None:
        fmt = {
            "first": lead.first_name,
            "company": lead.company,
            "pitch": campaign.pitch,
            "sender": campaign.sender_name,
            "domain": lead.email.split("@", 1)[1],
        }
        subject = campaign.subject_template.format(**fmt)
        n_sent = rng.randint(1, 4)
        n_reply = rng.randint(1, 2)
        last_reply = self.base_time - timedelta(seconds=rng.randint(20 * 60, 72 * 3600))
        reply_times = [last_reply - timedelta(seconds=rng.randint(30 * 60, 300 * 60) * i)
                       for i in range(n_reply)][::-1]
        first_reply = reply_times[0]
        sent_times = [
            first_reply - timedelta(hours=26 * i, seconds=rng.randint(2 * 3600, 30 * 3600))
            for i in range(n_sent)
        ][::-1]
        for seq, when in enumerate(sent_times, start=1):
            body = _SEQUENCE[seq - 1].format(**fmt)
            subj = subject if seq == 1 else f"Re: {subject}"
            lead.history.append(self._sent_message(lead, campaign, when, subj, body, seq))
        last_sent = lead.history[-1]
        sender_email = lead.email
        if "colleague" in extra:
            col_first, col_last, sender_email = extra["colleague"]
            text = _COLLEAGUE_REPLY.format(
                sender=campaign.sender_name, lead_first=lead.first_name, company=lead.company,
                col_first=col_first, col_last=col_last,
            )
        elif "subject" in extra:
            text = _URGENT_REPLY.format(**fmt)
        else:
            text = rng.choice(_REPLIES[lead.category_id]).format(**fmt)
        if rng.random() < 0.65 or "colleague" in extra:
            text += _quote(campaign.mailbox, last_sent.time, last_sent.email_body)
        reply_subject = extra.get("subject", f"Re: {subject}")
        reply = self._reply_message(
            sender_email, campaign, reply_times[0], reply_subject, text, n_sent
        )
        if "cc" in extra:
            reply.cc = extra["cc"]
        if extra.get("attach"):
            reply.attachments = [{
                "file_name": "requirements – Q4.pdf",
                "file_url": "https://files.pagosrapidos.mx/share/requirements-q4.pdf",
                "file_type": "application/pdf",
                "file_size": 48213,
            }]
        lead.history.append(reply)
        if n_reply == 2:
            text2 = rng.choice(_SECOND_REPLY).format(**fmt)
            lead.history.append(self._reply_message(
                sender_email, campaign, reply_times[1], reply_subject, text2, n_sent
            ))

    def _build_long(self, lead: Lead, campaign: Campaign, count: int) -> None:
        """A long back-and-forth (SENT first, REPLY last) for performance tests."""
        fmt = {"first": lead.first_name, "sender": campaign.sender_name}
        subject = campaign.subject_template.format(company=lead.company)
        start = self.base_time - timedelta(days=12)
        step = timedelta(days=12) / (count + 1)
        seq = 0
        for i in range(count):
            when = start + step * i + timedelta(seconds=self._rng.randint(0, 2400))
            subj = subject if i == 0 else f"Re: {subject}"
            if i % 2 == 0:
                seq += 1
                body = _LONG_SENT[(i // 2) % len(_LONG_SENT)].format(**fmt)
                body += f"<p>(update {i // 2 + 1})</p>"
                lead.history.append(self._sent_message(lead, campaign, when, subj, body, seq))
            else:
                body = _LONG_REPLY[(i // 2) % len(_LONG_REPLY)].format(**fmt)
                prev = lead.history[-1]
                if i % 4 == 1:
                    body += _quote(campaign.mailbox, prev.time, prev.email_body)
                lead.history.append(
                    self._reply_message(lead.email, campaign, when, subj, body, seq)
                )
        if lead.history[-1].type != "REPLY":
            lead.history.pop()

    # -- lookups ----------------------------------------------------------------------------

    @property
    def campaign_ids(self) -> list[int]:
        return list(self.campaigns)

    @property
    def lead_ids(self) -> list[int]:
        return list(self.leads)

    def campaign(self, campaign_id: int) -> Campaign:
        return self.campaigns[campaign_id]

    def lead(self, lead_id: int) -> Lead:
        return self.leads[lead_id]

    def leads_in(self, campaign_id: int) -> list[Lead]:
        return [lead for lead in self.leads.values() if lead.campaign_id == campaign_id]

    def find_lead(self, text: str) -> Lead:
        """First lead whose name or email contains `text` (case-insensitive)."""
        needle = text.casefold()
        for lead in self.leads.values():
            if needle in f"{lead.full_name} {lead.email}".casefold():
                return lead
        raise KeyError(text)

    def find_stats(self, stats_id: str) -> tuple[Lead, Message] | None:
        for lead in self.leads.values():
            for message in lead.history:
                if message.stats_id == stats_id:
                    return lead, message
        return None

    def find_message_id(self, message_id: str) -> tuple[Lead, Message] | None:
        for lead in self.leads.values():
            for message in lead.history:
                if message.message_id == message_id:
                    return lead, message
        return None

    def latest_reply(self, lead_id: int) -> ReplyRef:
        """The REPLY a client should answer for this lead (newest inbound message)."""
        lead = self.leads[lead_id]
        reply = lead.replies()[-1]
        return ReplyRef(lead.campaign_id, lead.lead_id, reply.stats_id, reply.message_id,
                        reply.from_email)

    def first_reply(self) -> ReplyRef:
        """The latest REPLY of the first seeded lead (José Núñez, campaign "Q4 Fintech CFOs")."""
        return self.latest_reply(next(iter(self.leads)))

    def colleague_reply(self) -> ReplyRef:
        """The reply whose `from` is not the lead's imported email (a colleague answered)."""
        for lead in self.leads.values():
            for reply in lead.replies():
                if reply.from_email != lead.email:
                    return ReplyRef(lead.campaign_id, lead.lead_id, reply.stats_id,
                                    reply.message_id, reply.from_email)
        raise LookupError("no colleague reply seeded")

    def first_sent(self) -> ReplyRef:
        """A seeded SENT message (reply-status answers COMPLETED for it straight away)."""
        lead = next(iter(self.leads.values()))
        sent = lead.sent()[-1]
        return ReplyRef(lead.campaign_id, lead.lead_id, sent.stats_id, sent.message_id,
                        sent.from_email)

    def long_thread(self) -> Lead:
        """The lead with the ~50-message thread."""
        return max(self.leads.values(), key=lambda lead: len(lead.history))

    def all_replies(self) -> list[ReplyRef]:
        """Latest REPLY of every lead, in seed order."""
        return [self.latest_reply(lead_id) for lead_id in self.leads]

    def summary(self) -> dict[str, Any]:
        """JSON-able overview for `GET /__sandbox/seed` (scripting a separately run sandbox)."""
        return {
            "campaigns": [
                {"id": c.id, "name": c.name, "mailbox": c.mailbox} for c in self.campaigns.values()
            ],
            "leads": [
                {
                    "lead_id": lead.lead_id,
                    "campaign_id": lead.campaign_id,
                    "email": lead.email,
                    "name": lead.full_name,
                    "messages": len(lead.history),
                    "latest_reply": self.latest_reply(lead.lead_id)._asdict(),
                }
                for lead in self.leads.values()
            ],
        }
