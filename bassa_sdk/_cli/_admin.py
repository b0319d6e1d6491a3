"""`bassa queue …` (server key) and `bassa admin …` (admin session) commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from bassa_sdk._cli._app import Json, Yes, app, read_password, state_of
from bassa_sdk._cli._state import EXIT_USAGE, failures_exit

__all__ = ["admin_app", "queue_app"]

queue_app = typer.Typer(
    help="Start, stop and show the download queue.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
admin_app = typer.Typer(
    help="Manage users (admins only).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(queue_app, name="queue")
app.add_typer(admin_app, name="admin")

Username = Annotated[
    str, typer.Argument(metavar="USER", help="The user's name.", show_default=False)
]


def _server_key() -> str:
    key = os.environ.get("BASSA_SERVER_KEY")
    if key:
        return key
    return str(typer.prompt("Server key", hide_input=True))


def _queue_change(ctx: typer.Context, start: bool, as_json: bool) -> None:
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        queue = state.client(signed_in=False).queue
        change = queue.start(key=_server_key()) if start else queue.stop(key=_server_key())
        if as_json:
            print_json(change.to_dict())
        else:
            state_name = change.state if isinstance(change.state, str) else None
            say(f"queue {state_name or ('started' if start else 'paused')}")


@queue_app.command("start")
def queue_start(ctx: typer.Context, as_json: Json = False) -> None:
    """Start the queue (server key from BASSA_SERVER_KEY, or asked for)."""
    _queue_change(ctx, True, as_json)


@queue_app.command("stop")
def queue_stop(ctx: typer.Context, as_json: Json = False) -> None:
    """Pause the queue (server key from BASSA_SERVER_KEY, or asked for)."""
    _queue_change(ctx, False, as_json)


@queue_app.command("status")
def queue_status(ctx: typer.Context, as_json: Json = False) -> None:
    """Whether the queue runs and how many downloads are in each status."""
    from bassa_sdk._cli._columns import QUEUE
    from bassa_sdk._cli._output import emit_one

    state = state_of(ctx)
    with failures_exit(state):
        emit_one(state.client().queue.status(), QUEUE, as_json=as_json)


@admin_app.command("users")
def users(ctx: typer.Context, as_json: Json = False) -> None:
    """Every user that is not blocked."""
    from bassa_sdk._cli._columns import USERS
    from bassa_sdk._cli._output import emit

    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.list(), USERS, as_json=as_json)


@admin_app.command("requests")
def requests(ctx: typer.Context, as_json: Json = False) -> None:
    """Accounts waiting for approval."""
    from bassa_sdk._cli._columns import REQUESTS
    from bassa_sdk._cli._output import emit

    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.requests(), REQUESTS, as_json=as_json)


@admin_app.command("blocked")
def blocked(ctx: typer.Context, as_json: Json = False) -> None:
    """Blocked users."""
    from bassa_sdk._cli._columns import USERS
    from bassa_sdk._cli._output import emit

    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.blocked(), USERS, as_json=as_json)


@admin_app.command("heavy")
def heavy(ctx: typer.Context, as_json: Json = False) -> None:
    """The ten heaviest users of the last 30 days."""
    from bassa_sdk._cli._columns import HEAVY
    from bassa_sdk._cli._output import emit

    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.heavy(), HEAVY, as_json=as_json)


def _confirm(question: str, yes: bool) -> None:
    """Ask before a destructive command; without a terminal, --yes is required."""
    if yes:
        return
    if not sys.stdin.isatty():
        from bassa_sdk._cli._output import error

        error(f"{question} needs confirmation: pass --yes (standard input is not a terminal)")
        raise typer.Exit(EXIT_USAGE)
    typer.confirm(f"{question}?", abort=True)


def _on_user(ctx: typer.Context, action: str, username: str, done: str, as_json: bool) -> None:
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        getattr(state.client().users, action)(username)
        if as_json:
            print_json({"user_name": username, "action": action, "done": True})
        else:
            say(f"{username}: {done}")


@admin_app.command("approve")
def approve(ctx: typer.Context, username: Username, as_json: Json = False) -> None:
    """Approve a sign-up request."""
    _on_user(ctx, "approve", username, "approved", as_json)


@admin_app.command("block")
def block(ctx: typer.Context, username: Username, yes: Yes = False, as_json: Json = False) -> None:
    """Block a user (their sessions end at once); asks first unless --yes."""
    _confirm(f"block {username} and end their sessions", yes)
    _on_user(ctx, "block", username, "blocked", as_json)


@admin_app.command("unblock")
def unblock(ctx: typer.Context, username: Username, as_json: Json = False) -> None:
    """Unblock a user."""
    _on_user(ctx, "unblock", username, "unblocked", as_json)


@admin_app.command("logout")
def end_sessions(
    ctx: typer.Context, username: Username, yes: Yes = False, as_json: Json = False
) -> None:
    """End every session of a user, everywhere; asks first unless --yes."""
    _confirm(f"end every session of {username}", yes)
    _on_user(ctx, "end_sessions", username, "every session ended", as_json)


@admin_app.command("delete")
def delete(ctx: typer.Context, username: Username, yes: Yes = False, as_json: Json = False) -> None:
    """Delete a user with their download records; asks first unless --yes."""
    _confirm(f"delete {username} with their downloads", yes)
    _on_user(ctx, "delete", username, "deleted", as_json)


@admin_app.command("add")
def add_user(
    ctx: typer.Context,
    username: Username,
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Their e-mail address.", show_default=False)
    ],
    level: Annotated[
        int,
        typer.Option(
            "--level", min=0, max=127, metavar="LEVEL", help="0 makes an admin, 1 a user."
        ),
    ] = 1,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Create an approved user."""
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        password = read_password(password_stdin, confirm=True)
        state.client().users.add(username, password, email, level=level)
        if as_json:
            print_json({"user_name": username, "email": email, "level": level})
        else:
            say(f"created {username}")
