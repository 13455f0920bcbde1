"""IoT gateway service."""
