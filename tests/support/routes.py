"""Every route of the app, through the routers it includes (FastAPI keeps those nested)."""

from __future__ import annotations

from typing import Any


def every_route(routes: list[Any]) -> list[Any]:
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += every_route(included.routes) if included is not None else [route]
    return found
