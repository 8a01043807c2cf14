"""The queue page: filters, search, counts per status, paging, oldest waiting first."""

from __future__ import annotations

import re
from datetime import timedelta

from store import Case, insert_rows, utcnow
from tests.web.conftest import Site


def refs_on(page: str) -> list[str]:
    return re.findall(r'<td class="ref"><a href="/cases/([^"]+)">', page)


def test_open_cases_oldest_first_with_counts(site: Site) -> None:
    client = site.login("lea")
    page = client.get("/").text
    shown = refs_on(page)
    # mycertif is resolved by the bot: not in the default (open) view.
    assert site.refs["mycertif"] not in shown
    assert site.refs["question-dates"] == shown[0]  # waiting longest (12 days)
    assert len(shown) == 7
    tab = re.search(r'status=resolved[^>]*>Résolu <span class="count">(\d+)</span>', page)
    assert tab and tab.group(1) == "1"
    assert re.search(r'>À traiter <span class="count">7</span>', page)
    everything = refs_on(client.get("/?status=all").text)
    assert set(everything) == set(site.refs.values())


def test_filters(site: Site) -> None:
    client = site.login("lea")
    certification = refs_on(client.get("/?inbox=certification&status=all").text)
    assert set(certification) == {site.refs["spreadsheet-caf"], site.refs["mycertif"]}
    deferrals = refs_on(client.get("/?kind=deferral_request").text)
    assert set(deferrals) == {site.refs["deferral-medical-pdf"], site.refs["deferral-holiday"]}
    review = refs_on(client.get("/?status=to_review").text)
    assert site.refs["deferral-medical-pdf"] in review and site.refs["problem-nuc"] not in review
    old = refs_on(client.get("/?age=7d").text)
    assert set(old) == {site.refs["question-dates"], site.refs["deferral-holiday"]}
    recent = refs_on(client.get("/?age=lt1d").text)
    assert site.refs["hostile-html"] in recent and site.refs["question-dates"] not in recent
    # Unknown filter values are ignored rather than failing.
    assert client.get("/?kind=nope&status=nope&age=nope&inbox=nope").status_code == 200


def test_search_by_nuc_name_email_and_reference(site: Site) -> None:
    client = site.login("lea")
    by_nuc = refs_on(client.get("/?q=2024 012345&status=all").text)
    assert by_nuc == [site.refs["deferral-medical-pdf"]]
    assert refs_on(client.get("/?q=2024012345&status=all").text) == by_nuc
    by_name = refs_on(client.get("/?q=CLAIRE martin&status=all").text)
    assert by_name == by_nuc
    by_mail = refs_on(client.get("/?q=paul.durand@example&status=all").text)
    assert by_mail == [site.refs["problem-nuc"]]
    # A full reference opens the case directly.
    ref = site.refs["spreadsheet-caf"]
    jump = client.get(f"/?q={ref.lower()}")
    assert jump.status_code == 303 and jump.headers["location"] == f"/cases/{ref}"
    none = client.get("/?q=introuvable-xyz&status=all").text
    assert refs_on(none) == [] and "Aucun dossier" in none


def test_paging_through_many_cases(empty_site: Site) -> None:
    now = utcnow()
    rows = [
        {
            "ref": f"UP-2025-{n:06d}", "role": "accueil", "mailbox": "accueil@union-prof.asso.fr",
            "kind": "other", "status": "new", "sender_email": f"c{n}@example.fr",
            "sender_name": f"Candidat {n}", "subject": f"Question {n}", "fields": {}, "reasons": [],
            "created_at": now - timedelta(minutes=n),
        }
        for n in range(1, 121)
    ]  # fmt: skip
    with empty_site.session() as session:
        insert_rows(session, Case, rows)
    client = empty_site.login("lea")
    first = client.get("/").text
    assert "Page 1 sur 3" in first
    assert refs_on(first)[0] == "UP-2025-000120"  # created first, waiting longest
    third = client.get("/?page=3").text
    assert len(refs_on(third)) == 20 and refs_on(third)[-1] == "UP-2025-000001"
    assert "← Précédente" in third and "Suivante →" not in third
    # Paging keeps the filters.
    filtered = client.get("/?q=candidat&page=2").text
    assert 'href="/?q=candidat&amp;page=3"' in filtered or "page=3" in filtered
    invalid = client.get("/?page=0")
    assert invalid.status_code == 400 and "invalide" in invalid.text
