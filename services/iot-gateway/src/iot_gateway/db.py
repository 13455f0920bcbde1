"""IoT gateway's tables. The outbox and inbox tables come from the platform."""

from __future__ import annotations

from mobility_platform.db import new_metadata
from mobility_platform.messaging_tables import add_messaging_tables

metadata = new_metadata()
outbox, inbox = add_messaging_tables(metadata)
