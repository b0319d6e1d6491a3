"""Structured logs: one JSON object a line on stderr.

Nothing secret is ever passed to a logger: requests are logged by method, path (never the query
string, which may carry a share token) and status; tokens, passwords and keys are not logged.
uvicorn's own access log is switched off for the same reason (it prints query strings). Queued
links are the one secret that reaches the logs from outside (aria2 repeats them in its warnings,
failures quote them): every URL in a line, its exception text and its string fields is redacted
as other users see it (_redact.py), whoever logged it.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from bassa_server._redact import redact_text

# attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line: time, level, logger, message and any extra fields."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _timestamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # one strftime a second, not one a line
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        """The JSON line of `record`."""
        entry: dict[str, Any] = {
            "time": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact_text(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send every logger's records, as JSON lines, to stderr at `level`."""
    # the logging HOWTO's optimisations: records need no caller frame, thread or process data
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
