"""Load and faults against a server on 127.0.0.1: paced clients, slow clients, worker processes.

Shared by tests/test_cluster*.py (short, bounded runs) and `python -m bench.cluster` (long ones).
Clients may use other loopback source addresses (127.0.0.x) to stand for different readers;
the target is always 127.0.0.1. Every loop has a deadline.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.dash_requests import callback_body, layout_props

HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str
    body: bytes | None = None


def send(port: int, request: Request, source: str = HOST, timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, float]:
    """(status, seconds) of one request on its own connection from `source`; status 0: no answer."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=(source, 0))
    headers = {"Accept-Encoding": "gzip, br"}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        connection.request(request.method, request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started


def _get_json(port: int, path: str):
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200, f"GET {path}: {response.status}"
        return json.loads(response.read())
    finally:
        connection.close()


def reader_requests(port: int) -> list[Request]:
    """What a reader's browser asks the app for, from its stable endpoints: the page, the layout,
    the dependencies, and every server callback as the page fires it on load (inputs from the
    layout, nothing changed yet); only those the app answers (200, or 204: nothing to update)."""
    props = layout_props(_get_json(port, "/_dash-layout"))
    requests = [Request("page", "GET", "/"), Request("layout", "GET", "/_dash-layout"), Request("dependencies", "GET", "/_dash-dependencies")]
    for callback in _get_json(port, "/_dash-dependencies"):
        if callback["clientside_function"]:
            continue
        value = lambda dep: props.get(dep["id"], {}).get(dep["property"]) if isinstance(dep["id"], str) else None  # noqa: E731
        body = callback_body(callback, [value(dep) for dep in callback["inputs"]], [value(dep) for dep in callback["state"]], changed=[])
        request = Request(f"callback {callback['output'][:40]}", "POST", "/_dash-update-component", json.dumps(body).encode())
        if send(port, request)[0] in (200, 204):
            requests.append(request)
    return requests


@dataclass
class Results:
    """What clients saw: latency (s) and status of every request; status 0 means no answer."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status in (200, 204):
                self.latencies.append(seconds)
            else:
                self.failures.append(f"{request.method} {request.path} ({request.name}): {status or 'no answer'}")

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def summary(self) -> dict:
        return {
            "requests": self.count,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "p50_ms": round(self.percentile_ms(0.50), 1),
            "p95_ms": round(self.percentile_ms(0.95), 1),
            "p99_ms": round(self.percentile_ms(0.99), 1),
        }


def _client(port: int, requests: list[Request], rate: float | None, deadline: float, results: Results, source: str, seed: int) -> None:
    chooser = random.Random(seed)
    next_at = time.monotonic()
    while True:
        if rate:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += chooser.expovariate(rate)  # Poisson arrivals at `rate` per second
        if time.monotonic() >= deadline:
            return
        request = chooser.choice(requests)
        results.add(request, *send(port, request, source))


class Load:
    """`clients` threads sending `requests` until stopped or `seconds` pass, each at `rate`
    requests per second (None: as fast as answers come), from the given source addresses."""

    def __init__(self, port: int, requests: list[Request], clients: int, seconds: float, rate: float | None = None, sources: list[str] | None = None, seed: int = 0):
        self.results = Results()
        self.deadline = time.monotonic() + seconds
        sources = sources or [HOST]
        self.threads = [
            threading.Thread(target=_client, args=(port, requests, rate, self.deadline, self.results, sources[index % len(sources)], seed + index), daemon=True)
            for index in range(clients)
        ]
        for thread in self.threads:
            thread.start()

    def stop(self) -> Results:
        self.deadline = time.monotonic()
        return self.wait()

    def wait(self) -> Results:
        for thread in self.threads:
            thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + REQUEST_TIMEOUT_S + 5)
        assert not any(thread.is_alive() for thread in self.threads), "a client did not finish"
        return self.results


def run_load(port: int, requests: list[Request], clients: int, seconds: float, rate: float | None = None, sources: list[str] | None = None, seed: int = 0) -> Results:
    return Load(port, requests, clients, seconds, rate, sources, seed).wait()


# --- slow clients (slowloris) ----------------------------------------------------------------


def open_slow_clients(port: int, count: int) -> list[socket.socket]:
    """`count` connections that never finish, each from its own address (127.0.1.x, 127.0.2.x...):
    a third send half a header, a third half a body, a third a whole request but never read."""
    sockets = []
    for index in range(count):
        source = f"127.0.{1 + index // 250}.{1 + index % 250}"
        connection = socket.create_connection((HOST, port), timeout=5, source_address=(source, 0))
        kind = index % 3
        if kind == 0:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        elif kind == 1:
            connection.sendall(b"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"output\":")
        else:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            connection.sendall(b"GET /_dash-layout HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        connection.setblocking(False)  # still_waiting peeks without waiting
        sockets.append(connection)
    return sockets


def still_waiting(sockets: list[socket.socket]) -> int:
    """How many slow connections the server has neither answered nor closed (the non-readers
    count while connected: their answer sits unread)."""
    waiting = 0
    for index, connection in enumerate(sockets):
        try:
            data = connection.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            waiting += 1
            continue
        except OSError:
            continue
        if data and index % 3 == 2:
            waiting += 1
    return waiting


def close_all(sockets: list[socket.socket]) -> None:
    for connection in sockets:
        connection.close()


# --- processes -------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by `pids` and their children that have exited."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers of a master), from /proc."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except FileNotFoundError:
        return []
