"""REST payloads, one module per service API (rider-facing and /internal)."""
