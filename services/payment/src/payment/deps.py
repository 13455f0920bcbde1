"""FastAPI dependencies: they only provide what app.py built (no checks, no I/O)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from payment.psp import PaymentProvider
from payment.uow import AbstractUnitOfWork


async def get_uow(request: Request) -> AbstractUnitOfWork:
    uow: AbstractUnitOfWork = request.app.state.uow_factory()
    return uow


async def get_provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.provider
    return provider


UowDep = Annotated[AbstractUnitOfWork, Depends(get_uow)]
ProviderDep = Annotated[PaymentProvider, Depends(get_provider)]
