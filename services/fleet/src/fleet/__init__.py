"""Fleet service."""
