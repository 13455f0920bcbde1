"""RFC 9457 problem+json for every error a service can answer with.

`install_problem_handlers(app, error_status)` registers one handler per class of failure:
business rejections (DomainError, via the service's status table), validation errors (422),
HTTP errors from routing (404/405), dependencies down (503 + Retry-After), peer timeouts (504)
and anything unexpected (500, generic body, traceback only in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from contracts.base import Problem
from contracts.errors import DomainError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mobility_platform.db import is_db_unavailable
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.observability import current_trace_id

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://problems.mobilitycorp.example/"
MEDIA_TYPE = "application/problem+json"
_RESERVED = frozenset(Problem.model_fields)


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str | None = None,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    extra = dict(extensions or {})
    if clashes := _RESERVED & extra.keys():
        logger.warning("problem extensions %s clash with standard members; dropped", clashes)
        extra = {k: v for k, v in extra.items() if k not in _RESERVED}
    body = Problem(
        type=PROBLEM_BASE + code,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code,
        trace_id=current_trace_id(),
        errors=errors,
        **extra,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def _status_for(exc: DomainError, error_status: Mapping[type[DomainError], int]) -> int:
    for cls in type(exc).__mro__:
        if cls in error_status:
            return error_status[cls]
    logger.warning("unmapped domain error %s; answering 400", type(exc).__name__)
    return 400


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # `input` and `ctx` may echo secrets or unserialisable objects: keep where, what, why.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def _retry_after(seconds: int | None) -> dict[str, str]:
    return {} if seconds is None else {"Retry-After": str(max(1, seconds))}


def install_problem_handlers(
    app: FastAPI, error_status: Mapping[type[DomainError], int] | None = None
) -> None:
    table = dict(error_status or {})

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(
            request,
            status=_status_for(exc, table),
            code=exc.code,
            title=exc.title,
            detail=exc.message,
            headers={**getattr(exc, "headers", {}), **_retry_after(exc.retry_after_s)},
            extensions=exc.extensions,
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            request,
            status=422,
            code="validation_error",
            title="Request is not valid",
            detail="One or more fields are missing or invalid.",
            errors=_validation_errors(exc),
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request, status=exc.status_code, code=code, detail=detail, headers=exc.headers
        )

    async def dependency_down(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DependencyUnavailableError)
        return problem_response(
            request,
            status=503,
            code="dependency_unavailable",
            title="A dependency is unavailable",
            detail=f"{exc.dependency} is unavailable; retry later.",
            headers=_retry_after(exc.retry_after_s),
        )

    async def peer_timeout(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PeerTimeoutError)
        return problem_response(
            request,
            status=504,
            code=exc.code,
            title="A dependency timed out",
            detail=str(exc),
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_db_unavailable(exc):
            logger.warning("database unavailable: %s", exc)
            return problem_response(
                request,
                status=503,
                code="dependency_unavailable",
                title="A dependency is unavailable",
                detail="The database is unavailable; retry later.",
                headers=_retry_after(1),
            )
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, status=500, code="internal_error")

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DependencyUnavailableError, dependency_down)
    app.add_exception_handler(PeerTimeoutError, peer_timeout)
    app.add_exception_handler(Exception, unexpected)
