"""The transport under the generated client: the SDK's resilience, as one httpx layer.

Each client (`Bassa` or `AsyncBassa`) hands its generated client one httpx client (base URL,
default timeout) whose transport is this one, over the caller's own httpx client. For every
request of the call in flight (`current_call()`), it:

* sends the session's newest token and keeps the one every response renews;
* takes a slot of the client's rate limiter per attempt (a 429's `Retry-After` pauses it);
* applies the call's finite timeout, whatever the caller's httpx client says;
* records the raw response (for the error boundary) and logs it at debug level, path only;
* turns httpx errors and 4xx/5xx answers into `BassaError`s, and retries them through the
  client's retrier when the operation is safe to repeat.

So the generated code sees only successful responses and parses each once. A body is read from
the caller's client inside the attempt (so a body cut short is retried like any broken exchange),
except for a streamed transfer, whose stream translates errors as well: a file broken mid-body
raises `APIConnectionError` for the transfer's own loop to resume.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import httpx

from bassa_sdk._async._retrying import AsyncRetrier
from bassa_sdk._call import CallContext, current_call
from bassa_sdk._errors import is_failure, network_error, retry_after_seconds, status_error
from bassa_sdk._ratelimit import TokenBucket
from bassa_sdk._session import TOKEN_HEADER, SessionState

__all__ = ["AsyncResilientTransport"]

log = logging.getLogger("bassa")


class _TranslatedStream(httpx.AsyncByteStream):
    """A response body read from the caller's client, its httpx errors turned into ours."""

    def __init__(self, response: httpx.Response, operation: str) -> None:
        self._response = response
        self._operation = operation

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stream = self._response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        try:
            # the raw bytes: the generated client's httpx client decodes them once
            async for chunk in stream:
                yield chunk
        except httpx.RequestError as exc:
            raise network_error(exc, self._operation) from exc

    async def aclose(self) -> None:
        await self._response.aclose()


class AsyncResilientTransport(httpx.AsyncBaseTransport):
    """Token, rate limit, timeout, record, translate and retry, around the caller's client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        session: SessionState,
        limiter: TokenBucket | None,
        retrier: AsyncRetrier,
    ) -> None:
        self.http = http
        self.session = session
        self.limiter = limiter
        self.retrier = retrier

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = current_call()
        if call is None:
            raise RuntimeError("a Bassa request outside a call")  # pragma: no cover
        request.extensions["timeout"] = call.timeout.as_dict()
        operation = call.operation
        if not call.retry:
            return await self._attempt(request, call)
        return await self.retrier.run(
            lambda: self._attempt(request, call),
            name=operation.operation_id,
            safe=operation.safe_to_retry,
        )

    async def _attempt(self, request: httpx.Request, call: CallContext) -> httpx.Response:
        token = self.session.token
        if token:
            request.headers[TOKEN_HEADER] = token
        if self.limiter is not None:
            await self.limiter.acquire_async()
        started = time.perf_counter()
        operation = call.operation.operation_id
        try:
            response = await self.http.send(self._for_caller_client(request), stream=True)
        except httpx.RequestError as exc:
            raise network_error(exc, operation) from exc
        call.last_response = response
        self.session.renew(response.headers.get(TOKEN_HEADER))
        self._saw(response, started)
        if is_failure(response.status_code):
            try:
                await response.aread()
            except httpx.RequestError as exc:
                raise network_error(exc, operation) from exc
            finally:
                await response.aclose()
            raise status_error(response, call.operation)
        body = _TranslatedStream(response, operation)
        if not call.retry:  # a transfer streams the body itself and resumes it after a break
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=body,
                extensions=response.extensions,
            )
        # read here, so a body cut short is an attempt that failed (and may be retried)
        try:
            raw = b"".join([chunk async for chunk in body])
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=raw,  # still encoded: the generated client's httpx client decodes it once
            extensions=response.extensions,
        )

    def _for_caller_client(self, request: httpx.Request) -> httpx.Request:
        """The request as the caller's client builds it: its default headers, cookies and auth
        apply; our headers, body and timeout win."""
        return self.http.build_request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            extensions=request.extensions,
        )

    def _saw(self, response: httpx.Response, started: float) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %d in %.1f ms",
                response.request.method,
                response.request.url.path,  # never the query: it may carry a share token
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
        if response.status_code == 429 and self.limiter is not None:
            pause = retry_after_seconds(response.headers)
            if pause:
                self.limiter.pause(pause)
