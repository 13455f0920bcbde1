"""Geohash covering: every cell that can hold a match is read, nearest first, with a true
lower bound of its distance (what lets search stop early without missing anything)."""

from __future__ import annotations

import math

import pygeohash
from fleet import cells
from fleet.domain import haversine_m
from fleet_fakes import offset
from hypothesis import given, settings
from hypothesis import strategies as st

lats = st.floats(min_value=-70, max_value=70, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
radii = st.integers(min_value=1, max_value=5_000)
bearings = st.floats(min_value=0, max_value=2 * math.pi)
fractions = st.floats(min_value=0, max_value=1)


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


@settings(max_examples=200, deadline=None, database=None)
@given(lat=lats, lon=lons, radius=radii, bearing=bearings, fraction=fractions)
def test_the_cell_of_any_point_within_the_radius_is_covered(
    lat: float, lon: float, radius: int, bearing: float, fraction: float
) -> None:
    distance = radius * fraction
    plat, plon = offset(lat, lon, distance * math.cos(bearing), distance * math.sin(bearing))
    plon = _wrap(plon)
    if haversine_m(lat, lon, plat, plon) > radius:
        return  # the flat-earth offset overshot; nothing to check
    covered = {c.geohash for c in cells.covering_cells(lat, lon, radius, 6)}
    assert cells.cell_of(plat, plon, 6) in covered


@settings(max_examples=200, deadline=None, database=None)
@given(lat=lats, lon=lons, radius=radii, fx=fractions, fy=fractions)
def test_min_distance_is_a_lower_bound_for_every_point_of_the_cell(
    lat: float, lon: float, radius: int, fx: float, fy: float
) -> None:
    for cell in cells.covering_cells(lat, lon, radius, 6)[:12]:
        box = pygeohash.get_bounding_box(cell.geohash)
        plat = box.min_lat + fy * (box.max_lat - box.min_lat)
        plon = box.min_lon + fx * (box.max_lon - box.min_lon)
        assert haversine_m(lat, lon, plat, plon) >= cell.min_distance_m


def test_a_default_search_touches_a_handful_of_cells_nearest_first() -> None:
    covering = cells.covering_cells(50.11, 8.68, 500, 6)
    assert 2 <= len(covering) <= 12
    assert covering[0].min_distance_m == 0.0
    distances = [c.min_distance_m for c in covering]
    assert distances == sorted(distances)


def test_cells_beyond_the_radius_are_left_out() -> None:
    for cell in cells.covering_cells(50.11, 8.68, 300, 7):
        assert cell.min_distance_m <= 300


def test_covering_crosses_the_antimeridian() -> None:
    covering = {c.geohash for c in cells.covering_cells(0.0, 179.999, 2_000, 6)}
    assert cells.cell_of(0.0, -179.999, 6) in covering
    assert cells.cell_of(0.0, 179.999, 6) in covering


def test_a_disk_around_a_pole_is_reported_as_too_many_cells() -> None:
    assert cells.estimated_cell_count(89.99, 0.0, 5_000, 6) > 100_000
    assert cells.estimated_cell_count(50.11, 8.68, 500, 6) < 20
