"""The reader's upload beside the bundled data (`rigflows.layers`): its own marks, never added in.

The upload here is the bundled data with one table changed by hand, so every expectation is
the bundled figure or the hand-typed change, not something the layer code computed.
"""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest

from components.views import your_unquantified
from rigflows.dataset import load_dataset
from rigflows.layers import (
    BESIDE,
    INSTEAD,
    YOURS,
    choices,
    clicked_name,
    drawn,
    drawn_vocabulary,
    energy_layer_traces,
    energy_frames_beside,
    layered_export,
    map_frames_beside,
    marked_links,
    sankey_beside,
    uploaded_tables,
)
from rigflows.render import apply_diff, energy_figure, sankey_figure, energy_frames_key, energy_key, map_figure, map_frames_key, map_key, plain, sankey_key
from rigflows.select import NOT_ITEMISED
from rigflows.state import ViewState
from tests.conftest import edit_table

#: 1,234 machines from a seller and to a farm the bundled data does not name, to Paraguay.
READERS_ROW = {
    "flow_id": "reader_pry", "seller": "Reader Seller Ltd", "seller_type": "mining_firm", "destination_iso3": "PRY", "receiver": "Reader Farm SA",
    "machines": "1234", "qualifier": "exact", "period_start": "2021-06", "period_end": "2021-09", "kind": "relocation",
    "confidence": "single_report", "source_ids": "ft_exiled_machines", "note": "A reader's row.",
}


@pytest.fixture(scope="module")
def upload(tmp_path_factory):
    import shutil

    from tests.conftest import DATA_DIR

    folder = tmp_path_factory.mktemp("upload") / "data"
    shutil.copytree(DATA_DIR, folder)
    edit_table(folder, "flows", lambda frame: pd.concat([frame, pd.DataFrame([READERS_ROW])], ignore_index=True).fillna(""))
    return load_dataset(folder)


def test_the_mode_picks_the_data_and_nonsense_is_instead(dataset, upload):
    assert drawn(dataset, upload, BESIDE).main is dataset and drawn(dataset, upload, BESIDE).yours is upload
    for mode in (INSTEAD, None, "beside ", ["beside"], 3):
        assert drawn(dataset, upload, mode).main is upload and drawn(dataset, upload, mode).yours is None
    assert drawn(dataset, None, BESIDE).main is dataset and drawn(dataset, None, BESIDE).yours is None
    assert uploaded_tables(dataset, upload) == {"flows"}


def test_the_vocabulary_and_the_filters_include_the_uploads_names(dataset, upload):
    for mode in (INSTEAD, BESIDE):
        vocab = drawn_vocabulary(dataset, drawn(dataset, upload, mode))
        assert {"Reader Seller Ltd", "Reader Farm SA"} <= vocab.firms
        assert vocab.months == tuple(dataset.months)  # the month slider's
    bundled = drawn_vocabulary(dataset, drawn(dataset, None, BESIDE))
    assert "Reader Farm SA" not in bundled.firms
    firms = dict(choices(drawn(dataset, upload, BESIDE), ViewState())[1])
    assert firms["Reader Farm SA"] == "Reader Farm SA (1 flow)" + YOURS and firms["BitRiver"].startswith("BitRiver (")
    assert clicked_name("Paraguay" + YOURS) == "Paraguay" and clicked_name("Paraguay") == "Paraguay"


def test_marked_links_are_their_own_nodes_and_drop_the_untraced_remainder():
    links = pd.DataFrame({
        "source": ["Seller A", NOT_ITEMISED, NOT_ITEMISED, "Kazakhstan"], "target": ["Kazakhstan", "Left China, destination not tracked", "Kazakhstan", "Farm B"],
        "kind": ["relocation", "remainder", "remainder", "relocation"], "note": ["n", "", None, "m"], "machines": [10, 1_000_000, 5, 10],
    })
    marked = marked_links(links)
    assert list(marked["source"]) == ["Seller A" + YOURS, NOT_ITEMISED + YOURS, "Kazakhstan" + YOURS]
    assert list(marked["target"]) == ["Kazakhstan" + YOURS, "Kazakhstan" + YOURS, "Farm B" + YOURS]
    assert list(marked["machines"]) == [10, 5, 10]  # the million that leads nowhere is left out
    assert marked["note"].str.startswith("Your data (not shared).").all()


def test_the_sankey_beside_keeps_every_bundled_link_and_adds_the_uploads(dataset, upload):
    figure = sankey_beside(dataset, upload, sankey_key(ViewState())).figure
    trace = figure["data"][0]
    # The bar of every machine reported leaving China stays the bundled one: Russia 205,000 +
    # Kazakhstan 87,849 + US 87,200 = 380,049 traced (README "Reconciliation"), not plus the upload's.
    bar_key = " ".join(annotation["text"] for annotation in figure["layout"]["annotations"] if "All machines reported" in annotation["text"])
    assert "at least 380,049" in bar_key and "761" not in bar_key
    labels = trace["node"]["label"]
    # FT figures, bundled: Bitfufu 80,000 to Kazakhstan; the reader's 1,234 to Paraguay, marked.
    assert "Bitfufu (BitFuFu)" in labels and "Bitfufu (BitFuFu)" + YOURS in labels
    assert "Paraguay" + YOURS in labels and "Reader Farm SA" + YOURS in labels and "Paraguay" not in labels
    assert "rgba(213,94,0,0.55)" in trace["link"]["color"]



def test_a_large_upload_beside_draws_its_largest_sellers_and_one_node_for_the_rest(dataset, tmp_path):
    """25 sellers of the reader's, 10 to 250 machines, all to Paraguay: the upload's seller
    column draws its 20 largest nodes (select.MAX_NODES_PER_COLUMN), which are its remainder
    ("Sellers not itemised", the bundled totals the upload leaves unattributed) and sellers 07
    to 25, and "6 other sellers (your data)" of 10 + 20 + 30 + 40 + 50 + 60 = 210 machines;
    every bundled node stays drawn."""
    import shutil

    from tests.conftest import DATA_DIR

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    rows = [{**READERS_ROW, "flow_id": f"reader_{number:02}", "seller": f"Reader Seller {number:02}", "machines": str(10 * number)} for number in range(1, 26)]
    edit_table(folder, "flows", lambda frame: pd.DataFrame(rows, columns=frame.columns).astype(object).fillna(""))
    upload = load_dataset(folder)
    chart = sankey_beside(dataset, upload, sankey_key(ViewState()))
    trace = chart.figure["data"][0]
    labels = trace["node"]["label"]
    yours = [label for label in labels if label.endswith(YOURS) and label.startswith("Reader Seller")]
    assert sorted(yours) == [f"Reader Seller {number:02}{YOURS}" for number in range(7, 26)]
    assert "Sellers not itemised" + YOURS in labels
    merged = labels.index("6 other sellers" + YOURS)
    assert sum(value for source, value in zip(trace["link"]["source"], trace["link"]["value"]) if source == merged) == 210
    bundled = sankey_figure(dataset, sankey_key(ViewState())).figure["data"][0]["node"]["label"]
    assert set(bundled) <= set(labels)

def test_the_sankey_beside_cites_both_layers_sources_by_id_and_by_name(dataset, upload):
    """Its source ids are ids (the reader's row cites the FT article), and its source line names
    the producers, as the bundled Sankey's does."""
    chart = sankey_beside(dataset, upload, sankey_key(ViewState()))
    assert "ft_exiled_machines" in chart.source_ids and all("(" not in source_id for source_id in chart.source_ids)
    source_line = " ".join(annotation["text"] for annotation in chart.figure["layout"]["annotations"] if annotation["text"].startswith("Sources:"))
    assert "Financial Times" in source_line


def framed(frames: dict, group: str, month: str) -> dict:
    """The figure the page draws from `frames` at `group` and `month` (assets/views.js)."""
    entry = frames["groups"][group]
    return apply_diff(entry["base"], entry["diffs"][month])


def machines_map_beside(dataset, upload, state: ViewState) -> dict:
    return framed(map_frames_beside(dataset, upload, map_frames_key(state), "machines"), "machines", ViewState().month)


def test_the_map_beside_keeps_the_bundled_choropleth(dataset, upload):
    bundled = plain(map_figure(dataset, map_key(ViewState())).figure)
    beside = machines_map_beside(dataset, upload, ViewState())
    assert beside["data"][: len(bundled["data"])] == bundled["data"]  # untouched, not summed
    layer = beside["data"][-1]
    hover = dict(zip(layer["customdata"], layer["hovertext"]))
    assert "1,234 machines" in hover["PRY"] and "Paraguay (your data)" in hover["PRY"]


def test_the_uploads_markers_alone_get_the_world_drawn_as_every_map(dataset, upload):
    """Filtered to the upload's own farm, the bundled map has nothing (a message, no map): the
    markers are drawn on the world with the map's own layers, not plotly.js's defaults, which
    ask for coastlines the page's topojson leaves out (the browser threw on them)."""
    beside = machines_map_beside(dataset, upload, ViewState(firms=("Reader Farm SA",)))
    assert "Paraguay (your data)" in " ".join(beside["data"][-1]["hovertext"])
    geo = beside["layout"]["geo"]
    assert geo["showland"] and geo["showcountries"]
    assert not any(geo[f"show{layer}"] for layer in ("coastlines", "lakes", "ocean", "rivers", "subunits"))
    assert geo["lonaxis"]["range"] == [-180.0, 180.0]  # the world: nothing bundled to fit


def test_energy_layer_traces_are_dashed_marked_and_leave_out_the_bands():
    figure = {"data": [
        {"type": "scatter", "name": "Kazakhstan range, low", "line": {"width": 0}},
        {"type": "scatter", "name": "Kazakhstan range, high", "fill": "tonexty"},
        {"type": "scatter", "name": "Kazakhstan (model estimate)", "line": {"color": "#E69F00"}, "hovertemplate": "%{customdata}"},
        {"type": "scatter", "name": "Kazakhstan (reported)", "marker": {"symbol": "circle"}, "mode": "markers"},
    ]}
    traces = energy_layer_traces(figure)
    assert [trace["line"]["dash"] for trace in traces if "line" in trace] == ["dash"]
    assert traces[1]["name"] == "Kazakhstan (reported)" + YOURS and traces[1]["marker"]["line"]["width"] == 2
    assert traces[0]["showlegend"] and traces[0]["hovertemplate"].startswith("<b>Your data")


def test_the_layered_csv_keeps_the_bundled_rows_as_they_are(dataset, upload):
    from rigflows.select import export_table

    state = ViewState()
    bundled = export_table(dataset, state)
    beside = layered_export(dataset, drawn(dataset, upload, BESIDE), state)
    assert beside[beside["layer"] == "bundled"].drop(columns="layer").reset_index(drop=True).equals(bundled)
    mine = beside[beside["layer"] == "your data"]
    assert ((mine["from"] == "Reader Seller Ltd") & (mine["to"] == "Paraguay") & (mine["value"] == 1234)).any()
    # Only the charts an upload of flows draws: no energy rows in its layer.
    assert not mine["view"].str.startswith("energy").any()
    assert layered_export(dataset, drawn(dataset, None, BESIDE), state).equals(bundled)  # no upload: no column


@pytest.fixture(scope="module")
def shares_upload(tmp_path_factory):
    """CBECI's Aug 2021 shares with Kazakhstan at 20.00 % instead of 18.10 % (and "Other" at
    6.96 % instead of 8.86 %, so the month still sums to 100 %)."""
    import shutil

    from tests.conftest import DATA_DIR

    folder = tmp_path_factory.mktemp("shares") / "data"
    shutil.copytree(DATA_DIR, folder)

    def change(frame):
        august = frame["month"] == "2021-08"
        frame.loc[august & (frame["iso3"] == "KAZ"), "share_pct"] = "20.0"
        frame.loc[august & (frame["iso3"] == "OTHER"), "share_pct"] = "6.96"
        return frame

    edit_table(folder, "hashrate_share", change)
    return load_dataset(folder)


def test_the_energy_chart_beside_draws_the_uploads_series_dashed_next_to_the_bundled_one(dataset, shares_upload):
    state = ViewState(countries=("KAZ",), month="2021-08")
    key = energy_key(state)
    figure = framed(energy_frames_beside(dataset, shares_upload, energy_frames_key(state)), "all", "2021-08")
    assert figure["data"][: len(energy_figure(dataset, key).figure["data"])] == energy_figure(dataset, key).figure["data"]

    def at_august(trace: dict) -> float:
        x = [str(value)[:7] for value in trace["x"]]
        y = trace["y"]
        values = list(np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])) if isinstance(y, dict) else y
        return values[x.index("2021-08")]

    drawn_before = len(energy_figure(dataset, key).figure["data"])
    bundled = at_august(next(trace for trace in figure["data"] if trace.get("name") == "Kazakhstan (model estimate)"))
    mine = next(trace for trace in figure["data"][drawn_before:] if trace.get("line", {}).get("dash") == "dash")
    assert at_august(mine) == pytest.approx(bundled * 20.0 / 18.1)  # the upload's share × the same network power
    assert mine["name"].endswith(YOURS) or mine["name"].startswith("Your data")


def test_the_uploads_reports_without_a_count_name_their_sources(tmp_path):
    """The reader's flow without a machine count is listed under the Sankey with its source by
    name, like the bundled ones, never as ids."""
    import shutil

    from tests.conftest import DATA_DIR

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    uncounted = {**READERS_ROW, "flow_id": "reader_uncounted", "machines": "", "qualifier": "unknown"}
    edit_table(folder, "flows", lambda frame: pd.concat([frame, pd.DataFrame([uncounted])], ignore_index=True).fillna(""))
    bundled = load_dataset(DATA_DIR)
    listing = your_unquantified(bundled, load_dataset(folder), sankey_key(ViewState()))
    text = str(listing)
    assert "Reader Farm SA" in text and "Financial Times" in text
    assert "ft_exiled_machines" not in text
