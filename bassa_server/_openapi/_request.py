"""Turn a raw request into validated parameters and body, or a 4xx `ApiError`.

Parameters arrive as strings; they are coerced to the type their schema names (so `page=2` is the
integer 2 and `page=abc` fails validation with a 400, not a routing 404) and validated with the
compiled schema. JSON bodies are parsed whatever the Content-Type says, as the legacy UIs label
JSON as form data; their size is capped before they are read whole.

No text may hold a NUL character (U+0000), wherever it arrives (path, query, header, JSON string
or key, form field): PostgreSQL cannot store one, and the other databases would store a name that
prints like another. Refusing it here gives the same 400 whatever the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from bassa_server._openapi._errors import ApiError
from bassa_server._openapi._spec import Body, Operation, Parameter

_INTEGER = re.compile(r"-?[0-9]+")
# request bodies of this API are flat objects; the validator refuses documents past ~255 levels
MAX_JSON_DEPTH = 64
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
NUL = "\x00"
NUL_REFUSED = "a NUL character (U+0000) is not allowed"


def first_error(validator: jsonschema_rs.Validator, instance: Any, where: str) -> str | None:
    """The first validation failure of `instance` as `where[/path]: message`, or None."""
    for error in validator.iter_errors(instance):
        path = "/".join(str(part) for part in error.instance_path)
        message = error.message
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Pattern):
            # the regex means nothing to a user and the value may be long: say what is wrong
            message = "not in the expected format"
        return f"{where}/{path}: {message}" if path else f"{where}: {message}"
    return None


def coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """`value` as the JSON type the schema asks for, when it parses as one; else unchanged."""
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "integer" in kinds and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in kinds and _NUMBER.fullmatch(value):
        return float(value) if any(c in value for c in ".eE") else int(value)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    if "null" in kinds and value == "null" and "string" not in kinds:
        return None
    return value


def read_parameters(operation: Operation, request: Request) -> dict[str, Any]:
    """The operation's parameters from the request, coerced and validated (by name)."""
    values: dict[str, Any] = {}
    for parameter in operation.parameters:
        raw = _raw_parameter(parameter, request)
        if raw is None:
            if parameter.required:
                raise ApiError(400, f"{parameter.name}: required {parameter.location} parameter")
            continue
        if NUL in raw:
            raise ApiError(400, f"{parameter.name}: {NUL_REFUSED}")
        value = coerce(raw, parameter.schema)
        if (message := first_error(parameter.validator, value, parameter.name)) is not None:
            raise ApiError(400, message)
        values[parameter.name] = value
    return values


def _raw_parameter(parameter: Parameter, request: Request) -> str | None:
    if parameter.location == "path":
        value = request.path_params.get(parameter.name)
        return None if value is None else str(value)
    if parameter.location == "query":
        return request.query_params.get(parameter.name)
    return request.headers.get(parameter.name)


async def read_body(body: Body, request: Request, max_bytes: int) -> Any:
    """The validated body: a JSON value, or a form as a dict of strings; None when absent."""
    raw = await _read_capped(request, max_bytes)
    value: Any
    if not raw.strip():
        value = None
    elif body.kind == "form":
        value = await _parse_form(request, raw)
    else:
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ApiError(400, "body: not valid JSON") from None
        check_json_value(value)
    if value is None:
        if body.required:
            raise ApiError(400, "body: a request body is required")
        return None
    if (message := first_error(body.validator, value, "body")) is not None:
        raise ApiError(400, message)
    return value


def check_json_value(value: Any) -> None:
    """Refuse (400) parsed JSON the validator cannot take: nesting deeper than MAX_JSON_DEPTH
    or a string with a lone surrogate (`"\\ud800"` is valid JSON but no Unicode text)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ApiError(400, f"body: nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "body: not valid JSON (a lone surrogate in a string)") from None
    if NUL in text:
        raise ApiError(400, f"body: {NUL_REFUSED}")


def _check_form(form: dict[str, str]) -> dict[str, str]:
    for key, value in form.items():
        if NUL in key or NUL in value:
            raise ApiError(400, f"body/{key.replace(NUL, '')}: {NUL_REFUSED}")
    return form


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    too_large = ApiError(413, f"request body larger than {max_bytes} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        # the client left (or the body deadline closed its connection): nobody reads an answer
        raise ApiError(400, "body: the connection closed before the body arrived") from None
    return b"".join(chunks)


def _replay(raw: bytes) -> Receive:
    """An ASGI `receive` that delivers `raw` as the whole request body."""

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


async def _parse_form(request: Request, raw: bytes) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        try:
            # the stream is consumed: the multipart parser reads the bytes again from a replay
            async with Request(request.scope, _replay(raw)).form() as form:
                fields = {key: value for key, value in form.items() if isinstance(value, str)}
        except Exception:  # python-multipart raises several types for broken bodies
            raise ApiError(400, "body: not a valid multipart form") from None
        return _check_form(fields)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "body: not valid UTF-8") from None
    return _check_form(dict(parse_qsl(text, keep_blank_values=True)))
