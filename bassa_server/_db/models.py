"""The tables of a Bassa server, as SQLAlchemy 2 typed models.

The shape follows the original Bassa schema where clients can see it (`user_name`, `link`,
`status`, `gid`, …) and fixes what it got wrong: sizes are BIGINT byte counts, passwords are argon2
hashes, deleting or renaming a user cascades instead of failing, and the engine's bookkeeping
(progress, claims, errors) lives beside each download so every API replica sees the same state.
Changing a table means a new Alembic revision in `migrations/versions/`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bassa_sdk._generated.spec_facts import CompressionJobStatus, DownloadStatus
from bassa_sdk._generated.spec_facts import QueueState as QueueStates
from bassa_server._auth import new_session_stamp

# SQLite only auto-increments an INTEGER PRIMARY KEY; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# the values (and their one name each) come from the spec, through the generated facts
QUEUED = int(DownloadStatus.QUEUED)
STARTED = int(DownloadStatus.STARTED)
DELETED = int(DownloadStatus.DELETED)
COMPLETED = int(DownloadStatus.COMPLETED)
ERROR = int(DownloadStatus.ERROR)
STATUS_NAMES = {int(status): status.name.lower() for status in DownloadStatus}
QUEUE_RUNNING, QUEUE_PAUSED = QueueStates.RUNNING.value, QueueStates.PAUSED.value
JOB_RUNNING = CompressionJobStatus.RUNNING.value
JOB_DONE = CompressionJobStatus.DONE.value
JOB_ERROR = CompressionJobStatus.ERROR.value


class Base(DeclarativeBase):
    """The declarative base of every Bassa table."""


class User(Base):
    """An account; level 0 is an admin."""

    __tablename__ = "users"
    __table_args__ = (
        # the user lists page by name within one state
        Index("ix_users_blocked_name", "blocked", "user_name"),
        Index("ix_users_approved_name", "approved", "user_name"),
    )

    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    auth: Mapped[int] = mapped_column(Integer, default=1)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=0)
    # in every session token; replaced when the credentials change, so earlier tokens stop working
    session_stamp: Mapped[str] = mapped_column(String(32), default=new_session_stamp)


class Download(Base):
    """A queued link and what the engine has learned about it."""

    __tablename__ = "downloads"
    __table_args__ = (
        Index("ix_downloads_owner", "user_name", "added_time", "id"),
        Index("ix_downloads_status_completed", "status", "completed_time", "id"),
        Index("ix_downloads_status_added", "status", "added_time", "id"),
        # ids are never reused after a delete (revision 0002); other databases never reuse them
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    link: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.user_name", ondelete="CASCADE", onupdate="CASCADE")
    )
    download_name: Mapped[str] = mapped_column(String(1024), default="")
    added_time: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(SmallInteger, default=QUEUED)
    rating: Mapped[int] = mapped_column(SmallInteger, default=0)
    gid: Mapped[str | None] = mapped_column(String(16), unique=True, default=None)
    completed_time: Mapped[int] = mapped_column(BigInteger, default=0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    path: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    completed_length: Mapped[int] = mapped_column(BigInteger, default=0)
    download_speed: Mapped[int] = mapped_column(BigInteger, default=0)
    started_time: Mapped[int | None] = mapped_column(BigInteger, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    heartbeat_time: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Rating(Base):
    """One user's rating of one download."""

    __tablename__ = "ratings"

    user_name: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("users.user_name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    download_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("downloads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rate: Mapped[int] = mapped_column(SmallInteger)


class CompressionJob(Base):
    """A zip of several completed downloads, built in the background."""

    __tablename__ = "compression_jobs"

    process_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gids: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str | None] = mapped_column(
        String(64),
        ForeignKey("users.user_name", ondelete="SET NULL", onupdate="CASCADE"),
        default=None,
    )
    status: Mapped[str] = mapped_column(String(16), default=JOB_RUNNING)
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_time: Mapped[int] = mapped_column(BigInteger)
    completed_time: Mapped[int | None] = mapped_column(BigInteger, default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # the build (revision 0008): which server process builds it, until when its lease runs,
    # which attempt it is (each one writes its own partial file) and the files it zips (JSON
    # [[archive name, path], ...]), so another replica can take over a build whose owner died
    owner: Mapped[str | None] = mapped_column(String(96), default=None)
    lease_expires: Mapped[int | None] = mapped_column(BigInteger, default=None)
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    files: Mapped[str | None] = mapped_column(Text, default=None)


class QueueState(Base):
    """The one row that says whether the queue runs; shared by every replica."""

    __tablename__ = "queue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=QUEUE_PAUSED)
    updated_time: Mapped[int] = mapped_column(BigInteger, default=0)


class DeploymentFact(Base):
    """A fact every replica of a deployment shares, by name (e.g. the downloads folder's id)."""

    __tablename__ = "deployment_facts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


# Counters kept by database triggers (revision 0007) in the same transaction as every insert,
# delete and status change, so counts never scan the tables; see _lifecycle/_counters.py.
COUNTER_SLOTS = 16
DAY_SECONDS = 24 * 60 * 60


class DownloadCount(Base):
    """How many downloads have a status, in `COUNTER_SLOTS` slots (a download counts in slot
    `id % COUNTER_SLOTS`) so concurrent writers rarely wait on one row; the sum is the count."""

    __tablename__ = "download_counts"

    status: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class UserCount(Base):
    """How many accounts are in a state: `kind` is 2 x blocked + approved."""

    __tablename__ = "user_counts"

    kind: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class CompletedBytesDaily(Base):
    """Bytes of a user's downloads completed (status 3, or 2 once retention removed the file)
    on one UTC day (`completed_time // DAY_SECONDS`); days before the heavy window are dropped."""

    __tablename__ = "completed_bytes_daily"

    user_name: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("users.user_name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class HeavyWindow(Base):
    """Each user's completed bytes on the days from `HeavyWindowState.first_day` on: the heavy
    users are its ten largest rows."""

    __tablename__ = "heavy_window"
    __table_args__ = (Index("ix_heavy_window_bytes", "bytes"),)

    user_name: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("users.user_name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class HeavyWindowState(Base):
    """The one row that says which day the heavy window starts on."""

    __tablename__ = "heavy_window_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_day: Mapped[int] = mapped_column(Integer)
