"""Replies put in every state staff must decide on, the way the bot's outbox puts them there.

The outbox runner sends to a real aiosmtpd sink (two replies sent, one of them then
bounced), a claim left by a dead process is recovered as ``uncertain`` by
``store.outbox.recover_sending``, and the sink refusing with a 550 makes the rest
``failed_permanent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from intake.config import SmtpConfig
from intake.outbox import run_outbox
from store import Reply, claim_replies, mark_bounced, recover_sending
from tests.servers import SmtpSink
from tests.web.conftest import Site

REFUSAL = "550 5.1.1 <destinataire>: Recipient address rejected"


@dataclass
class States:
    sent: int
    bounced: int
    uncertain: list[int]
    failed: list[int]


def outbox(site: Site, sink: SmtpSink, **kwargs: Any) -> Any:
    """The bot's outbox runner, sending to ``sink``."""
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, security="none")
    config = site.config.model_copy(update={"smtp": smtp})
    return run_outbox(config, site.engine, owner="web-test", **kwargs)


def make_states(site: Site, sink: SmtpSink) -> States:
    """Two replies sent (one then bounced), two uncertain, the rest refused for good."""
    assert outbox(site, sink, limit=2).sent == 2
    with site.session() as session:
        sent = session.exec(select(Reply).where(Reply.state == "sent").order_by(col(Reply.id)))
        kept, bounced = [r.id for r in sent.all()]
        bounced_reply = session.get(Reply, bounced)
        assert bounced_reply is not None
        assert mark_bounced(session, bounced_reply.message_id) is not None
    # A process claimed two replies and died before sending: they become uncertain.
    with site.session() as session:
        claimed = sorted(r.id for r in claim_replies(session, 2, owner="dead-process") if r.id)
    with site.session() as session:
        assert sorted(r.id or 0 for r in recover_sending(session, me="web")) == claimed
    sink.failure = REFUSAL
    summary = outbox(site, sink)
    assert summary.failed_permanent >= 3, summary
    sink.failure = None
    sink.clear()
    with site.session() as session:
        failed = session.exec(select(Reply.id).where(Reply.state == "failed_permanent")).all()
    return States(kept or 0, bounced or 0, claimed, sorted(f for f in failed if f))
