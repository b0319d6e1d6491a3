"""`bassa-server` / `python -m bassa_server`: run the reference server with uvicorn.

Options override `BASSA_*` variables, which override the defaults; everything else (database,
secrets, engine, limits) is configured through the environment (see docs/server.md).
`bassa-server migrate` brings the database to the newest schema and exits, so a deployment can
migrate once before its replicas start (they also migrate on start, a no-op by then).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from bassa_server._app import create_app
from bassa_server._config import DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, Settings
from bassa_server._db import migrate
from bassa_server._db.engine import make_engine
from bassa_server._http import guarded_protocol
from bassa_server._logging import configure_logging

GRACEFUL_SHUTDOWN_SECONDS = 10


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; every option defaults to None so the environment can fill it."""
    parser = argparse.ArgumentParser(prog="bassa-server", description="Run a Bassa server.")
    parser.add_argument("--host", help=f"address to bind (BASSA_HOST; {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port to listen on (BASSA_PORT; {DEFAULT_PORT})")
    parser.add_argument(
        "--data-dir",
        help=f"folder for the database, files and keys (BASSA_DATA_DIR; {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--log-level", help="debug, info, warning or error (BASSA_LOG_LEVEL; info)")
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = Settings.load(vars(args))
    except ValueError as exc:
        print(f"bassa-server: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    return settings


def run_migrations(argv: Sequence[str]) -> None:
    """`bassa-server migrate`: apply every schema revision the database lacks, then exit."""
    settings = _settings(parse_args(argv))
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    logging.getLogger("bassa_server").info("migrated", extra={"revision": revision})


def main(argv: Sequence[str] | None = None) -> None:
    """Load the settings, configure logging and serve until SIGINT/SIGTERM."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["migrate"]:
        run_migrations(arguments[1:])
        return
    settings = _settings(parse_args(arguments))
    logging.getLogger("bassa_server").info(
        "starting",
        extra={"host": settings.host, "port": settings.port, "data_dir": str(settings.data_dir)},
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        workers=1,
        # header and body deadlines and the connection cap; idle keep-alive is uvicorn's own
        http=guarded_protocol(settings),
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=True,
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
        access_log=False,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )


if __name__ == "__main__":
    main()
