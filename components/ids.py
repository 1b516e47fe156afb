"""Every component id in one place, so layout, callbacks and browser tests agree."""

#: The query string of what the page shows (what the address bar says), for the tables and the CSV.
QUERY = "page-query"
#: Set by assets/views.js when the reader goes back or forward: the query to show.
NAVIGATE = "navigate"
#: The filter part of the state, as the page's clientside code needs it (see components.sync).
FILTER = "filter"
#: What the page's clientside code needs to know about the dataset: months and defaults.
SETTINGS = "page-settings"
#: Set by assets/views.js once the page's charts have drawn their first figures: what the first
#: paint does not show (the frames, `frames`, and the sources panel) is asked for then.
PAINTED = "page-painted"
NOTICES = "notices"
SHARE = "share-link"
SHARE_STATUS = "share-status"

METRIC = "metric"
COUNTRIES = "country-filter"
FIRMS = "firm-filter"
TOGGLES = "toggles"
RESET = "reset"
#: Shown when the country and firm filters have nothing in common: why, and a way back.
EMPTY_RESULT = "empty-result"
EMPTY_MESSAGE = "empty-message"
CLEAR_FIRMS = "clear-firms"
CLEAR_COUNTRIES = "clear-countries"

MAP = "map"
MONTH = "month-slider"
MONTH_LABEL = "month-label"
PLAY = "play"
TICK = "play-tick"

SANKEY = "sankey"
UNQUANTIFIED = "unquantified"

ENERGY = "energy"

SOURCES = "sources"
#: What the sources panel lists now (its data's label, then the source ids, '|'-joined), so an unchanged list is not resent.
SOURCES_SHOWN = "sources-shown"
DOWNLOAD_CSV = "download-csv"
CSV_FILE = "csv-file"
DOWNLOAD_PNGS = "download-pngs"
PNG_STATUS = "png-status"

#: Values of the TOGGLES checklist.
SHOW_FARMS = "farms"
SHOW_REMAINDERS = "remainders"
SHOW_ORDERS = "orders"


#: Parts of the state with their own key Store: one per server callback that draws a chart
#: (the map and the energy chart are drawn from their every-month frames) or the sources.
MAP_FRAMES = "map-frames"
ENERGY_FRAMES = "energy-frames"
KEYED = (SANKEY, MAP_FRAMES, ENERGY_FRAMES, SOURCES)


def key(part: str) -> str:
    """The Store holding the part of the state that `part` draws, as a query string: its
    callback runs only when this changes."""
    return f"{part}-key"


#: The energy chart's text alternative at every month of the filter: its frames' other half,
#: asked for apart (`rigflows.render.energy_texts`).
ENERGY_TEXTS = "energy-texts"


def frames(chart_id: str, group: str = "") -> str:
    """The Store with every month of a chart's `group` for the current filter: the map has one
    per metric (each its own request, built by any free worker), the energy chart one in all."""
    return f"{chart_id}-frames" + (f"-{group}" if group else "")

#: The grid-strain calculator (components.calculator).
CALC_PRESET = "calc-preset"
CALC_EFFICIENCY = "calc-efficiency"
CALC_PUE = "calc-pue"
CALC_VERSION = "calc-version"
CALC_SHARES = "calc-shares"
CALC_MESSAGE = "calc-message"
CALC_FORMULA = "calc-formula"

UPLOAD = "upload"
UPLOAD_RESULT = "upload-result"
UPLOAD_TOKEN = "upload-token"
UPLOAD_FORGET = "upload-forget"
#: "Instead of" or "beside" the bundled data (`rigflows.layers`): kept in the tab, never in the URL.
UPLOAD_MODE = "upload-mode"
YOUR_DATA = "your-data-banner"

#: The event timeline (components.timeline): the Store of its data (every month's events and
#: status line, for the country filter), the card's body assets/timeline.js draws it into, the
#: "every country's events" checklist (and its box) and the event last picked (tap, click or key).
TIMELINE_DATA = "timeline-data"
TIMELINE_BODY = "timeline-body"
TIMELINE_ALL = "timeline-all"
TIMELINE_ALL_BOX = "timeline-all-box"
TIMELINE_PICKED = "timeline-picked"
#: Elements of that body, drawn by assets/timeline.js (not Dash components): the line saying
#: which events are listed, the line naming the selected month, the month blocks, and the panel
#: under them with each month's events in words and its empty-state line.
TIMELINE_SCOPE = "timeline-scope"
TIMELINE_STATUS = "timeline-status"
TIMELINE = "timeline"
TIMELINE_DETAILS = "timeline-details"
TIMELINE_DETAILS_EMPTY = "timeline-details-empty"
#: The checklist's one value.
SHOW_ALL_EVENTS = "all"
