"""Booking HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from fastapi import APIRouter

from booking.api import bookings, internal
from booking.api.problems import ERROR_STATUS, render_problem

router = APIRouter()
router.include_router(bookings.router)
router.include_router(internal.router)

__all__ = ["ERROR_STATUS", "render_problem", "router"]
