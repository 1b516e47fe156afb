"""Helpers that wait for what a reader waits for: every chart drawn with data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from components import ids

DRAWN_TIMEOUT_MS = 30_000


def wait_until_drawn(page) -> None:
    """Map country paths, Sankey links and energy lines are all on screen."""
    page.wait_for_selector(f"#{ids.MAP} .choroplethlocation", timeout=DRAWN_TIMEOUT_MS)
    page.wait_for_selector(f"#{ids.SANKEY} .sankey-link", timeout=DRAWN_TIMEOUT_MS)
    page.wait_for_selector(f"#{ids.ENERGY} .scatterlayer .trace", timeout=DRAWN_TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('._dash-loading') && !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=DRAWN_TIMEOUT_MS)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.evaluate("window.location.href")).query)


def sankey_labels(page) -> list[str]:
    return page.eval_on_selector_all(f"#{ids.SANKEY} .node-label", "nodes => nodes.map(node => node.textContent)")


def map_locations(page) -> int:
    return page.eval_on_selector_all(f"#{ids.MAP} .choroplethlocation", "paths => paths.length")


def choose(page, dropdown_id: str, search: str, option: str) -> None:
    """Pick `option` in a searchable Dash dropdown by typing `search` and clicking the match,
    as a reader would (pressing Enter could pick whatever was highlighted before filtering)."""
    page.click(f"#{dropdown_id}")
    page.keyboard.type(search, delay=60)  # the first key opens the search box: at machine speed the next could miss it
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def count_server_requests(page, app_url: str) -> list[str]:
    """A list that grows by one for every request the page sends to the app (callbacks, the
    icon, anything): a step drawn in the browser must add none."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.url.startswith(app_url) else None)
    return sent


def count_callback_requests(page) -> list[str]:
    """A list that grows by one for every callback request the page sends to the server."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or "") if "/_dash-update-component" in request.url else None)
    return sent


#: A JS function: whether an element is on screen, not drawn at opacity 0 (itself or a parent,
#: as plotly.js hides the energy chart's marks of other months).
IS_SHOWN_JS = "(element) => { for (let n = element; n; n = n.parentElement) { if (getComputedStyle(n).opacity === '0') { return false; } } return true; }"
