"""ViewState: the one description of what the reader sees, and its URL form.

The URL, the CSV export, the PNG filenames and the sources panel all derive from a ViewState,
so a shared link, an export and the screen cannot disagree. Parsing never raises: unknown or
malformed values are dropped and reported as notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from rigflows.models import DEFAULT_VERSION, VERSION_LABELS

METRICS = {
    "machines": "Machines relocated from China (reported)",
    "share": "Share of global Bitcoin hashrate (%)",
    "load": "Estimated mining load (GW, model)",
    "strain": "Estimated mining load as % of national electricity demand (model)",
}
DEFAULT_METRIC = "machines"
#: The month of a state made without a dataset: "" stands for the dataset's default month
#: (`Vocabulary.default_month`, a rule of the data layer), which every parsed state carries.
DEFAULT_MONTH = ""

#: The on/off settings: ViewState field → URL parameter (also the overlay checklist's value).
#: A new toggle is a field with its default plus one entry here; the URL, parsing, cleaning
#: and the checklist follow.
FLAGS = {"show_farms": "farms", "show_remainders": "remainders", "show_orders": "orders"}

#: Overhead (power usage effectiveness: cooling and losses on top of the machines) the
#: calculator accepts: an input range the reader chooses within, not a fact about any farm.
PUE_RANGE = (1.0, 1.3)
DEFAULT_PUE = PUE_RANGE[0]

#: Charts a page may show alone, for an iframe (`?embed=map`): a page setting, not part of
#: the view (`parse_embed`), so the link back to the full view is the same query without it.
EMBEDS = ("map", "sankey", "energy")

#: Longest list and string a URL or callback may pass before it is refused as hostile.
MAX_ITEMS = 50
MAX_TEXT = 120


@dataclass(frozen=True)
class ViewState:
    metric: str = DEFAULT_METRIC
    month: str = DEFAULT_MONTH
    countries: tuple[str, ...] = ()
    firms: tuple[str, ...] = ()
    show_farms: bool = False
    show_remainders: bool = True
    #: The orders layer: new machines ordered from makers and machines in transit, never counted
    #: as received (off by default).
    show_orders: bool = False
    #: Load model: the CBECI version its network power follows (`models.VERSION_LABELS`).
    cbeci: str = DEFAULT_VERSION
    #: Fleet efficiency in J/TH, or None for CBECI's own (network power ÷ network hashrate).
    efficiency: float | None = None
    #: Overhead multiplier on the machines' power (PUE), within PUE_RANGE.
    pue: float = DEFAULT_PUE
    #: The reader's hashrate shares: (ISO-3, month, percent) each replacing CBECI's share of that
    #: country in that month, sorted by month then country (`parse_shares` checks them).
    shares: tuple[tuple[str, str, float], ...] = ()

    @property
    def is_default_model(self) -> bool:
        """True when the load is CBECI's own estimate, with no assumption of the reader's."""
        return self.efficiency is None and self.pue == DEFAULT_PUE and not self.shares

    def to_query(self, default_month: str = DEFAULT_MONTH) -> str:
        """The query string (with leading '?', or '' for the default view), defaults omitted.

        `default_month` is the dataset's default (`Vocabulary.default_month`), left out too.
        """
        default = ViewState()
        params = {}
        if self.metric != default.metric:
            params["metric"] = self.metric
        if self.month not in (DEFAULT_MONTH, default_month):
            params["month"] = self.month
        if self.countries:
            params["country"] = ",".join(self.countries)
        if self.firms:
            params["firm"] = "|".join(self.firms)
        for name, param in FLAGS.items():
            if getattr(self, name) != getattr(default, name):
                params[param] = "1" if getattr(self, name) else "0"
        if self.cbeci != default.cbeci:
            params["cbeci"] = self.cbeci
        if self.efficiency is not None:
            params["eff"] = f"{self.efficiency:g}"
        if self.pue != default.pue:
            params["pue"] = f"{self.pue:g}"
        if self.shares:
            params["share"] = shares_text(self.shares)
        return "?" + urlencode(params, safe=",|:") if params else ""

    def slug(self) -> str:
        """A filename fragment that says what the view shows, e.g. 'share_2021-08_KAZ-RUS'."""
        parts = [self.metric, self.month] if self.metric != "machines" else [self.metric]
        return ("_".join(parts) + self.filter_slug())[:120]

    def filter_slug(self) -> str:
        """The filters' part of `slug` ('_KAZ-RUS_Bit-Cluster', or ''): the browser adds the
        metric and month it shows when it names a download (assets/views.js)."""
        parts = []
        if self.countries:
            parts.append("-".join(self.countries))
        if self.firms:
            parts.append("-".join(_slugify(firm) for firm in self.firms))
        # The load model's assumptions, when not the default, so an export says what it drew.
        parts += [fragment for fragment, _ in self.model_changes()]
        return "".join(f"_{part}" for part in parts)

    def model_changes(self) -> list[tuple[str, str]]:
        """The load model's settings that differ from the default, each as (filename fragment,
        words): ('eff34', 'fleet efficiency 34 J/TH'). One description for the file names and
        for the exports' text, so the two cannot disagree."""
        changes = []
        if self.cbeci != DEFAULT_VERSION:
            changes.append((f"cbeci-{self.cbeci}", f"network power {VERSION_LABELS.get(self.cbeci, self.cbeci)}"))
        if self.efficiency is not None:
            changes.append((f"eff{self.efficiency:g}", f"fleet efficiency {self.efficiency:g} J/TH"))
        if self.pue != DEFAULT_PUE:
            changes.append((f"pue{self.pue:g}", f"overhead {self.pue:g}"))
        changes += [(f"share-{iso3}-{month}-{percent:g}", f"hashrate share of {iso3} in {month} set to {percent:g} %") for iso3, month, percent in self.shares]
        return changes


@dataclass(frozen=True)
class Vocabulary:
    """What a state may name: taken from the loaded dataset, so the URL cannot name other things."""

    months: tuple[str, ...]
    countries: frozenset[str]
    firms: frozenset[str]
    #: The month a view opens on; empty means the latest of `months`.
    default_month: str = field(default=DEFAULT_MONTH)
    #: Fleet efficiencies (J/TH) a reader may set: the span of the dataset's hardware list,
    #: or None when it has none (then only CBECI's own efficiency is offered).
    efficiency_range: tuple[float, float] | None = None

    def __post_init__(self):
        if not self.default_month and self.months:
            object.__setattr__(self, "default_month", self.months[-1])


def _slugify(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")[:30]


def _flag(values: list[str], name: str, default: bool, notices: list[str]) -> bool:
    value = values[-1].strip().lower() if values else ""
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    notices.append(f"Ignored {name}={_quote(value)}: use 1 or 0.")
    return default


def _quote(value: str) -> str:
    shown = value[:40] + ("…" if len(value) > 40 else "")
    return repr(shown)


def clean_state(
    vocabulary: Vocabulary,
    metric: object = None,
    month: object = None,
    countries: object = None,
    firms: object = None,
    **flags: object,
) -> tuple[ViewState, list[str]]:
    """Build a ViewState from untrusted values (callback inputs): bad parts fall back, with notices.

    `flags` are FLAGS fields; anything but a bool keeps the field's default.
    """
    notices: list[str] = []
    default = ViewState(month=vocabulary.default_month)
    if metric is None:
        metric = default.metric
    if not isinstance(metric, str) or metric not in METRICS:
        notices.append(f"Unknown metric {_quote(str(metric))}; showing {METRICS[default.metric].lower()}.")
        metric = default.metric
    if month is None:
        month = default.month
    if not isinstance(month, str) or month not in vocabulary.months:
        notices.append(f"No data for month {_quote(str(month))}; showing {default.month}.")
        month = default.month
    chosen = []
    for values, allowed, name in ((countries, vocabulary.countries, "country"), (firms, vocabulary.firms, "firm")):
        if values is None:
            values = []
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, (list, tuple)) or len(values) > MAX_ITEMS:
            notices.append(f"Ignored the {name} filter: expected a list of at most {MAX_ITEMS} names.")
            values = []
        kept = []
        for value in values:
            if isinstance(value, str) and len(value) <= MAX_TEXT and value in allowed:
                if value not in kept:
                    kept.append(value)
            else:
                notices.append(f"Ignored unknown {name} {_quote(str(value))}.")
        chosen.append(tuple(kept))
    state = ViewState(
        metric=metric,
        month=month,
        countries=chosen[0],
        firms=chosen[1],
        **{name: value for name, value in flags.items() if name in FLAGS and isinstance(value, bool)},
    )
    return state, notices


def parse_query(query: str, vocabulary: Vocabulary) -> tuple[ViewState, list[str]]:
    """Parse a URL query string ('?metric=share&month=2021-08&country=KAZ,RUS&firm=BitRiver')."""
    notices: list[str] = []
    query = (query or "").lstrip("?")
    if len(query) > 4000:
        return ViewState(month=vocabulary.default_month), ["Ignored the link's settings: the address is too long."]
    params = parse_qs(query, keep_blank_values=True)
    known = {"metric", "month", "country", "firm", *FLAGS.values(), "cbeci", "eff", "pue", "share", "embed"}
    for name in sorted(set(params) - known):
        notices.append(f"Ignored unknown setting {_quote(name)}.")
    last = {name: values[-1] for name, values in params.items()}
    state, more = clean_state(
        vocabulary,
        metric=last.get("metric"),
        month=last.get("month"),
        countries=_split(last.get("country", ""), ","),
        firms=_split(last.get("firm", ""), "|"),
    )
    notices += more
    default = ViewState()
    flags = {name: _flag(params[param], param, getattr(default, name), notices) if param in params else getattr(default, name) for name, param in FLAGS.items()}
    return replace(state, **flags, **model_assumptions(last, notices, vocabulary)), notices


def parse_embed(query: str) -> tuple[str | None, list[str]]:
    """The chart `?embed=` asks to show alone (one of EMBEDS), or None for the full page; an
    unknown value falls back to the full page with a notice."""
    values = parse_qs((query or "").lstrip("?")[:4000], keep_blank_values=True).get("embed")
    if not values:
        return None, []
    value = values[-1].strip().lower()
    if value in EMBEDS:
        return value, []
    return None, [f"Ignored embed={_quote(values[-1])}: use {', '.join(EMBEDS)}; showing the full page."]


def model_assumptions(params: dict, notices: list[str], vocabulary: Vocabulary) -> dict:
    """The load model's fields from URL parameters or controls (absent = the default model);
    nonsense or out-of-range values fall back to the default with a notice."""
    fields = {}
    version = params.get("cbeci")
    if version is not None:
        if isinstance(version, str) and version in VERSION_LABELS:
            fields["cbeci"] = version
        else:
            notices.append(f"Ignored cbeci={_quote(str(version))}: use {' or '.join(VERSION_LABELS)}; showing the {VERSION_LABELS[DEFAULT_VERSION]}.")
    if params.get("eff") is not None:
        low_high = vocabulary.efficiency_range
        if low_high is None:
            notices.append("Ignored eff: this data has no hardware list to bound a fleet efficiency; showing CBECI's own efficiency.")
        else:
            value = _number(params["eff"], low_high, "eff", "fleet efficiency (J/TH)", "CBECI's own efficiency", notices)
            if value is not None:
                fields["efficiency"] = value
    if params.get("pue") is not None:
        value = _number(params["pue"], PUE_RANGE, "pue", "overhead (PUE)", f"overhead {DEFAULT_PUE:g}", notices)
        if value is not None:
            fields["pue"] = value
    if params.get("share") is not None:
        shares = parse_shares(params["share"], vocabulary, notices)
        if shares:
            fields["shares"] = shares
    return fields


SHARE_FORMAT = "COUNTRY:YYYY-MM:PERCENT, e.g. KAZ:2021-08:18"


def shares_text(shares: tuple[tuple[str, str, float], ...]) -> str:
    """The URL form of the reader's shares: 'KAZ:2021-08:18,RUS:2021-08:9.5'."""
    return ",".join(f"{iso3}:{month}:{percent:g}" for iso3, month, percent in shares)


def parse_shares(raw: object, vocabulary: Vocabulary, notices: list[str]) -> tuple[tuple[str, str, float], ...]:
    """The reader's hashrate shares from 'KAZ:2021-08:18,RUS:2021-08:9.5' (the URL's `share`).

    Each names a country of the data, a month of the data and a percentage from 0 to 100; a
    malformed, unknown or out-of-range item, a country-month given twice, and every share of a
    month whose shares add up to more than 100 % are refused with a notice (CBECI's share stays).
    """
    if not isinstance(raw, str) or len(raw) > MAX_ITEMS * 24:
        notices.append(f"Ignored share: use {SHARE_FORMAT}, at most {MAX_ITEMS} of them; showing CBECI's shares.")
        return ()
    chosen: dict[tuple[str, str], float] = {}
    for item in _split(raw, ",")[:MAX_ITEMS]:
        parts = [part.strip() for part in item.split(":")]
        if len(parts) != 3:
            notices.append(f"Ignored share {_quote(item)}: use {SHARE_FORMAT}.")
            continue
        iso3, month, text = parts[0].upper(), parts[1], parts[2]
        if iso3 not in vocabulary.countries:
            notices.append(f"Ignored share {_quote(item)}: no country {_quote(iso3)} in this data.")
        elif month not in vocabulary.months:
            notices.append(f"Ignored share {_quote(item)}: no hashrate data for month {_quote(month)} (the data covers {vocabulary.months[0]} to {vocabulary.months[-1]}).")
        elif (iso3, month) in chosen:
            notices.append(f"Ignored share {_quote(item)}: {iso3} in {month} was already given.")
        else:
            percent = _number(text, (0.0, 100.0), "share", f"share of {iso3} in {month} (%)", "CBECI's share", notices)
            if percent is not None:
                chosen[(iso3, month)] = percent
    for month in sorted({month for _, month in chosen}):
        total = sum(percent for (_, when), percent in chosen.items() if when == month)
        if total > 100:
            notices.append(f"Ignored the shares for {month}: together they make {total:g} %, more than the whole network; showing CBECI's shares.")
            chosen = {key: value for key, value in chosen.items() if key[1] != month}
    return tuple(sorted(((iso3, month, percent) for (iso3, month), percent in chosen.items()), key=lambda share: (share[1], share[0])))


def _number(raw: object, bounds: tuple[float, float], name: str, what: str, fallback: str, notices: list[str]) -> float | None:
    """A finite number within `bounds`, or None with a notice naming the accepted range."""
    low, high = bounds
    try:
        value = float(raw) if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) and len(str(raw)) <= 20 else float("nan")
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # also refuses NaN and infinities
        notices.append(f"Ignored {name}={_quote(str(raw))}: the {what} must be a number from {low:g} to {high:g}; showing {fallback}.")
        return None
    return value


def set_model(state: ViewState, vocabulary: Vocabulary, cbeci: object = None, efficiency: object = None, pue: object = None, shares: object = None) -> tuple[ViewState, list[str]]:
    """`state` with the calculator's values (None or '' = the default); a bad value falls back
    to the default with a notice."""
    notices: list[str] = []
    given = {name: value for name, value in (("cbeci", cbeci), ("eff", efficiency), ("pue", pue), ("share", shares)) if value not in (None, "")}
    fields = model_assumptions(given, notices, vocabulary)
    model = replace(state, cbeci=fields.get("cbeci", DEFAULT_VERSION), efficiency=fields.get("efficiency"), pue=fields.get("pue", DEFAULT_PUE), shares=fields.get("shares", ()))
    return model, notices


def keep_model(state: ViewState, previous: ViewState) -> ViewState:
    """`state` with the load model of `previous`: controls that do not set the model keep it."""
    return replace(state, cbeci=previous.cbeci, efficiency=previous.efficiency, pue=previous.pue, shares=previous.shares)


def _split(raw: str, separator: str) -> list[str]:
    return [item.strip() for item in raw.split(separator) if item.strip()]


def toggle_country(state: ViewState, iso3: str) -> ViewState:
    """Clicking a country adds it to the filter, or removes it when already there."""
    if iso3 in state.countries:
        return replace(state, countries=tuple(code for code in state.countries if code != iso3))
    return replace(state, countries=(*state.countries, iso3)[-MAX_ITEMS:])


def toggle_firm(state: ViewState, firm: str) -> ViewState:
    """Clicking a firm's Sankey node adds it to the filter, or removes it."""
    if firm in state.firms:
        return replace(state, firms=tuple(name for name in state.firms if name != firm))
    return replace(state, firms=(*state.firms, firm)[-MAX_ITEMS:])


def next_month(state: ViewState, months: tuple[str, ...]) -> ViewState:
    """The play button's step: the following month, back to the first after the last."""
    position = months.index(state.month) if state.month in months else -1
    return replace(state, month=months[(position + 1) % len(months)])
