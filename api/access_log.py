"""Bearer tokens never reach the access log.

A teacher's and a leader's links carry their authority in the path (/a/<token>,
/dashboard/auth/<token>...): anyone who reads a log line could use one. uvicorn's access
logger gets a filter that writes a placeholder in their place before any handler sees
the line, whatever the log configuration.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_PATH = re.compile(
    r"^(/(?:a|u|p|s|dashboard/auth|dashboard/digest|dashboard/level3)/)[^/?#]+"
)
PLACEHOLDER = "<token>"


def without_tokens(path: str) -> str:
    return _TOKEN_IN_PATH.sub(lambda found: found.group(1) + PLACEHOLDER, path)


class HideTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs '%s - "%s %s HTTP/%s" %d' with the path third.
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], without_tokens(args[2]), *args[3:])
        return True


def hide_tokens_from_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideTokens) for f in logger.filters):
        logger.addFilter(HideTokens())
