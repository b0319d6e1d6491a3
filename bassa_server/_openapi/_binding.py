"""Bind handlers to a spec's operations and build the Starlette routes that serve them.

For each request the route runs, in order: the security hook (so an anonymous caller learns
nothing about valid input), parameter and body validation, the handler, then the `after` hook
(which may add headers, e.g. a renewed session token, to every response after a successful
authentication, refusals included). Exceptions of the application's own domain become responses
through the `refusal` hook, so handlers need not know HTTP statuses. Binding fails at startup when
an operation has no handler or a handler names no operation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from bassa_server._openapi._errors import ApiError, error_response
from bassa_server._openapi._request import read_body, read_parameters
from bassa_server._openapi._spec import Operation, SecurityScheme, SpecError

logger = logging.getLogger("bassa_server.api")


@dataclass
class OperationCall:
    """One request to one operation, with what the binding learnt about it."""

    request: Request
    operation: Operation
    principal: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Credential:
    """What a security scheme found in a request (`value` is None when the caller sent none)."""

    operation: Operation
    scheme: SecurityScheme
    value: str | None
    request: Request


Handler = Callable[[OperationCall], Awaitable[Response]]
Authenticate = Callable[[Credential], Awaitable[Any]]
After = Callable[[OperationCall, Response], Response]
Refusal = Callable[[Exception], ApiError | None]


def no_refusals(exc: Exception) -> ApiError | None:
    """The default `refusal` hook: no exception is a refusal (each is a 500)."""
    return None


class HandlerSet:
    """Handlers collected by operationId with the `operation` decorator."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def operation(self, operation_id: str) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine as the handler of `operation_id`."""

        def register(handler: Handler) -> Handler:
            if operation_id in self.handlers:
                raise SpecError(f"two handlers for operation {operation_id!r}")
            self.handlers[operation_id] = handler
            return handler

        return register

    @classmethod
    def merge(cls, sets: Iterable[HandlerSet]) -> dict[str, Handler]:
        """One mapping of every set's handlers; an operation handled twice is an error."""
        merged: dict[str, Handler] = {}
        for handler_set in sets:
            if twice := merged.keys() & handler_set.handlers.keys():
                raise SpecError(f"operations handled twice: {sorted(twice)}")
            merged.update(handler_set.handlers)
        return merged


def build_routes(
    operations: Iterable[Operation],
    handlers: Mapping[str, Handler],
    *,
    authenticate: Authenticate,
    after: After,
    max_body_bytes: int,
    refusal: Refusal = no_refusals,
) -> list[BaseRoute]:
    """The routes of every spec path: static paths shadow templated ones, as in the original."""
    operations = list(operations)
    ids = {operation.operation_id for operation in operations}
    if missing := sorted(ids - handlers.keys()):
        raise SpecError(f"operations without a handler: {missing}")
    if unknown := sorted(handlers.keys() - ids):
        raise SpecError(f"handlers for operations the spec lacks: {unknown}")
    by_path: dict[str, dict[str, Endpoint]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.method] = _endpoint(
            operation,
            handlers[operation.operation_id],
            authenticate,
            after,
            refusal,
            max_body_bytes,
        )
    static = frozenset(path for path in by_path if "{" not in path)
    # like the original's router, /api/download/start belongs to its own route whatever the
    # method: DELETE /api/download/start is a 405, not a delete of download "start"
    routes = [
        _PathRoute(path, by_path[path], shadowed=frozenset() if path in static else static)
        for path in by_path
    ]
    return [_SpecRoutes(routes)]


Endpoint = Callable[[Request], Awaitable[Response]]


class _PathRoute(Route):
    """A path's operations by method; it never matches a path a static route owns."""

    def __init__(self, path: str, endpoints: dict[str, Endpoint], shadowed: frozenset[str]) -> None:
        self._endpoints = endpoints
        self._shadowed = shadowed
        if "GET" in endpoints:
            endpoints.setdefault("HEAD", endpoints["GET"])

        async def dispatch(request: Request) -> Response:
            return await self._endpoints[request.method](request)

        super().__init__(path, dispatch, methods=list(endpoints), name=path)

    def endpoint_for(self, method: str) -> Endpoint | None:
        """The endpoint serving `method` on this path, if any."""
        return self._endpoints.get(method)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's match, except on a path that belongs to a static route."""
        match, child_scope = super().matches(scope)
        if match is not Match.NONE and self._shadowed and _route_path(scope) in self._shadowed:
            return Match.NONE, {}
        return match, child_scope


class _SpecRoutes(BaseRoute):
    """Every spec path behind one lookup: a dict for static paths, then only the templated
    routes with as many segments (Starlette's router would try each route's regex in turn)."""

    def __init__(self, routes: list[_PathRoute]) -> None:
        self._static = {route.path: route for route in routes if "{" not in route.path}
        self._templated: dict[int, list[_PathRoute]] = {}
        for route in routes:
            if "{" in route.path:
                self._templated.setdefault(route.path.count("/"), []).append(route)

    def _candidates(self, path: str) -> list[_PathRoute]:
        if (route := self._static.get(path)) is not None:
            return [route]
        return self._templated.get(path.count("/"), [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """The match of the one spec route for the path (none, partial for a 405, or full)."""
        if scope["type"] != "http":
            return Match.NONE, {}
        for route in self._candidates(_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is not Match.NONE:
                return match, {**child_scope, _SPEC_ROUTE: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the endpoint of the route `matches` found (metrics read its path template).

        An endpoint turns every exception into a JSON response itself, so it is awaited
        directly rather than through Starlette's per-request exception wrapper; a method the
        path lacks goes to the route, which answers 405.
        """
        route = scope[_SPEC_ROUTE]
        scope["route"] = route
        endpoint = route.endpoint_for(scope["method"])
        if endpoint is None:
            await route.handle(scope, receive, send)
            return
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """Not used: the spec, not route names, says where operations live."""
        raise NoMatchFound(name, path_params)


_SPEC_ROUTE = "bassa.spec_route"


def _endpoint(
    operation: Operation,
    handler: Handler,
    authenticate: Authenticate,
    after: After,
    refusal: Refusal,
    max_body_bytes: int,
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        call = OperationCall(request=request, operation=operation)
        try:
            call.principal = await _run_security(operation, request, authenticate)
        except ApiError as refused:
            return refused.to_response()
        try:
            call.params = read_parameters(operation, request)
            if operation.body is not None:
                call.body = await read_body(operation.body, request, max_body_bytes)
            response = await handler(call)
        except ApiError as refused:
            response = refused.to_response()
        except Exception as exc:
            if (refused_as := refusal(exc)) is not None:
                response = refused_as.to_response()
            else:
                logger.exception("unhandled error in %s", operation.operation_id)
                response = error_response(500, "internal server error")
        return after(call, response)

    endpoint.__name__ = operation.operation_id
    return endpoint


async def _run_security(operation: Operation, request: Request, authenticate: Authenticate) -> Any:
    """The principal of the first alternative whose credential is present.

    Anonymous operations return None at once. When the caller sent no credential at all, the hook
    still decides (with `value=None`) for the first alternative, so it chooses the refusal.
    """
    if () in operation.security:
        return None
    for alternative in operation.security:
        scheme = alternative[0]
        if len(alternative) != 1:
            raise SpecError(f"{operation.operation_id}: combined security requirements")
        if (value := _credential(scheme, request)) is not None:
            return await authenticate(Credential(operation, scheme, value, request))
    return await authenticate(Credential(operation, operation.security[0][0], None, request))


def _credential(scheme: SecurityScheme, request: Request) -> str | None:
    if scheme.location == "header":
        return request.headers.get(scheme.key)
    return request.query_params.get(scheme.key)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
