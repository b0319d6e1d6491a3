"""The `bassa` command line (typer + rich). Exit codes are listed in `_state`."""

from __future__ import annotations

from bassa_sdk._cli import _admin  # noqa: F401 (registers the queue and admin commands)
from bassa_sdk._cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `bassa` script."""
    app()
