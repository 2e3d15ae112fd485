"""Every failure leaves the API as RFC 9457 problem details (`application/problem+json`).

`problem` is the one place an error kind becomes an HTTP status (DESIGN.md style 7); the handlers
below only translate FastAPI's and Starlette's own errors into the same kinds first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from custody_ledger.domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"

# kind -> (status, title). The four domain kinds, the two of app/auth.py, and the transport's own.
_KINDS: Mapping[str, tuple[int, str]] = {
    "refused": (403, "Refused by rule"),
    "forbidden": (403, "Forbidden"),
    "unauthorized": (401, "Unauthorized"),
    "invalid": (422, "Invalid input"),
    "not_found": (404, "Not found"),
    "conflict": (409, "Conflict"),
    "malformed": (400, "Malformed request"),
    "too_large": (413, "Request body too large"),
    "timeout": (408, "Request body not received in time"),
    "too_many_requests": (429, "Too many attempts"),
    "method_not_allowed": (405, "Method not allowed"),
    "internal": (500, "Internal error"),
}
_BY_STATUS = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              408: "timeout", 409: "conflict", 413: "too_large", 422: "invalid", 429: "too_many_requests"}


def problem(error: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Render an error dict ({kind, message, field?, rule_id?, citation?, events?}) as problem details."""
    kind = str(error.get("kind", "internal"))
    status, title = _KINDS.get(kind, _KINDS["internal"])
    body: dict[str, Any] = {"type": f"urn:custody-ledger:problem:{kind}", "title": title, "status": status,
                            "detail": error.get("message") or title}
    for extra in ("message", "rule_id", "citation", "field", "events"):
        if error.get(extra) is not None:
            body[extra] = error[extra]
    if kind == "unauthorized":
        # RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="custody-ledger"'}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI's body reader passes it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class BodyTimeout(HTTPException):
    """Raised when a request body does not arrive in full in time; passed through like BodyTooLarge. The
    connection closes after the answer, as its unread body cannot be skipped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"request body not received within {seconds:g} s", headers={"Connection": "close"})


def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    retry_after = getattr(exc, "retry_after", None)
    return problem(exc.to_dict(), headers=None if retry_after is None else {"Retry-After": str(retry_after)})


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem({"kind": "malformed", "message": "the body is not valid JSON", "field": "body"})
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    # loc is ("body" | "query" | "path" | "header", name, ...): the field is what the client wrote.
    names = [str(part) for part in first.get("loc", ())[1:]]
    field = ".".join(names) or None
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    return problem({"kind": "invalid", "message": message, "field": field})


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = _BY_STATUS.get(exc.status_code, "malformed" if exc.status_code < 500 else "internal")
    return problem({"kind": kind, "message": str(exc.detail)}, headers=exc.headers)


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # Never echo the exception: it may carry SQL or a person's data.
    return problem({"kind": "internal", "message": "internal error; the request was not completed"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "message": {"type": "string"}, "rule_id": {"type": "string"},
        "citation": {"type": "string"}, "field": {"type": "string"},
        "events": {"type": "array", "items": {"type": "object"}},
    },
}


def _documented(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


# Documented on every route, so clients (and schemathesis) know each error's shape and media type.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("Malformed JSON"),
    401: _documented("Not logged in, or the session expired"),
    403: _documented("Refused by a rule (rule_id, citation), or not allowed for the role"),
    404: _documented("No such record within the caller's scope"),
    409: _documented("Conflicts with the current state or an earlier use of the idempotency key"),
    408: _documented("The request body did not arrive in time"),
    413: _documented("Request body too large"),
    422: _documented("Invalid input; `field` names the field"),
}
