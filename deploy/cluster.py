"""Start nginx in front of N gunicorn instances as ordinary processes, and stop them all.

Everything the cluster writes (unix sockets, the filled-in nginx.conf, precompressed files,
nginx's pid and temporary files) lives in one runtime directory outside the tracked tree,
removed at stop. Settings come from the environment (`ClusterSettings.from_env`).
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

from deploy.static import HEADERS_FILE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("nginx.conf")
GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"
NGINX = Path("/usr/sbin/nginx")
BROTLI_STATIC_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30
HSTS = "max-age=31536000; includeSubDomains"

#: nginx's own errors, plain text like the app's (proxied answers keep the app's own).
ERROR_TEXTS = {
    400: "400 Bad Request",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Request Entity Too Large: at most 2 MB.",
    429: "429 Too Many Requests: please retry in a few seconds.",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway: the app is restarting; please retry in a few seconds.",
    503: "503 Service Unavailable: please retry in a few seconds.",
    504: "504 Gateway Timeout: the app took too long to answer.",
}


def _int(env: dict, name: str, default: int | None) -> int | None:
    value = env.get(name, "").strip()
    return int(value) if value else default


@dataclass(frozen=True)
class ClusterSettings:
    host: str = "127.0.0.1"
    port: int = 8050
    #: gunicorn instances behind nginx, each with `workers` sync workers (None: gunicorn.conf.py's).
    #: From the environment: WEB_CONCURRENCY, else cores + 1 shared out among the instances.
    instances: int = 2
    workers: int | None = None
    #: Requests per second one client may make of the app (not of static files), and the burst
    #: allowed above it: a page load asks the app about 6 times at once.
    rate: int = 10
    burst: int = 40
    #: Addresses (CIDR) of a load balancer in front: the client is then its X-Forwarded-For,
    #: and its X-Forwarded-Proto says whether the reader came over TLS.
    balancers: tuple[str, ...] = ()
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: Brotli quality of the precompressed files (11 is smallest but takes ~20 s for plotly.js).
    brotli_quality: int = 9
    access_log: str = "/dev/stdout"
    #: Extra environment for the gunicorn instances (e.g. RIGFLOWS_DATA_DIR).
    instance_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> ClusterSettings:
        balancers = tuple(part.strip() for part in env.get("RIGFLOWS_BALANCERS", "").split(",") if part.strip())
        instances = _int(env, "RIGFLOWS_INSTANCES", 2)
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8050),
            instances=instances,
            workers=_int(env, "WEB_CONCURRENCY", -(-((os.cpu_count() or 1) + 1) // instances)),
            rate=_int(env, "RIGFLOWS_RATE_LIMIT", 10),
            burst=_int(env, "RIGFLOWS_RATE_BURST", 40),
            balancers=balancers,
            tls_cert=Path(env["RIGFLOWS_TLS_CERT"]) if env.get("RIGFLOWS_TLS_CERT") else None,
            tls_key=Path(env["RIGFLOWS_TLS_KEY"]) if env.get("RIGFLOWS_TLS_KEY") else None,
            brotli_quality=_int(env, "RIGFLOWS_BROTLI_QUALITY", 9),
            access_log=env.get("RIGFLOWS_ACCESS_LOG", "/dev/stdout"),
        )

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_cert else 'http'}://{self.host}:{self.port}"


@dataclass
class Instance:
    index: int
    socket: Path
    process: subprocess.Popen


@dataclass
class Cluster:
    url: str
    port: int
    runtime: Path
    nginx: subprocess.Popen
    instances: list[Instance]


# --- the configuration --------------------------------------------------------------------------


def _quoted(value: str) -> str:
    if '"' in value or "\\" in value or "$" in value:
        raise ValueError(f"cannot put {value!r} in nginx.conf")
    return f'"{value}"'


def _user_line() -> str:
    """As root, nginx would run its workers as `nobody`; keep them as the launching user."""
    if os.geteuid() != 0:
        return ""  # an ordinary user's nginx runs as that user anyway
    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


def nginx_config(settings: ClusterSettings, runtime: Path, static: Path, sockets: list[Path], headers: dict[str, str]) -> str:
    """deploy/nginx.conf with every {{ name }} filled in."""
    brotli = settings.brotli_quality is not None and BROTLI_STATIC_MODULE.exists()
    own_headers = {name: value for name, value in headers.items() if name != "Strict-Transport-Security"}
    balancers = "".join(f"set_real_ip_from {cidr}; " for cidr in settings.balancers)
    values = {
        "user": _user_line(),
        "nginx_workers": "auto",
        "runtime": str(runtime),
        "static": str(static),
        "modules": f"load_module {BROTLI_STATIC_MODULE};" if brotli else "",
        "brotli_static": "brotli_static on;" if brotli else "",
        "access_log": settings.access_log,
        "rate": str(settings.rate),
        "burst": str(settings.burst),
        "real_ip": (balancers + "real_ip_header X-Forwarded-For; real_ip_recursive on;") if settings.balancers else "",
        "balancer_addresses": "".join(f"{cidr} 1; " for cidr in settings.balancers),
        "hsts": headers.get("Strict-Transport-Security", HSTS),
        "upstreams": " ".join(f"server unix:{path} max_fails=1 fail_timeout=2s;" for path in sockets),
        "listen": f"{settings.host}:{settings.port}" + (" ssl http2" if settings.tls_cert else ""),
        "tls": f"ssl_certificate {settings.tls_cert}; ssl_certificate_key {settings.tls_key}; ssl_protocols TLSv1.2 TLSv1.3;" if settings.tls_cert else "",
        "security_headers": " ".join(f"add_header {name} {_quoted(value)} always;" for name, value in own_headers.items()),
        "hide_headers": " ".join(f"proxy_hide_header {name};" for name in own_headers),
        "error_pages": " ".join(f"error_page {status} /_errors/{status}.txt;" for status in ERROR_TEXTS),
    }
    return re.sub(r"\{\{ (\w+) \}\}", lambda match: values[match.group(1)], TEMPLATE.read_text())


# --- processes ----------------------------------------------------------------------------------


class UnixConnection(http.client.HTTPConnection):
    """HTTP to a gunicorn instance's unix socket."""

    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


def _status(connection: http.client.HTTPConnection, path: str = "/") -> int | None:
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _wait(what: str, ready, processes: list[subprocess.Popen], deadline: float) -> None:
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{what}: a process exited with {process.returncode} while starting")
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready within {START_TIMEOUT_S} s")


def _start(command: list, output: IO | None, env: dict | None = None) -> subprocess.Popen:
    # Their own session: a Ctrl-C in the terminal reaches the launcher only, which stops them in order.
    return subprocess.Popen([str(part) for part in command], cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True)


def raise_open_files_limit(wanted: int = 16384) -> None:
    """Every client connection costs nginx a file descriptor (two while proxied), and a login's
    soft limit is often 1024: raise it as far as the hard limit allows (no root needed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def stop_process(process: subprocess.Popen, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> None:
    """Ask `process` to stop with `signum`; kill it if it has not after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signum)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def start_instance(settings: ClusterSettings, runtime: Path, index: int, output: IO | None) -> Instance:
    """One gunicorn (gunicorn.conf.py) on a unix socket in the runtime directory."""
    path = runtime / f"instance-{index}.sock"
    env = {**os.environ, **settings.instance_env}
    if settings.workers is not None:
        env["WEB_CONCURRENCY"] = str(settings.workers)
    command = [GUNICORN, "--config", GUNICORN_CONF, "--bind", f"unix:{path}", "app:server"]
    return Instance(index, path, _start(command, output, env))


def wait_for_instance(instance: Instance, timeout: float = START_TIMEOUT_S) -> None:
    _wait(f"instance {instance.index}", lambda: instance.socket.exists() and _status(UnixConnection(instance.socket, 5)) == 200, [instance.process], time.monotonic() + timeout)


def _nginx_answers(settings: ClusterSettings) -> bool:
    if settings.tls_cert:
        connection = http.client.HTTPSConnection(settings.host, settings.port, timeout=5, context=ssl._create_unverified_context())  # noqa: S323 (our own certificate)
    else:
        connection = http.client.HTTPConnection(settings.host, settings.port, timeout=5)
    return _status(connection) == 200


@contextlib.contextmanager
def running(settings: ClusterSettings, output: IO | None = None) -> Iterator[Cluster]:
    """nginx on settings.host:port in front of settings.instances gunicorns; all stopped on exit.

    `output` receives every process's log (None: this process's stdout and stderr).
    """
    if not NGINX.exists():
        raise FileNotFoundError(f"{NGINX} is missing: install Debian's nginx (make nginx)")
    raise_open_files_limit()  # inherited by nginx
    runtime = Path(tempfile.mkdtemp(prefix="rigflows-cluster-"))
    static = runtime / "static"
    instances: list[Instance] = []
    nginx = None
    try:
        quality = [] if settings.brotli_quality is None else ["--brotli-quality", str(settings.brotli_quality)]
        preparing = _start([sys.executable, "-m", "deploy.static", static, *quality], output, {**os.environ, **settings.instance_env})
        instances = [start_instance(settings, runtime, index, output) for index in range(settings.instances)]
        if preparing.wait(timeout=START_TIMEOUT_S) != 0:
            raise RuntimeError(f"preparing the static files failed ({preparing.returncode})")
        for instance in instances:
            wait_for_instance(instance)
        for status, text in ERROR_TEXTS.items():
            (static / "_errors").mkdir(exist_ok=True)
            (static / "_errors" / f"{status}.txt").write_text(text + "\n")
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (runtime / "tmp" / name).mkdir(parents=True, exist_ok=True)
        headers = json.loads((static / HEADERS_FILE).read_text())
        config = runtime / "nginx.conf"
        config.write_text(nginx_config(settings, runtime, static, [instance.socket for instance in instances], headers))
        nginx = _start([NGINX, "-p", runtime, "-c", config, "-e", "stderr", "-g", "daemon off;"], output)
        _wait("nginx", lambda: _nginx_answers(settings), [nginx], time.monotonic() + START_TIMEOUT_S)
        yield Cluster(settings.url, settings.port, runtime, nginx, instances)
    finally:
        if nginx is not None:
            stop_process(nginx, signal.SIGQUIT)  # graceful: finishes the answers under way
        for instance in instances:
            instance.process.send_signal(signal.SIGTERM)
        for instance in instances:
            stop_process(instance.process)
        shutil.rmtree(runtime, ignore_errors=True)


def main() -> int:
    """`python -m deploy`: serve until Ctrl-C or SIGTERM, then stop everything in order."""
    settings = ClusterSettings.from_env(dict(os.environ))

    def stop(signum, _frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"deploy: {signal.Signals(signum).name}, stopping nginx and the instances", file=sys.stderr, flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        return _serve(settings)
    except (OSError, RuntimeError, TimeoutError) as error:  # everything started is stopped by now
        print(f"deploy: could not serve: {error}", file=sys.stderr)
        return 1


def _serve(settings: ClusterSettings) -> int:
    with running(settings) as cluster:
        print(f"deploy: serving {cluster.url} with nginx in front of {settings.instances} instances (runtime {cluster.runtime})", file=sys.stderr, flush=True)
        reported: set[int] = set()
        while cluster.nginx.poll() is None:
            for instance in cluster.instances:
                if instance.process.poll() is not None and instance.index not in reported:
                    reported.add(instance.index)
                    print(f"deploy: instance {instance.index} exited with {instance.process.returncode}; nginx uses the others", file=sys.stderr, flush=True)
            time.sleep(1)
        print(f"deploy: nginx exited with {cluster.nginx.returncode}", file=sys.stderr, flush=True)
        return 1
