"""The server's configuration: one frozen `Settings`, from command-line options and `BASSA_*`.

Every option has a default that runs a working single-machine server (SQLite and a managed aria2c
in the data folder); every option can also come from the environment, so containers need no flags.
Secrets that are not given are generated once and kept in the data folder with mode 0600, so a
restart keeps tokens valid and the server key stable.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "BASSA_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_DATA_DIR = "./bassa-data"
DAY = 24 * 60 * 60
GIB = 1024**3


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the server needs to know; build it with `Settings.load()`."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    database_url: str = ""
    downloads_dir: Path = Path()
    zips_dir: Path = Path()
    secret_key: str = dataclasses.field(default="", repr=False)
    server_key: str = dataclasses.field(default="", repr=False)
    admin_user: str = "admin"
    admin_password: str = dataclasses.field(default="", repr=False)
    token_ttl_seconds: int = 3600
    cors_origins: tuple[str, ...] = ()
    log_level: str = "info"
    engine: bool = True
    aria2_url: str = ""
    aria2_secret: str = dataclasses.field(default="", repr=False)
    aria2c_path: str = "aria2c"
    max_concurrent_downloads: int = 3
    allowed_schemes: tuple[str, ...] = ("http", "https", "ftp")
    allow_torrents: bool = False
    block_private_addresses: bool = True
    # outbound fetches: every connection aria2 makes goes through this egress proxy
    egress_proxy: str = "managed"
    smokescreen_path: str = ""
    allowed_private_networks: tuple[str, ...] = ()
    egress_resolver: str = ""
    max_download_bytes: int = 50 * GIB
    min_free_bytes: int = GIB // 2
    quota_bytes: int = 10**12
    quota_window_seconds: int = 30 * DAY
    retention_days: int = 0
    retention_min_rating: int = 3
    zip_ttl_seconds: int = DAY
    max_zip_jobs_running: int = 2
    max_zip_jobs: int = 20
    share_ttl_seconds: int = DAY
    engine_poll_seconds: float = 1.0
    # each engine renews the claims on its downloads this often, on a thread of its own ...
    engine_heartbeat_seconds: float = 5.0
    # ... and a claim not renewed for this long is taken over by another replica
    engine_claim_timeout_seconds: float = 20.0
    max_body_bytes: int = 1024 * 1024
    # connections (see _http.py): a request's headers, then its body, must arrive within these
    header_timeout_seconds: float = 5.0
    body_timeout_seconds: float = 20.0
    keep_alive_seconds: int = 5
    max_connections: int = 1000
    # proxies whose X-Forwarded-For names the client (login throttling keys on the client)
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    # failed logins (see _throttle.py)
    login_free_failures: int = 5
    login_client_free_failures: int = 30
    login_backoff_seconds: float = 1.0
    login_max_backoff_seconds: float = 900.0
    # database pools (see _db/engine.py): request reads and request transactions each hold this
    # many connections on a server database, and as many requests work on each at once
    db_pool_size: int = 5
    # seconds a request's statement may run (0: no limit); the download engine's passes and
    # sweeps get their own allowance; migrations have none
    db_statement_timeout: float = 5.0
    db_engine_statement_timeout: float = 60.0

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Settings from `overrides` (e.g. parsed options), then `BASSA_*` variables, then defaults.

        Derived paths default into the data folder, which is created; missing secrets are generated
        and persisted there.
        """
        env = os.environ if environ is None else environ
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.name in given:
                values[field.name] = _coerce(field, given[field.name])
            elif (raw := env.get(ENV_PREFIX + field.name.upper())) is not None:
                values[field.name] = _coerce(field, raw)
        settings = cls(**values)
        settings._check_limits()
        settings._check_egress()
        return settings._with_derived_defaults()

    def _check_limits(self) -> None:
        """Refuse limits that would switch a defence off by accident (zero or negative)."""
        for name in (
            "header_timeout_seconds",
            "body_timeout_seconds",
            "keep_alive_seconds",
            "max_connections",
            "login_free_failures",
            "login_client_free_failures",
            "login_backoff_seconds",
            "login_max_backoff_seconds",
            "engine_poll_seconds",
            "engine_heartbeat_seconds",
            "db_pool_size",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{ENV_PREFIX}{name.upper()}: must be greater than 0")
        for name in ("db_statement_timeout", "db_engine_statement_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{ENV_PREFIX}{name.upper()}: 0 (no limit) or more seconds")
        if self.engine_claim_timeout_seconds < 3 * self.engine_heartbeat_seconds:
            # a replica stops its transfers when its claims are one heartbeat from expiring; two
            # missed heartbeats must not be enough for another replica to take them over
            raise ValueError(
                f"{ENV_PREFIX}ENGINE_CLAIM_TIMEOUT_SECONDS: must be at least three"
                " heartbeats (3 x BASSA_ENGINE_HEARTBEAT_SECONDS)"
            )

    def _check_egress(self) -> None:
        """Refuse egress settings that would only fail later, at the first download."""
        for network in self.allowed_private_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"BASSA_ALLOWED_PRIVATE_NETWORKS: {network!r} is not a CIDR network"
                ) from None
        if self.egress_proxy != "managed":
            parts = urlsplit(self.egress_proxy)
            if parts.scheme != "http" or not parts.hostname or parts.path not in {"", "/"}:
                raise ValueError(
                    f"BASSA_EGRESS_PROXY: 'managed' or http://host:port, not {self.egress_proxy!r}"
                )
        if self.egress_resolver:
            host, _, port = self.egress_resolver.rpartition(":")
            try:
                ipaddress.ip_address(host.strip("[]"))
                int(port)
            except ValueError:
                raise ValueError(
                    f"BASSA_EGRESS_RESOLVER: IP:port, not {self.egress_resolver!r}"
                ) from None

    def _with_derived_defaults(self) -> Settings:
        data_dir = self.data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        downloads_dir = (
            self.downloads_dir if self.downloads_dir != Path() else data_dir / "downloads"
        )
        zips_dir = self.zips_dir if self.zips_dir != Path() else data_dir / "zips"
        for folder in (downloads_dir, zips_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return dataclasses.replace(
            self,
            data_dir=data_dir,
            downloads_dir=downloads_dir.resolve(),
            zips_dir=zips_dir.resolve(),
            database_url=self.database_url or f"sqlite:///{data_dir / 'bassa.db'}",
            secret_key=self.secret_key or _persistent_secret(data_dir / "secret_key"),
            server_key=self.server_key or _persistent_secret(data_dir / "server_key"),
        )


def _coerce(field: dataclasses.Field[Any], raw: Any) -> Any:
    """Turn a string (or already-typed value) into the field's type; refuse what does not fit."""
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    if not isinstance(raw, str):
        return tuple(raw) if kind.startswith("tuple") else raw
    text = raw.strip()
    try:
        if kind == "bool":
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(text)
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "Path":
            return Path(text)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in text.split(",") if part.strip())
    except ValueError:
        name = ENV_PREFIX + field.name.upper()
        raise ValueError(f"{name}: {raw!r} is not a valid {kind}") from None
    return text


def _persistent_secret(path: Path) -> str:
    """The secret kept in `path`, created (mode 0600) with 32 random bytes when missing."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process sharing the data folder made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
