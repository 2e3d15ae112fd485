"""For auditors: the ledger by sequence with filters, the access log, verification of the chain and its latest
signed checkpoint; for everyone: the reports page's live counts and chart of open holds by time left."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from custody_ledger.app import pages, reads

from . import render
from .forms import action, page
from .session import Ctx

router = APIRouter(prefix="/ui", include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100)]
Seq = Annotated[int | None, Query(ge=0, le=2**63 - 1)]


@router.get("/ledger")
@page
def ledger(ctx: Ctx, type: Text = None, stream: Text = None, after: Seq = None, before: Seq = None) -> Response:
    """Newest first; `after` pages to older events, `before` to newer ones."""
    events = reads.run(ctx.engine, pages.events, ctx.principal, now=ctx.now, mfa_required=ctx.settings.mfa_required,
                       type=type or None, stream=stream or None, after=after, before=before)
    return render.page(ctx, "ledger.html", events=events.items, filters={"type": type or "", "stream": stream or ""},
                       older=events.items[-1]["seq"] if events.items else None,
                       newer=events.items[0]["seq"] if events.items and (after or before) else None,
                       verified=None)


@router.get("/access-log")
@page
def access_log(ctx: Ctx, principal: Text = None, action: Text = None, after: Seq = None) -> Response:
    listing = reads.run(ctx.engine, reads.access_log, ctx.principal, principal_id=principal or None,
                        action=action or None, after=after, limit=100)
    return render.page(ctx, "access_log.html", items=listing.items, next=listing.next,
                       filters={"principal": principal or "", "action": action or ""})


@router.post("/ledger/verify")
@action
def verify(ctx: Ctx, form: dict[str, str]) -> Response:
    """A read, sent as POST: it recomputes the whole chain, which no link or prefetch should start."""
    result = pages.verify_ledger(ctx.engine, ctx.principal, now=ctx.now, settings=ctx.settings)
    return render.page(ctx, "verified.html", verified=result)


@router.get("/reports")
@page
def reports(ctx: Ctx) -> Response:
    counts = reads.run(ctx.engine, pages.report, ctx.principal, now=ctx.now)
    top = max([1, *counts["bars"].values()])
    bars = [(label, n, n / top) for label, n in counts["bars"].items()]
    return render.page(ctx, "reports.html", counts=counts, bars=bars)
