"""The columns each table shows: the model's field, a header for people, and how values read."""

from __future__ import annotations

from bassa_sdk._cli._output import Column

__all__ = ["DOWNLOADS", "HEAVY", "LIBRARY", "PROGRESS", "QUEUE", "REQUESTS", "USERS"]

DOWNLOADS = (
    Column("id", "ID", right=True, whole=True),
    Column("download_name", "Name"),
    Column("status", "Status", "status", whole=True),
    Column("size", "Size", "size", right=True),
    Column("rating", "Rating", right=True),
    Column("gid", "GID", whole=True),
    Column("added_time", "Added", "time", whole=True),
)
LIBRARY = (*DOWNLOADS[:5], Column("user_name", "User"), *DOWNLOADS[5:])
PROGRESS = (
    Column("id", "ID"),
    Column("status", "Status", "status"),
    Column("completed_length", "Done", "size"),
    Column("total_length", "Size", "size"),
    Column("download_speed", "Speed", "speed"),
    Column("error", "Error"),
)
QUEUE = (
    Column("state", "State"),
    Column("queued", "Queued", right=True),
    Column("started", "Started", right=True),
    Column("completed", "Completed", right=True),
    Column("failed", "Failed", right=True),
)
USERS = (
    Column("user_name", "User"),
    Column("auth", "Role", "role"),
    Column("email", "E-mail"),
    Column("approved", "Approved", "yes/no"),
    Column("blocked", "Blocked", "yes/no"),
)
REQUESTS = (Column("user_name", "User"), Column("email", "E-mail"))
HEAVY = (Column("user_name", "User"), Column("size", "Downloaded (30 days)", "size", right=True))
