"""Internal routes (service or support token)."""

from __future__ import annotations

from contracts.api.booking import ReceiptVerification, SignedReceipt
from mobility_platform.auth import internal_router

from booking.deps import ServicesDep
from booking.usecases import receipts

router = internal_router(tags=["internal"])


@router.post("/receipts/verify", response_model=ReceiptVerification)
async def verify_receipt(body: SignedReceipt, svc: ServicesDep) -> ReceiptVerification:
    """Check a receipt a rider presents: valid only if untampered and signed by us."""
    return await receipts.verify_receipt(svc, body)
