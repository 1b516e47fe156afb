"""The categorical palettes, seen with colour-vision deficiencies (simulated by colorspacious,
Machado et al. 2009, at full severity): every two colours a chart may show together stay
apart by a minimum perceptual distance (CAM02-UCS ΔE)."""

from __future__ import annotations

import itertools

import pytest
from colorspacious import cspace_convert, deltaE

from rigflows.figures.style import CATEGORY_COLOURS, OKABE_ITO

#: ΔE in CAM02-UCS below which two categories are easily confused (≈ 1 is a just-noticeable
#: difference; categorical palettes for thin lines need an order of magnitude more).
MIN_DISTANCE = 12
DEFICIENCIES = ("deuteranomaly", "protanomaly")

#: The Sankey's link colours by flow kind (rigflows/figures/sankey.py), drawn together.
SANKEY_KINDS = [OKABE_ITO[name] for name in ("blue", "orange", "purple")]


def _rgb(hex_colour: str) -> list[float]:
    return [int(hex_colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]


def closest_pair(colours: list[str], deficiency: str) -> tuple[float, str, str]:
    """The two colours that look most alike to a reader with `deficiency`, and how far apart."""
    space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    seen = {colour: cspace_convert(_rgb(colour), space, "sRGB1").clip(0, 1) for colour in colours}
    return min((float(deltaE(seen[a], seen[b], input_space="sRGB1")), a, b) for a, b in itertools.combinations(colours, 2))


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
@pytest.mark.parametrize("palette", [CATEGORY_COLOURS, SANKEY_KINDS], ids=["countries", "sankey kinds"])
def test_categorical_colours_stay_apart_for_colour_blind_readers(palette, deficiency):
    distance, first, second = closest_pair(palette, deficiency)
    assert distance >= MIN_DISTANCE, f"{first} and {second} look alike with {deficiency} (ΔE {distance:.1f})"


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_the_check_rejects_a_palette_that_merges_for_them(deficiency):
    """Armed: the blue and purple of matplotlib's tab10, which merge without red-green
    vision, fail the same check."""
    assert closest_pair(["#1F77B4", "#9467BD"], deficiency)[0] < MIN_DISTANCE
