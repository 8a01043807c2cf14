"""Threading (SPEC §7): follow-ups join their case and move it on; strangers do not join.

A follow-up is found by our reply's Message-ID (In-Reply-To/References), by the
sender's own earlier Message-ID, or by the case reference in the subject when the
sender's address or NUC matches the case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from sqlmodel import select

from intake.service import poll_once
from intake.sources.maildir import deliver
from store import Case, Reply, SpreadsheetRow
from tests.bot.conftest import Site
from tests.bot.mails import (
    MEDICAL_NO_PROOF,
    PROBLEM,
    XLSX,
    certificate_pdf,
    collection_sheet,
    plain,
    with_attachment,
)

MAY = datetime(2025, 5, 2, 9, 0, tzinfo=UTC)


def _poll(site: Site) -> None:
    summary = poll_once(site.config(), progress=False)
    assert all(box.error is None for box in summary.mailboxes)


def _case(site: Site, ref: str) -> Case:
    return site.query(lambda s: s.exec(select(Case).where(Case.ref == ref)).one())


def _reply_ids(site: Site) -> list[str]:
    return list(site.query(lambda s: s.exec(select(Reply.message_id).order_by(Reply.id)).all()))


def _outbox_mail(site: Site, message_id: str) -> object:
    for path in site.outbox.glob("*.eml"):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        if parsed["Message-ID"] == message_id:
            return parsed
    raise AssertionError(f"no reply {message_id} in the outbox")


def test_certificate_sent_in_reply_moves_the_deferral_on(site: Site) -> None:
    box = site.maildir("accueil")
    deliver(box, plain("marie@example.net", "Demande de report", MEDICAL_NO_PROOF, "<d1@x>"))
    _poll(site)
    (case,) = site.cases()
    assert case["status"] == "awaiting_sender"
    assert [r["template"] for r in case["replies"]] == ["deferral_missing_justification"]
    (ours,) = _reply_ids(site)

    follow = with_attachment(
        "marie@example.net", "Re: votre demande", "Voici mon certificat médical.\r\nMarie Curie",
        "<d2@x>", ("certificat.pdf", "application/pdf", certificate_pdf()), in_reply_to=ours,
    )  # fmt: skip
    deliver(box, follow)
    _poll(site)
    (after,) = site.cases()
    assert after["ref"] == case["ref"] and after["messages"] == 2
    assert after["status"] == "to_review"
    assert [r["template"] for r in after["replies"]] == [
        "deferral_missing_justification",
        "deferral_received",
    ]
    stored = _case(site, case["ref"])
    assert stored.fields["missing"] == [] and stored.fields["justification_present"] is True
    # The new reply answers the follow-up, in the same thread, with the reference.
    second = _outbox_mail(site, _reply_ids(site)[1])
    assert second["In-Reply-To"] == "<d2@x>"  # type: ignore[index]
    assert f"[{case['ref']}]" in second["Subject"]  # type: ignore[index]


def test_missing_spreadsheet_then_the_file_gives_a_receipt(site: Site) -> None:
    box = site.maildir("certification")
    text = "Bonjour, vous trouverez ci-joint notre tableau de recueil.\r\nCordialement"
    deliver(
        box,
        plain(
            "caf@example.fr", "Tableau de recueil", text, "<s1@x>", role="certification", date=MAY
        ),
    )
    _poll(site)
    (case,) = site.cases()
    assert case["status"] == "awaiting_sender"
    ref = case["ref"]
    # No In-Reply-To: the reference in the subject, from the same address, joins.
    deliver(
        box,
        with_attachment(
            "caf@example.fr", f"RE: [{ref}] Tableau de recueil", "Voici le fichier.", "<s2@x>",
            ("recueil.xlsx", XLSX, collection_sheet(3, 1)), role="certification", date=MAY,
        ),
    )  # fmt: skip
    _poll(site)
    (after,) = site.cases()
    assert after["messages"] == 2 and after["status"] == "to_review"
    assert [r["template"] for r in after["replies"]] == [
        "spreadsheet_missing_attachment",
        "spreadsheet_receipt",
    ]
    rows = site.query(lambda s: s.exec(select(SpreadsheetRow)).all())
    assert sorted(r.bucket for r in rows) == ["accepted", "accepted", "accepted", "invalid"]
    assert {r.exam_month for r in rows if r.bucket == "accepted"} == {"2025-09"}
    receipt = _outbox_mail(site, _reply_ids(site)[1])
    names = [part.get_filename() for part in receipt.iter_attachments()]  # type: ignore[attr-defined]
    assert names == ["recueil (annoté).xlsx"]


def test_missing_phone_brought_later_gives_the_ack(site: Site) -> None:
    box = site.maildir("accueil")
    without_phone = PROBLEM.replace("06 12 34 56 78\r\n", "")
    deliver(box, plain("paul@example.net", "NUC perdu", without_phone, "<m1@x>"))
    _poll(site)
    (case,) = site.cases()
    assert case["status"] == "awaiting_sender"
    assert _case(site, case["ref"]).fields["missing"] == ["phone"]
    deliver(
        box,
        plain("paul@example.net", "Re: NUC perdu", "Mon numéro : 06 12 34 56 78\r\nPaul Durand\r\n",
              "<m2@x>", in_reply_to="<m1@x>"),
    )  # fmt: skip
    _poll(site)
    (after,) = site.cases()
    assert after["status"] == "new" and after["messages"] == 2
    assert [r["template"] for r in after["replies"]] == [
        "problem_report_incomplete",
        "problem_report_ack",
    ]


def test_a_stranger_quoting_a_reference_opens_a_new_case(site: Site) -> None:
    box = site.maildir("accueil")
    deliver(box, plain("paul@example.net", "NUC perdu", PROBLEM, "<r1@x>"))
    _poll(site)
    ref = site.cases()[0]["ref"]
    deliver(box, plain("other@example.net", f"Re: [{ref}] NUC", PROBLEM, "<r2@x>"))
    _poll(site)
    cases = site.cases()
    assert len(cases) == 2 and [c["messages"] for c in cases] == [1, 1]


def test_same_nuc_from_another_address_joins(site: Site) -> None:
    box = site.maildir("accueil")
    deliver(box, plain("marie@example.net", "Demande de report", MEDICAL_NO_PROOF, "<n1@x>"))
    _poll(site)
    ref = site.cases()[0]["ref"]
    body = "Bonjour, je vous écris de mon adresse professionnelle.\r\nNUC 2023-004512\r\n"
    deliver(box, plain("m.curie@work.example", f"[{ref}] report", body, "<n2@x>"))
    _poll(site)
    (case,) = site.cases()
    assert case["messages"] == 2


def test_follow_up_with_nothing_new_goes_to_staff_without_reply(site: Site) -> None:
    box = site.maildir("accueil")
    deliver(box, plain("paul@example.net", "NUC perdu", PROBLEM, "<t1@x>"))
    _poll(site)
    ours = _reply_ids(site)[0]
    deliver(
        box,
        plain("paul@example.net", "Re: NUC", "Merci beaucoup !\r\n", "<t2@x>", in_reply_to=ours),
    )
    _poll(site)
    (case,) = site.cases()
    assert case["messages"] == 2 and len(case["replies"]) == 1
    assert case["status"] in ("new", "to_review")


def test_auto_reply_to_our_reply_joins_quietly(site: Site, tmp_path: Path) -> None:
    box = site.maildir("accueil")
    deliver(box, plain("marie@example.net", "Demande de report", MEDICAL_NO_PROOF, "<a1@x>"))
    _poll(site)
    ours = _reply_ids(site)[0]
    auto = plain(
        "marie@example.net", "Réponse automatique : absente", "Je suis absente jusqu'au 30 juin.",
        "<a2@x>", in_reply_to=ours,
    ).replace(b"MIME-Version", b"Auto-Submitted: auto-replied\r\nMIME-Version")  # fmt: skip
    deliver(box, auto)
    _poll(site)
    (case,) = site.cases()
    assert case["messages"] == 2 and len(case["replies"]) == 1
    assert case["status"] == "awaiting_sender"
