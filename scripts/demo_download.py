"""The demo's client half: drive one whole download through the SDK, with progress bars.

Run by scripts/demo once the server and a file server are up; it signs in, queues the sample
file, starts the queue, waits for completion, fetches the file and checks its bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from bassa_sdk import Bassa, BassaError

console = Console()


def wait_until_ready(url: str, seconds: float = 90.0) -> None:
    """Poll the readiness probe until the server (and its engine) can work."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/ready", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} was not ready after {seconds:.0f} s")


def bar() -> Progress:
    """A byte progress bar."""
    return Progress(
        TextColumn("[bold]{task.description:<10}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
    )


def main() -> int:
    """Sign in, queue, start, wait, fetch, check."""
    parser = argparse.ArgumentParser()
    for name in ("url", "user", "password", "key", "link", "expect", "out"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    wait_until_ready(args.url)
    expected = Path(args.expect).read_bytes()

    with Bassa(args.url, server_key=args.key, env={}) as bassa:
        bassa.session.login(args.user, args.password)
        console.print(f"signed in to {args.url} as [bold]{args.user}[/]")
        created = bassa.downloads.add(args.link)
        if not isinstance(created.id, int):
            raise SystemExit("the server did not return the new download's id")
        console.print(f"queued download {created.id}: {args.link}")
        state = bassa.queue.start().state
        console.print(f"queue {state}")

        with bar() as progress:
            task = progress.add_task("aria2", total=None)
            final = bassa.downloads.wait(
                created.id,
                timeout=300,
                poll_interval=0.2,
                progress=lambda p: progress.update(
                    task, completed=p.completed_length, total=p.total_length or None
                ),
            )
        console.print(f"download {final.id} completed on the server ({final.total_length} bytes)")

        with bar() as progress:
            task = progress.add_task("fetch", total=None)
            fetched = bassa.files.download(
                created.id,
                args.out,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )

    got = Path(args.out).read_bytes()
    if got != expected:
        console.print(f"[red]mismatch:[/] fetched {len(got)} bytes, expected {len(expected)}")
        return 1
    digest = hashlib.sha256(got).hexdigest()
    console.print(f"[green]fetched {fetched.size} bytes, sha256 {digest[:16]}…: identical[/]")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BassaError as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        sys.exit(1)
