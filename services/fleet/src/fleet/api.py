"""Fleet HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from contracts.errors import DomainError
from fastapi import APIRouter

router = APIRouter()

ERROR_STATUS: dict[type[DomainError], int] = {}
