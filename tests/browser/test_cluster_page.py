"""The page in Chromium through `make serve-cluster`'s nginx (deploy/): every chart draws,
nothing is refused or blocked by the policy (the `page` fixture fails on console errors and on
requests leaving 127.0.0.1), and Dash's bundles arrive brotli-compressed from nginx."""

from __future__ import annotations

import pytest

from bench.browser import DASHBOARD_DRAWN
from bench.server import free_port
from deploy.cluster import ClusterSettings, running

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("cluster") / "cluster.log"
    settings = ClusterSettings(port=free_port(), instances=2, workers=1, brotli_quality=1, access_log="off")
    with log.open("w") as output, running(settings, output) as cluster:
        yield cluster.url


def test_the_page_draws_through_nginx(page, cluster_url):
    refused, scripts = [], {}

    def on_response(response):
        if response.status >= 400:
            refused.append(f"{response.status}: {response.url}")
        if response.url.split("?")[0].endswith(".js"):
            scripts[response.url] = (response.headers.get("content-encoding"), response.headers.get("server"))

    page.on("response", on_response)
    page.on("requestfailed", lambda request: refused.append(f"failed: {request.url}"))
    page.goto(cluster_url + "/", timeout=TIMEOUT_MS)
    for selector in DASHBOARD_DRAWN:
        page.wait_for_selector(selector, state="attached", timeout=TIMEOUT_MS)
    assert refused == []
    bundles = {url: served for url, served in scripts.items() if "/_dash-component-suites/" in url}
    assert len(bundles) >= 5 and set(bundles.values()) == {("br", "nginx")}, bundles
