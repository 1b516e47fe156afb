"""The Flask server of `create_app()` under hostile requests, through its test client.

Callback requests are built the way dash-renderer builds them, from GET /_dash-dependencies
(output, outputs, inputs, state, changedPropIds) with values taken from GET /_dash-layout, then
every input and state of every server callback is fed hostile values. Then: security headers
on every kind of response, no debug tools, plain 404/405/400/500 answers, compression and
cache lifetimes of what the page loads.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import re
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import quote

import brotli
import pytest
from dash import Input, Output
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from components import ids
from tests.dash_requests import callback_body, dependency, layout_props, outputs_of

TRACE_MARKERS = ("Traceback", 'File "', '.py", line', "__debugger__")
CALLBACK_URL = "/_dash-update-component"
#: A browser's Accept-Encoding, without zstd (Python 3.11 cannot decode it here).
BROWSER_ENCODINGS = "gzip, deflate, br"
HOSTILE_EXAMPLES = 150

# The app as deployed by default: no debug tools, frames from the same origin only.
with mock.patch.dict(os.environ):
    for name in ("RIGFLOWS_DEBUG", "RIGFLOWS_FRAME_ANCESTORS"):
        os.environ.pop(name, None)
    APP = create_app()
CLIENT = APP.server.test_client()


# --- the page as dash-renderer sees it -----------------------------------------------------












DEPENDENCIES = CLIENT.get("/_dash-dependencies").get_json()
SERVER_CALLBACKS = {callback["output"]: callback for callback in DEPENDENCIES if not callback["clientside_function"]}
CLIENTSIDE_CALLBACKS = [callback for callback in DEPENDENCIES if callback["clientside_function"]]
PROPS = layout_props(CLIENT.get("/_dash-layout").get_json())
COUNTRIES = [option["value"] for option in PROPS[ids.COUNTRIES]["options"]]
FIRMS = [option["value"] for option in PROPS[ids.FIRMS]["options"]]
METRICS = [option["value"] for option in PROPS[ids.METRIC]["options"]]
LAST_MONTH_INDEX = PROPS[ids.MONTH]["max"]
MONTHS = sorted(set(PROPS[ids.MONTH]["marks"].values()))  # the labelled ones: first, Januaries, last


def callback_writing(prop_id: str) -> dict:
    """The server callback whose outputs include `prop_id` ('map.figure')."""
    return next(callback for output, callback in SERVER_CALLBACKS.items() if dependency(prop_id) in (outputs_of(output) if output.startswith("..") else [outputs_of(output)]))


SYNC = callback_writing(f"{ids.FILTER}.data")  # the state callback (components.sync)


def initial_inputs(callback: dict) -> list:
    """The values the page starts with, as the renderer sends them on load."""
    return [PROPS.get(dep["id"], {}).get(dep["property"]) for dep in callback["inputs"]]


def initial_state(callback: dict) -> list:
    return [PROPS.get(dep["id"], {}).get(dep["property"]) for dep in callback["state"]]


def sync_body(search: str) -> dict:
    """The state callback fired by going back to a link: its query, the controls as the page starts."""
    inputs = [search if (dep["id"], dep["property"]) == (ids.NAVIGATE, "data") else value for dep, value in zip(SYNC["inputs"], initial_inputs(SYNC))]
    return callback_body(SYNC, inputs, initial_state(SYNC), changed=[f"{ids.NAVIGATE}.data"])


def shown_query(answer: dict) -> str:
    """The address the page shows after a state-callback answer (as assets/views.js writes it:
    metric, month, then the server's filter part)."""
    settings = PROPS[ids.SETTINGS]["data"]
    metric = answer.get(ids.METRIC, {}).get("value", PROPS[ids.METRIC]["value"])
    month = settings["months"][answer.get(ids.MONTH, {}).get("value", PROPS[ids.MONTH]["value"])]
    parts = [f"metric={metric}"] if metric != settings["metric"] else []
    parts += [f"month={month}"] if month != settings["month"] else []
    parts += [answer[ids.FILTER]["data"]["tail"]] if answer[ids.FILTER]["data"]["tail"] else []
    return "?" + "&".join(parts) if parts else ""


def post(body, **kwargs):
    return CLIENT.post(CALLBACK_URL, json=body, **kwargs)


def assert_no_trace(response) -> None:
    text = response.get_data().decode("utf-8", errors="replace")
    for marker in TRACE_MARKERS:
        assert marker not in text, f"{response.status_code} answer shows {marker!r}: {text[:500]}"


def texts(node) -> list[str]:
    """Every string in a rendered Dash component tree (the notices, say)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [text for child in node for text in texts(child)]
    if isinstance(node, dict):
        return texts(node.get("props", {}).get("children"))
    return []


# --- hostile values ------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "../../../../etc/passwd",
    "%00%3Cscript%3E",
    "\x00\x01\x1b[31m",
    "\u202egnp.exe\u200b\ufeff",
    "\ud800",  # a lone surrogate: valid JSON escape, invalid UTF-8
    "💣🔥 Россия 中国 ﷽",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "${jndi:ldap://127.0.0.1/a}",
    "NaN",
    "-1",
    "RUS,<b>KAZ</b>",
    "BitRiver|<script>",
    "?country=RUS&country=<script>",
    "__proto__",
    "x" * 100_000,
    "ж💣" * 50_000,
]
TEN_THOUSAND = [f"C{index:05d}" for index in range(10_000)]
DEEP = [[[[[[[[[[[[[[[[[[["RUS"]]]]]]]]]]]]]]]]]]]
PLAUSIBLE = [*COUNTRIES, *FIRMS, *METRICS, *MONTHS, "farms", "remainders"]
#: One of each kind of wrong value, for the sweep that tries each on each input in turn.
HOSTILE_VALUES = [
    None, True, False, 0, -1, 2**64, 1.5, float("nan"), float("inf"),
    "", "<script>alert(1)</script>", "javascript:alert(1)", "\ud800", "x" * 100_000, "ж💣" * 50_000,
    [], [None], DEEP, ["RUS", 5, {"a": 1}, ["KAZ"]], TEN_THOUSAND, ["RUS"] * 10_000,
    {}, {"points": None}, {"points": [None]}, {"points": "RUS"}, {"points": [{"location": ["RUS"], "label": {"x": 1}}]}, {"points": TEN_THOUSAND},
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(PLAUSIBLE),
)
nested = st.recursive(scalars, lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5), max_leaves=25)
#: Anything at all; one draw in ten is one of the big or odd ones of the sweep.
junk = st.integers(min_value=0, max_value=9).flatmap(lambda roll: st.sampled_from(HOSTILE_VALUES) if roll == 0 else nested)
names_or_junk = st.one_of(st.sampled_from(PLAUSIBLE), scalars)
click_data = st.one_of(
    st.fixed_dictionaries({"points": st.lists(st.fixed_dictionaries({}, optional={"location": names_or_junk, "label": names_or_junk, "customdata": junk, "pointNumber": scalars}), max_size=3)}),
    st.fixed_dictionaries({"points": junk}),
)


def query_value(draw_from) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(draw_from), st.sampled_from(NASTY_STRINGS[:-2]), st.text(max_size=30))


PARAM_VALUES = {
    "metric": query_value(METRICS),
    "month": query_value(MONTHS),
    "country": st.lists(query_value(COUNTRIES), max_size=4).map(",".join),
    "firm": st.lists(query_value(FIRMS), max_size=4).map("|".join),
    "farms": query_value(["1", "0", "yes"]),
    "remainders": query_value(["1", "0", "off"]),
}
param = st.one_of(*(st.tuples(st.just(name), values) for name, values in PARAM_VALUES.items()), st.tuples(st.sampled_from(NASTY_STRINGS[:-2]), st.text(max_size=10)))


def encode(text: str, safe: str = "") -> str:
    """Percent-encode as a browser would; a lone surrogate goes as its raw (invalid) UTF-8 bytes."""
    return quote(text, safe=safe, errors="surrogatepass")


queries = st.lists(param, max_size=6).map(lambda pairs: "?" + "&".join(f"{encode(name)}={encode(value, safe=',|')}" for name, value in pairs))
searches = st.one_of(queries, st.sampled_from(NASTY_STRINGS), st.text(max_size=60), st.just("?country=" + ",".join(TEN_THOUSAND)))

#: Per input or state: values that look like what the component sends (then anything at all).
SHAPED = {
    (ids.NAVIGATE, "data"): searches,
    (ids.METRIC, "value"): st.sampled_from(METRICS),
    (ids.MONTH, "value"): st.integers(min_value=-3, max_value=LAST_MONTH_INDEX + 3),
    (ids.COUNTRIES, "value"): st.lists(st.one_of(st.sampled_from(COUNTRIES), scalars), max_size=6),
    (ids.FIRMS, "value"): st.lists(st.one_of(st.sampled_from(FIRMS), scalars), max_size=6),
    (ids.TOGGLES, "value"): st.lists(st.one_of(st.sampled_from([ids.SHOW_FARMS, ids.SHOW_REMAINDERS]), scalars), max_size=4),
    (ids.MAP, "clickData"): click_data,
    (ids.SANKEY, "clickData"): click_data,
    (ids.TICK, "disabled"): st.booleans(),
    **{(ids.key(part), "data"): searches for part in ids.KEYED},
}
COUNTERS = st.integers(min_value=-(2**40), max_value=2**40)  # n_clicks, n_intervals

#: A busy but valid view, as a reader's page holds it: the baseline the sweep disturbs.
REALISTIC = {
    (ids.NAVIGATE, "data"): f"?metric=strain&month={MONTHS[-1]}&country={COUNTRIES[0]},{COUNTRIES[1]}&firm={quote(FIRMS[0])}&farms=1",
    (ids.METRIC, "value"): METRICS[-1],
    (ids.MONTH, "value"): LAST_MONTH_INDEX - 1,
    (ids.COUNTRIES, "value"): COUNTRIES[:2],
    (ids.FIRMS, "value"): FIRMS[:1],
    (ids.TOGGLES, "value"): [ids.SHOW_FARMS, ids.SHOW_REMAINDERS],
    (ids.MAP, "clickData"): {"points": [{"location": COUNTRIES[2], "z": 1}]},
    (ids.SANKEY, "clickData"): {"points": [{"label": FIRMS[1]}]},
    **{(ids.key(part), "data"): f"?country={COUNTRIES[0]}" for part in ids.KEYED},
}


def realistic(dep: dict):
    return REALISTIC.get((dep["id"], dep["property"]), 3 if dep["property"].startswith("n_") else None)


def hostile(dep: dict) -> st.SearchStrategy:
    shaped = SHAPED.get((dep["id"], dep["property"]), COUNTERS if dep["property"].startswith("n_") else scalars)
    return st.one_of(shaped, junk)


INITIAL_LOAD = "(initial load)"


def prop_id(dep: dict) -> str:
    return f"{dep['id']}.{dep['property']}"


def triggers(callback: dict) -> list[str]:
    """What may set `callback` off: each of its inputs, and the page's first load."""
    return [prop_id(dep) for dep in callback["inputs"]] + ([] if callback["prevent_initial_call"] else [INITIAL_LOAD])


def changed_ids(trigger: str) -> list[str]:
    """changedPropIds as the renderer sends them (Dash reads the first as triggered_id)."""
    return [] if trigger == INITIAL_LOAD else [trigger]


def callback_name(output: str) -> str:
    """'url.search+7' for a callback writing url.search and 7 more outputs."""
    outputs = outputs_of(output)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return f"{prop_id(outputs[0])}" + (f"+{len(outputs) - 1}" if len(outputs) > 1 else "")


def callback_problem(output: str, response) -> str | None:
    """What is wrong with a callback's answer to hostile values, or None."""
    text = response.get_data().decode("utf-8", errors="replace")
    if response.status_code == 413 and text.startswith("413"):
        return None  # over the request size cap (components.hardening.MAX_REQUEST_BYTES): refused plainly
    if response.status_code not in (200, 204):
        return f"{response.status_code}: {text[:200]}"
    if any(marker in text for marker in TRACE_MARKERS):
        return f"a trace: {text[:200]}"
    if response.status_code == 200:
        declared = outputs_of(output)
        # Dash answers an allow_duplicate output ('url.search@<hash>') under its plain name.
        declared = {prop_id(dep).split("@")[0] for dep in (declared if isinstance(declared, list) else [declared])}
        answered = {f"{component}.{prop}" for component, props in response.get_json()["response"].items() for prop in props}
        if not answered <= declared:
            return f"answered {answered - declared}"
        # JSON answers escape markup, so even a sniffing client never sees a tag.
        if "<script" in text.lower():
            return "markup in the answer"
    return None


# --- every callback, hostile values --------------------------------------------------------


def test_every_input_named_in_the_brief_is_fuzzed():
    fuzzed = {(dep["id"], dep["property"]) for callback in SERVER_CALLBACKS.values() for dep in callback["inputs"] + callback["state"]}
    expected = {
        (ids.NAVIGATE, "data"), (ids.METRIC, "value"), (ids.MONTH, "value"), (ids.COUNTRIES, "value"), (ids.FIRMS, "value"),
        (ids.TOGGLES, "value"), (ids.RESET, "n_clicks"), (ids.MAP, "clickData"), (ids.SANKEY, "clickData"),
        (ids.DOWNLOAD_CSV, "n_clicks"), (ids.QUERY, "data"), *((ids.key(part), "data") for part in ids.KEYED),
    }
    assert expected <= fuzzed
    assert set(REALISTIC) <= fuzzed  # the baseline names only real inputs
    # Every server callback Dash knows is in /_dash-dependencies, so every one is fuzzed below.
    assert set(SERVER_CALLBACKS) == {output for output, callback in APP.callback_map.items() if "callback" in callback}


@pytest.mark.parametrize("output", sorted(SERVER_CALLBACKS), ids=callback_name)
def test_each_hostile_value_on_each_input(output):
    """The sweep: one input or state at a time gets each kind of wrong value, fired by that input
    itself and by the callback's first trigger (every trigger against every input grows with the
    square of the state callback's inputs; the property test below mixes the rest); the others
    hold a busy valid view (the page's first values on first load)."""
    callback = SERVER_CALLBACKS[output]
    deps = callback["inputs"] + callback["state"]
    problems = []
    for position, dep in enumerate(deps):
        own = [prop_id(dep)] if dep in callback["inputs"] else []
        for trigger in dict.fromkeys([*own, triggers(callback)[0]]):
            baseline = initial_inputs(callback) + [None] * len(callback["state"]) if trigger == INITIAL_LOAD else [realistic(dep) for dep in deps]
            for value in HOSTILE_VALUES:
                values = [*baseline[:position], value, *baseline[position + 1:]]
                response = post(callback_body(callback, values[: len(callback["inputs"])], values[len(callback["inputs"]):], changed_ids(trigger)))
                problem = callback_problem(output, response)
                if problem:
                    problems.append(f"trigger {trigger}, {prop_id(dep)}={str(value)[:40]!r}: {problem}")
    assert problems == [], f"{len(problems)} failures, e.g.\n" + "\n".join(problems[:10])


@pytest.mark.parametrize("output", sorted(SERVER_CALLBACKS), ids=callback_name)
@settings(max_examples=HOSTILE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(data=st.data())
def test_every_callback_answers_hostile_values_without_an_error(output, data):
    """Property: whatever every input and state holds at once, and whichever fired, no error."""
    callback = SERVER_CALLBACKS[output]
    inputs = [data.draw(hostile(dep), label=prop_id(dep)) for dep in callback["inputs"]]
    state = [data.draw(hostile(dep), label=f"state {prop_id(dep)}") for dep in callback["state"]]
    changed = changed_ids(data.draw(st.sampled_from(triggers(callback)), label="trigger"))
    changed += data.draw(st.lists(st.sampled_from([*(prop_id(dep) for dep in callback["inputs"]), "nobody.value", "<script>.x", ""]), max_size=2), label="more changedPropIds")
    response = post(callback_body(callback, inputs, state, changed))
    assert callback_problem(output, response) is None, callback_problem(output, response)


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_hostile_link_gets_notices_and_a_clean_url(data):
    """A link that names anything the data does not have is answered with notices, never an error."""
    name = data.draw(st.sampled_from([*PARAM_VALUES, "colour"]), label="bad setting")
    never_valid = st.sampled_from(["<script>alert(1)</script>", "javascript:alert(1)", "💣", "' OR 1=1--", "../etc/passwd", "\u202e", "\x00", "ZZZ9"])
    value = data.draw(st.builds(str.__add__, st.text(max_size=20), never_valid), label="bad value")
    prefix = data.draw(queries, label="other settings")
    # The bad setting comes last: repeated settings are read last-wins.
    search = f"{prefix}{'&' if len(prefix) > 1 else ''}{encode(name)}={encode(value)}"
    response = post(sync_body(search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert_no_trace(response)
    answer = response.get_json()["response"]
    notices = texts(answer[ids.NOTICES]["children"])
    assert notices, f"no notice for {search!r}"
    assert all(notice.startswith(("Ignored", "Unknown", "No data")) for notice in notices), notices
    # The page's address becomes what is shown; that clean link is accepted without notices.
    clean = shown_query(answer)
    assert "<" not in clean and "script" not in clean.lower() and len(clean) < 1000
    again = post(sync_body(clean)).get_json()["response"]
    assert again[ids.NOTICES]["children"] is None
    assert shown_query(again) == clean


def test_the_page_for_a_hostile_link_shows_notices_and_the_default_view():
    """The page is built for the link it was asked for (its Referer, for /_dash-layout)."""
    layout = CLIENT.get("/_dash-layout", headers={"Referer": "http://127.0.0.1/?metric=%3Cscript%3E&country=ZZZ,RUS"}).get_json()
    props = layout_props(layout)
    notices = " ".join(texts(props[ids.NOTICES]["children"]))
    assert "ZZZ" in notices and "metric" in notices
    assert props[ids.METRIC]["value"] == "machines" and props[ids.COUNTRIES]["value"] == ["RUS"]
    assert props[ids.QUERY]["data"] == "?country=RUS"


NAMED_LINKS = {
    "markup": "<script>alert(1)</script>",
    "javascript": "javascript:alert(1)",
    "10,000 countries": "?country=" + ",".join(TEN_THOUSAND),
    "100k characters": "?" + "x" * 100_000,
    "lone surrogate": "?month=\ud800",
    "invalid UTF-8": "?metric=%ED%A0%80",
    "unknown firm": "?firm=No%20Such%20Miner",
}


@pytest.mark.parametrize("name", list(NAMED_LINKS))
def test_named_hostile_links_get_a_notice(name):
    search = NAMED_LINKS[name]
    response = post(sync_body(search))
    assert response.status_code == 200
    assert_no_trace(response)
    assert texts(response.get_json()["response"][ids.NOTICES]["children"])


# --- malformed callback requests -----------------------------------------------------------


PNG_CALLBACK = next(callback for callback in CLIENTSIDE_CALLBACKS if callback["output"] == f"{ids.PNG_STATUS}.children")


def _good_sync_body() -> dict:
    return sync_body("?country=RUS")


MALFORMED_BODIES = {
    "null": None,
    "a list": [],
    "a string": "x",
    "no output": {key: value for key, value in _good_sync_body().items() if key != "output"},
    "unknown output": {**_good_sync_body(), "output": "nope.children"},
    "output not a string": {**_good_sync_body(), "output": ["x"]},
    "no outputs": {key: value for key, value in _good_sync_body().items() if key != "outputs"},
    "outputs of another callback": {**_good_sync_body(), "outputs": [dependency("map.figure")]},
    "too few inputs": {**_good_sync_body(), "inputs": _good_sync_body()["inputs"][:3]},
    "too many inputs": {**_good_sync_body(), "inputs": _good_sync_body()["inputs"] * 2},
    "inputs a dict": {**_good_sync_body(), "inputs": {"id": "url"}},
    "inputs of numbers": {**_good_sync_body(), "inputs": list(range(10))},
    "inputs of other components": {**_good_sync_body(), "inputs": [{"id": "x", "property": "y", "value": 1}] * 10},
    "changedPropIds a string": {**_good_sync_body(), "changedPropIds": "url.search"},
    "changedPropIds of numbers": {**_good_sync_body(), "changedPropIds": [1, 2]},
    "state missing": {key: value for key, value in _good_sync_body().items() if key != "state"},
    "a clientside callback": {**callback_body(PNG_CALLBACK, [1]), "changedPropIds": [f"{ids.DOWNLOAD_PNGS}.n_clicks"]},
}


@pytest.mark.parametrize("name", sorted(MALFORMED_BODIES))
def test_a_malformed_callback_request_is_a_plain_400(name):
    response = CLIENT.post(CALLBACK_URL, data=json.dumps(MALFORMED_BODIES[name]), content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/plain"
    assert_no_trace(response)


@pytest.mark.parametrize("raw", ["{not json", "[" * 5000 + "]" * 5000, '{"output": ' * 3000 + "1" + "}" * 3000, ""])
def test_unparsable_callback_bodies_are_a_plain_400(raw):
    response = CLIENT.post(CALLBACK_URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert_no_trace(response)


def test_a_callback_body_that_is_not_json_is_refused():
    response = CLIENT.post(CALLBACK_URL, data="output=url.search", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert_no_trace(response)


def test_a_failing_callback_answers_a_plain_500_and_is_logged(caplog):
    app = create_app()

    @app.callback(Output(ids.PNG_STATUS, "title"), Input(ids.DOWNLOAD_PNGS, "id"))
    def broken(_):
        raise ZeroDivisionError("secret detail")

    client = app.server.test_client()
    callback = next(c for c in client.get("/_dash-dependencies").get_json() if c["output"] == f"{ids.PNG_STATUS}.title")
    with caplog.at_level(logging.ERROR, logger="rigflows"):
        response = client.post(CALLBACK_URL, json=callback_body(callback, [ids.DOWNLOAD_PNGS]))
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert "secret detail" not in response.get_data(as_text=True) and "ZeroDivisionError" not in response.get_data(as_text=True)
    assert_no_trace(response)
    assert "secret detail" in caplog.text  # the trace goes to the log, not to the reader


# --- security headers ----------------------------------------------------------------------


#: One request of every kind the server answers, by name.
KINDS = {
    "page": lambda: CLIENT.get("/"),
    "deep link": lambda: CLIENT.get("/?country=RUS&metric=share"),
    "layout": lambda: CLIENT.get("/_dash-layout"),
    "dependencies": lambda: CLIENT.get("/_dash-dependencies"),
    "callback": lambda: post(sync_body("?country=KAZ")),
    "malformed callback": lambda: CLIENT.post(CALLBACK_URL, json={"output": "nope"}),
    "asset": lambda: CLIENT.get("/assets/style.css"),
    "topojson": lambda: CLIENT.get("/assets/topojson/world_110m.json"),
    "dash bundle": lambda: CLIENT.get(page_scripts()[0]),
    "favicon": lambda: CLIENT.get("/_favicon.ico"),
    "missing asset": lambda: CLIENT.get("/assets/nope.css"),
    "missing bundle": lambda: CLIENT.get("/_dash-component-suites/dash/nope.js"),
    "unknown package": lambda: CLIENT.get("/_dash-component-suites/nope/x.js"),
    "wrong method": lambda: CLIENT.post("/"),
    "wrong method on layout": lambda: CLIENT.put("/_dash-layout"),
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


SCRIPT_HASH = re.compile(r"^'sha(256|384|512)-[A-Za-z0-9+/]+=*'$")


def assert_strict_csp(header: str, frame_ancestors: list[str]) -> None:
    directives = csp_directives(header)
    assert directives["default-src"] == ["'self'"]
    script_src = directives["script-src"]
    assert script_src[0] == "'self'"
    assert all(SCRIPT_HASH.match(source) for source in script_src[1:]), script_src
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == frame_ancestors
    for name, sources in directives.items():
        if name == "frame-ancestors":
            continue
        for source in sources:
            # No host, no scheme wildcard: the page works from this server alone.
            assert source in {"'self'", "'none'", "data:", "blob:", "'unsafe-inline'"} or SCRIPT_HASH.match(source), f"{name} allows {source}"
            assert "'unsafe-inline'" != source or name == "style-src", f"{name} allows inline code"
    assert "'unsafe-eval'" not in header and "*" not in header


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_response_carries_the_security_headers(kind):
    response = KINDS[kind]()
    assert_strict_csp(response.headers["Content-Security-Policy"], ["'self'"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
    assert "X-Powered-By" not in response.headers
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert {"camera=()", "microphone=()", "geolocation=()"} <= {part.strip() for part in response.headers["Permissions-Policy"].split(",")}
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored, and wrong
    server = response.headers.get("Server", "")  # the test client sends none; a WSGI server may
    assert "Werkzeug" not in server and "Python" not in server and not re.search(r"\d", server)
    assert_no_trace(response)


@pytest.mark.parametrize("tls", [{"base_url": "https://localhost"}, {"headers": {"X-Forwarded-Proto": "https"}}], ids=["TLS", "TLS at the proxy"])
def test_hsts_when_the_request_came_over_tls(tls):
    for response in (CLIENT.get("/", **tls), CLIENT.get("/assets/style.css", **tls), CLIENT.get("/assets/nope.css", **tls), CLIENT.post(CALLBACK_URL, json={"output": "nope"}, **tls)):
        hsts = response.headers["Strict-Transport-Security"]
        # At least a year (what browsers' preload lists ask), and for this host only.
        assert int(re.fullmatch(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600, hsts
        assert response.headers["Content-Security-Policy"] == CLIENT.get("/").headers["Content-Security-Policy"]


def test_no_redirect_to_https_and_no_frame_options_that_would_contradict_frame_ancestors():
    # TLS ends in front of the app (nginx, a balancer): redirecting here would loop.
    response = CLIENT.get("/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers


def test_every_response_has_the_same_policy():
    assert len({request().headers["Content-Security-Policy"] for request in KINDS.values()}) == 1


class _Scripts(HTMLParser):
    """<script> tags of a page; those inside comments (IE conditionals) are not tags to a parser."""

    def __init__(self):
        super().__init__()
        self.sources: list[str] = []
        self.inline: list[str] = []  # the code of inline scripts a browser runs (not JSON blocks)
        self._code: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            attrs = dict(attrs)
            if attrs.get("src"):
                self.sources.append(attrs["src"])
            elif attrs.get("type", "text/javascript") in {"text/javascript", "application/javascript", "module"}:
                self._code = ""

    def handle_data(self, data):
        if self._code is not None:
            self._code += data

    def handle_endtag(self, tag):
        if tag == "script" and self._code is not None:
            self.inline.append(self._code)
            self._code = None


def parse_scripts(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


def page_scripts() -> list[str]:
    """The script URLs of the page, the Dash bundles first."""
    sources = parse_scripts(CLIENT.get("/").get_data(as_text=True)).sources
    return sorted(sources, key=lambda src: not src.startswith("/_dash-component-suites/"))


def lazy_scripts() -> list[str]:
    """The scripts the page fetches itself when a reader first needs them (the zip library)."""
    return re.findall(r'<meta name="rigflows-zip-library" content="([^"]+)"', CLIENT.get("/").get_data(as_text=True))


def test_the_policy_allows_exactly_the_inline_scripts_the_page_runs():
    page = CLIENT.get("/")
    scripts = parse_scripts(page.get_data(as_text=True))
    allowed = csp_directives(page.headers["Content-Security-Policy"])["script-src"][1:]
    assert scripts.inline, "the page has inline scripts (the renderer's start-up)"
    for text in scripts.inline:
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
        assert digest in allowed, f"the browser would block this inline script:\n{text[:200]}"
    # Every script file is served by this server.
    assert scripts.sources and all(src.startswith("/") and not src.startswith("//") for src in scripts.sources)


def test_frame_ancestors_follow_the_environment(monkeypatch):
    monkeypatch.setenv("RIGFLOWS_FRAME_ANCESTORS", "'self' https://news.example")
    embedded = create_app().server.test_client()
    for response in (embedded.get("/"), embedded.get("/assets/style.css"), embedded.get("/assets/nope.css")):
        assert_strict_csp(response.headers["Content-Security-Policy"], ["'self'", "https://news.example"])


def test_no_debug_tools_without_rigflows_debug():
    page = CLIENT.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert config["ui"] is False and config["props_check"] is False
    assert "hot_reload" not in config
    assert "dash-debug-menu" not in page
    response = CLIENT.get("/_reload-hash")
    assert response.status_code == 404
    assert "reloadHash" not in response.get_data(as_text=True)
    # The Werkzeug debugger's console is never reachable.
    response = CLIENT.get("/?__debugger__=yes&cmd=resource&f=debugger.js")
    assert "__debugger__" not in response.get_data(as_text=True) and "Werkzeug" not in response.get_data(as_text=True)


def test_the_reload_endpoint_returns_with_rigflows_debug(monkeypatch):
    # The 404 above comes from the setting, not from a route removed for good.
    monkeypatch.setenv("RIGFLOWS_DEBUG", "1")
    assert create_app().server.test_client().get("/_reload-hash").status_code == 200


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/assets/nope.css", 404),
    ("get", "/assets/../app.py", 404),
    ("get", "/_dash-component-suites/dash/nope.js", 404),
    ("get", "/_dash-component-suites/nope/x.js", 404),
    ("get", "/_dash-component-suites/dash/../../../app.py", 404),
    ("post", "/", 405),
    ("put", "/_dash-layout", 405),
    ("delete", "/assets/style.css", 405),
    ("patch", CALLBACK_URL, 405),
])
def test_errors_answer_in_plain_text_without_a_trace(method, path, status):
    response = getattr(CLIENT, method)(path)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith(str(status)) and len(body) < 200 and "<" not in body
    assert_no_trace(response)


# --- compression and caching ---------------------------------------------------------------


def decoded(response) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        return brotli.decompress(data)
    assert encoding is None, encoding
    return data


@pytest.mark.parametrize("src", [*page_scripts(), *lazy_scripts()])
def test_every_script_of_the_page_is_compressed_for_a_browser(src):
    plain = CLIENT.get(src, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for accept in (BROWSER_ENCODINGS, "br"):
        response = CLIENT.get(src, headers={"Accept-Encoding": accept})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") in {"br", "gzip"}, f"{src} uncompressed for {accept!r}"
        assert "Accept-Encoding" in response.headers.get("Vary", "")
        assert decoded(response) == plain.get_data()
        assert len(response.get_data()) < len(plain.get_data())


@pytest.mark.parametrize("src", [src for src in page_scripts() if src.startswith("/_dash-component-suites/")])
def test_dash_bundles_are_gzipped_for_a_gzip_only_client(src):
    response = CLIENT.get(src, headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(response.get_data()) == CLIENT.get(src).get_data()


def test_the_map_outlines_and_the_callback_answers_are_compressed():
    outlines = CLIENT.get("/assets/topojson/world_110m.json", headers={"Accept-Encoding": BROWSER_ENCODINGS})
    assert outlines.headers.get("Content-Encoding") in {"br", "gzip"}
    fill_map = callback_writing(f"{ids.frames(ids.MAP, 'share')}.data")
    answer = post(callback_body(fill_map, ["?country=KAZ", None, None, True]), headers={"Accept-Encoding": "gzip"})
    assert answer.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(answer.get_data()))["response"][ids.frames(ids.MAP, "share")]["data"]["groups"]["share"]["base"]["data"]


def max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("src", [*page_scripts(), *lazy_scripts(), "/assets/style.css", "/assets/topojson/world_110m.json"])
def test_what_the_page_loads_can_be_cached(src):
    response = CLIENT.get(src)
    assert response.status_code == 200
    assert max_age(response) >= 3600, f"{src}: Cache-Control {response.headers.get('Cache-Control')!r}"


def test_assets_are_linked_with_a_fingerprint_so_caching_is_safe():
    page = CLIENT.get("/").get_data(as_text=True)
    # Except the preloaded topojson: plotly.js asks for topojsonURL + "world_110m.json", and the
    # preload must name that exact URL to be reused.
    links = [link for link in re.findall(r'(?:src|href|content)="(/assets/[^"]+)"', page) if link != "/assets/topojson/world_110m.json"]
    assert lazy_scripts() == [link for link in links if "fflate-zip" in link]
    assert links and all(re.search(r"\?m=[\d.]+$", link) for link in links), links


def test_callback_answers_are_not_cached():
    assert max_age(post(sync_body(""))) == 0

