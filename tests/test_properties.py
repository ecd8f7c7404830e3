"""Property tests: random valid coverages and points for locate, random layers for the boundary reader."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.boundaries.formats import read_layers
from gis.locate import GridTable, LocateIndex

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
X0, Y0, SIZE = 114.9, 24.3, 0.08  # a county-sized box near Heping, 和平县


@st.composite
def coverages(draw: st.DrawFn) -> tuple[shapely.Geometry, np.ndarray]:
    """A county (a random convex outline) tiled by the Voronoi cells of random seeds, clipped to it."""
    corners = draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=4, max_size=9))
    outline = shapely.MultiPoint([(X0 + SIZE * x, Y0 + SIZE * y) for x, y in corners]).convex_hull
    if outline.geom_type != "Polygon" or outline.area < (SIZE**2) / 20:
        outline = shapely.box(X0, Y0, X0 + SIZE, Y0 + SIZE)
    seeds = draw(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=2, max_size=30, unique=True))
    points = shapely.MultiPoint([(X0 + SIZE * x / 400, Y0 + SIZE * y / 400) for x, y in seeds])
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=outline.buffer(SIZE)))
    clipped = [c for c in shapely.intersection(cells, outline) if c.geom_type == "Polygon" and not c.is_empty]
    return outline, np.array(clipped, dtype=object)


def _table(grids: np.ndarray) -> GridTable:
    n = len(grids)
    return GridTable(
        generation_id=1, generation_name="prop", grid_codes=np.array([f"G{i:04d}" for i in range(n)]),
        grid_names=np.array([f"网格{i}" for i in range(n)]), grid_geoms=grids,
        grid_village=np.zeros(n, dtype=np.int64), village_codes=np.array(["V1"]), village_names=np.array(["村"]),
        village_town=np.zeros(1, dtype=np.int64), town_codes=np.array(["T1"]), town_names=np.array(["镇"]),
        town_county=np.zeros(1, dtype=np.int64), county_codes=np.array(["441624"]), county_names=np.array(["和平县"]))


@SETTINGS
@given(coverage=coverages(), fractions=st.lists(st.tuples(st.floats(-0.1, 1.1), st.floats(-0.1, 1.1)),
                                                 min_size=1, max_size=60))
def test_every_point_inside_the_county_maps_to_exactly_one_grid(coverage: tuple, fractions: list) -> None:
    outline, grids = coverage
    index = LocateIndex.build(_table(grids), pixel_deg=0.0005)
    lon = np.array([X0 + SIZE * fx for fx, _ in fractions])
    lat = np.array([Y0 + SIZE * fy for _, fy in fractions])
    found = index.locate_many(lon, lat)
    for x, y, got in zip(lon, lat, found, strict=True):
        covering = np.flatnonzero(shapely.intersects_xy(grids, x, y))
        expected = int(covering.min()) if covering.size else -1  # on a shared edge the lowest code wins
        assert got == expected
        assert index.grid_at(x, y) == expected
        if outline.buffer(-1e-7).contains(shapely.Point(x, y)):
            assert got >= 0  # the grids cover the county: no point inside is left out
        if not outline.buffer(1e-7).intersects(shapely.Point(x, y)):
            assert got == -1


@SETTINGS
@given(coverage=coverages())
def test_shared_vertices_of_the_coverage_map_to_one_of_their_grids(coverage: tuple) -> None:
    _, grids = coverage
    index = LocateIndex.build(_table(grids), pixel_deg=0.0005)
    vertices = shapely.get_coordinates(shapely.boundary(grids[0]))
    found = index.locate_many(vertices[:, 0], vertices[:, 1])
    for (x, y), got in zip(vertices, found, strict=True):
        assert got >= 0
        assert shapely.intersects_xy(grids[got], x, y)


def _not_utf8(name: str) -> bool:
    """True when the GB18030 bytes of a name cannot be read as UTF-8 (else no reader could tell them apart)."""
    try:
        name.encode("gb18030").decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# Common place-name characters, and 喆 and 赟, which GB2312 (a wrong .cpg) silently drops.
ALPHABET = list("和平县镇村社区网格东西南北新民阳明喆赟彭寨热水上陵林大坝长塘青州礼士公白浰头优胜古合")


@st.composite
def layers(draw: st.DrawFn) -> gpd.GeoDataFrame:
    """A rectangular tiling with 12-digit codes and Chinese names."""
    nx, ny = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    names = draw(st.lists(st.text(st.sampled_from(ALPHABET), min_size=2, max_size=8).filter(_not_utf8),
                          min_size=nx * ny, max_size=nx * ny))
    step = SIZE / 5
    cells = [shapely.box(X0 + i * step, Y0 + j * step, X0 + (i + 1) * step, Y0 + (j + 1) * step)
             for i in range(nx) for j in range(ny)]
    codes = [f"441624{100 + k:03d}001" for k in range(nx * ny)]
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=cells, crs="EPSG:4326")


@SETTINGS
@given(frame=layers(), fmt=st.sampled_from(["geojson", "gpkg", "shp-gb18030", "shp-utf8"]))
def test_boundary_reader_returns_what_was_written(tmp_path_factory, frame: gpd.GeoDataFrame, fmt: str) -> None:
    folder = tmp_path_factory.mktemp("layer")
    if fmt.startswith("shp"):
        path = folder / "grids.shp"
        frame.to_file(path, encoding=fmt.split("-")[1].upper(), engine="pyogrio")
        for cpg in folder.glob("*.cpg"):  # as GIS staff's files come: no .cpg, the reader must sniff
            cpg.unlink()
    else:
        path = folder / f"grids.{fmt}"
        frame.to_file(path, engine="pyogrio")
    (read,) = read_layers(path, workdir=folder / "work")
    got = read.frame
    assert list(got["code"]) == list(frame["code"])
    assert list(got["name"]) == list(frame["name"])
    assert all(shapely.equals_exact(a, b, tolerance=1e-9) or a.normalize().equals_exact(b.normalize(), 1e-9)
               for a, b in zip(got.geometry, frame.geometry, strict=True))
    if fmt == "shp-gb18030":
        assert read.encoding == "GB18030"


def test_names_with_rare_characters_survive_a_gb18030_shapefile(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"code": ["441624100001"], "name": ["喆赟网格"]},
                             geometry=[shapely.box(X0, Y0, X0 + 0.01, Y0 + 0.01)], crs="EPSG:4326")
    frame.to_file(tmp_path / "g.shp", encoding="GB18030", engine="pyogrio")
    for cpg in tmp_path.glob("*.cpg"):
        cpg.unlink()
    (read,) = read_layers(tmp_path / "g.shp", workdir=tmp_path / "work")
    assert list(read.frame["name"]) == ["喆赟网格"]
    assert read.encoding == "GB18030"


def test_a_tiny_known_coverage_locates_by_hand() -> None:
    grids = np.array([shapely.box(X0, Y0, X0 + 0.01, Y0 + 0.01), shapely.box(X0 + 0.01, Y0, X0 + 0.02, Y0 + 0.01)],
                     dtype=object)
    index = LocateIndex.build(_table(grids), pixel_deg=0.001)
    found = index.locate_many(np.array([X0 + 0.005, X0 + 0.015, X0 + 0.01, X0 + 0.03]), np.full(4, Y0 + 0.005))
    assert found.tolist() == [0, 1, 0, -1]
    assert Path(__file__).name == "test_properties.py"
