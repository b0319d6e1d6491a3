"""Record what an HTTP client really received and hold every response to the spec.

`RecordingTransport` wraps the transport of the `httpx.Client` handed to the SDK. It passes each
response through untouched while keeping a copy of the bytes the SDK read, so streamed file
downloads stay streamed. `assert_conforms` then finds each request's operation in the spec and
runs schemathesis's response checks (status code, content type, required headers, body schema,
no server error) on the recorded response.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from urllib.parse import unquote

import httpx
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.spec import SPEC_PATH

RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Received:
    """One response as the client received it (body complete or not)."""

    response: httpx.Response
    complete: bool


class _TeeStream(httpx.SyncByteStream):
    """Hands the client every chunk and keeps a copy; reports the copy when closed."""

    def __init__(self, inner: httpx.SyncByteStream, done: Callable[[bytes, bool], None]) -> None:
        self._inner = inner
        self._done = done
        self._chunks: list[bytes] = []
        self._complete = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._chunks.append(chunk)
            yield chunk
        self._complete = True

    def close(self) -> None:
        self._inner.close()
        self._done(b"".join(self._chunks), self._complete)


class RecordingTransport(httpx.BaseTransport):
    """An httpx transport that records every response its client receives."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.received: list[Received] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        response = self._inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)

        def done(body: bytes, complete: bool) -> None:
            copy = httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )
            copy.elapsed = timedelta(seconds=time.monotonic() - started)
            with self._lock:
                self.received.append(Received(copy, complete))

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_TeeStream(response.stream, done),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()


@cache
def _schema() -> OpenApiSchema:
    # an explicit empty config: no schemathesis.toml is picked up from the working directory
    return schemathesis.openapi.from_path(str(SPEC_PATH), config=schemathesis.Config())


def operation_id(request: httpx.Request) -> str:
    """The spec's operationId for a request (AssertionError if the spec has no such operation)."""
    operation = _schema().find_operation_by_path(request.method, request.url.path)
    assert operation is not None, f"not in the spec: {request.method} {request.url.path}"
    return str(operation.definition.raw["operationId"])


def _path_parameters(template: str, path: str) -> dict[str, str]:
    """The values of a path template's parameters in a concrete path."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path)
    assert match is not None, (template, path)
    return {name: unquote(value) for name, value in match.groupdict().items()}


def assert_conforms(received: Received) -> None:
    """Run the response checks on one recorded response; raises on any violation."""
    request = received.response.request
    operation = _schema().find_operation_by_path(request.method, request.url.path)
    assert operation is not None, f"not in the spec: {request.method} {request.url.path}"
    case = operation.Case(
        path_parameters=_path_parameters(operation.path, request.url.path),
        query=dict(request.url.params),
        headers=dict(request.headers),
    )
    try:
        case.validate_response(
            received.response, checks=RESPONSE_CHECKS, headers=dict(request.headers)
        )
    except FailureGroup as group:
        # one readable assertion naming the request, instead of an exception group
        titles = "; ".join(str(failure.title) for failure in group.exceptions)
        raise AssertionError(f"{request.method} {request.url.path}: {titles}") from group
