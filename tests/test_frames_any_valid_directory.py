"""Frames equal the per-view figures for any directory `check` accepts, not only the bundled one.

The frames build a map's months from their parts and move the energy chart's marker instead of
drawing it again (rigflows.render); the per-view path draws each figure whole through plotly.
Hypothesis generates and perturbs directories (tests/test_data_any_valid_directory.py), and every
month and metric of a few filters, rebuilt as the page does, must equal the whole figure.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import assume, given

from rigflows.dataset import find_problems, load_dataset
from rigflows.render import apply_diff, energy_figure, energy_frame, energy_frames, energy_frames_key, energy_key, energy_texts, map_figure, map_frames, map_frames_key, map_key, plain
from rigflows.state import ViewState
from tests.test_data_any_valid_directory import generated_tables, perturbed_tables, property_settings, write


def frames_equal_the_whole_figures(tables) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = write(tables, Path(scratch) / "data")
        assume(not find_problems(data_dir))  # outside the guarantee: check refuses it
        dataset = load_dataset(data_dir)
        countries = sorted(set(dataset.hashrate_share["iso3"]) | set(dataset.flows["destination_iso3"].dropna()))
        keys = [ViewState(show_farms=True), ViewState(countries=tuple(countries[:1]), show_orders=True), ViewState(efficiency=30.0)]
        for key in keys:
            groups = map_frames(dataset, map_frames_key(key)).data["groups"]
            for metric, group in groups.items():
                for month in dataset.months:
                    drawn = apply_diff(group["base"], group["diffs"].get(month, {}))
                    whole = plain(map_figure(dataset, map_key(replace(key, metric=metric, month=month))).figure)
                    assert drawn == {"data": whole["data"], "layout": whole["layout"]}, (key, metric, month)
            energy, texts = energy_frames(dataset, energy_frames_key(key)).data, energy_texts(dataset, energy_frames_key(key))
            for month in dataset.months:
                whole = plain(energy_figure(dataset, energy_key(replace(key, month=month))).figure)
                assert energy_frame(energy, texts, month) == {"data": whole["data"], "layout": whole["layout"]}, (key, month)
        shutil.rmtree(data_dir)


@property_settings(6)
@given(generated_tables())
def test_frames_of_generated_directories_equal_the_whole_figures(tables):
    frames_equal_the_whole_figures(tables)


@property_settings(4)
@given(perturbed_tables())
def test_frames_of_perturbed_bundled_directories_equal_the_whole_figures(tables):
    frames_equal_the_whole_figures(tables)
