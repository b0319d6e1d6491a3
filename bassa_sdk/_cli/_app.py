"""`bassa`: the user commands (sign in, queue links, list, rate, fetch files and zips)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bassa_sdk._cli._output import console, emit, emit_one, transfer_bar
from bassa_sdk._cli._state import CliState, credentials_path, failures_exit, save_credentials

__all__ = ["Json", "app", "state_of"]

app = typer.Typer(
    name="bassa",
    help="Queue downloads on a Bassa server and fetch the files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
DOWNLOAD_COLUMNS = ("id", "download_name", "status", "size", "rating", "user_name", "added_time")


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="The server's URL (default: BASSA_URL, then the saved one).")
    ] = None,
) -> None:
    if ctx.obj is None:
        ctx.obj = CliState()
    if url is not None:
        ctx.obj.url = url


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.obj
    assert isinstance(state, CliState)
    return state


@app.command()
def login(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", "-u", prompt=True, help="Your user name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Your password.")],
) -> None:
    """Sign in and keep the session for the next commands (in a file only you can read)."""
    state = state_of(ctx)
    with failures_exit(state):
        client = state.client(signed_in=False)
        result = client.session.login(user, password)
        save_credentials(client.base_url, client.session.token, user)
        role = "an admin" if result.auth == "0" else "a user"
        console.print(f"signed in to {client.base_url} as {user} ({role})")


@app.command()
def logout() -> None:
    """Forget the saved session."""
    credentials_path().unlink(missing_ok=True)
    console.print("signed out")


@app.command()
def signup(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The user name you want.")],
    email: Annotated[str, typer.Argument(help="Your e-mail address.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
    ],
) -> None:
    """Ask for an account; an admin approves it before you can sign in."""
    state = state_of(ctx)
    with failures_exit(state):
        state.client(signed_in=False).session.sign_up(user, password, email)
        console.print(f"account {user} requested; an admin must approve it")


@app.command()
def add(ctx: typer.Context, link: str, as_json: Json = False) -> None:
    """Queue a link (http, https or ftp)."""
    state = state_of(ctx)
    with failures_exit(state):
        created = state.client().downloads.add(link)
        if as_json:
            console.print_json(data=created.to_dict())
        else:
            console.print(f"queued download {created.id}")


@app.command("ls")
def list_downloads(
    ctx: typer.Context,
    completed: Annotated[
        bool, typer.Option("--completed", help="The shared library instead of your downloads.")
    ] = False,
    page: Annotated[int | None, typer.Option(min=1, help="Only this page (15 rows).")] = None,
    as_json: Json = False,
) -> None:
    """List your downloads (every page), or the completed downloads of everyone."""
    state = state_of(ctx)
    with failures_exit(state):
        downloads = state.client().downloads
        if page is not None:
            rows = downloads.completed(page) if completed else downloads.list(page)
        else:
            rows = list(downloads.iter_completed() if completed else downloads.iter())
        emit(rows, DOWNLOAD_COLUMNS, as_json=as_json)


@app.command()
def status(ctx: typer.Context, download_id: int, as_json: Json = False) -> None:
    """Show one download's status and progress."""
    state = state_of(ctx)
    with failures_exit(state):
        progress = state.client().downloads.status(download_id)
        columns = ("id", "status", "completed_length", "total_length", "download_speed", "error")
        emit_one(progress, columns, as_json=as_json)


@app.command("rm")
def remove(ctx: typer.Context, download_id: int) -> None:
    """Delete a queued or failed download."""
    state = state_of(ctx)
    with failures_exit(state):
        state.client().downloads.delete(download_id)
        console.print(f"deleted download {download_id}")


@app.command()
def rate(
    ctx: typer.Context,
    download_id: int,
    stars: Annotated[int, typer.Argument(min=0, max=5, help="0 to 5.")],
) -> None:
    """Rate a download from 0 to 5."""
    state = state_of(ctx)
    with failures_exit(state):
        result = state.client().downloads.rate(download_id, stars)
        console.print(f"rated download {download_id}; its rating is now {result.rating}")


@app.command()
def get(
    ctx: typer.Context,
    download_id: int,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: its name).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the download to complete first.")] = False,
) -> None:
    """Fetch a completed download's file, with a progress bar."""
    state = state_of(ctx)
    with failures_exit(state):
        client = state.client()
        if wait:
            with transfer_bar(f"waiting for {download_id}") as bar:
                client.downloads.wait(
                    download_id, progress=lambda p: bar(p.completed_length, p.total_length or None)
                )
        target = output or Path(f".bassa-download-{download_id}")
        with transfer_bar(f"download {download_id}") as bar:
            fetched = client.files.download(download_id, target, progress=bar)
        if output is None:
            target = target.rename(Path(fetched.filename or f"download-{download_id}").name)
        console.print(f"saved {target} ({fetched.size} bytes)")


@app.command("zip")
def zip_files(
    ctx: typer.Context,
    gids: Annotated[list[str], typer.Argument(help="GIDs of completed downloads.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")] = Path(
        "bassa.zip"
    ),
) -> None:
    """Zip completed downloads on the server and fetch the zip."""
    state = state_of(ctx)
    with failures_exit(state):
        files = state.client().files
        job = files.zip(gids)
        files.wait_zip(job.process_id)
        with transfer_bar("zip") as bar:
            fetched = files.fetch_zip(job.process_id, output, progress=bar)
        console.print(f"saved {output} ({fetched.size} bytes)")
