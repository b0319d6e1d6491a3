"""One pass of the download scheduler: reconcile what this engine owns, then start more.

Each pass (every `engine_poll_seconds`, and at once when woken: by the API, by aria2 reporting a
stopped transfer, by the lease re-queueing a dead replica's downloads) does, in order:

1. Reconcile every started download this engine owns with aria2 (all their statuses in one
   `system.multicall`): store progress (one transaction for all), pause or resume it to match the
   queue state, stop it when it grows past `max_download_bytes` (by its announced size or by the
   bytes written so far, for a source that announces none), and record completion (one
   transaction for all that completed) or error. A GID aria2 does not know (aria2 was
   restarted, or the server died between choosing the GID and adding it) is added again with the
   same GID, folder and name, and `--continue` picks up the partial file.
2. Hold every owner to the quota: should an owner's running downloads together push their usage
   over `quota_bytes`, all but the one that started first are stopped.
3. Remove from aria2 whatever no started download points to (deleted rows, claims taken over),
   before anything new starts.
4. Fail the queued downloads of owners who are over quota, then, while the queue runs, the disk
   has room, the egress proxy is up and this engine's lease is held (`_lease.py`), fill every
   free slot: claim queued downloads (only for owners the quota book admits, see
   `_lifecycle/_transfers.QuotaBook`) in one transaction that records each one's GID, and hand
   them to aria2 in one request. A burst of adds thus ends at most one download past the quota.

While the lease is not held (the heartbeats could not renew the claims), a pass treats the queue
as paused: it pauses what runs and starts nothing, so an engine that may have lost its claims
never writes beside their new owner.

Renewing claims and taking over a dead replica's downloads are not part of a pass: the lease does
both on a thread of its own, so a slow pass never lets this engine's claims expire.

Every download is handed to aria2 with the egress proxy as its proxy for every protocol, so
each connection it makes (every redirect hop included) is checked by the proxy when it is made.
A download whose options do not name the current proxy (restored from an older session, or the
proxy moved) is pointed at it before anything else happens to it; while the proxy is down,
nothing is added to aria2 at all.

Reconciling is the same code on start, after an aria2 restart and in steady state, so recovery
is not a special path that rarely runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bassa_server._db.engine import retry_conflicts
from bassa_server._lifecycle import _transfers as transfers
from bassa_server._lifecycle._paths import (
    download_folder,
    has_room,
    name_from_link,
    relative_inside,
    remove_download_folder,
    safe_file_name,
)

from ._metrics import EngineMetrics
from ._rpc import Aria2Rpc, Aria2RpcError, TransferStatus

log = logging.getLogger("bassa.engine")

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SchedulerConfig:
    """The settings one scheduler pass needs."""

    engine_id: str
    downloads_dir: Path
    max_concurrent: int
    max_download_bytes: int
    min_free_bytes: int
    quota_bytes: int = 0
    quota_window_seconds: int = 0


class Scheduler:
    """Moves downloads between the database and one aria2."""

    def __init__(
        self,
        config: SchedulerConfig,
        sessions: transfers.SessionFactory,
        rpc: Callable[[], Aria2Rpc],
        metrics: EngineMetrics,
        clock: Callable[[], float] = time.time,
        *,
        proxy: Callable[[], str | None],
        lease: Callable[[], bool] = lambda: True,
    ) -> None:
        self._config = config
        self._lease = lease  # False while this engine's claims may be expiring unrenewed
        self._sessions = sessions
        self._rpc = rpc  # a callable: a restarted aria2c listens on a new port
        self._proxy = proxy  # a callable: None while the egress proxy is down
        self._metrics = metrics
        self._clock = clock
        self._disk_full = False
        self._egress_down = False
        self._soonest_end: float | None = None
        # GIDs seen running through the current proxy URL (checked once each, not every pass)
        self._proxied: set[str] = set()
        self._proxied_url: str | None = None
        # what the current pass found: downloads aria2 completed, progress of running ones
        self._finished: list[tuple[transfers.Transfer, TransferStatus]] = []
        self._reports: list[transfers.Progress] = []

    async def _db(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(retry_conflicts(function), self._sessions, *args, **kwargs)

    async def run_once(self) -> float | None:
        """One pass; raises `Aria2Unavailable` (nothing lost) when aria2 cannot be reached.

        Returns the seconds until the first running transfer should end at its current speed
        (None when nothing runs), so the caller can look again right then rather than a whole
        poll interval later.
        """
        config = self._config
        # an engine whose claims may be expiring holds everything still, as if paused
        running, owned = await self._db(_pass_state, config.engine_id)
        running = running and self._lease()
        self._soonest_end = None
        proxy = self._proxy()
        if proxy is not None and proxy != self._proxied_url:
            self._proxied, self._proxied_url = set(), proxy
        statuses = await self._rpc().statuses([t.gid for t in owned if t.gid])
        self._finished, self._reports = [], []
        busy: list[transfers.Transfer] = []
        for transfer in owned:
            status = statuses.get(transfer.gid) if transfer.gid else None
            if await self._reconcile(transfer, running, proxy, status):
                busy.append(transfer)
        if self._reports:
            await self._db(
                transfers.record_progress,
                config.engine_id,
                self._reports,
                now=int(self._clock()),
            )
        await self._complete_all()
        await self._hold_to_quota(busy)
        await self._remove_strays({t.gid for t in owned if t.gid})
        self._metrics.aria2_up.set(1)
        now = int(self._clock())
        if self._egress_down != (proxy is None):
            self._egress_down = proxy is None
            if self._egress_down:
                log.warning("egress proxy is down: not starting downloads until it is back")
            else:
                log.info("egress proxy is up at %s; starting downloads", proxy)
        if running and proxy is not None and self._disk_has_room():
            # the quota book, refusals and the claim in one worker-thread hop: a pass woken by
            # a finished transfer refills its slot in as few round trips as it can
            claimed, refused = await self._db(
                _claim_slots, config, config.max_concurrent - len(busy), now
            )
            if refused:
                self._metrics.refused("quota", refused)
                log.info("refused %d queued download(s) of users over quota", refused)
            await self._add_all(claimed, proxy)
        return self._soonest_end

    async def _add_all(self, claimed: list[transfers.Transfer], proxy: str) -> None:
        """Hand just-claimed downloads (their GIDs already recorded) to aria2 in one request."""
        calls = [
            ("addUri", [[t.link], self._options(t, t.gid or "", True, proxy)]) for t in claimed
        ]
        for transfer, answer in zip(claimed, await self._rpc().batch(calls), strict=True):
            if isinstance(answer, Aria2RpcError):
                await self._fail(transfer, f"aria2 refused the link: {answer.message}")
                continue
            self._proxied.add(str(answer))
            log.info("download %d started as %s", transfer.id, answer)

    def _disk_has_room(self) -> bool:
        full = not has_room(self._config.downloads_dir, self._config.min_free_bytes)
        if full != self._disk_full:
            self._disk_full = full
            if full:
                log.warning("free space < min_free_bytes: not starting downloads")
            else:
                log.info("free space is back above min_free_bytes; starting downloads")
        return not full

    async def _add(
        self, transfer: transfers.Transfer, *, gid: str | None, running: bool, proxy: str | None
    ) -> None:
        """Hand a download to aria2 under a GID recorded first, so a crash cannot orphan it.

        Without an egress proxy nothing is handed over: the download keeps its claim and is
        added by a later pass, once the proxy is back.
        """
        config = self._config
        if proxy is None:
            return
        if gid is None:
            gid = transfers.new_gid()
            if not await self._db(transfers.set_gid, transfer.id, config.engine_id, gid):
                return  # no longer ours
        options = self._options(transfer, gid, running, proxy)
        try:
            await self._rpc().add_uri(transfer.link, options)
        except Aria2RpcError as exc:
            await self._fail(transfer, f"aria2 refused the link: {exc.message}")
            return
        self._proxied.add(gid)
        log.info("download %d started as %s", transfer.id, gid)

    def _options(
        self, transfer: transfers.Transfer, gid: str, running: bool, proxy: str
    ) -> dict[str, str]:
        fallback = f"download-{transfer.id}"
        name = safe_file_name(
            transfer.download_name or name_from_link(transfer.link), fallback=fallback
        )
        return {
            "gid": gid,
            "dir": str(download_folder(self._config.downloads_dir, transfer.id)),
            "out": name,
            "continue": "true",
            "pause": "false" if running else "true",
            **proxy_options(proxy),
        }

    async def _reconcile(
        self,
        transfer: transfers.Transfer,
        running: bool,
        proxy: str | None,
        known: TransferStatus | Aria2RpcError | None = None,
    ) -> bool:
        """Bring one owned download up to date (from its status `known` if fetched already);
        return whether it still holds a slot."""
        rpc = self._rpc()
        if transfer.gid is None:
            await self._add(transfer, gid=None, running=running, proxy=proxy)
            return True
        try:
            if isinstance(known, Aria2RpcError):
                raise known
            status = known if known is not None else await rpc.tell_status(transfer.gid)
            unchecked = status.status != "complete" and transfer.gid not in self._proxied
            if unchecked and not await self._through_proxy(transfer, proxy, running=running):
                return True  # re-added through the proxy, or held until it is back
        except Aria2RpcError as exc:
            if not exc.gid_not_found:
                raise
            log.info("download %d: aria2 lost %s; adding it again", transfer.id, transfer.gid)
            await self._add(transfer, gid=transfer.gid, running=running, proxy=proxy)
            return True
        if status.status == "error":
            await self._fail(transfer, _error_reason(status))
            await rpc.remove(transfer.gid)
        elif status.status == "removed":
            await self._fail(transfer, "the download was removed from aria2")
            await rpc.remove(transfer.gid)
        elif self._too_big(status.total_length, status.completed_length):
            await rpc.remove(transfer.gid)
            await self._stop_too_big(transfer, max(status.total_length, status.completed_length))
        elif status.status == "complete":
            self._finished.append((transfer, status))
        else:
            if running and status.status == "paused":
                await rpc.unpause(transfer.gid)
            elif not running and status.status in {"active", "waiting"}:
                await rpc.pause(transfer.gid)
            self._reports.append(
                transfers.Progress(
                    transfer.id,
                    total=status.total_length,
                    done=status.completed_length,
                    speed=status.download_speed if running else 0,
                )
            )
            if running and status.download_speed > 0:
                remaining = status.total_length - status.completed_length
                eta = max(remaining, 0) / status.download_speed
                self._soonest_end = min(eta, self._soonest_end or eta)
            return True
        return False

    def _too_big(self, *sizes: int) -> bool:
        limit = self._config.max_download_bytes
        return limit > 0 and max(sizes) > limit

    async def _stop_too_big(self, transfer: transfers.Transfer, size: int) -> None:
        limit = self._config.max_download_bytes
        self._metrics.refused("max_size")
        await self._fail(
            transfer, f"file is larger than max_download_bytes ({size} > {limit} bytes)"
        )

    async def _through_proxy(
        self, transfer: transfers.Transfer, proxy: str | None, *, running: bool
    ) -> bool:
        """Whether a download aria2 already holds (e.g. restored from its session) runs
        through the current proxy; if not, it is put right and False returned.

        A download that names another proxy (or none) is removed and added again under the same
        GID through the current one, resuming its partial file. With no proxy (it is down) the
        download is paused instead: a transfer never continues without one. Raises
        `Aria2RpcError` for a GID aria2 does not know.
        """
        assert transfer.gid is not None
        rpc = self._rpc()
        if proxy is None:
            try:
                await rpc.pause(transfer.gid)
            except Aria2RpcError as exc:
                if exc.gid_not_found:
                    raise  # aria2 lost it: the caller adds it again, once there is a proxy
            return False
        options = await rpc.options(transfer.gid)
        # aria2 reports a proxy URL with a trailing slash (`http://127.0.0.1:4750/`)
        if all(
            options.get(key, "").rstrip("/") == value.rstrip("/")
            for key, value in proxy_options(proxy).items()
        ):
            self._proxied.add(transfer.gid)
            return True
        log.warning(
            "download %d: %s does not use the egress proxy; adding it again through it",
            transfer.id,
            transfer.gid,
        )
        await rpc.remove(transfer.gid)
        await self._add(transfer, gid=transfer.gid, running=running, proxy=proxy)
        return False

    async def _hold_to_quota(self, running: list[transfers.Transfer]) -> None:
        """Stop the downloads that take their owner over quota, all but the first started."""
        config = self._config
        if config.quota_bytes <= 0 or not running:
            return
        since = int(self._clock()) - config.quota_window_seconds
        usage = await self._db(transfers.quota_usage, {t.user_name for t in running}, since)
        first: dict[str, transfers.Transfer] = {}
        for transfer in sorted(running, key=lambda t: (t.started_time or 0, t.id)):
            first.setdefault(transfer.user_name, transfer)
        for transfer in running:
            over = usage.get(transfer.user_name, 0) > config.quota_bytes
            if over and first[transfer.user_name] is not transfer and transfer.gid:
                await self._rpc().remove(transfer.gid)
                self._metrics.refused("quota")
                await self._fail(transfer, QUOTA_REASON)

    async def _complete_all(self) -> None:
        """Record every download aria2 completed in this pass (one transaction), then let aria2
        forget them (one request)."""
        config = self._config
        checked: list[tuple[transfers.Transfer, transfers.Finished]] = []
        for transfer, status in self._finished:
            relative = relative_inside(status.path, config.downloads_dir) if status.path else None
            if relative is None:
                await self._fail(transfer, "aria2 wrote the file outside the downloads folder")
                continue
            try:
                size = (config.downloads_dir / relative).stat().st_size
            except OSError as exc:  # removed behind aria2's back
                await self._fail(transfer, f"the downloaded file is gone: {exc.strerror}")
                continue
            if self._too_big(size):  # finished between two passes, past the limit
                await self._rpc().remove(status.gid)
                await self._stop_too_big(transfer, size)
                continue
            checked.append(
                (transfer, transfers.Finished(transfer.id, size, relative, Path(relative).name))
            )
        if not checked:
            return
        now = int(self._clock())
        done = await self._db(
            transfers.complete_all, config.engine_id, [item for _, item in checked], now=now
        )
        for transfer, item in checked:
            if item.id in done:
                seconds = self._elapsed(transfer, now)
                self._metrics.finished("completed", seconds=seconds, size=item.size)
                log.info("download %d completed: %s (%d bytes)", item.id, item.path, item.size)
        # a completed GID only needs its result dropped (nothing to stop)
        await self._rpc().batch(
            [("removeDownloadResult", [transfer.gid]) for transfer, _ in checked]
        )

    async def _fail(self, transfer: transfers.Transfer, reason: str) -> None:
        config = self._config
        if not await self._db(transfers.owns, transfer.id, config.engine_id):
            return  # taken over: the folder is the new owner's now
        # the partial file goes first: whoever sees status 4 finds nothing left behind
        await asyncio.to_thread(remove_download_folder, config.downloads_dir, transfer.id)
        if await self._db(transfers.fail, transfer.id, config.engine_id, reason):
            now = int(self._clock())
            self._metrics.finished("error", seconds=self._elapsed(transfer, now))
            log.warning("download %d failed: %s", transfer.id, reason)

    @staticmethod
    def _elapsed(transfer: transfers.Transfer, now: int) -> float:
        return float(now - transfer.started_time) if transfer.started_time else 0.0

    async def _remove_strays(self, owned: set[str]) -> None:
        rpc = self._rpc()
        unknown = await rpc.gids() - owned
        if not unknown:
            return  # aria2 holds only this engine's own downloads (the common case)
        wanted = await self._db(transfers.started_gids)
        for gid in unknown - wanted:
            log.info("removing %s from aria2: no started download uses it", gid)
            await rpc.remove(gid)


QUOTA_REASON = "quota exceeded: the owner's downloads reached quota_bytes"


def _pass_state(
    sessions: transfers.SessionFactory, engine_id: str
) -> tuple[bool, list[transfers.Transfer]]:
    """Whether the queue runs, and the started downloads `engine_id` owns."""
    return transfers.queue_running(sessions), transfers.owned(sessions, engine_id)


def _claim_slots(
    sessions: transfers.SessionFactory, config: SchedulerConfig, limit: int, now: int
) -> tuple[list[transfers.Transfer], int]:
    """Claim up to `limit` queued downloads for owners the quota admits; first fail the queued
    downloads of owners over quota (the quota was checked when they were queued, but a burst of
    adds all saw it unused). Returns the claimed downloads and how many were refused."""
    book: transfers.QuotaBook | None = None
    refused = 0
    if config.quota_bytes > 0:
        book = transfers.quota_book(
            sessions,
            quota=config.quota_bytes,
            reserve=config.max_download_bytes or config.quota_bytes,
            since=now - config.quota_window_seconds,
        )
        if over := book.over():
            refused = transfers.fail_queued(sessions, over, QUOTA_REASON)
    return transfers.claim(sessions, config.engine_id, limit, now, book), refused


# what aria2 says when the egress proxy refuses a destination (or cannot be reached)
PROXY_FAILED = "Proxy connection failed"
EGRESS_REFUSED = (
    "the egress proxy refused the connection: the link or a redirect leads to an address"
    " that is not public (or the proxy was unreachable)"
)


def proxy_options(proxy: str) -> dict[str, str]:
    """aria2 options that send every connection of a download through `proxy`.

    Every per-protocol proxy is set too (an external aria2's global `http-proxy` would otherwise
    win over `all-proxy`), `no-proxy` is emptied, and `tunnel` makes each connection a CONNECT
    the proxy checks when it connects.
    """
    return {
        "all-proxy": proxy,
        "http-proxy": proxy,
        "https-proxy": proxy,
        "ftp-proxy": proxy,
        "no-proxy": "",
        "proxy-method": "tunnel",
    }


def _error_reason(status: TransferStatus) -> str:
    message = status.error_message or "download failed"
    if PROXY_FAILED in message:
        message = EGRESS_REFUSED
    return f"aria2 error {status.error_code}: {message}" if status.error_code else message
