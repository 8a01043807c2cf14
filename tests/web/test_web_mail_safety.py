"""Hostile mails and files: nothing active, nothing remote, nothing served as a page of ours."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from intake.web.mailview import sanitize_html
from store import Attachment, Message
from tests.web.conftest import Site
from tests.web.mails import EVIL_HOST, PIXEL_PNG


def _message_id(site: Site, name: str) -> int:
    from store.queries import case_by_ref

    with site.session() as session:
        case = case_by_ref(session, site.refs[name])
        assert case is not None
        message = session.exec(select(Message).where(Message.case_id == case.id)).one()
        assert message.id is not None
        return message.id


def test_hostile_html_mail_is_neutralised(site: Site) -> None:
    client = site.login("lea")
    message_id = _message_id(site, "hostile-html")
    response = client.get(f"/messages/{message_id}/html")
    assert response.status_code == 200
    # Only the mail's part of the document (our own frame style is in the head).
    html = response.text.lower().split("</head>", 1)[1]
    for active in ("<script", "alert(", "onerror", "onload", "javascript:", "<iframe", "<form",
                   "<style", "<input", EVIL_HOST):  # fmt: skip
        assert active not in html, active
    # What the sender meant to say is still there, and the safe link too.
    assert "voici ma question" in html
    assert 'href="https://www.union-prof.asso.fr/"' in html
    # The inline logo points at our own route for that part of the mail.
    match = re.search(r'<img src="(/messages/\d+/cid/[^"]+)"', response.text)
    assert match, response.text
    image = client.get(match.group(1).replace("&amp;", "&"))
    assert image.status_code == 200
    assert image.content == PIXEL_PNG
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"


def test_mail_frame_has_its_own_strict_policy(site: Site) -> None:
    client = site.login("lea")
    message_id = _message_id(site, "hostile-html")
    response = client.get(f"/messages/{message_id}/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "img-src 'self'" in csp
    assert "script-src" not in csp  # so scripts fall back to default-src 'none'
    assert "sandbox" in csp and "allow-scripts" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    case_page = client.get(f"/cases/{site.refs['hostile-html']}").text
    frame = re.search(r"<iframe[^>]*>", case_page)
    assert frame is not None
    assert 'sandbox="' in frame.group(0) and "allow-scripts" not in frame.group(0)
    assert "<script" not in case_page.lower()
    assert EVIL_HOST not in case_page


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src=x onerror="alert(1)">',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<p style="background:url(https://tracker.evil.example/x)">x</p>',
        '<img srcset="https://tracker.evil.example/a.png 1x">',
        '<body background="https://tracker.evil.example/b.png">x</body>',
        '<meta http-equiv="refresh" content="0;url=https://tracker.evil.example/">',
        '<base href="https://tracker.evil.example/"><img src="cid:x">',
        '<object data="https://tracker.evil.example/o.swf"></object>',
        '<link rel="stylesheet" href="https://tracker.evil.example/s.css">',
        '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    ],
)
def test_sanitizer_variants(hostile: str) -> None:
    cleaned = sanitize_html(hostile, 7).lower()
    for active in ("<script", "onerror", "javascript", "tracker.evil", "<meta", "<base",
                   "<object", "<link", "data:", "srcset", "url("):  # fmt: skip
        assert active not in cleaned, (hostile, cleaned)


def test_attachment_download_headers(site: Site) -> None:
    client = site.login("lea")
    with site.session() as session:
        attachment = session.exec(select(Attachment).where(Attachment.inline == False)).first()  # noqa: E712
        assert attachment is not None
    response = client.get(f"/files/{attachment.id}/download")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.content == site.files.get(attachment.sha256)


def test_raw_mail_is_a_download(site: Site) -> None:
    client = site.login("lea")
    message_id = _message_id(site, "hostile-html")
    response = client.get(f"/messages/{message_id}/raw")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"
    assert b"<script>" in response.content  # the original bytes, untouched, not rendered


def test_pdf_preview_is_images_in_a_sandboxed_frame(site: Site) -> None:
    client = site.login("lea")
    ref = site.refs["deferral-medical-pdf"]
    case_page = client.get(f"/cases/{ref}").text
    match = re.search(rf"/cases/{ref}/files/(\d+)", case_page)
    assert match, "the PDF has a preview link"
    attachment_id = match.group(1)
    preview = client.get(f"/cases/{ref}/files/{attachment_id}")
    frame = re.search(r"<iframe[^>]*>", preview.text)
    assert frame is not None and "sandbox=" in frame.group(0)
    assert "allow-scripts" not in frame.group(0)
    view = client.get(f"/files/{attachment_id}/view")
    assert "sandbox" in view.headers["content-security-policy"]
    pages = re.findall(r'<img src="(/files/\d+/page/\d+)"', view.text)
    assert len(pages) == 1
    png = client.get(pages[0])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(f"/files/{attachment_id}/page/5").status_code == 404


def test_no_preview_for_types_that_could_carry_script(empty_site: Site) -> None:
    from tests.web.mails import Sample, mail, seed

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<html><script>alert(1)</script></html>"
    raw = mail(
        "Eve <eve@example.org>", "Pieces", "Voici les fichiers.",
        when=datetime(2025, 6, 1, 9, 0, tzinfo=UTC),
        message_id="<files@example.org>",
        attachments=[("dessin.svg", "image/svg+xml", svg), ("page.html", "text/html", html)],
    )  # fmt: skip
    refs = seed(empty_site.config, empty_site.engine, empty_site.files,
                [Sample("files", "accueil", raw)])  # fmt: skip
    client = empty_site.login("lea")
    with empty_site.session() as session:
        ids = [a.id for a in session.exec(select(Attachment)).all()]
    assert len(ids) == 2
    case_page = client.get(f"/cases/{refs['files']}").text
    assert "Aperçu" not in case_page
    for attachment_id in ids:
        assert client.get(f"/files/{attachment_id}/view").status_code == 404
        assert client.get(f"/files/{attachment_id}/image").status_code == 404
        download = client.get(f"/files/{attachment_id}/download")
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["content-disposition"].startswith("attachment;")


def test_headers_and_names_from_mails_are_escaped_everywhere(empty_site: Site) -> None:
    from tests.web.mails import Sample, mail, seed

    raw = mail(
        '"<img src=x onerror=alert(1)>" <hack@example.org>',
        "<script>alert('objet')</script> report",
        "Bonjour, je demande un report. <b>gras</b>",
        when=datetime(2025, 6, 1, 9, 0, tzinfo=UTC),
        message_id="<escape@example.org>",
    )
    refs = seed(empty_site.config, empty_site.engine, empty_site.files,
                [Sample("escape", "accueil", raw)])  # fmt: skip
    client = empty_site.login("arthur")
    ref = refs["escape"]
    pages = [client.get("/").text, client.get(f"/cases/{ref}").text,
             client.get(f"/cases/{ref}/actions/request_info").text,
             client.get("/dashboard").text]  # fmt: skip
    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<b>gras</b>" not in page
    assert "&lt;script&gt;alert(&#39;objet&#39;)&lt;/script&gt;" in pages[0]


def test_a_broken_pdf_gets_a_message_not_an_error(empty_site: Site) -> None:
    from tests.web.mails import Sample, mail, seed

    raw = mail(
        "Zoé Roux <zoe.roux@example.fr>", "Report médical", "Voici mon certificat médical.",
        when=datetime(2025, 6, 1, 9, 0, tzinfo=UTC), message_id="<broken@example.fr>",
        attachments=[("certificat.pdf", "application/pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200)],
    )  # fmt: skip
    refs = seed(empty_site.config, empty_site.engine, empty_site.files,
                [Sample("broken", "accueil", raw)])  # fmt: skip
    client = empty_site.login("lea")
    with empty_site.session() as session:
        attachment = session.exec(select(Attachment)).one()
    assert attachment.sniffed_type == "application/pdf"
    view = client.get(f"/files/{attachment.id}/view")
    assert view.status_code == 200
    assert "ne peut pas être affiché" in view.text and "<img" not in view.text
    assert client.get(f"/files/{attachment.id}/page/0").status_code == 404
    assert client.get(f"/cases/{refs['broken']}").status_code == 200
