"""A real app on 127.0.0.1 and a real headless Chromium (Debian's, driven by Playwright).

Every page fixture fails its test on any request that leaves 127.0.0.1 (the offline promise)
and on any console or page error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.server import free_port, wait_until_serving
from rigflows.config import PROJECT_ROOT

CHROMIUM = os.environ.get("RIGFLOWS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def screenshot_path(name: str) -> Path:
    """Where a screenshot goes: tests/artifacts/ (ignored), or docs/ for the README when
    RIGFLOWS_REFRESH_SCREENSHOTS=1 asks to refresh them, so `make test` leaves the tree clean."""
    folder = PROJECT_ROOT / "docs" if os.environ.get("RIGFLOWS_REFRESH_SCREENSHOTS") == "1" else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The dashboard under gunicorn, as it is served in production, on a free local port."""
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen([str(gunicorn), "--config", "gunicorn.conf.py", "app:server"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/", process, log, timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}; run `make test` to install it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What the page did that it should not: off-host requests and console/page errors."""

    def __init__(self):
        self.off_host: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    watch = PageWatch()
    page.on("request", lambda req: None if req.url.startswith(("http://127.0.0.1", "data:", "blob:")) else watch.off_host.append(req.url))
    page.on("console", lambda message: watch.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.watch = watch
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert watch.off_host == [], f"requests left 127.0.0.1: {watch.off_host}"
    assert watch.errors == [], f"console errors: {watch.errors}"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
