"""Files behind login: attachments, inline images, the raw mail, sanitised HTML, previews.

Downloads are always ``Content-Disposition: attachment`` with ``nosniff`` and a
neutral type, so that no attachment is ever rendered by the browser as a page of
this site. Previews show only what cannot carry script: PDF pages rendered to PNG
on the server (:mod:`intake.web.preview`) and raster images of the four common
types, inside a sandboxed frame whose document has its own strict policy.
"""

from __future__ import annotations

import re
from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from intake.web.deps import page, read_session, reader, web
from intake.web.mailview import (
    FRAME_CSP,
    INLINE_IMAGE_TYPES,
    frame_document,
    inline_part,
    mail_cache,
    sanitize_html,
)
from intake.web.preview import PreviewError, page_cache
from intake.web.routes.cases import load_case
from store import Attachment, FileStoreError, Message, User

router = APIRouter()

PREVIEW_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)
# Headers of anything served from a file: never sniffed, never a page of ours.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "private, no-store",
}


def content_disposition(kind: str, filename: str | None, fallback: str) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` with a safe ASCII fallback."""
    name = (filename or fallback).replace("\r", " ").replace("\n", " ").strip() or fallback
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:150] or fallback
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:200], safe='')}"


def _attachment(session: Session, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise HTTPException(404, "Cette pièce jointe n'existe pas.")
    return attachment


def _bytes(request: Request, sha: str) -> bytes:
    try:
        return web(request).files.get(sha)
    except (FileStoreError, ValueError):
        raise HTTPException(404, "Le fichier est introuvable dans le stockage.") from None


def _message(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise HTTPException(404, "Ce message n'existe pas.")
    return message


@router.get("/files/{attachment_id}/download")
def download(
    request: Request,
    attachment_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    attachment = _attachment(session, attachment_id)
    data = _bytes(request, attachment.sha256)
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": content_disposition(
            "attachment", attachment.filename, f"piece-jointe-{attachment.id}"
        ),
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/messages/{message_id}/raw")
def raw_message(
    request: Request,
    message_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    message = _message(session, message_id)
    data = _bytes(request, message.sha256)
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": content_disposition("attachment", None, f"message-{message.id}.eml"),
    }
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/messages/{message_id}/html")
def message_html(
    request: Request,
    message_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    message = _message(session, message_id)
    mail = mail_cache.get(web(request).files, message.sha256)
    if mail is None or not mail.html:
        body = "<p>Ce message n'a pas de version mise en forme.</p>"
    else:
        body = sanitize_html(mail.html, message.id or 0)
    document = frame_document(body, message.subject or "Message")
    headers = {"Content-Security-Policy": FRAME_CSP, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(document, headers=headers)


@router.get("/messages/{message_id}/cid/{cid:path}")
def message_inline_image(
    request: Request,
    message_id: int,
    cid: str,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    message = _message(session, message_id)
    mail = mail_cache.get(web(request).files, message.sha256)
    part = inline_part(mail, cid) if mail is not None else None
    if part is None or part.sniffed_type not in INLINE_IMAGE_TYPES:
        raise HTTPException(404, "Image introuvable.")
    headers = {**FILE_HEADERS, "Content-Disposition": "inline"}
    return Response(part.payload, media_type=part.sniffed_type, headers=headers)


@router.get("/cases/{ref}/files/{attachment_id}")
def preview_page(
    request: Request,
    ref: str,
    attachment_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    case = load_case(session, ref)
    attachment = _attachment(session, attachment_id)
    message = session.get(Message, attachment.message_id)
    if message is None or message.case_id != case.id:
        raise HTTPException(404, "Cette pièce jointe n'appartient pas à ce dossier.")
    return page(request, "preview.html", {"case": case, "attachment": attachment})


@router.get("/files/{attachment_id}/view")
def preview_frame(
    request: Request,
    attachment_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    attachment = _attachment(session, attachment_id)
    kind = attachment.sniffed_type or ""
    if kind == "application/pdf":
        try:
            pages = page_cache.pages(attachment.sha256, _bytes(request, attachment.sha256))
        except PreviewError as exc:
            body = f"<p>{escape(str(exc))} Téléchargez le fichier pour l'ouvrir.</p>"
        else:
            body = "".join(
                f'<img src="/files/{attachment.id}/page/{n}" alt="Page {n + 1}">'
                for n in range(len(pages))
            )
    elif kind in INLINE_IMAGE_TYPES:
        body = f'<img src="/files/{attachment.id}/image" alt="{escape(attachment.filename or "")}">'
    else:
        raise HTTPException(404, "Pas d'aperçu pour ce type de fichier.")
    document = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="/static/style.css">'
        f"<title>{escape(attachment.filename or 'Aperçu')}</title></head>"
        f'<body class="pdf">{body}</body></html>'
    )
    headers = {"Content-Security-Policy": PREVIEW_CSP, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(document, headers=headers)


@router.get("/files/{attachment_id}/page/{number}")
def preview_pdf_page(
    request: Request,
    attachment_id: int,
    number: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    attachment = _attachment(session, attachment_id)
    if attachment.sniffed_type != "application/pdf":
        raise HTTPException(404, "Ce fichier n'est pas un PDF.")
    try:
        pages = page_cache.pages(attachment.sha256, _bytes(request, attachment.sha256))
    except PreviewError:
        raise HTTPException(404, "Aperçu impossible.") from None
    if not 0 <= number < len(pages):
        raise HTTPException(404, "Cette page n'existe pas.")
    return Response(pages[number], media_type="image/png", headers=FILE_HEADERS)


@router.get("/files/{attachment_id}/image")
def preview_image(
    request: Request,
    attachment_id: int,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    attachment = _attachment(session, attachment_id)
    if attachment.sniffed_type not in INLINE_IMAGE_TYPES:
        raise HTTPException(404, "Ce fichier n'est pas une image affichable.")
    data = _bytes(request, attachment.sha256)
    headers = {**FILE_HEADERS, "Content-Disposition": "inline"}
    return Response(data, media_type=attachment.sniffed_type, headers=headers)
