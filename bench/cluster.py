"""`python -m bench.cluster`: the production front (nginx + gunicorn instances, deploy/) under
load and faults, long runs. Everything on 127.0.0.1, every run bounded in time.

1. Page views: 32 readers load the page as a browser does (the page, its scripts and styles
   from nginx, the layout, the dependencies, the callbacks fired on load) for 30 s: errors,
   p50/p95/p99 per request, page views and app requests per second, per core.
2. Workers SIGKILLed every 5 s for 30 s under paced load: failed requests, time until each
   instance is back to full strength.
3. One instance stopped (SIGTERM) and started again under load: failed requests.
4. 1000 slow clients for 15 s (longer than nginx's 10 s client timeouts): normal latency.
5. A storm from one client at 10x a reader's rate: the others' latency, the storm's 429s.
Results go to bench/results/cluster.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import tempfile
import threading
import time
from pathlib import Path

from bench import load
from bench.report import machine
from bench.server import PROJECT_ROOT, free_port
from deploy.cluster import ClusterSettings, UnixConnection, running, start_instance, wait_for_instance

DEFAULT_OUT = PROJECT_ROOT / "bench" / "results" / "cluster.json"
MODES = {
    "full": {"views_seconds": 30, "views_clients": 32, "fault_seconds": 30, "slow_clients": 1000, "slow_seconds": 15, "storm_seconds": 10},
    "quick": {"views_seconds": 8, "views_clients": 32, "fault_seconds": 10, "slow_clients": 300, "slow_seconds": 5, "storm_seconds": 5},
}
PACED_CLIENTS, PACED_RATE = 16, 4.0  # readers clicking: 4 requests per second each
SOURCES = [f"127.0.0.{10 + index}" for index in range(64)]  # one loopback address per reader


def page_links(port: int) -> list[str]:
    """The scripts and styles the page links (nginx serves them)."""
    connection = http.client.HTTPConnection(load.HOST, port, timeout=load.REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", "/")
        html = connection.getresponse().read().decode()
    finally:
        connection.close()
    return re.findall(r'(?:src|href)="(/(?:assets|_dash-component-suites)/[^"]+)"', html)


def page_view(port: int, reader: list[load.Request], static: list[load.Request]) -> list[load.Request]:
    """One page load as the browser sends it (one after another here)."""
    return [reader[0], *static, *reader[1:]]


def server_pids(cluster) -> list[int]:
    """nginx and every gunicorn, masters and workers."""
    masters = [cluster.nginx.pid] + [instance.process.pid for instance in cluster.instances]
    return masters + [child for master in masters for child in load.children(master)]


def page_views(cluster, reader, static, clients: int, seconds: float, rate_limit: float) -> dict:
    """Readers loading the page again and again, each sending its requests to the app below
    nginx's per-client limit (`rate_limit` per second; a reader faster than that is a storm,
    which the storm step measures, and its refused requests would count as cheap page views).
    Besides wall-clock rates (which the load generator and other work on the machine slow
    down), the CPU time nginx and gunicorn used: page views per CPU-second is what a core of a
    machine serving only this could do."""
    port = cluster.port
    pids = server_pids(cluster)
    cpu_before = load.cpu_seconds(pids)
    results = load.Results()
    app_results = load.Results()
    views = []
    deadline = time.monotonic() + seconds

    pace = 0.9 * rate_limit

    def client(source: str):
        started, sent = time.monotonic(), 0
        while time.monotonic() < deadline:
            for request in page_view(port, reader, static):
                if request not in static:
                    time.sleep(max(0.0, started + sent / pace - time.monotonic()))
                    sent += 1
                status, took = load.send(port, request, source)
                results.add(request, status, took)
                if request not in static:
                    app_results.add(request, status, took)
            views.append(1)

    threads = [threading.Thread(target=client, args=(SOURCES[index],), daemon=True) for index in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + load.REQUEST_TIMEOUT_S + 10)
    elapsed = time.monotonic() - began
    cpu = load.cpu_seconds(pids) - cpu_before
    cores = os.cpu_count()
    return {
        "server_cpu_seconds": round(cpu, 1),
        "page_views_per_cpu_second": round(len(views) / cpu, 1),
        "app_requests_per_cpu_second": round(app_results.count / cpu, 1),
        "clients": clients,
        "seconds": round(elapsed, 1),
        "page_views": len(views),
        "page_views_per_s": round(len(views) / elapsed, 1),
        "page_views_per_s_per_core": round(len(views) / elapsed / cores, 1),
        "app_requests_per_s": round(app_results.count / elapsed, 1),
        "app_requests_per_s_per_core": round(app_results.count / elapsed / cores, 1),
        "app_requests_per_view": len(reader),
        "static_requests_per_view": len(static),
        "all": results.summary(),
        "app": app_results.summary(),
        "errors": len(results.failures),
        "error_examples": results.failures[:5],
        "note": "the load generator runs on the same cores as the server: per-core figures are a lower bound",
    }


def instance_answers(socket_path: Path) -> bool:
    connection = UnixConnection(socket_path, 5)
    try:
        connection.request("GET", "/_dash-layout")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def worker_kills(cluster, reader, seconds: float, workers: int) -> dict:
    running_load = load.Load(cluster.port, reader, PACED_CLIENTS, seconds, PACED_RATE, SOURCES)
    chooser = random.Random(1)
    recoveries = []
    end = time.monotonic() + seconds - 3
    while time.monotonic() < end:
        time.sleep(5)
        instance = chooser.choice(cluster.instances)
        victims = load.children(instance.process.pid)
        victim = chooser.choice(victims)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        while time.monotonic() - killed < 10:
            now = load.children(instance.process.pid)
            if len(now) == workers and victim not in now and instance_answers(instance.socket):
                recoveries.append(round(time.monotonic() - killed, 2))
                break
            time.sleep(0.02)
        else:
            recoveries.append(None)
    results = running_load.wait()
    return {"kills": len(recoveries), "recovery_s": recoveries, "load": results.summary(), "failed": len(results.failures), "failures": results.failures[:10]}


def instance_stop(cluster, reader, seconds: float, settings: ClusterSettings, log) -> dict:
    running_load = load.Load(cluster.port, reader, PACED_CLIENTS, seconds, PACED_RATE, SOURCES)
    time.sleep(seconds / 3)
    stopped = cluster.instances[0]
    stopped.process.send_signal(signal.SIGTERM)
    stopped.process.wait(timeout=30)
    time.sleep(seconds / 6)
    cluster.instances[0] = start_instance(settings, cluster.runtime, stopped.index, log)
    wait_for_instance(cluster.instances[0])
    results = running_load.wait()
    return {"load": results.summary(), "failed": len(results.failures), "failures": results.failures[:10]}


def slow_clients(cluster, reader, count: int, seconds: float) -> dict:
    normal = [request for request in reader if request.method == "GET"]
    before = load.run_load(cluster.port, normal, 1, 3, rate=5, sources=["127.0.0.3"])
    slow = load.open_slow_clients(cluster.port, count)
    try:
        held = load.still_waiting(slow)
        during = load.run_load(cluster.port, normal, 1, seconds, rate=5, sources=["127.0.0.3"])
        held_after = load.still_waiting(slow)
    finally:
        load.close_all(slow)
    return {
        "slow_clients": count, "held_at_start": held, "held_at_end": held_after,
        "normal_before": before.summary(), "normal_during": during.summary(),
        "median_delay_ms": round(during.percentile_ms(0.5) - before.percentile_ms(0.5), 1),
        "failed": len(during.failures),
    }


def storm(cluster, reader, seconds: float) -> dict:
    normal_sources = SOURCES[:8]
    rate = 3.0
    before = load.run_load(cluster.port, reader, 8, seconds, rate, normal_sources)
    storming = load.Load(cluster.port, reader, 6, seconds + 1, 10 * rate / 6, ["127.0.0.2"], seed=100)
    during = load.run_load(cluster.port, reader, 8, seconds, rate, normal_sources, seed=50)
    stormed = storming.wait()
    return {"reader_rate_per_s": rate, "storm_rate_per_s": 10 * rate, "others_before": before.summary(), "others_during": during.summary(), "storm": stormed.summary(), "others_failed": len(before.failures) + len(during.failures)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test, not numbers to quote")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    mode = MODES["quick" if args.quick else "full"]
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    settings = ClusterSettings(port=free_port(), instances=2, workers=workers, brotli_quality=5, access_log="off")
    result = {"mode": "quick" if args.quick else "full", "instances": settings.instances, "workers_per_instance": workers, "rate_limit": [settings.rate, settings.burst], "machine": machine()}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rigflows-bench-cluster-") as temp, open(Path(temp) / "cluster.log", "w") as log, running(settings, log) as cluster:
        reader = load.reader_requests(cluster.port)
        static = [load.Request("static", "GET", link) for link in page_links(cluster.port)]
        steps = [
            ("page views", lambda: page_views(cluster, reader, static, mode["views_clients"], mode["views_seconds"], settings.rate)),
            ("worker kills", lambda: worker_kills(cluster, reader, mode["fault_seconds"], workers)),
            ("instance stop", lambda: instance_stop(cluster, reader, mode["fault_seconds"], settings, log)),
            ("slow clients", lambda: slow_clients(cluster, reader, mode["slow_clients"], mode["slow_seconds"])),
            ("storm", lambda: storm(cluster, reader, mode["storm_seconds"])),
        ]
        for name, step in steps:
            print(f"{name} ...", flush=True)
            result[name] = step()
            print(json.dumps(result[name], indent=1), flush=True)
    result["load_average_after"] = os.getloadavg()
    result["duration_s"] = round(time.monotonic() - began, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    views = result["page views"]
    print(
        f"\n{views['clients']} readers for {views['seconds']} s through nginx: {views['page_views_per_s']} page views/s "
        f"({views['page_views_per_s_per_core']} per core), {views['app_requests_per_s']} app requests/s "
        f"({views['app_requests_per_s_per_core']} per core); the server used {views['server_cpu_seconds']} CPU-s: "
        f"{views['page_views_per_cpu_second']} page views per CPU-second; {views['errors']} errors; app requests p50/p95/p99 "
        f"{views['app']['p50_ms']}/{views['app']['p95_ms']}/{views['app']['p99_ms']} ms"
    )
    print(f"results in {args.out} ({result['duration_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
