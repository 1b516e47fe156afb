"""The app as production runs it: gunicorn with gunicorn.conf.py, real processes on 127.0.0.1.

A bounded load test replaying the renderer's own requests, start-up on broken data, security
headers and Server header under gunicorn, and two instances answering byte for byte alike.
Every loop and every wait has a deadline; every process started here is stopped here.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import brotli
import pytest

from components import ids
from conftest import DATA_DIR, edit_table
from rigflows.config import PROJECT_ROOT
from tests.dash_requests import callback_body, walk
from bench.server import free_port, wait_until_serving

#: Each test starts and stops its own processes; none may hang the suite.
pytestmark = pytest.mark.timeout(240)

GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
LOAD_SECONDS = 30
LOAD_CLIENTS = 32
REQUEST_TIMEOUT_S = 60
#: What a browser accepts (zstd left out so the answers stay readable here).
BROWSER_ENCODINGS = "gzip, deflate, br"
TRACE_MARKERS = ("Traceback", 'File "', '.py", line')


# --- gunicorn ------------------------------------------------------------------------------


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def gunicorn_command(*extra: str) -> list[str]:
    # No control socket: the default one is shared by every instance of the user ($HOME/.gunicorn).
    return [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", *extra, "app:server"]


def gunicorn_env(port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RIGFLOWS_", "GUNICORN_"))}
    return {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2", **extra}


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def gunicorn(log_dir: Path, name: str, *args: str, **env: str):
    """gunicorn as `make serve` starts it (tests/browser/conftest.py's app_url), on a free port."""
    port = free_port()
    log = log_dir / f"{name}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(gunicorn_command(*args), cwd=PROJECT_ROOT, env=gunicorn_env(port, **env), stdout=subprocess.DEVNULL, stderr=stderr)
    served = Served(f"http://127.0.0.1:{port}", port, process, log)
    try:
        wait_until_serving(served.url + "/", process, served.log, timeout=START_TIMEOUT_S)
        yield served
    finally:
        stop(process)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with gunicorn(tmp_path_factory.mktemp("gunicorn"), "one", PYTHONHASHSEED="1") as server:
        yield server


# --- HTTP and the renderer's requests --------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: dict | bytes | None = None, headers: dict | None = None) -> Answer:
    """One request on its own connection (gunicorn's sync workers close each one anyway)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        headers = {**({"Content-Type": "application/json"} if isinstance(body, (dict, list)) else {}), **(headers or {})}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read()
        encoding = response.headers.get("Content-Encoding")
        body = gzip.decompress(body) if encoding == "gzip" else brotli.decompress(body) if encoding == "br" else body
        return Answer(response.status, response.headers, body)
    finally:
        connection.close()










@dataclass
class Page:
    """What the renderer learns on load: the callbacks, the controls' options, the files to fetch."""

    callbacks: dict[str, dict]
    props: dict[str, dict]
    files: list[str]

    @classmethod
    def read(cls, port: int) -> Page:
        dependencies = request(port, "GET", "/_dash-dependencies").json()
        layout = request(port, "GET", "/_dash-layout").json()
        html = request(port, "GET", "/").body.decode()
        props = {node["props"]["id"]: node["props"] for node in walk(layout) if isinstance(node.get("props"), dict) and isinstance(node["props"].get("id"), str)}
        files = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+)"', html) + ["/assets/topojson/world_110m.json"]
        return cls({callback["output"]: callback for callback in dependencies if not callback["clientside_function"]}, props, files)

    def callback(self, first_output: str) -> dict:
        return next(callback for output, callback in self.callbacks.items() if output.startswith(f"..{first_output}...") or output == first_output)

    def options(self, component: str) -> list:
        return [option["value"] for option in self.props[component]["options"]]

    @property
    def sync(self) -> dict:
        """The state callback (components.sync): its first output is the metric."""
        return self.callback(f"{ids.METRIC}.value")

    def chart_callbacks(self) -> dict[str, dict]:
        """{key Store id: the callback that draws from it} (components.views)."""
        return {callback["inputs"][0]["id"]: callback for callback in self.callbacks.values() if len(callback["inputs"]) == 1 and callback["inputs"][0]["id"].endswith("-key")}

    def sync_body(self, search: str, trigger: str | None = None, drawn: dict | None = None, **values) -> dict:
        """The state callback as the page fires it: after going back to link `search` (no
        trigger) or after a control changed; `drawn` holds each key Store's value."""
        def value(dep):
            name = f"{dep['id']}.{dep['property']}"
            if dep["id"] == ids.NAVIGATE:
                return search
            if dep["id"].endswith("-key"):
                return (drawn or {}).get(dep["id"], self.props.get(dep["id"], {}).get("data"))
            return values.get(name, self.props.get(dep["id"], {}).get(dep["property"]))

        inputs = [value(dep) for dep in self.sync["inputs"]]
        state = [value(dep) for dep in self.sync["state"]]
        return callback_body(self.sync, inputs, state, changed=[trigger or f"{ids.NAVIGATE}.data"])

    def queries(self) -> list[str]:
        countries, firms = self.options(ids.COUNTRIES), self.options(ids.FIRMS)
        months = sorted(set(self.props[ids.MONTH]["marks"].values()))
        return [
            "",
            f"?country={countries[0]}",
            f"?metric=share&month={months[-1]}&country={countries[1]},{countries[2]}",
            f"?metric=strain&farms=1&firm={quote(firms[0])}",
            f"?metric=load&remainders=0&firm={quote(firms[1])}|{quote(firms[2])}",
            "?metric=bogus&country=<script>",  # hostile links are part of real traffic too
        ]


# --- load ------------------------------------------------------------------------------------


@dataclass
class LoadStats:
    latencies: list[float] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Visitor(threading.Thread):
    """A reader: loads the page as the renderer does, then changes filters until the deadline."""

    def __init__(self, port: int, page: Page, deadline: float, seed: int, stats: LoadStats):
        super().__init__(daemon=True)
        self.port, self.page, self.deadline, self.random, self.stats = port, page, deadline, random.Random(seed), stats
        self.controls: dict = {}  # what the controls show, as the last sync answer set them

    def call(self, kind: str, method: str, path: str, body=None, headers=None) -> Answer | None:
        if time.monotonic() >= self.deadline:
            return None
        started = time.perf_counter()
        try:
            answer = request(self.port, method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            with self.stats.lock:
                self.stats.failures.append(f"{method} {path}: {error!r}")
            return None
        with self.stats.lock:
            self.stats.latencies.append(time.perf_counter() - started)
            self.stats.kinds[kind] += 1
            if answer.status not in (200, 204):
                what = f"{method} {path}" + (f" ({body['output'][:50]})" if isinstance(body, dict) else "")
                self.stats.errors.append(f"{what} -> {answer.status}: {answer.body[:200]!r}")
        return answer

    def sync(self, body: dict, search: str, drawn: dict) -> str:
        """One interaction: the state callback, then the callback of each chart whose key
        changed, as the renderer sends them; remembers what the controls and key Stores hold."""
        answer = self.call("sync", "POST", "/_dash-update-component", body, {"Accept-Encoding": BROWSER_ENCODINGS})
        if answer is None or answer.status != 200:
            return search
        response = answer.json()["response"]
        self.controls.update({f"{component}.{prop}": value for component, props in response.items() for prop, value in props.items() if not component.endswith("-key")})
        charts = self.page.chart_callbacks()
        for component, props in response.items():
            if component in charts:
                drawn[component] = props["data"]
                self.call("chart", "POST", "/_dash-update-component", callback_body(charts[component], [props["data"]]), {"Accept-Encoding": BROWSER_ENCODINGS})
        return search

    def interaction(self, search: str, drawn: dict) -> dict:
        page, pick = self.page, self.random.choice
        countries, firms, metrics = page.options(ids.COUNTRIES), page.options(ids.FIRMS), page.options(ids.METRIC)
        changes = [
            (f"{ids.NAVIGATE}.data", {f"{ids.METRIC}.value": pick(metrics), f"{ids.MONTH}.value": self.random.randint(0, page.props[ids.MONTH]["max"])}),
            (f"{ids.COUNTRIES}.value", {f"{ids.COUNTRIES}.value": self.random.sample(countries, self.random.randint(0, 3))}),
            (f"{ids.FIRMS}.value", {f"{ids.FIRMS}.value": self.random.sample(firms, self.random.randint(0, 2))}),
            (f"{ids.TOGGLES}.value", {f"{ids.TOGGLES}.value": self.random.sample([ids.SHOW_FARMS, ids.SHOW_REMAINDERS], self.random.randint(0, 2))}),
            (f"{ids.MAP}.clickData", {f"{ids.MAP}.clickData": {"points": [{"location": pick(countries)}]}}),
            (f"{ids.SANKEY}.clickData", {f"{ids.SANKEY}.clickData": {"points": [{"label": pick(firms)}]}}),
            (f"{ids.RESET}.n_clicks", {f"{ids.RESET}.n_clicks": 1}),
        ]
        trigger, values = pick(changes)
        return self.page.sync_body(search, trigger, drawn, **{**self.controls, **values})

    def run(self) -> None:
        try:
            self.visit_until_the_deadline()
        except Exception as error:  # an answer the client could not read fails the test too
            with self.stats.lock:
                self.stats.failures.append(f"client crashed: {error!r}")

    def visit_until_the_deadline(self) -> None:
        while time.monotonic() < self.deadline:
            self.call("page", "GET", "/", headers={"Accept-Encoding": BROWSER_ENCODINGS})
            for path in self.random.sample(self.page.files, 3):
                self.call("file", "GET", path, headers={"Accept-Encoding": BROWSER_ENCODINGS})
            self.call("layout", "GET", "/_dash-layout")
            drawn: dict[str, str] = {}
            search = self.sync(self.page.sync_body(self.random.choice(self.page.queries())), "", drawn)
            for _ in range(3):
                search = self.sync(self.interaction(search, drawn), search, drawn)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else (values or [0.0])[0]


def test_load_32_clients_for_30_seconds_without_an_error(tmp_path):
    """Zero errors and zero connection failures while workers are recycled under load."""
    # Workers restart every ~300 requests here (5000 in production) so recycling happens under load.
    with gunicorn(tmp_path, "load", "--max-requests", "300", "--max-requests-jitter", "50", WEB_CONCURRENCY="4") as server:
        page = Page.read(server.port)
        stats = LoadStats()
        deadline = time.monotonic() + LOAD_SECONDS
        visitors = [Visitor(server.port, page, deadline, seed, stats) for seed in range(LOAD_CLIENTS)]
        for visitor in visitors:
            visitor.start()
        for visitor in visitors:
            visitor.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 10)
        assert not any(visitor.is_alive() for visitor in visitors), "a client did not finish"
        log = server.log_text()

    restarts = log.count("Autorestarting worker")
    print(
        f"\nload: {sum(stats.kinds.values())} requests by {LOAD_CLIENTS} clients in {LOAD_SECONDS} s "
        f"({', '.join(f'{kind} {count}' for kind, count in sorted(stats.kinds.items()))}); "
        f"p50 {percentile(stats.latencies, 0.50) * 1000:.0f} ms, p95 {percentile(stats.latencies, 0.95) * 1000:.0f} ms; "
        f"{len(stats.errors)} errors, {len(stats.failures)} connection failures, {restarts} worker restarts"
    )
    assert stats.failures == [], f"{len(stats.failures)} connection failures, e.g. {stats.failures[:5]}"
    assert stats.errors == [], f"{len(stats.errors)} errors, e.g. {stats.errors[:5]}"
    assert {"page", "file", "layout", "sync"} <= set(stats.kinds), stats.kinds
    for marker in (*TRACE_MARKERS, "unhandled error", "WORKER TIMEOUT", "[ERROR]", "[CRITICAL]"):
        assert marker not in log, f"the server logged {marker!r}:\n{log[-3000:]}"


# --- start-up on broken data -------------------------------------------------------------------


def line_of(data_dir: Path, table: str, key: str) -> int:
    lines = (data_dir / f"{table}.csv").read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, start=1) if number > 1 and text.startswith(f"{key},"))


def set_cell(data_dir: Path, table: str, key: str, column: str, value: str) -> None:
    def change(frame):
        rows = frame[frame.columns[0]] == key
        assert rows.sum() == 1
        frame.loc[rows, column] = value
        return frame

    edit_table(data_dir, table, change)


def test_gunicorn_refuses_broken_data_with_the_list_of_problems(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    set_cell(data, "flows", "rus_bitriver", "destination_iso3", "XXZ")
    set_cell(data, "flows", "kaz_bitfufu", "source_ids", "")  # a row that names no source
    port = free_port()
    process = subprocess.Popen(gunicorn_command(), cwd=PROJECT_ROOT, env=gunicorn_env(port, RIGFLOWS_DATA_DIR=str(data)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        stop(process)
        pytest.fail("gunicorn kept running on broken data")
    assert process.returncode != 0
    assert "Traceback" not in stdout + stderr
    assert "The data is not valid (2 problem(s))" in stderr
    bad_iso = f"flows.csv, line {line_of(data, 'flows', 'rus_bitriver')}, column destination_iso3: "
    bad_source = f"flows.csv, line {line_of(data, 'flows', 'kaz_bitfufu')}, column source_ids: "
    lines = stderr.splitlines()
    assert any(bad_iso in line and "XXZ" in line for line in lines), stderr
    assert any(bad_source in line and "empty" in line for line in lines), stderr
    with socket.socket() as probe:  # nothing was left listening
        assert probe.connect_ex(("127.0.0.1", port)) != 0


# --- headers under gunicorn ----------------------------------------------------------------------


def test_gunicorn_answers_carry_the_security_headers_and_no_version(served):
    page = Page.read(served.port)
    map_body = page.sync_body("?country=RUS")
    answers = {
        "page": request(served.port, "GET", "/"),
        "layout": request(served.port, "GET", "/_dash-layout"),
        "callback": request(served.port, "POST", "/_dash-update-component", map_body),
        "malformed callback": request(served.port, "POST", "/_dash-update-component", {"output": "nope"}),
        "asset": request(served.port, "GET", "/assets/style.css"),
        "bundle": request(served.port, "GET", next(path for path in page.files if path.startswith("/_dash-component-suites/"))),
        "404": request(served.port, "GET", "/assets/nope.css"),
        "405": request(served.port, "POST", "/"),
    }
    assert answers["page"].status == answers["callback"].status == answers["asset"].status == 200
    assert (answers["malformed callback"].status, answers["404"].status, answers["405"].status) == (400, 404, 405)
    policies = set()
    for kind, answer in answers.items():
        policy = answer.headers["Content-Security-Policy"]
        policies.add(policy)
        assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy, kind
        assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;", policy), f"{kind}: {policy}"
        assert answer.headers["X-Content-Type-Options"] == "nosniff", kind
        assert answer.headers["Referrer-Policy"], kind
        server = answer.headers.get("Server", "")
        assert not re.search(r"[\d/]", server) and "Werkzeug" not in server and "Python" not in server, f"{kind}: Server {server!r}"
        assert "X-Powered-By" not in answer.headers, kind
        text = answer.body.decode("utf-8", errors="replace")
        assert not any(marker in text for marker in TRACE_MARKERS), kind
    assert len(policies) == 1
    for kind in ("404", "405", "malformed callback"):
        assert answers[kind].headers["Content-Type"].startswith("text/plain"), kind
    assert request(served.port, "GET", "/_reload-hash").status == 404


def test_gunicorn_garbage_gets_a_short_answer_without_a_version(served):
    """A request gunicorn itself refuses (no HTTP at all) is not answered with its version."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=REQUEST_TIMEOUT_S) as connection:
        connection.sendall(b"\x16\x03\x01 NOT HTTP\r\n\r\n")
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if len(answer) > 1_000_000:
                break
    text = answer.decode("latin-1")
    assert not re.search(r"gunicorn/\d", text, re.I) and "Traceback" not in text
    assert text == "" or text.startswith("HTTP/1.1 400")


# --- two instances -------------------------------------------------------------------------------


def without_page_token(page: bytes) -> bytes:
    # Dash signs a fresh token into every page load (for background callbacks); it differs by design.
    return re.sub(rb'"end_id":"[^"]*"', b'"end_id":""', page)


def test_two_instances_serve_the_same_view_byte_for_byte(served, tmp_path):
    """Stateless workers: another instance (another hash seed, other workers) gives the same bytes."""
    with gunicorn(tmp_path, "two", PYTHONHASHSEED="2") as other:
        page = Page.read(served.port)
        countries, firms = page.options(ids.COUNTRIES), page.options(ids.FIRMS)
        busy = f"?metric=share&month=2021-09&country={countries[0]},{countries[1]}&firm={quote(firms[0])}&farms=1"
        csv = page.callback(f"{ids.CSV_FILE}.data")
        bodies = [
            page.sync_body(busy),
            page.sync_body(busy, f"{ids.MAP}.clickData", **{f"{ids.MAP}.clickData": {"points": [{"location": countries[2]}]}}),
            page.sync_body("?metric=bogus&country=<script>&colour=red"),
            page.sync_body(""),
            callback_body(csv, [1], [busy, None, None], [f"{ids.DOWNLOAD_CSV}.n_clicks"]),
            *(callback_body(chart, [busy]) for chart in page.chart_callbacks().values()),
        ]
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            answers = {without_page_token(request(server.port, "GET", path).body) for server in (served, other) for _ in range(2)}
            assert len(answers) == 1, f"GET {path} differs between instances"
        for body in bodies:
            # Twice each: with two workers per instance, both workers of each are likely asked.
            answers = [request(server.port, "POST", "/_dash-update-component", body) for server in (served, other) for _ in range(2)]
            assert all(answer.status == 200 for answer in answers), [answer.status for answer in answers]
            assert len({answer.body for answer in answers}) == 1, f"{body['output'][:60]} with {body['inputs'][0].get('value')!r} differs"
