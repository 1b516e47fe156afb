"""Every component id in one place, so layout, callbacks and browser tests agree."""

URL = "url"
NOTICES = "notices"

METRIC = "metric"
COUNTRIES = "country-filter"
FIRMS = "firm-filter"
TOGGLES = "toggles"
RESET = "reset"

MAP = "map"
MONTH = "month-slider"
MONTH_LABEL = "month-label"
PLAY = "play"
TICK = "play-tick"

SANKEY = "sankey"
UNQUANTIFIED = "unquantified"

ENERGY = "energy"

SOURCES = "sources"
DOWNLOAD_CSV = "download-csv"
CSV_FILE = "csv-file"
DOWNLOAD_PNGS = "download-pngs"
PNG_STATUS = "png-status"

#: Values of the TOGGLES checklist.
SHOW_FARMS = "farms"
SHOW_REMAINDERS = "remainders"


def drawn(chart_id: str) -> str:
    """The Store beside a chart that remembers which view it last drew."""
    return f"{chart_id}-drawn"

UPLOAD = "upload"
UPLOAD_RESULT = "upload-result"
UPLOAD_TOKEN = "upload-token"
UPLOAD_FORGET = "upload-forget"
YOUR_DATA = "your-data-banner"
