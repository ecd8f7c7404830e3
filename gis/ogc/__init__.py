"""OGC API - Features (Part 1 Core, GeoJSON) over the boundary generations and the cases.

Written here rather than served by pygeoapi or tipg: both bring their own drivers and pools
(SQLAlchemy, asyncpg) that bypass ``gis.storage`` and the caller's region filter, so they could never
serve cases; the boundary collections are a few queries, not worth a second stack.
"""
