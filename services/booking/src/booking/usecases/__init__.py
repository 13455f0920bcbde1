"""Booking use cases: one module per command (create, group, confirm, cancel, trip, scheduled,
expiry, reconcile), the idempotency machinery, the job queue runner and the reads."""
