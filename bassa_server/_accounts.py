"""Why a change to an account (or a sign-in) is refused, in the domain's words, and the checks
that refuse it inside a database transaction; the HTTP layer picks the status.

AccountRefused
├── UserNotFound       no account has that name
├── NameTaken          another account has that user name
├── EmailTaken         another account has that e-mail address
├── NameOrEmailTaken   a concurrent change took the name or the address first
├── OwnAccount         an admin may not delete or block their own account
├── LoginThrottled     too many failed sign-ins: retry in `retry_after` seconds
├── BadCredentials     unknown user, wrong password or blocked account (never which)
└── NotApproved        right credentials, but an admin has not approved the account yet
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bassa_server._db.models import CompletedBytesDaily, Download, HeavyWindow, User

USER_NOT_FOUND = "user not found"
NAME_TAKEN = "username taken"
EMAIL_TAKEN = "email taken"
NAME_OR_EMAIL_TAKEN = "username or email taken"


class AccountRefused(Exception):  # noqa: N818 - a refusal by the rules, not a fault
    """A change to an account (or a sign-in) that the rules do not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserNotFound(AccountRefused):
    """No account has that user name."""


class NameTaken(AccountRefused):
    """Another account already has that user name."""


class EmailTaken(AccountRefused):
    """Another account already has that e-mail address."""


class NameOrEmailTaken(AccountRefused):
    """A concurrent change took the user name or the e-mail address first (the unique index
    refused the write, so which of the two is not known)."""


class OwnAccount(AccountRefused):
    """An admin may not delete or block the account they are signed in with."""


class LoginThrottled(AccountRefused):
    """Too many failed sign-ins from this client or for this name; retry in `retry_after` s."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadCredentials(AccountRefused):
    """Unknown user, wrong password or blocked account: the answer never says which."""


class NotApproved(AccountRefused):
    """The credentials are right, but an admin has not approved the account yet."""


def delete_account(session: Session, name: str) -> None:
    """Delete the account `name` with its downloads and byte totals (its ratings follow by
    cascade)."""
    # the byte totals first: the downloads' triggers then find nothing to subtract from (on
    # MariaDB every subtraction also moves the row in the index of totals, so deleting 20,000
    # downloads took 5-6 s with them there, ~1.4 s without; benchmarks/bulk_writes.py)
    for totals in (HeavyWindow, CompletedBytesDaily):
        session.execute(delete(totals).where(totals.user_name == name))
    # then the downloads, by name: MariaDB/MySQL fire no trigger for a cascade, and the kept
    # counts must lose these rows too
    session.execute(delete(Download).where(Download.user_name == name))
    session.execute(delete(User).where(User.user_name == name))


def require_user(session: Session, name: str) -> None:
    """Refuse (`UserNotFound`) a user name no account has."""
    if session.get(User, name) is None:
        raise UserNotFound(USER_NOT_FOUND)


def ensure_free(
    session: Session, user_name: str | None, email: str | None, *, other_than: str | None = None
) -> None:
    """Refuse (`NameTaken`, `EmailTaken`) a user name or e-mail address another account has."""
    clauses = []
    if user_name is not None:
        clauses.append(User.user_name == user_name)
    if email is not None:
        clauses.append(User.email == email)
    if not clauses:
        return
    query = select(User.user_name, User.email).where(or_(*clauses))
    for taken_name, taken_email in session.execute(query):
        if taken_name == other_than:
            continue
        if taken_name == user_name:
            raise NameTaken(NAME_TAKEN)
        if taken_email == email:
            raise EmailTaken(EMAIL_TAKEN)
