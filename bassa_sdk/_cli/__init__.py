"""The `bassa` command line (typer + rich). Exit codes are listed in `_state`."""

from __future__ import annotations

import sys

from bassa_sdk._cli import _admin, _commands  # noqa: F401 (they register their commands)
from bassa_sdk._cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `bassa` script: nothing escapes as a traceback unless --debug."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # the last resort, for errors outside a command's own handler
        import typer

        from bassa_sdk._cli._state import last_resort

        try:
            last_resort(exc, debug="--debug" in sys.argv[1:])
        except typer.Exit as done:
            raise SystemExit(done.exit_code) from None
