"""Every refusal of the download lifecycle and of the account rules has one HTTP answer."""

from __future__ import annotations

import pytest

from bassa_server import _accounts as accounts
from bassa_server import _lifecycle as lifecycle
from bassa_server._handlers._common import domain_refusal

Refusal = type[lifecycle.DownloadRefused | accounts.AccountRefused]
WITH_RETRY_AFTER = (lifecycle.TooManyZips, accounts.LoginThrottled)


def _refusals() -> list[Refusal]:
    found: list[Refusal] = []
    pending: list[Refusal] = [lifecycle.DownloadRefused, accounts.AccountRefused]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


@pytest.mark.parametrize("refusal", _refusals(), ids=lambda kind: kind.__name__)
def test_every_refusal_is_a_client_or_storage_error_never_a_500(refusal: Refusal) -> None:
    """A refusal added to the lifecycle or the account rules without a status would reach
    callers as a 500."""
    error = refusal("why", retry_after=3) if refusal in WITH_RETRY_AFTER else refusal("why")
    answer = domain_refusal(error)
    assert answer is not None
    assert 400 <= answer.status < 500 or answer.status == 507
    assert answer.message == "why"


def test_quota_and_zip_limits_keep_their_legacy_key_and_retry_after() -> None:
    """Over quota carries `quota: exceeded` (old UIs read it); too many zips says when to retry."""
    quota = domain_refusal(lifecycle.QuotaExceeded("quota exceeded"))
    zips = domain_refusal(lifecycle.TooManyZips("too many", retry_after=42))
    assert quota is not None and (quota.status, quota.extra) == (400, {"quota": "exceeded"})
    assert zips is not None and (zips.status, zips.headers) == (429, {"Retry-After": "42"})


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (accounts.UserNotFound(accounts.USER_NOT_FOUND), 404),
        (accounts.NameTaken(accounts.NAME_TAKEN), 409),
        (accounts.EmailTaken(accounts.EMAIL_TAKEN), 409),
        (accounts.NameOrEmailTaken(accounts.NAME_OR_EMAIL_TAKEN), 409),
        (accounts.OwnAccount("an admin cannot delete their own account"), 409),
        (accounts.BadCredentials("invalid credentials"), 403),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_account_refusals_keep_their_statuses_and_messages(
    refusal: accounts.AccountRefused, status: int
) -> None:
    """Account refusals answer with the status and `{"error": message}` body clients know."""
    answer = domain_refusal(refusal)
    assert answer is not None
    assert (answer.status, answer.message, answer.extra, answer.headers) == (
        status,
        refusal.message,
        {},
        {},
    )


def test_sign_in_refusals_keep_their_unapproved_key_and_retry_after() -> None:
    """An unapproved account is a 401 with `status: unapproved`; a throttled login says when."""
    unapproved = domain_refusal(accounts.NotApproved("account not approved"))
    throttled = domain_refusal(accounts.LoginThrottled("slow down", retry_after=7))
    assert unapproved is not None
    assert (unapproved.status, unapproved.extra) == (401, {"status": "unapproved"})
    assert throttled is not None
    assert (throttled.status, throttled.headers) == (429, {"Retry-After": "7"})


def test_other_errors_are_not_refusals() -> None:
    """An ordinary bug is no refusal: it stays a 500 (the hook answers None)."""
    assert domain_refusal(KeyError("x")) is None
