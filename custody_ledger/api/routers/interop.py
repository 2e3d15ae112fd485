"""Imports and exports for integration: an edition of ICE's list in, the ledger and tables out, streamed.

POST /imports/ice-agreements takes the file as the request body (xlsx or csv) and answers the import's summary;
GET /exports/ledger streams JSON Lines (tools/check_export.py checks them), GET /exports/{holds|agreements|
officers} streams CSV or Parquet, scoped to the caller's agencies.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from custody_ledger.app import transfers
from custody_ledger.domain.errors import Invalid
from custody_ledger.interop import export as exports
from custody_ledger.interop.ice_agreements import import_edition

from ..deps import MAX_SEQ, EngineDep, NowDep, PolicyDep, PrincipalDep

router = APIRouter(tags=["interop"])

FileName = Annotated[str, Header(alias="X-File-Name", max_length=250, pattern=r"^[^\x00-\x1f\x7f/\\]+$",
                                 description="The file's name, recorded as each imported record's source.")]


@router.post("/imports/ice-agreements", summary="Import one edition of ICE's list of 287(g) agencies",
             description="The body is the file (xlsx or csv). Records what changed since the ledger's last edition "
                         "through the write path; answers created / amended / unchanged / delisted / rejected, and "
                         "every row it could not read by row and column. Program administrators only.")
async def import_ice_agreements(request: Request, principal: PrincipalDep, engine: EngineDep, policy: PolicyDep,
                                now: NowDep, as_of: Annotated[date, Query(description="The edition's date.")],
                                field_office_id: Annotated[str, Query(max_length=100)],
                                file_name: FileName = "upload.xlsx", pending: bool = False) -> JSONResponse:
    await run_in_threadpool(transfers.authorize_import, engine, principal, "ice-agreements", now,
                            f"{file_name}@{as_of}")
    data = await request.body()
    if not data:
        raise Invalid("the request body must be the file (xlsx or csv)", field="body")
    report = await run_in_threadpool(
        lambda: import_edition(engine, file_name, data, as_of=as_of, pending=pending,
                               field_office_id=field_office_id, now=now, policy=policy,
                               actor=principal.id))
    return JSONResponse(report.summary())


@router.get("/exports/ledger", summary="The ledger as JSON Lines, streamed",
            description="Events from `from` to `to` (sequence numbers, inclusive) with their hashes; no person's "
                        "data. Program administrators and auditors.")
def export_ledger(principal: PrincipalDep, engine: EngineDep, now: NowDep,
                  first: Annotated[int | None, Query(alias="from", ge=1, le=MAX_SEQ)] = None,
                  last: Annotated[int | None, Query(alias="to", ge=1, le=MAX_SEQ)] = None) -> StreamingResponse:
    transfers.export_scope(engine, principal, "ledger", now)
    if first is not None and last is not None and last < first:
        raise Invalid(f"to {last} is before from {first}", field="to")
    return StreamingResponse(exports.ledger(engine, first=first, last=last), media_type="application/x-ndjson")


@router.get("/exports/{what}", summary="A table as CSV or Parquet, streamed",
            description="holds, agreements or officers; only the rows of the caller's agencies.")
def export_table(what: Literal["holds", "agreements", "officers"], principal: PrincipalDep, engine: EngineDep,
                 now: NowDep, format: exports.TableFormat = exports.TableFormat.CSV) -> StreamingResponse:
    scope = transfers.export_scope(engine, principal, what, now)
    suffix = "csv" if format is exports.TableFormat.CSV else "parquet"
    return StreamingResponse(exports.table(engine, what, format, scope), media_type=exports.MEDIA_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{what}.{suffix}"'})
