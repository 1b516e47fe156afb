"""Country geometry shared by the browser and the server.

The browser draws maps from `assets/topojson/world_110m.json` (plotly.js's own file, served by
the app). The server reads the same file with geopandas, so the farm-in-country check and the
country anchor points agree with what the map shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

#: A country's parts smaller than this share of its largest part (islands, exclaves: Hawaii, the
#: Aleutians, Kaliningrad) do not stretch the view of a map that draws it.
MAIN_PART_SHARE = 0.01

#: The coarse 1:110m outlines cut off coasts and river borders (Caracas, Asuncion); a point this
#: close to its country (in degrees) still counts as inside it.
BORDER_TOLERANCE_DEG = 0.5


@dataclass(frozen=True)
class CountryGeometry:
    """Country outlines by ISO-3 code, and an anchor (label/flow) point for each."""

    outlines: gpd.GeoSeries
    anchors: pd.DataFrame  # index iso3, columns lon, lat
    #: index iso3, columns lon0, lon1, lat0, lat1: each country's main parts (`main_extent`).
    extents: pd.DataFrame

    def contains(self, iso3: str, lon: float, lat: float) -> bool:
        """True when (lon, lat) lies in country `iso3`, within the border tolerance."""
        if iso3 not in self.outlines.index:
            return False
        return self.outlines[iso3].distance(Point(lon, lat)) <= BORDER_TOLERANCE_DEG

    def anchor(self, iso3: str) -> tuple[float, float] | None:
        """(lon, lat) of the country's anchor point, or None for a country not on the map."""
        if iso3 not in self.anchors.index:
            return None
        row = self.anchors.loc[iso3]
        return float(row["lon"]), float(row["lat"])


    def extent(self, codes, points=()) -> tuple[float, float, float, float] | None:
        """(lon0, lon1, lat0, lat1) holding the main parts of countries `codes` and the (lon,
        lat) `points`, never across the date line (lon0 < lon1); None when nothing is known."""
        boxes = [tuple(self.extents.loc[code]) for code in codes if code in self.extents.index]
        boxes += [(lon, lon, lat, lat) for lon, lat in points]
        if not boxes:
            return None
        lon0, lon1, lat0, lat1 = zip(*boxes)
        return float(min(lon0)), float(max(lon1)), float(min(lat0)), float(max(lat1))


def main_extent(geometry) -> tuple[float, float, float, float]:
    """(lon0, lon1, lat0, lat1) of a country's main parts (see `MAIN_PART_SHARE`), kept on one
    side of the date line.

    Longitudes are circular: the parts' smallest arc is the circle minus the widest gap between
    their points. When that arc crosses the date line (Russia's Chukotka lies east of 180°), the
    side holding most of the country's outline is kept, so a map that draws Russia and the
    United States spans the Atlantic, like the lines from China, instead of the Pacific.
    """
    parts = list(getattr(geometry, "geoms", [geometry]))
    largest = max(part.area for part in parts)
    kept = [part for part in parts if part.area >= MAIN_PART_SHARE * largest]
    points = [point for part in kept for point in part.exterior.coords]
    lons = sorted({round(lon, 4) for lon, _ in points})
    gaps = [((lons[(index + 1) % len(lons)] - lon) % 360, index) for index, lon in enumerate(lons)]
    _, widest = max(gaps)
    start, end = lons[(widest + 1) % len(lons)], lons[widest]  # the arc runs east from start to end
    if start > end:  # across the date line: keep the side with more of the outline
        east = sum(1 for lon, _ in points if lon >= start)
        start, end = (start, 180.0) if east >= len(points) - east else (-180.0, end)
    lats = [lat for _, lat in points]
    return start, end, min(lats), max(lats)


def read_country_geometry(topojson_path: Path) -> CountryGeometry:
    """Read the `countries` layer of plotly's world topojson (lon/lat, ISO-3 ids, centroid `ct`)."""
    frame = gpd.read_file(topojson_path, layer="countries")
    frame = frame[frame["id"].notna()].drop_duplicates("id").set_index("id")
    anchors = pd.DataFrame(
        [(iso3, float(ct[0]), float(ct[1])) for iso3, ct in frame["ct"].items()],
        columns=["iso3", "lon", "lat"],
    ).set_index("iso3")
    extents = pd.DataFrame(
        [(iso3, *main_extent(geometry)) for iso3, geometry in frame.geometry.items()],
        columns=["iso3", "lon0", "lon1", "lat0", "lat1"],
    ).set_index("iso3")
    return CountryGeometry(outlines=frame.geometry, anchors=anchors, extents=extents)
