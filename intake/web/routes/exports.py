"""Exports page: accepted spreadsheet rows per exam month, as .xlsx or .csv."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.export import MEDIA_TYPES, ExportError, export_rows, filename
from intake.web.deps import page, read_session, reader
from intake.web.routes.files import FILE_HEADERS, content_disposition
from store import SpreadsheetRow, User

router = APIRouter()


@router.get("/exports")
def exports_page(
    request: Request,
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    counts: dict[str, dict[str, int]] = {}
    for month, bucket, number in session.exec(
        select(SpreadsheetRow.exam_month, SpreadsheetRow.bucket, func.count())
        .where(col(SpreadsheetRow.exam_month).is_not(None))
        .group_by(col(SpreadsheetRow.exam_month), col(SpreadsheetRow.bucket))
    ).all():
        if month is not None:
            counts.setdefault(month, {})[bucket] = int(number)
    calendar = [m for d in request.app.state.web.config.deadline for m in d.months]
    months = sorted(set(calendar) | set(counts))
    return page(request, "exports.html", {"months": months, "counts": counts})


@router.get("/exports/rows")
def export_file(
    user: Annotated[User, Depends(reader)],
    session: Annotated[Session, Depends(read_session)],
    month: str = "",
    format: str = "xlsx",
) -> Response:
    try:
        data = export_rows(session, month, format)
        name = filename(month, format)
    except ExportError:
        raise HTTPException(400, "Mois ou format d'export invalide.") from None
    headers = {**FILE_HEADERS, "Content-Disposition": content_disposition("attachment", name, name)}
    return Response(data, media_type=MEDIA_TYPES[format], headers=headers)
