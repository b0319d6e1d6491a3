"""Go client benchmarks: per-call overhead against raw net/http, limiter accuracy, streaming memory.

Starts a Bassa server and a file server on loopback (the same as benchmarks/sdk.py), queues a
file for the streaming figure, then runs `go run ./internal/cmd/bench` in go/, which prints
each figure against its baseline measured in the same run.

Usage: .venv/bin/python benchmarks/go.py [--calls 2000] [--stream-mib 1024]  (0 skips streaming)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from sdk import servers  # benchmarks/sdk.py, beside this file

from bassa_sdk import Bassa

GO_DIR = Path(__file__).resolve().parent.parent / "go"


def main() -> None:
    """Run the Go benchmarks against one fresh server."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--stream-mib", type=int, default=1024)
    args = parser.parse_args()
    go = shutil.which("go") or "/usr/local/go/bin/go"
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers(Path(tmp)) as (url, files_url, user, password, key),
        Bassa(url, server_key=key, env={}) as admin,
    ):
        admin.session.login(user, password)
        admin.queue.start()
        for n in range(10):  # a first page with rows
            admin.downloads.add(f"http://127.0.0.1:9/bench/{n}.bin")
        stream_id = 0
        if args.stream_mib:
            with (Path(tmp) / "files" / "big.bin").open("wb") as big:
                big.truncate(args.stream_mib * 1024 * 1024)
            created = admin.downloads.add(f"{files_url}/big.bin")
            assert isinstance(created.id, int)
            admin.downloads.wait(created.id, timeout=900, poll_interval=0.5)
            stream_id = created.id
        token = admin.session.token or ""
        subprocess.run(
            [
                go,
                "run",
                "./internal/cmd/bench",
                "-url",
                url,
                "-token",
                token,
                "-calls",
                str(args.calls),
                "-stream-id",
                str(stream_id),
            ],
            cwd=GO_DIR,
            check=True,
        )


if __name__ == "__main__":
    main()
