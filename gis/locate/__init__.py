"""Point -> grid chain lookups (the hot path)."""

from gis.locate.index import GridTable, LocateIndex
from gis.locate.model import ChainLevel, Location, NearbyGrid

__all__ = ["ChainLevel", "GridTable", "LocateIndex", "Location", "NearbyGrid"]
