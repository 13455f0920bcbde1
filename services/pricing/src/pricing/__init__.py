"""Pricing service."""
