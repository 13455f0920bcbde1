"""Geohash cells for the search cache: which cells a search disk touches, and how near each is.

Encoding and grid enumeration come from pygeohash (C-accelerated, typed, maintained). What is
ours is the geometry on top: the bounding box of a spherical cap, and a lower bound of the
distance from a point to a cell, so a search can stop once no unread cell can hold anything
nearer than what it already has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygeohash

from fleet.domain import EARTH_RADIUS_M, haversine_m

SAFETY_MARGIN_M = 1.0
"""Clamping to a cell's edges overestimates the true minimum distance by millimetres at our
radii (the perpendicular to a meridian is not a parallel); subtracting a metre keeps the
bound a lower bound."""


@dataclass(frozen=True, order=True)
class Cell:
    min_distance_m: float
    geohash: str


def cell_of(lat: float, lon: float, precision: int) -> str:
    return pygeohash.encode(float(lat), float(lon), precision)


def cell_size_deg(precision: int) -> tuple[float, float]:
    """(height, width) of a cell in degrees."""
    lat_bits = (5 * precision) // 2
    lon_bits = (5 * precision + 1) // 2
    return 180.0 / (1 << lat_bits), 360.0 / (1 << lon_bits)


def _cap_boxes(lat: float, lon: float, radius_m: float) -> list[pygeohash.BoundingBox]:
    """Lat/lon boxes covering the spherical cap, split at the antimeridian."""
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if north >= 90.0 or south <= -90.0 or math.cos(math.radians(lat)) <= math.sin(angular):
        return [pygeohash.BoundingBox(south, -180.0, north, 180.0)]  # the cap holds a pole
    dlon = math.degrees(math.asin(math.sin(angular) / math.cos(math.radians(lat))))
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return [
            pygeohash.BoundingBox(south, west + 360.0, north, 180.0),
            pygeohash.BoundingBox(south, -180.0, north, east),
        ]
    if east > 180.0:
        return [
            pygeohash.BoundingBox(south, west, north, 180.0),
            pygeohash.BoundingBox(south, -180.0, north, east - 360.0),
        ]
    return [pygeohash.BoundingBox(south, west, north, east)]


def estimated_cell_count(lat: float, lon: float, radius_m: float, precision: int) -> int:
    height, width = cell_size_deg(precision)
    total = 0
    for box in _cap_boxes(lat, lon, radius_m):
        rows = (box.max_lat - box.min_lat) / height + 2
        cols = (box.max_lon - box.min_lon) / width + 2
        total += int(rows * cols)
    return total


def min_distance_m(lat: float, lon: float, geohash: str) -> float:
    """A lower bound of the distance from the point to any point of the cell."""
    box = pygeohash.get_bounding_box(geohash)
    near_lat = min(max(lat, box.min_lat), box.max_lat)
    if box.min_lon <= lon <= box.max_lon:
        near_lon = lon
    else:
        to_west = (box.min_lon - lon) % 360.0
        to_east = (lon - box.max_lon) % 360.0
        near_lon = box.min_lon if to_west <= to_east else box.max_lon
    if near_lat == lat and near_lon == lon:
        return 0.0
    return max(0.0, haversine_m(lat, lon, near_lat, near_lon) - SAFETY_MARGIN_M)


def covering_cells(lat: float, lon: float, radius_m: float, precision: int) -> list[Cell]:
    """Every cell that may hold a point within `radius_m`, nearest first."""
    seen: set[str] = set()
    cells: list[Cell] = []
    for box in _cap_boxes(lat, lon, radius_m):
        for geohash in pygeohash.geohashes_in_box(box, precision):
            if geohash in seen:
                continue
            seen.add(geohash)
            distance = min_distance_m(lat, lon, geohash)
            if distance <= radius_m:
                cells.append(Cell(distance, geohash))
    cells.sort()
    return cells
