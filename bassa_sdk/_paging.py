"""Reading lists page by page: by the server's cursor when it offers one, else by page number.

A current server sends `Bassa-Next-Cursor` with every full page (and with a user list it cut
short); passing it back as `cursor` reads the next page at the same cost at any depth, and goes
past the legacy lists' deepest page. A legacy server sends no such header and ignores the
parameters, so iterators fall back to page numbers (download lists) or take the whole answer
(user lists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bassa_sdk._generated.types import Response

__all__ = ["NEXT_CURSOR_HEADER", "Paged", "with_next_cursor"]

M = TypeVar("M")
NEXT_CURSOR_HEADER = "bassa-next-cursor"
#: One page of a list and the cursor of the next one (None: the list ended, or no cursors).
Paged = tuple[list[M], str | None]


def with_next_cursor(
    read: Callable[[Response[Any]], list[M]],
) -> Callable[[Response[Any]], Paged[M]]:
    """A list reader that also returns the response's next-page cursor."""

    def paged(response: Response[Any]) -> Paged[M]:
        rows = read(response)
        cursor = response.headers.get(NEXT_CURSOR_HEADER) or None
        return rows, cursor

    return paged
