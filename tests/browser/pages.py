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


def choose(page, dropdown_id: str, text: str) -> None:
    """Pick an option in a searchable Dash dropdown by typing, as a reader would."""
    page.click(f"#{dropdown_id}")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
