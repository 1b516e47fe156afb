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

#: The coarse 1:110m outlines cut off coasts and river borders (Caracas, Asuncion); a point this
#: close to its country (in degrees) still counts as inside it.
BORDER_TOLERANCE_DEG = 0.5


@dataclass(frozen=True)
class CountryGeometry:
    """Country outlines by ISO-3 code, and an anchor (label/flow) point for each."""

    outlines: gpd.GeoSeries
    anchors: pd.DataFrame  # index iso3, columns lon, lat

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


def read_country_geometry(topojson_path: Path) -> CountryGeometry:
    """Read the `countries` layer of plotly's world topojson (lon/lat, ISO-3 ids, centroid `ct`)."""
    frame = gpd.read_file(topojson_path, layer="countries")
    frame = frame[frame["id"].notna()].drop_duplicates("id").set_index("id")
    anchors = pd.DataFrame(
        [(iso3, float(ct[0]), float(ct[1])) for iso3, ct in frame["ct"].items()],
        columns=["iso3", "lon", "lat"],
    ).set_index("iso3")
    return CountryGeometry(outlines=frame.geometry, anchors=anchors)
