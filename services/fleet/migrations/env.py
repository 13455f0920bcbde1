"""Alembic environment for fleet: the service's metadata, URL from its settings.

GeoAlchemy2's helper keeps PostGIS-owned tables (spatial_ref_sys, ...) out of autogenerate.
"""

from fleet.db import metadata
from geoalchemy2.alembic_helpers import include_object
from mobility_platform.migrations import run_migrations

run_migrations(metadata, env_prefix="FLEET_", include_object=include_object)
