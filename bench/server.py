"""Start and stop gunicorn on a free 127.0.0.1 port: the dashboard, or the bare floor app."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"

#: The floor: the least a Dash page with one chart costs, served the same way as the dashboard.
FLOOR_APP = textwrap.dedent('''
    """A bare Dash page with one small chart, drawn by one callback (written by the benchmark)."""
    from dash import Dash, Input, Output, dcc, html

    app = Dash(__name__, compress=True, serve_locally=True, update_title=None)
    app.layout = html.Div([dcc.Location(id="url"), dcc.Graph(id="chart")])


    @app.callback(Output("chart", "figure"), Input("url", "search"))
    def chart(_search):
        return {"data": [{"type": "scatter", "x": [1, 2, 3, 4], "y": [3, 1, 4, 1]}], "layout": {"height": 300}}


    server = app.server
''')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def worker_count() -> int:
    """The worker count gunicorn.conf.py will use (WEB_CONCURRENCY, else cores + 1)."""
    return int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))


def wait_until_serving(url: str, process: subprocess.Popen, log: Path | None = None, timeout: float = 120) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits. Shared by the benchmark
    and the tests that start real servers; `log` (the server's output) is quoted on failure."""
    tail = lambda: f":\n{log.read_text()[-4000:]}" if log is not None and log.exists() else ""  # noqa: E731
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}{tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s{tail()}")


@dataclass(frozen=True)
class Served:
    url: str
    pid: int  # gunicorn's master process; its workers are its children


@contextmanager
def gunicorn(app_module: str, workdir: Path, log: Path, data_dir: Path | None = None, workers: int | None = None, options: tuple[str, ...] = ()):
    """Serve `app_module` (e.g. 'app:server') from `workdir` with gunicorn.conf.py (`workers`:
    its WEB_CONCURRENCY; `options`: gunicorn command-line options over the file's); yields a
    `Served`."""
    port = free_port()
    env = {**os.environ, "HOST": HOST, "PORT": str(port)}
    if data_dir is not None:
        env["RIGFLOWS_DATA_DIR"] = str(data_dir)
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(GUNICORN_CONF), "--chdir", str(workdir), *options, app_module]
    url = f"http://{HOST}:{port}"
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(url + "/", process, log)
            yield Served(url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def dashboard(log: Path, data_dir: Path | None = None, workers: int | None = None, options: tuple[str, ...] = ()):
    """The Rig Flows app (app:server), on the bundled data or on `data_dir`."""
    return gunicorn("app:server", PROJECT_ROOT, log, data_dir, workers, options)


def floor(workdir: Path, log: Path):
    """The bare floor app, written into `workdir` and served like the dashboard."""
    (workdir / "floor_app.py").write_text(FLOOR_APP)
    return gunicorn("floor_app:server", workdir, log)
