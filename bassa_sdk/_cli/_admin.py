"""`bassa queue …` (server key) and `bassa admin …` (admin session) commands."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bassa_sdk._cli._app import Json, app, state_of
from bassa_sdk._cli._output import console, emit, emit_one
from bassa_sdk._cli._state import failures_exit
from bassa_sdk._config import ENV_SERVER_KEY

__all__ = ["admin_app", "queue_app"]

queue_app = typer.Typer(help="Start, stop and show the download queue.", no_args_is_help=True)
admin_app = typer.Typer(help="Manage users (admins only).", no_args_is_help=True)
app.add_typer(queue_app, name="queue")
app.add_typer(admin_app, name="admin")

USER_COLUMNS = ("user_name", "auth", "email", "approved", "blocked")


def _server_key() -> str:
    key = os.environ.get(ENV_SERVER_KEY)
    if key:
        return key
    return str(typer.prompt("server key", hide_input=True))


@queue_app.command("start")
def queue_start(ctx: typer.Context) -> None:
    """Start the queue (server key from BASSA_SERVER_KEY, or asked for)."""
    state = state_of(ctx)
    with failures_exit(state):
        change = state.client(signed_in=False).queue.start(key=_server_key())
        console.print(f"queue {change.state or 'started'}")


@queue_app.command("stop")
def queue_stop(ctx: typer.Context) -> None:
    """Pause the queue (server key from BASSA_SERVER_KEY, or asked for)."""
    state = state_of(ctx)
    with failures_exit(state):
        change = state.client(signed_in=False).queue.stop(key=_server_key())
        console.print(f"queue {change.state or 'paused'}")


@queue_app.command("status")
def queue_status(ctx: typer.Context, as_json: Json = False) -> None:
    """Whether the queue runs and how many downloads are in each status."""
    state = state_of(ctx)
    with failures_exit(state):
        queue = state.client().queue.status()
        columns = ("state", "queued", "started", "completed", "failed")
        emit_one(queue, columns, as_json=as_json)


@admin_app.command("users")
def users(ctx: typer.Context, as_json: Json = False) -> None:
    """Every user that is not blocked."""
    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.list(), USER_COLUMNS, as_json=as_json)


@admin_app.command("requests")
def requests(ctx: typer.Context, as_json: Json = False) -> None:
    """Accounts waiting for approval."""
    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.requests(), ("user_name", "email"), as_json=as_json)


@admin_app.command("blocked")
def blocked(ctx: typer.Context, as_json: Json = False) -> None:
    """Blocked users."""
    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.blocked(), USER_COLUMNS, as_json=as_json)


@admin_app.command("heavy")
def heavy(ctx: typer.Context, as_json: Json = False) -> None:
    """The ten heaviest users of the last 30 days (bytes)."""
    state = state_of(ctx)
    with failures_exit(state):
        emit(state.client().users.heavy(), ("user_name", "size"), as_json=as_json)


def _on_user(ctx: typer.Context, action: str, username: str) -> None:
    state = state_of(ctx)
    with failures_exit(state):
        getattr(state.client().users, action)(username)
        console.print(f"{action} {username}: done")


@admin_app.command("approve")
def approve(ctx: typer.Context, username: str) -> None:
    """Approve a sign-up request."""
    _on_user(ctx, "approve", username)


@admin_app.command("block")
def block(ctx: typer.Context, username: str) -> None:
    """Block a user (their sessions end at once)."""
    _on_user(ctx, "block", username)


@admin_app.command("unblock")
def unblock(ctx: typer.Context, username: str) -> None:
    """Unblock a user."""
    _on_user(ctx, "unblock", username)


@admin_app.command("delete")
def delete(ctx: typer.Context, username: str) -> None:
    """Delete a user and their download records."""
    _on_user(ctx, "delete", username)


@admin_app.command("add")
def add_user(
    ctx: typer.Context,
    username: str,
    email: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
    ],
    level: Annotated[int, typer.Option(min=0, max=127, help="0 makes an admin.")] = 1,
) -> None:
    """Create an approved user."""
    state = state_of(ctx)
    with failures_exit(state):
        state.client().users.add(username, password, email, level=level)
        console.print(f"created {username}")
