"""`bassa`: the application, its global options, and what every command shares.

Only typer is imported at start-up: each command imports the SDK, rich and the output helpers
when it runs, so `bassa --help` and shell completion stay fast.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperArgument

from bassa_sdk._cli._state import CliState

__all__ = ["DownloadId", "Json", "PasswordStdin", "Yes", "app", "read_password", "state_of"]

app = typer.Typer(
    name="bassa",
    help="Queue downloads on a Bassa server and fetch the files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_argument_metavar = TyperArgument.make_metavar


def _plain_metavar(self: TyperArgument, ctx: Any, *, usage: bool = False) -> str:
    """`bassa get ID`, not typer's `bassa get {ID}`: usage lines read like every other tool's."""
    var = _argument_metavar(self, ctx, usage=usage)
    return var[1:-1] if usage and var.startswith("{") and var.endswith("}") else var


TyperArgument.make_metavar = _plain_metavar  # type: ignore[method-assign]

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of text.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DownloadId = Annotated[
    int, typer.Argument(metavar="ID", help="The download's id (see bassa ls).", show_default=False)
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _version(value: bool) -> None:
    if value:
        from bassa_sdk._version import version

        print(f"bassa {version()}")
        raise typer.Exit()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (it may be replaced after set-up)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _logging(debug: bool, verbose: bool) -> None:
    """Retry and request logs: silent by default (the error says what matters), INFO with
    --verbose, DEBUG with --debug; BASSA_LOG, when set, is left to the SDK."""
    import os

    if os.environ.get("BASSA_LOG") and not (debug or verbose):
        return
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.CRITICAL
    for name in ("bassa", "stamina"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if (debug or verbose) and not logger.handlers:
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            logger.addHandler(handler)


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="The server's URL (default: BASSA_URL, then the profile's).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="The saved session to use (default: BASSA_PROFILE, then 'default').",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.1,
            metavar="SECONDS",
            help="Seconds to wait for each answer (default 30, connect 5).",
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            max=10,
            metavar="N",
            help="Retries after a network or server failure (default 0).",
        ),
    ] = 0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log requests' retries to standard error.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log every request, and show a traceback on a crash.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    if ctx.obj is None:
        ctx.obj = CliState()
    state = state_of(ctx)
    state.url = url if url is not None else state.url
    state.profile = profile if profile is not None else state.profile
    state.timeout, state.retries = timeout, retries
    state.debug, state.verbose = debug, verbose
    _logging(debug, verbose)


def state_of(ctx: typer.Context) -> CliState:
    """The command's shared state (set by the root callback)."""
    state = ctx.obj
    assert isinstance(state, CliState)
    return state


def read_password(from_stdin: bool, *, confirm: bool = False) -> str:
    """The password: one line of standard input with --password-stdin, else asked for."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise typer.BadParameter("--password-stdin: standard input held no password")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))
