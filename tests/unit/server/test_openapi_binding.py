"""The generic binding layer: startup checks, security order, coercion, validation and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response

from bassa_server._openapi import (
    ApiError,
    Credential,
    HandlerSet,
    OperationCall,
    SpecError,
    build_routes,
    inline_refs,
    read_operations,
)

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "security": [{"key": []}],
    "components": {
        "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "token"}},
        "schemas": {
            "Item": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {"name": {"type": "string", "maxLength": 5}},
            }
        },
        "parameters": {
            "Page": {
                "name": "page",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    "paths": {
        "/items/{page}": {
            "parameters": [{"$ref": "#/components/parameters/Page"}],
            "get": {"operationId": "list_items", "responses": {}},
        },
        "/items/special": {"get": {"operationId": "special", "security": [], "responses": {}}},
        "/items": {
            "post": {
                "operationId": "add_item",
                "parameters": [
                    {"name": "dry", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    },
                },
                "responses": {},
            }
        },
        "/login": {
            "post": {
                "operationId": "login",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["user"],
                                "properties": {"user": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {},
            }
        },
    },
}


def make_handlers() -> HandlerSet:
    """Handlers that echo what the binding handed them."""
    handlers = HandlerSet()

    async def echo(call: OperationCall) -> Response:
        return JSONResponse(
            {"op": call.operation.operation_id, "params": call.params, "body": call.body}
        )

    for operation_id in ("list_items", "special", "add_item", "login"):
        handlers.operation(operation_id)(echo)
    return handlers


async def authenticate(credential: Credential) -> object:
    """Accept the token "good"; refuse anything else as the Bassa API does."""
    if credential.value != "good":
        raise ApiError(403, "token error")
    return "alice"


def after(call: OperationCall, response: Response) -> Response:
    """Mark responses to authenticated calls, as the app renews tokens."""
    if call.principal is not None:
        response.headers["token"] = "renewed"
    return response


class OutOfStockError(Exception):
    """A refusal in the application's own words."""


def refusal(exc: Exception) -> ApiError | None:
    """Answer `OutOfStockError` with a 409; anything else stays a fault."""
    return ApiError(409, "out of stock") if isinstance(exc, OutOfStockError) else None


def client(handlers: HandlerSet | None = None, max_body_bytes: int = 1000) -> httpx.AsyncClient:
    """An in-process client of an app bound to SPEC."""
    routes = build_routes(
        read_operations(inline_refs(SPEC)),
        (handlers or make_handlers()).handlers,
        authenticate=authenticate,
        after=after,
        max_body_bytes=max_body_bytes,
        refusal=refusal,
    )
    app = Starlette(routes=routes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_missing_and_unknown_handlers_fail_at_startup() -> None:
    """Binding refuses an operation without a handler and a handler without an operation."""
    partial = make_handlers()
    del partial.handlers["special"]
    with pytest.raises(SpecError, match="without a handler: \\['special'\\]"):
        client(partial)
    extra = make_handlers()
    extra.handlers["nobody"] = extra.handlers["special"]
    with pytest.raises(SpecError, match="spec lacks: \\['nobody'\\]"):
        client(extra)


async def test_security_runs_before_validation() -> None:
    """An anonymous caller gets the security refusal even for an invalid parameter."""
    response = await client().get("/items/0")
    assert response.status_code == 403
    assert response.json() == {"error": "token error"}
    assert "token" not in response.headers


async def test_path_parameter_is_coerced_and_validated() -> None:
    """`page` arrives as an integer; 0 and `abc` are 400 JSON errors that keep the renewal."""
    http = client()
    ok = await http.get("/items/2", headers={"token": "good"})
    assert ok.json()["params"] == {"page": 2}
    assert ok.headers["token"] == "renewed"
    low = await http.get("/items/0", headers={"token": "good"})
    assert (low.status_code, low.json()) == (
        400,
        {"error": "page: 0 is less than the minimum of 1"},
    )
    assert low.headers["token"] == "renewed"
    assert (await http.get("/items/abc", headers={"token": "good"})).status_code == 400


async def test_domain_refusals_become_responses_and_other_errors_500() -> None:
    """An exception the refusal hook knows is its JSON answer (with the `after` headers); any
    other exception is a 500 that shows nothing of it."""

    async def refuse(call: OperationCall) -> Response:
        raise OutOfStockError

    async def crash(call: OperationCall) -> Response:
        raise RuntimeError("secret detail")

    handlers = make_handlers()
    handlers.handlers["list_items"] = refuse
    handlers.handlers["special"] = crash
    http = client(handlers)
    refused = await http.get("/items/1", headers={"token": "good"})
    crashed = await http.get("/items/special")
    assert (refused.status_code, refused.json()) == (409, {"error": "out of stock"})
    assert refused.headers["token"] == "renewed"
    assert (crashed.status_code, crashed.json()) == (500, {"error": "internal server error"})


async def test_static_path_owns_its_path() -> None:
    """`/items/special` is not the templated route: wrong methods there are a 405 with Allow."""
    http = client()
    assert (await http.get("/items/special")).json()["op"] == "special"
    response = await http.delete("/items/special")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_json_body_is_parsed_whatever_the_content_type() -> None:
    """JSON labelled as a form is parsed as JSON, validated, and the query is coerced."""
    response = await client().post(
        "/items?dry=true",
        content=b'{"name": "abc"}',
        headers={"token": "good", "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["body"] == {"name": "abc"}
    assert response.json()["params"] == {"dry": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: a request body is required"),
        (b"{not json", "body: not valid JSON"),
        (b'{"name": 5}', 'body/name: 5 is not of type "string"'),
        (
            b'{"name": "a", "x": 1}',
            "body: Additional properties are not allowed ('x' was unexpected)",
        ),
        (b"\xff\xfe", "body: not valid JSON"),
    ],
)
async def test_bad_bodies_are_400_json(body: bytes, message: str) -> None:
    """Missing, unparseable, mistyped or extended bodies are refused with a clear message."""
    response = await client().post("/items", content=body, headers={"token": "good"})
    assert response.status_code == 400
    assert response.json() == {"error": message}


async def test_oversized_body_is_413_json() -> None:
    """A body over the cap is refused before it is parsed."""
    response = await client(max_body_bytes=10).post(
        "/items", content=b'{"name": "abcdefghij"}', headers={"token": "good"}
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("request body larger than")


async def test_form_body_urlencoded_and_multipart() -> None:
    """A form operation reads url-encoded and multipart bodies; a missing field is a 400."""
    http = client()
    assert (await http.post("/login", data={"user": "bob"})).json()["body"] == {"user": "bob"}
    multipart = await http.post("/login", files={"user": (None, "eve")})
    assert multipart.json()["body"] == {"user": "eve"}
    missing = await http.post("/login", data={"other": "x"})
    assert missing.status_code == 400
    assert missing.json() == {"error": 'body: "user" is a required property'}


async def test_handler_crash_is_500_json() -> None:
    """An unexpected exception in a handler becomes a JSON 500 without a traceback."""
    handlers = make_handlers()

    async def crash(call: OperationCall) -> Response:
        raise RuntimeError("secret internals")

    handlers.handlers["special"] = crash
    response = await client(handlers).get("/items/special")
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}


async def test_long_messages_are_truncated() -> None:
    """A validation message echoing a huge value stays short."""
    response = await client(max_body_bytes=100_000).post(
        "/items", json={"name": "x" * 50_000}, headers={"token": "good"}
    )
    assert response.status_code == 400
    assert len(response.json()["error"]) <= 300
