"""Every event, one module per producing service. Importing this registers them all."""

from contracts.events import booking, fleet, iot, notification, payment

__all__ = ["booking", "fleet", "iot", "notification", "payment"]
