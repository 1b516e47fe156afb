"""Trim plotly.js's world_110m.json to the layers the map draws, for assets/topojson/.

plotly.js projects only the layers a map shows (land, and country outlines and shapes here:
rigflows/figures/choropleth.py turns coastlines, lakes, rivers, ocean and subunits off), but
the page downloads the file whole, and the server reads its countries (rigflows/geo.py). The
kept layers are copied unchanged, their arcs renumbered; arcs only other layers use are
dropped.

    python tools/trim_topojson.py SOURCE TARGET

SOURCE is plotly.js's dist/topojson/world_110m.json (a copy: ../shared/research/geo/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: The layers the map draws.
KEPT = ("land", "countries")


def _arc_ids(arcs) -> set[int]:
    """The arcs a geometry's nested `arcs` lists use (a negative id ~i is arc i reversed)."""
    if isinstance(arcs, int):
        return {arcs if arcs >= 0 else ~arcs}
    return set().union(*(_arc_ids(item) for item in arcs)) if arcs else set()


def _renumbered(arcs, new_id: dict[int, int]):
    if isinstance(arcs, int):
        return new_id[arcs] if arcs >= 0 else ~new_id[~arcs]
    return [_renumbered(item, new_id) for item in arcs]


def _geometries(layer: dict) -> list[dict]:
    return layer.get("geometries", [layer])


def trim(topology: dict, kept: tuple[str, ...] = KEPT) -> dict:
    """`topology` with only the `kept` objects and the arcs they use."""
    objects = {name: topology["objects"][name] for name in kept}
    used = sorted(set().union(*(_arc_ids(geometry.get("arcs", [])) for layer in objects.values() for geometry in _geometries(layer))))
    new_id = {old: new for new, old in enumerate(used)}

    def geometry(item: dict) -> dict:
        return {**item, "arcs": _renumbered(item["arcs"], new_id)} if "arcs" in item else item

    trimmed = {name: {**layer, "geometries": [geometry(item) for item in layer["geometries"]]} if "geometries" in layer else geometry(layer) for name, layer in objects.items()}
    return {**topology, "objects": trimmed, "arcs": [topology["arcs"][old] for old in used]}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = (Path(arg) for arg in argv)
    Path(target).write_text(json.dumps(trim(json.loads(source.read_text())), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
