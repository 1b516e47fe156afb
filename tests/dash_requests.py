"""Callback requests built the way dash-renderer builds them, for tests that talk to the server."""

from __future__ import annotations


def walk(node):
    """Every dict in a nested JSON structure (a /_dash-layout answer), depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def layout_props(layout: dict) -> dict[str, dict]:
    """{component id: its props} for every component of a /_dash-layout answer."""
    return {node["props"]["id"]: node["props"] for node in walk(layout) if isinstance(node.get("props"), dict) and isinstance(node["props"].get("id"), str)}


def dependency(prop_id: str) -> dict:
    component, prop = prop_id.rsplit(".", 1)
    return {"id": component, "property": prop}


def outputs_of(output: str):
    """The `outputs` field dash-renderer sends: a list for a multi-output callback, [] for one
    without outputs (Dash names it by a hash, with no '.'), else one dict."""
    if output.startswith("..") and output.endswith(".."):
        return [dependency(part) for part in output[2:-2].split("...")]
    if "." not in output:
        return []
    return dependency(output)


def callback_body(callback: dict, inputs: list, state: list | None = None, changed: list[str] | None = None) -> dict:
    """A POST /_dash-update-component body for `callback` (an entry of /_dash-dependencies);
    `changed` defaults to the first input, as if it had just changed."""
    body = {
        "output": callback["output"],
        "outputs": outputs_of(callback["output"]),
        "inputs": [{**dep, "value": value} for dep, value in zip(callback["inputs"], inputs, strict=True)],
        "changedPropIds": changed if changed is not None else [f"{dep['id']}.{dep['property']}" for dep in callback["inputs"][:1]],
    }
    if callback["state"]:
        body["state"] = [{**dep, "value": value} for dep, value in zip(callback["state"], state or [None] * len(callback["state"]), strict=True)]
    return body
