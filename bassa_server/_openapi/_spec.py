"""Read an OpenAPI 3.1 document into the operations a server binds.

The document is loaded once, its local `$ref`s are inlined (the binding never needs to resolve a
reference at request time) and each operation is reduced to what a request needs checking against:
its parameters, its body and its security alternatives, each schema compiled to a Draft 2020-12
validator (jsonschema-rs).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema_rs
import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
PARAMETER_LOCATIONS = ("path", "query", "header")


class SpecError(ValueError):
    """The document uses something the binding does not support, or disagrees with the handlers."""


@dataclass(frozen=True)
class Parameter:
    """One path, query or header parameter of an operation."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    validator: jsonschema_rs.Validator


@dataclass(frozen=True)
class Body:
    """An operation's request body: JSON (parsed whatever the Content-Type) or a form."""

    kind: str  # "json" or "form"
    required: bool
    schema: Mapping[str, Any]
    validator: jsonschema_rs.Validator


@dataclass(frozen=True)
class SecurityScheme:
    """An apiKey scheme: where its credential travels."""

    name: str
    location: str  # "header" or "query"
    key: str


@dataclass(frozen=True)
class Operation:
    """One bound operation of the document."""

    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    # alternatives (any one suffices); an empty tuple among them means anonymous access
    security: tuple[tuple[SecurityScheme, ...], ...]
    definition: Mapping[str, Any]


def load_document(package: str, resource: str) -> dict[str, Any]:
    """The YAML document shipped inside `package` (no second copy of the spec is needed)."""
    text = resources.files(package).joinpath(resource).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader either way
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{package}/{resource} is not an OpenAPI 3.1 document")
    return document


def inline_refs(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with every local `$ref` replaced by what it points at."""

    def resolve(pointer: str) -> Any:
        if not pointer.startswith("#/"):
            raise SpecError(f"only local references are supported, not {pointer!r}")
        node: Any = document
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            if isinstance(ref := node.get("$ref"), str):
                if ref in seen:
                    raise SpecError(f"recursive reference {ref!r} cannot be inlined")
                target = walk(resolve(ref), (*seen, ref))
                siblings = {k: walk(v, seen) for k, v in node.items() if k != "$ref"}
                return {**target, **siblings} if isinstance(target, dict) else target
            return {key: walk(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        return node

    inlined = walk(copy.deepcopy(document), ())
    assert isinstance(inlined, dict)
    return inlined


def compile_schema(schema: Mapping[str, Any]) -> jsonschema_rs.Validator:
    """A Draft 2020-12 validator for an inlined schema (formats are annotations, as in 3.1)."""
    return jsonschema_rs.Draft202012Validator(dict(schema))


def read_operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of an inlined document, in document order."""
    schemes = _security_schemes(document)
    default_security = document.get("security", [])
    found = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if (definition := item.get(method)) is None:
                continue
            operation_id = definition.get("operationId")
            if not operation_id:
                raise SpecError(f"{method.upper()} {path} has no operationId")
            found.append(
                Operation(
                    operation_id=operation_id,
                    method=method.upper(),
                    path=path,
                    parameters=_parameters(shared, definition.get("parameters", [])),
                    body=_body(operation_id, definition.get("requestBody")),
                    security=_security(
                        operation_id, definition.get("security", default_security), schemes
                    ),
                    definition=definition,
                )
            )
    return found


def _security_schemes(document: Mapping[str, Any]) -> dict[str, SecurityScheme]:
    schemes = {}
    for name, scheme in document.get("components", {}).get("securitySchemes", {}).items():
        if scheme.get("type") != "apiKey" or scheme.get("in") not in ("header", "query"):
            raise SpecError(f"security scheme {name!r}: only apiKey in header or query is bound")
        schemes[name] = SecurityScheme(name=name, location=scheme["in"], key=scheme["name"])
    return schemes


def _security(
    operation_id: str, requirements: list[dict[str, Any]], schemes: dict[str, SecurityScheme]
) -> tuple[tuple[SecurityScheme, ...], ...]:
    alternatives = []
    for requirement in requirements:
        try:
            alternatives.append(tuple(schemes[name] for name in requirement))
        except KeyError as exc:
            raise SpecError(f"{operation_id}: unknown security scheme {exc}") from None
    return tuple(alternatives) if alternatives else ((),)


def _parameters(shared: list[dict[str, Any]], own: list[dict[str, Any]]) -> tuple[Parameter, ...]:
    # an operation's parameter overrides a path-level one with the same name and location
    merged = {(p["name"], p["in"]): p for p in [*shared, *own]}
    parameters = []
    for (name, location), spec in merged.items():
        if location not in PARAMETER_LOCATIONS:
            raise SpecError(f"parameter {name!r}: location {location!r} is not bound")
        schema = spec.get("schema", {})
        parameters.append(
            Parameter(
                name=name,
                location=location,
                required=bool(spec.get("required", location == "path")),
                schema=schema,
                validator=compile_schema(schema),
            )
        )
    return tuple(parameters)


def _body(operation_id: str, request_body: Mapping[str, Any] | None) -> Body | None:
    if request_body is None:
        return None
    content = request_body.get("content", {})
    if "application/json" in content:
        kind, media = "json", content["application/json"]
    elif "application/x-www-form-urlencoded" in content:
        kind, media = "form", content["application/x-www-form-urlencoded"]
    else:
        raise SpecError(f"{operation_id}: request media types {sorted(content)} are not bound")
    schema = media.get("schema", {})
    return Body(
        kind=kind,
        required=bool(request_body.get("required", False)),
        schema=schema,
        validator=compile_schema(schema),
    )
