"""Payment service."""
