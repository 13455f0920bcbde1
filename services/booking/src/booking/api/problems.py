"""Business rejections -> HTTP status, and problem bodies that can be stored and replayed."""

from __future__ import annotations

from contracts.base import Problem
from contracts.errors import DomainError
from fastapi import Response
from mobility_platform.observability import current_trace_id
from mobility_platform.problems import MEDIA_TYPE, PROBLEM_BASE

from booking.domain import errors as e
from booking.usecases.context import StoredResponse

ERROR_STATUS: dict[type[DomainError], int] = {
    e.BookingNotFoundError: 404,
    e.VehicleNotFoundError: 404,
    e.VehicleUnavailableError: 409,
    e.InvalidBookingStateError: 409,
    e.HoldExpiredError: 409,
    e.TripNotActiveError: 409,
    e.InvalidStartTimeError: 422,
    e.QuoteNotFoundError: 404,
    e.QuoteNotYoursError: 403,
    e.QuoteAlreadyUsedError: 409,
    e.QuoteExpiredError: 410,
    e.NoPriceRuleError: 422,
    e.InvalidPaymentStateError: 409,
    e.RateLimitedError: 429,
    e.IdempotencyKeyReusedError: 422,
    e.RequestInProgressError: 409,
    e.ConcurrentUpdateError: 409,
}


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 400


def render_problem(error: e.BookingError, instance: str) -> StoredResponse:
    """The same problem+json the platform handler would answer, as bytes to keep."""
    status = status_for(error)
    problem = Problem(
        type=PROBLEM_BASE + error.code,
        title=error.title,
        status=status,
        detail=error.message,
        instance=instance,
        code=error.code,
        trace_id=current_trace_id(),
        **error.extensions,
    )
    return StoredResponse(status, problem.model_dump_json(exclude_none=True).encode())


def to_response(stored: StoredResponse) -> Response:
    media_type = MEDIA_TYPE if stored.is_problem else "application/json"
    return Response(content=stored.body, status_code=stored.status, media_type=media_type)
