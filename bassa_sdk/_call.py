"""One call of an operation, and what the transport under the generated client knows about it.

A resource describes a call as a `Call`: the generated endpoint module, its arguments, and how to
read its parsed response. While the generated code sends it, a `CallContext` says to the transport
which operation this is (from the generated spec facts: retry safety, extension), the call's
finite timeout, whether the transport may retry it, and it records the last raw response. The
generated functions take no per-call options, so the context travels in a context variable, which
is per thread and per asyncio task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeAlias, TypeVar

import httpx

from bassa_sdk._generated.spec_facts import OPERATIONS, Operation
from bassa_sdk._generated.types import Response

__all__ = [
    "AsyncRelogin",
    "AsyncThunk",
    "Call",
    "CallContext",
    "SyncRelogin",
    "SyncThunk",
    "calling",
    "current_call",
]

T = TypeVar("T")
#: A step to run for its result (generating the sync client renames `AsyncThunk` to `SyncThunk`).
AsyncThunk: TypeAlias = Callable[[], Awaitable[T]]
SyncThunk: TypeAlias = Callable[[], T]
#: Signs in again after a token error of an operation; False when the client may not.
AsyncRelogin: TypeAlias = Callable[[str], Awaitable[bool]]
SyncRelogin: TypeAlias = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation to run: the generated endpoint module, its arguments, and how to read it."""

    endpoint: ModuleType
    kwargs: dict[str, Any]
    result: Callable[[Response[Any]], T]

    @property
    def operation(self) -> Operation:
        """The spec's facts of the operation (the generated module is named after it)."""
        return OPERATIONS[self.endpoint.__name__.rpartition(".")[2]]


@dataclass(slots=True)
class CallContext:
    """The call in flight: which operation, how long each request may take, what came back."""

    operation: Operation
    timeout: httpx.Timeout
    #: False for streamed transfers, whose own loop retries with `Range` after a broken body
    retry: bool = True
    last_response: httpx.Response | None = None


_CURRENT: ContextVar[CallContext | None] = ContextVar("bassa_call", default=None)


@contextmanager
def calling(context: CallContext) -> Iterator[CallContext]:
    """Make `context` the current call for the requests sent inside the block."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current_call() -> CallContext | None:
    """The call whose requests are being sent, if any."""
    return _CURRENT.get()
