"""GCJ-02 / BD-09 conversions against known answers and the real GCJ-02 fixtures."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.crs import bd09_to_wgs84, gcj02_to_wgs84, parse_crs, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from gis.errors import InvalidInput


def test_forward_gcj02_known_answer() -> None:
    # The reference vector shared by coordTransform and its ports (Beijing, 116.404E 39.915N).
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-12)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-12)
    # BD-09 from the same reference GCJ-02 point (gcj02_to_bd09(116.404, 39.915) in those projects).
    from gis.crs import gcj02_to_bd09

    b_lon, b_lat = gcj02_to_bd09(116.404, 39.915)
    assert float(b_lon) == pytest.approx(116.41036949371029, abs=1e-12)
    assert float(b_lat) == pytest.approx(39.92133699351021, abs=1e-12)


def test_inverse_round_trips_below_a_millimetre() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(74, 134, 2000), rng.uniform(18, 53, 2000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-8 and np.abs(back_lat - lat).max() < 1e-8  # ~1 mm
    b_lon, b_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(b_lon - lon).max() < 1e-8 and np.abs(b_lat - lat).max() < 1e-8


def test_outside_china_is_unchanged() -> None:
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@pytest.mark.parametrize("county", ["heping", "haifeng"])
def test_gcj02_fixture_matches_its_wgs84_twin_within_a_metre(counties: Path, county: str) -> None:
    folder = counties
    truth = shapely.union_all(gpd.read_file(folder / f"{county}_county.geojson").geometry.values)
    raw = shapely.union_all(gpd.read_file(folder / f"{county}_county_gcj02_raw.geojson").geometry.values)
    fixed = shapely.transform(raw, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], "gcj02")))
    assert shapely.hausdorff_distance(raw, truth) > 0.004  # the raw file is ~500 m off
    assert shapely.hausdorff_distance(fixed, truth) < 1e-5  # < 1 m after the iterative inverse


def test_projected_and_named_crs() -> None:
    lon, lat = to_wgs84(438000.0, 2668000.0, "EPSG:4547")  # CGCS2000 GK CM 114E
    assert float(lon) == pytest.approx(113.39014545, abs=1e-7)
    assert float(lat) == pytest.approx(24.11354863, abs=1e-7)
    assert parse_crs("CGCS2000") == "EPSG:4490"
    assert parse_crs("GCJ-02") == "gcj02"
    with pytest.raises(InvalidInput) as err:
        parse_crs("mars")
    assert err.value.reason == "unknown_crs"
    with pytest.raises(ValueError):
        parse_crs("EPSG:999999")


@pytest.mark.parametrize("name, epsg", [
    ("gk38", "EPSG:4526"), ("CGCS2000 / 3-degree Gauss-Kruger zone 38", "EPSG:4526"), ("gk25", "EPSG:4513"),
    ("gk-cm114e", "EPSG:4547"), ("CGCS2000 / 3-degree Gauss-Kruger CM 114E", "EPSG:4547"), ("gk135", "EPSG:4554"),
])
def test_gauss_kruger_names(name: str, epsg: str) -> None:
    assert parse_crs(name) == epsg


@pytest.mark.parametrize("name", ["gk46", "gk113", "gk-cm38"])
def test_gauss_kruger_names_outside_china_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_crs(name)
    assert err.value.reason == "unknown_crs"
