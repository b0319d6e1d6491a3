"""Reading a generated response: the parsed body, checked against the model the call expects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from bassa_sdk._errors import NotFoundError, ResponseValidationError
from bassa_sdk._generated.types import Response

__all__ = ["byte_sizes", "deleted_earlier", "expect", "expect_list", "returns_none"]

log = logging.getLogger("bassa")

M = TypeVar("M")


def expect(model: type[M]) -> Callable[[Response[Any]], M]:
    """A reader that returns the parsed body, checking it is a `model`."""

    def read(response: Response[Any]) -> M:
        parsed = response.parsed
        if not isinstance(parsed, model):
            raise ResponseValidationError(
                f"expected {model.__name__} in a {int(response.status_code)} response, "
                f"got {type(parsed).__name__}"
            )
        return parsed

    return read


def expect_list(model: type[M]) -> Callable[[Response[Any]], list[M]]:
    """A reader that returns the parsed list, checking every item is a `model`."""

    def read(response: Response[Any]) -> list[M]:
        parsed = response.parsed
        if not isinstance(parsed, list) or not all(isinstance(item, model) for item in parsed):
            raise ResponseValidationError(
                f"expected a list of {model.__name__} in a {int(response.status_code)} response"
            )
        return parsed

    return read


def returns_none(model: type[Any]) -> Callable[[Response[Any]], None]:
    """A reader that checks the body is a `model` and returns nothing (for `{"status": ...}`)."""
    check = expect(model)

    def read(response: Response[Any]) -> None:
        check(response)

    return read


def deleted_earlier(exc: NotFoundError, what: str) -> bool:
    """Whether a DELETE's 404 only means that an earlier attempt of the same call, whose answer
    was lost, did the delete (so the call succeeded)."""
    if not exc.after_unknown_outcome:
        return False
    log.info("%s: an earlier attempt's answer was lost; the retry found it gone: deleted", what)
    return True


def byte_sizes(read: Callable[[Response[Any]], list[M]]) -> Callable[[Response[Any]], list[M]]:
    """A list reader whose items' `size` is an int: the original server sends the byte count of
    a download as a decimal string and a user's total as a float, which must not reach the
    caller as a type the model does not declare."""

    def sized(response: Response[Any]) -> list[M]:
        rows = read(response)
        for row in rows:
            size: object = getattr(row, "size", None)
            number = int(size) if isinstance(size, str) and size.isdigit() else size
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            if number is not size:
                row.size = number  # type: ignore[attr-defined]
        return rows

    return sized
