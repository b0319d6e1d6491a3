"""`bassa`'s user commands: sign in, queue links, list, rate, and fetch files and zips.

Each command imports the SDK, rich and the output helpers when it runs (see `_app`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bassa_sdk._cli._app import DownloadId, Json, PasswordStdin, app, read_password, state_of
from bassa_sdk._cli._state import EXIT_FAILURE, failures_exit

__all__ = ["add", "get", "login", "logout", "profiles", "rate", "signup", "status", "zip_files"]


@app.command()
def login(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", "-u", metavar="NAME", help="Your user name.")
    ] = None,
    password_stdin: PasswordStdin = False,
    as_json: Json = False,
) -> None:
    """Sign in and keep the session for the next commands (in a file only you can read)."""
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        client = state.client(signed_in=False)
        name = user or str(typer.prompt("User"))
        result = client.session.login(name, read_password(password_stdin))
        state.remember(client.base_url, client.session.token, name)
        role = "admin" if result.auth == "0" else "user"
        if as_json:
            print_json({"url": client.base_url, "user_name": name, "role": role})
        else:
            profile = "" if state.profile_name == "default" else f" [profile {state.profile_name}]"
            say(f"signed in to {client.base_url} as {name} ({role}){profile}")


@app.command()
def logout(ctx: typer.Context, as_json: Json = False) -> None:
    """Forget the saved session of this profile (no request is sent)."""
    from bassa_sdk._cli._output import print_json, say
    from bassa_sdk._cli._state import load_profiles, save_profiles

    state = state_of(ctx)
    profiles = load_profiles()
    known = profiles.pop(state.profile_name, None) is not None
    save_profiles(profiles)
    if as_json:
        print_json({"profile": state.profile_name, "signed_out": known})
    else:
        say("signed out" if known else f"no saved session for profile {state.profile_name}")


@app.command()
def profiles(ctx: typer.Context, as_json: Json = False) -> None:
    """List the saved sessions (one per profile) and which one this command would use."""
    from bassa_sdk._cli._output import Column, emit, print_json
    from bassa_sdk._cli._state import load_profiles

    current = state_of(ctx).profile_name
    rows = [
        {
            "profile": name,
            "url": p.get("url"),
            "user_name": p.get("user_name"),
            "current": name == current,
        }
        for name, p in sorted(load_profiles().items())
    ]
    if as_json:
        print_json(rows)
        return
    columns = [
        Column("profile", "Profile"),
        Column("url", "Server"),
        Column("user_name", "User"),
        Column("current", "In use", "yes/no"),
    ]
    emit([_Row(row) for row in rows], columns, as_json=False)


class _Row:
    """A plain dict shown through the same table code as the models."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


@app.command()
def signup(
    ctx: typer.Context,
    user: Annotated[
        str, typer.Argument(metavar="USER", help="The user name you want.", show_default=False)
    ],
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="Your e-mail address.", show_default=False)
    ],
    password_stdin: PasswordStdin = False,
    as_json: Json = False,
) -> None:
    """Ask for an account; an admin approves it before you can sign in."""
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        password = read_password(password_stdin, confirm=True)
        state.client(signed_in=False).session.sign_up(user, password, email)
        if as_json:
            print_json({"user_name": user, "approved": False})
        else:
            say(f"account {user} requested; an admin must approve it")


@app.command()
def add(
    ctx: typer.Context,
    link: Annotated[
        str,
        typer.Argument(
            metavar="LINK", help="An http, https or ftp URL, or a magnet link.", show_default=False
        ),
    ],
    as_json: Json = False,
) -> None:
    """Queue a link; an admin's `bassa queue start` lets it download."""
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        created = state.client().downloads.add(link)
        if as_json:
            print_json(created.to_dict())
        else:
            say(f"queued download {created.id}")


@app.command("ls")
def list_downloads(
    ctx: typer.Context,
    completed: Annotated[
        bool, typer.Option("--completed", help="The shared library instead of your downloads.")
    ] = False,
    page: Annotated[
        int | None, typer.Option("--page", min=1, metavar="N", help="Only this page (15 rows).")
    ] = None,
    as_json: Json = False,
) -> None:
    """List your downloads (every page), or the completed downloads of everyone."""
    from bassa_sdk._cli._columns import DOWNLOADS, LIBRARY
    from bassa_sdk._cli._output import emit

    state = state_of(ctx)
    with failures_exit(state):
        downloads = state.client().downloads
        if page is not None:
            rows = downloads.completed(page) if completed else downloads.list(page)
        else:
            rows = list(downloads.iter_completed() if completed else downloads.iter())
        emit(rows, LIBRARY if completed else DOWNLOADS, as_json=as_json)


@app.command()
def status(ctx: typer.Context, download_id: DownloadId, as_json: Json = False) -> None:
    """Show one download's status and progress."""
    from bassa_sdk._cli._columns import PROGRESS
    from bassa_sdk._cli._output import emit_one

    state = state_of(ctx)
    with failures_exit(state):
        emit_one(state.client().downloads.status(download_id), PROGRESS, as_json=as_json)


@app.command("rm")
def remove(ctx: typer.Context, download_id: DownloadId, as_json: Json = False) -> None:
    """Delete a queued or failed download."""
    from bassa_sdk._cli._files import delete_download

    state = state_of(ctx)
    with failures_exit(state):
        delete_download(state.client(), download_id, as_json=as_json)


@app.command()
def rate(
    ctx: typer.Context,
    download_id: DownloadId,
    stars: Annotated[
        int, typer.Argument(min=0, max=5, metavar="STARS", help="0 to 5.", show_default=False)
    ],
    as_json: Json = False,
) -> None:
    """Rate a download from 0 to 5."""
    from bassa_sdk._cli._output import print_json, say

    state = state_of(ctx)
    with failures_exit(state):
        result = state.client().downloads.rate(download_id, stars)
        if as_json:
            print_json(result.to_dict())
        else:
            say(f"rated download {download_id}; its rating is now {result.rating}")


@app.command()
def get(
    ctx: typer.Context,
    download_id: DownloadId,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file (or folder) to write, - for standard output (default: its name).",
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the download to complete first.")
    ] = False,
    clobber: Annotated[
        bool, typer.Option("--clobber", help="Replace a file that already exists.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--continue", "-c", help="Continue the partial FILE.part of an earlier get."),
    ] = False,
    as_json: Json = False,
) -> None:
    """Fetch a completed download's file, with a progress bar; never replaces a file unasked."""
    from bassa_sdk._cli._files import fetch

    state = state_of(ctx)
    if clobber and resume:
        raise typer.BadParameter("--clobber and --continue exclude each other")
    with failures_exit(state):
        try:
            fetch(
                state.client(),
                download_id,
                output,
                wait=wait,
                clobber=clobber,
                resume=resume,
                as_json=as_json,
            )
        except FileExistsError as exc:
            from bassa_sdk._cli._output import error

            error(
                f"{exc.filename} exists: pass --clobber to replace it, or -o to pick another name"
            )
            raise typer.Exit(EXIT_FAILURE) from exc


@app.command("zip")
def zip_files(
    ctx: typer.Context,
    downloads: Annotated[
        list[str],
        typer.Argument(
            metavar="ID|GID...",
            help="Completed downloads, by id (as bassa ls shows) or by GID.",
            show_default=False,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", metavar="FILE", help="The zip to write, - for standard output."
        ),
    ] = "bassa.zip",
    clobber: Annotated[
        bool, typer.Option("--clobber", help="Replace a file that already exists.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Zip completed downloads on the server and fetch the zip."""
    from bassa_sdk._cli._files import fetch_zip

    state = state_of(ctx)
    if output != "-" and Path(output).exists() and not clobber:
        from bassa_sdk._cli._output import error

        error(f"{output} exists: pass --clobber to replace it, or -o to pick another name")
        raise typer.Exit(EXIT_FAILURE)
    with failures_exit(state):
        fetch_zip(state.client(), downloads, output, as_json=as_json)
