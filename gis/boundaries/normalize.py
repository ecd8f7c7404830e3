"""From raw layers to one table of areas: tier, code, name, parent code and a clean 2-D MultiPolygon."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.boundaries.formats import RawLayer
from gis.boundaries.report import Report
from gis.errors import InvalidInput

# Field names as found in the wild, Chinese land-survey (三调) abbreviations included: XZQDM/XZQMC (行政区代码/
# 名称), CJQYDM/CJQYMC (村级区域), XJQYDM/XJQYMC (乡级区域), ZLDWDM/ZLDWMC (坐落单位), WGBM/WGMC (网格编码/名称);
# dBase cuts names to 10 characters ("parent_cod").
CODE_FIELDS = ("code", "grid_code", "编码", "代码", "网格编码", "网格代码", "网格编号", "区划代码", "行政区划代码",
               "区划编码", "行政代码", "村编码", "村代码", "编号", "adcode", "wgbm", "wgdm", "xzqdm", "cjqydm",
               "xjqydm", "zldwdm", "xzqhdm", "bm", "dm", "gid")
NAME_FIELDS = ("name", "grid_name", "名称", "网格名称", "村名", "镇名", "名字", "村名称", "镇名称", "社区名称",
               "行政区名称", "区划名称", "wgmc", "xzqmc", "cjqymc", "xjqymc", "zldwmc", "xzqhmc", "mc")
PARENT_FIELDS = ("parent_code", "parent_cod", "parent", "上级编码", "上级代码", "所属村编码", "所属村居编码",
                 "所属乡镇编码", "所属编码", "sjbm", "sjdm")
LAYER_TIERS = {"county": 1, "counties": 1, "town": 2, "towns": 2, "township": 2, "townships": 2, "village": 3,
               "villages": 3, "community": 3, "communities": 3, "grid": 4, "grids": 4}
TIER_BY_NAME = {"county": 1, "town": 2, "village": 3, "grid": 4}
# Chinese layer names end in the tier's word: 云溪县网格, 云溪县村居, 云溪县乡镇街道, 云溪县 (longest suffix first).
CHINESE_SUFFIXES = (("网格", 4), ("村社区", 3), ("村居", 3), ("社区", 3), ("行政村", 3), ("村", 3),
                    ("乡镇街道", 2), ("乡镇", 2), ("镇街", 2), ("街道", 2), ("区县", 1), ("县界", 1), ("县", 1))


def _field(frame: pd.DataFrame, given: str | None, candidates: tuple[str, ...]) -> str | None:
    if given:
        if given not in frame.columns:  # field names differ in case between drivers (KML: description)
            given = next((c for c in frame.columns if str(c).lower() == given.lower()), given)
        if given not in frame.columns:
            raise InvalidInput(f"no field {given!r}; fields: {[c for c in frame.columns if c != 'geometry']}",
                               reason="unknown_field")
        return given
    lowered = {str(c).lower(): c for c in frame.columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def ensure_finite(layer: RawLayer) -> None:
    """Refuse NaN/Infinity coordinates before anything else looks at them (GEOS and GDAL misbehave on them)."""
    coords = shapely.get_coordinates(np.asarray(layer.frame.geometry.values, dtype=object))
    if len(coords) and not np.isfinite(coords).all():
        raise InvalidInput(f"{layer.source}: NaN or infinite coordinates", reason="non_finite_coordinates")


def tier_name_of(name: str) -> str:
    """A layer name without what tools add around the tier word.

    KML duplicate marks ("村居 (#2)"), a leading "1_" or "01-", trailing boundary words ("网格边界", "村界",
    "towns_boundary").
    """
    # A match starts only where a run of separators starts (else each start inside a long run rescans it).
    name = re.sub(r"(?<!\s)\s*+\(#\d++\)$", "", name.strip()[:200])
    name = re.sub(r"^\d++[\s_.\-、]++", "", name)
    name = re.sub(r"(?i)(?<![\s_\-])[\s_\-]*+(boundary|boundaries|polygons?|layer)$", "", name)
    for tail in ("边界线", "边界", "范围", "区划", "图层", "界线", "界", "面"):
        if name.endswith(tail) and len(name) > len(tail):
            name = name[: -len(tail)]
            break
    return name.strip()


NAME_ENDINGS = ((4, ("网格",)), (3, ("村", "社区", "委员会", "居委会", "居")), (2, ("镇", "乡", "街道", "街道办事处")),
                (1, ("县", "区", "市", "旗")))


def guess_tier(frame: pd.DataFrame) -> tuple[int, str] | None:
    """The tier of a layer whose name says nothing, from its areas' names or codes (None: no clear answer).

    Names: at least 80 % end in one tier's word (…网格, …村/社区, …镇/乡/街道, …县/区). Codes (GB/T 2260 and the
    statistical codes): 6 digits a county, 9 or 12 ending in 000 a town, other 12 a village, longer a grid.
    """
    name_col = _field(frame, None, NAME_FIELDS)
    if name_col is not None:
        names = _text(frame[name_col])
        for tier, endings in NAME_ENDINGS:
            if len(names) and names.str.endswith(endings).mean() >= 0.8:
                return tier, f"the names (…{endings[0]})"
    code_col = _field(frame, None, CODE_FIELDS)
    if code_col is not None:
        codes = _text(frame[code_col])
        digits = codes[codes.str.fullmatch(r"\d+")]
        if len(digits) and len(digits) >= 0.8 * len(codes):
            kinds = digits.map(lambda c: 1 if len(c) == 6 else 2 if len(c) == 9 or (len(c) == 12 and c.endswith("000"))
                               else 3 if len(c) == 12 else 4 if len(c) > 12 else 0)
            top = int(kinds.mode().iloc[0])
            if top and (kinds == top).mean() >= 0.8:
                return top, "the codes' length"
    return None


def layer_tier(layer: RawLayer, tier: str | None, n_layers: int) -> int:
    """The tier of a layer: --tier for a single layer, else its name (county/towns/villages/grids, 县/乡镇/村/网格)."""
    if tier and n_layers == 1:
        return TIER_BY_NAME[tier]
    name = tier_name_of(layer.name)
    named = LAYER_TIERS.get(name.lower()) or next(
        (t for suffix, t in CHINESE_SUFFIXES if name.endswith(suffix)), None)
    if named:
        return named
    if tier:
        return TIER_BY_NAME[tier]
    guessed = guess_tier(layer.frame)
    if guessed:
        layer.notes.append(f"{layer.source} [{layer.name}]: tier {guessed[0]} guessed from {guessed[1]}; pass "
                           "--tier (or name the layer county/towns/villages/grids) to be sure")
        return guessed[0]
    raise InvalidInput(f"{layer.source}: which tier is layer {layer.name!r}? pass --tier county|town|village|grid",
                       reason="unknown_tier")


def normalize(layer: RawLayer, *, tier: int, report: Report, code_field: str | None = None,
              name_field: str | None = None, parent_field: str | None = None,
              max_vertices: int = 1_000_000) -> gpd.GeoDataFrame:
    """Areas of one layer with tier, code, name, parent_code and attrs; problems go to the report."""
    frame = layer.frame
    code_col = _field(frame, code_field, CODE_FIELDS)
    if code_col is None:
        raise InvalidInput(f"{layer.source}: no code field (tried {CODE_FIELDS}); pass --code-field",
                           reason="missing_code_field")
    name_col = _field(frame, name_field, NAME_FIELDS)
    parent_col = _field(frame, parent_field, PARENT_FIELDS)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    counts = shapely.get_num_coordinates(geoms)
    if len(counts) and counts.max() > max_vertices:
        worst = int(np.argmax(counts))
        raise InvalidInput(f"{layer.source}: feature {frame[code_col].iloc[worst]} has {counts.max():,} vertices "
                           f"(limit {max_vertices:,})", reason="too_many_vertices")
    if shapely.has_z(geoms).any():
        heights = shapely.get_coordinates(geoms, include_z=True)[:, 2]
        if np.nan_to_num(heights).any():  # real heights are worth a word; KML's constant 0 is not
            report.add("warning", "z_stripped", f"{int(shapely.has_z(geoms).sum())} feature(s) had Z values; "
                       "dropped", tier=tier)
        else:
            report.notes.append(f"{layer.source} [{layer.name}]: Z = 0 dropped")
        geoms = shapely.force_2d(geoms)
    codes = _text(frame[code_col])
    names = _text(frame[name_col]) if name_col else codes
    names = names.where(names != "", codes)  # an area with no name goes by its code
    parents = _text(frame[parent_col]) if parent_col else None
    extra = [c for c in frame.columns if c not in {code_col, name_col, parent_col, "geometry"}]
    out = gpd.GeoDataFrame({
        "tier": tier, "code": codes.to_numpy(), "name": names.to_numpy(),
        "parent_code": parents.to_numpy() if parents is not None else np.full(len(frame), "", dtype=object),
        "attrs": [_attrs(row) for row in frame[extra].to_dict("records")] if extra else [{}] * len(frame),
    }, geometry=list(geoms), crs=frame.crs)
    return out


def _text(values: pd.Series) -> pd.Series:
    """Codes and names as text: nulls empty, whole-number floats (dBase N fields) without a '.0'."""
    if pd.api.types.is_float_dtype(values):
        numbers = values.to_numpy(dtype=float)
        if np.all(np.isnan(numbers) | (numbers == np.round(numbers))):
            values = values.astype("Int64")
    return values.astype("string").fillna("").str.strip().astype(object)


def _attrs(row: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {}
    for key, value in row.items():
        if isinstance(value, float) and not np.isfinite(value):
            continue
        clean[str(key)] = value if isinstance(value, int | float | bool | str) else str(value)
    return clean
