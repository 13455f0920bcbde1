"""Support checks a receipt a rider shows them: our signature, our key, a booking we know."""

from __future__ import annotations

from uuid import UUID

from contracts.api.booking import ReceiptVerification, SignedReceipt
from contracts.types import BookingId

from booking.usecases.context import Services


async def verify_receipt(svc: Services, receipt: SignedReceipt) -> ReceiptVerification:
    """valid=true only for an untampered receipt signed by our key for an existing booking."""
    if receipt.key_id != svc.signer.key_id:
        return ReceiptVerification(valid=False, reason="unknown_key")
    document = dict(receipt.receipt)
    if not svc.signer.verify(document, receipt.signature, receipt.key_id):
        return ReceiptVerification(valid=False, reason="bad_signature")
    try:
        booking_id = BookingId(UUID(str(document.get("booking_id"))))
    except ValueError:
        return ReceiptVerification(valid=False, reason="malformed_receipt")
    async with svc.uow() as uow:
        booking = await uow.bookings.get(booking_id)
    if booking is None:
        return ReceiptVerification(valid=False, booking_id=booking_id, reason="unknown_booking")
    return ReceiptVerification(valid=True, booking_id=booking_id)
