"""Opaque cursors for the list extensions: where the next page of a list starts.

A page of a list read by cursor (seek pagination) costs the same at any depth: the database
seeks its index to the sort key of the last row the caller saw, instead of counting and
skipping every row before it (OFFSET). The cursor carries that sort key and the list it
belongs to, as unpadded base64url of a small JSON array, so clients treat it as a token and
the server can change its inside without a new API. It is not a secret and not signed: a
forged cursor can only start a list the caller may read at another position.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from bassa_server._openapi import ApiError

NEXT_CURSOR_HEADER = "Bassa-Next-Cursor"
_INT64 = -(2**63)
BAD_CURSOR = "cursor: not a cursor of this list (start again without one)"


def encode(kind: str, *key: int | str) -> str:
    """The cursor that starts a list of `kind` after the row whose sort key is `key`."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, *key])).rstrip(b"=").decode("ascii")


def decode(cursor: str, kind: str, *types: type[int] | type[str]) -> tuple[Any, ...]:
    """The sort key in a cursor of a list of `kind`, its parts of `types`; a 400 if it is not
    one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = orjson.loads(raw)
    except (ValueError, binascii.Error):
        raise ApiError(400, BAD_CURSOR) from None
    if not isinstance(found, list) or len(found) != len(types) + 1 or found[0] != kind:
        raise ApiError(400, BAD_CURSOR)
    key = tuple(found[1:])
    for part, expected in zip(key, types, strict=True):
        # bool is an int subclass; a key is never one
        if type(part) is not expected or (isinstance(part, int) and not _INT64 <= part < -_INT64):
            raise ApiError(400, BAD_CURSOR)
    return key
