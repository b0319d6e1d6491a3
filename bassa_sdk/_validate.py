"""Caller mistakes caught before any I/O, against the spec's own bounds.

The bounds come from the generated `spec_facts.LIMITS` (by schema, body field or operation
parameter), so a change to the spec changes what the SDK accepts with no edit here. A value of the
wrong type is a `TypeError`, a value out of bounds a `ValueError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bassa_sdk._generated.spec_facts import LIMITS, Limit

__all__ = ["distinct_items", "download_link", "integer", "matching", "non_empty"]

# an id with no upper bound worth stating (the spec's is the largest 64-bit integer)
_UNBOUNDED = 2**63 - 1


def integer(value: int, bound: str, name: str) -> int:
    """`value` if it is an int within `LIMITS[bound]`."""
    limit = LIMITS[bound]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    low, high = limit.minimum, limit.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None or high >= _UNBOUNDED:
            raise ValueError(f"{name} must be at least {low}: {value!r}")
        raise ValueError(f"{name} must be an int from {low} to {high}: {value!r}")
    return value


def _matches(limit: Limit, value: str) -> bool:
    if limit.min_length is not None and len(value) < limit.min_length:
        return False
    if limit.max_length is not None and len(value) > limit.max_length:
        return False
    if limit.pattern is None:
        return True
    # the spec's patterns are anchored; fullmatch also refuses a trailing newline that `$` allows
    return re.fullmatch(limit.pattern, value) is not None


def matching(value: str, bound: str | Limit, name: str) -> str:
    """`value` if it is a str that fits `LIMITS[bound]` (pattern and length)."""
    limit = LIMITS[bound] if isinstance(bound, str) else bound
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not _matches(limit, value):
        raise ValueError(f"{name} must match {limit.pattern}: {value!r}")
    return value


def distinct_items(values: Sequence[str], bound: str, name: str, item: str) -> list[str]:
    """`values` as a list if their number, uniqueness and each item fit `LIMITS[bound]`."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list, not {type(values).__name__}")
    limit = LIMITS[bound]
    found = list(values)
    low, high = limit.min_items or 0, limit.max_items
    if len(found) < low or (high is not None and len(found) > high):
        raise ValueError(f"{name} must hold {low} to {high} items, not {len(found)}")
    if limit.unique_items and len(set(found)) != len(found):
        raise ValueError(f"{name} must hold {low} to {high} distinct items")
    if limit.items is not None:
        for value in found:
            matching(value, limit.items, item)
    return found


def non_empty(value: str, name: str) -> str:
    """A non-empty string (the server checks the rest and answers 400)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def download_link(value: str) -> str:
    """A link the spec lets a user queue (`NewDownload.link`), or a `ValueError` that says what
    is wrong with it and which kinds of link are allowed."""
    non_empty(value, "link")
    if _matches(LIMITS["NewDownload.link"], value):
        return value
    allowed = "an http://, https:// or ftp:// URL with a host, or a magnet: link"
    scheme, sep, _ = value.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise ValueError(f"{value!r} is not a URL: a link must be {allowed}")
    if scheme.lower() not in {"http", "https", "ftp", "magnet"}:
        raise ValueError(f"{scheme}: links are not allowed: a link must be {allowed}")
    raise ValueError(f"{value!r} is not a link the server accepts: it must be {allowed}")
