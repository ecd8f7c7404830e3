"""A label raster: pixels wholly inside one grid hold its index, pixels near any edge hold -1.

Pixels wholly outside every grid hold -2 (so far-away points need no polygon test at all).

Exact by construction: a pixel keeps a label only when no grid boundary passes through its 3x3
neighbourhood, so every point in it lies strictly inside that grid. Points in -1 pixels (about
a fifth of the county at 20 m pixels) fall back to the exact polygon test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features
from rasterio.transform import from_origin
from scipy import ndimage

UNDECIDED = -1
OUTSIDE = -2


@dataclass(frozen=True)
class LabelRaster:
    """Labels on a regular lon/lat lattice with origin at the top-left corner."""

    labels: NDArray[np.int16] | NDArray[np.int32]
    west: float
    north: float
    pixel: float

    def lookup(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int16] | NDArray[np.int32]:
        """Label per point; UNDECIDED near edges, OUTSIDE beyond every grid (and beyond the extent).

        The raster has a margin of OUTSIDE pixels, so clamping positions into it answers every
        point beyond the extent (NaN included) without a mask.
        """
        height, width = self.labels.shape
        fx = np.nan_to_num((lon - self.west) * (1.0 / self.pixel), nan=-1.0)
        fy = np.nan_to_num((self.north - lat) * (1.0 / self.pixel), nan=-1.0)
        col = np.clip(fx, 0, width - 1, out=fx).astype(np.intp)
        row = np.clip(fy, 0, height - 1, out=fy).astype(np.intp)
        return self.labels[row, col]

    def lookup_one(self, lon: float, lat: float) -> int:
        """Label of a single point (no array overhead)."""
        col = int((lon - self.west) // self.pixel)
        row = int((self.north - lat) // self.pixel)
        height, width = self.labels.shape
        if 0 <= col < width and 0 <= row < height:
            return int(self.labels[row, col])
        return OUTSIDE

    @property
    def nbytes(self) -> int:
        """Memory held by the labels."""
        return int(self.labels.nbytes)


def build_label_raster(polygons: NDArray[np.object_], pixel: float) -> LabelRaster:
    """Rasterise polygons (label = position in the array) and blank every pixel near an edge."""
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    west, north = minx - pixel, maxy + pixel
    width = int(np.ceil((maxx - west) / pixel)) + 2
    height = int(np.ceil((north - miny) / pixel)) + 2
    transform = from_origin(west, north, pixel, pixel)
    label_dtype = "int16" if len(polygons) < 2**15 - 1 else "int32"  # half the memory for a county
    labels = features.rasterize(
        zip(polygons, range(len(polygons)), strict=True), out_shape=(height, width), transform=transform,
        fill=OUTSIDE, dtype=label_dtype,
    )
    edges = features.rasterize(
        ((b, 1) for b in shapely.boundary(polygons)), out_shape=(height, width), transform=transform,
        fill=0, all_touched=True, dtype="uint8",
    ).astype(bool)
    near_edge = ndimage.binary_dilation(edges, structure=np.ones((3, 3), dtype=bool))
    labels[near_edge] = UNDECIDED
    return LabelRaster(labels=labels, west=west, north=north, pixel=pixel)
