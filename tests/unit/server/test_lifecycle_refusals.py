"""Every refusal of the download lifecycle has one documented HTTP answer."""

from __future__ import annotations

import pytest

from bassa_server import _lifecycle as lifecycle
from bassa_server._handlers._common import download_refusal


def _refusals() -> list[type[lifecycle.DownloadRefused]]:
    found, pending = [], [lifecycle.DownloadRefused]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


@pytest.mark.parametrize("refusal", _refusals(), ids=lambda kind: kind.__name__)
def test_every_refusal_is_a_client_or_storage_error_never_a_500(
    refusal: type[lifecycle.DownloadRefused],
) -> None:
    """A refusal added to the lifecycle without a status would reach callers as a 500."""
    error = refusal("why", retry_after=3) if refusal is lifecycle.TooManyZips else refusal("why")
    answer = download_refusal(error)
    assert answer is not None
    assert 400 <= answer.status < 500 or answer.status == 507
    assert answer.message == "why"


def test_quota_and_zip_limits_keep_their_legacy_key_and_retry_after() -> None:
    """Over quota carries `quota: exceeded` (old UIs read it); too many zips says when to retry."""
    quota = download_refusal(lifecycle.QuotaExceeded("quota exceeded"))
    zips = download_refusal(lifecycle.TooManyZips("too many", retry_after=42))
    assert quota is not None and (quota.status, quota.extra) == (400, {"quota": "exceeded"})
    assert zips is not None and (zips.status, zips.headers) == (429, {"Retry-After": "42"})


def test_other_errors_are_not_refusals() -> None:
    """An ordinary bug is no refusal: it stays a 500 (the hook answers None)."""
    assert download_refusal(KeyError("x")) is None
