"""Logs: JSON in production (python-json-logger), plain text on a developer's machine.

Each line carries what it is about where that is known: the HTTP request id, the
school and the event; the Temporal SDK's workflow and activity loggers add the workflow
id, run id and activity. Never a teacher's words, an address or a token.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
SCHOOL_ID: ContextVar[str] = ContextVar("school_id", default="")
EVENT_ID: ContextVar[str] = ContextVar("event_id", default="")
_CONTEXT = {
    "request_id": REQUEST_ID,
    "school_id": SCHOOL_ID,
    "event_id": EVENT_ID,
}


class WithContext(logging.Filter):
    """Adds the context of the request or activity being handled to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT.items():
            value = var.get()
            if value and not hasattr(record, name):
                setattr(record, name, value)
        return True


def setup(process: str, json_lines: bool, level: int = logging.INFO) -> None:
    """One handler on the root logger for this process (api, worker, inbound...)."""
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"process": process},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {process} %(levelname)s %(message)s"))
    handler.addFilter(WithContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Uvicorn's loggers keep their own handlers unless told to pass records up.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
