"""Read the facts every consumer of `openapi/bassa.yaml` acts on, and render them as code.

The generated clients ignore vendor extensions and validation keywords, so the facade, the command
line and the server used to restate them by hand: the method and path of each operation, which
operations are safe to repeat, extensions or admin-only, the bounds of parameters and bodies, the
names of status values, the security schemes and the headers. `load()` reads them from the spec
into `Facts`; each `render_*` function turns `Facts` into one language's module, written by
`scripts/generate` beside the generated client and covered by the same drift check.

Usage: python scripts/_spec_facts.py python SPEC OUTPUT
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Facts", "Limit", "Operation", "SecurityScheme", "ValueSet", "load", "render_python"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# RFC 9110 idempotent methods: repeating one does not change the outcome
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
LIMIT_KEYWORDS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minItems": "min_items",
    "maxItems": "max_items",
    "uniqueItems": "unique_items",
}


# the data model of the facts, rendered as it is into the Python module (`render_python`)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: where it lives and how clients and the server treat it."""

    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...]
    #: an idempotent method, or marked `x-bassa-safe-to-retry` (the mark wins either way)
    safe_to_retry: bool
    #: marked `x-bassa-extension`: a legacy server answers it with a plain 404
    extension: bool
    #: marked `x-bassa-admin`: only admins may call it
    admin: bool
    #: marked `x-bassa-share-token`: its `share` query parameter may carry a share token
    share_token: bool
    #: the security schemes that each admit a caller; empty when anyone may call
    security: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Limit:
    """The validation keywords of one value (a parameter, a schema or a body field)."""

    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    items: Limit | None = None


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """An API key scheme: the header or query parameter that carries the credential."""

    scheme: str
    name: str
    location: str


MODEL = (Operation, Limit, SecurityScheme)


def _bounded(limit: Limit) -> bool:
    return any(_given(getattr(limit, f.name)) for f in fields(limit))


def _given(value: object) -> bool:
    # 0 is a bound (`minimum: 0`); None and False are the absence of one
    return value is not None and value is not False


@dataclass(frozen=True)
class ValueSet:
    """The documented values of one schema (`x-bassa-values`), one name a value."""

    name: str
    kind: str  # "integer" or "string"
    values: tuple[tuple[str, int | str], ...]
    description: str


@dataclass(frozen=True)
class Facts:
    """Everything the consumers of the spec take from it."""

    title: str
    version: str
    operations: tuple[Operation, ...]
    limits: tuple[tuple[str, Limit], ...]
    value_sets: tuple[ValueSet, ...]
    security_schemes: tuple[SecurityScheme, ...]
    request_headers: tuple[str, ...]
    response_headers: tuple[str, ...]
    share_token_operations: tuple[str, ...] = field(default=())


class _Spec:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.data
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def limit(self, schema: Any) -> Limit:
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return Limit()
        values = {LIMIT_KEYWORDS[k]: v for k, v in schema.items() if k in LIMIT_KEYWORDS}
        items = self.limit(schema["items"]) if "items" in schema else None
        return Limit(**values, items=items if items is not None and _bounded(items) else None)


def _camel(*parts: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in parts)


def load(path: Path) -> Facts:
    """The facts of the spec at `path`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = _Spec(data)
    components = data.get("components", {})
    default_security = data.get("security", [])

    operations: list[Operation] = []
    limits: dict[str, Limit] = {}
    response_headers: set[str] = set()
    request_headers: set[str] = set()
    for url, item in data["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            verb = method.upper()
            security = op.get("security", default_security)
            operations.append(
                Operation(
                    operation_id=op["operationId"],
                    method=verb,
                    path=url,
                    tags=tuple(op.get("tags", ())),
                    safe_to_retry=bool(op.get("x-bassa-safe-to-retry", verb in IDEMPOTENT_METHODS)),
                    extension=op.get("x-bassa-extension") is True,
                    admin=op.get("x-bassa-admin") is True,
                    share_token=op.get("x-bassa-share-token") is True,
                    security=tuple(name for alternative in security for name in alternative),
                )
            )
            for parameter in [*item.get("parameters", ()), *op.get("parameters", ())]:
                parameter = spec.resolve(parameter)
                if parameter["in"] == "header":
                    request_headers.add(parameter["name"].lower())
                if _bounded(bound := spec.limit(parameter.get("schema"))):
                    limits[f"{op['operationId']}.{parameter['name']}"] = bound
            for response in op.get("responses", {}).values():
                for name in spec.resolve(response).get("headers", {}):
                    response_headers.add(name.lower())

    value_sets: list[ValueSet] = []
    for name, schema in components.get("schemas", {}).items():
        if _bounded(bound := spec.limit(schema)):
            limits[name] = bound
        if "x-bassa-values" in schema:
            value_sets.append(_value_set(name, schema))
        for prop, sub in schema.get("properties", {}).items():
            if _bounded(bound := spec.limit(sub)):
                limits[f"{name}.{prop}"] = bound
            if "x-bassa-values" in sub:
                value_sets.append(_value_set(_camel(name, prop), sub))

    schemes = tuple(
        SecurityScheme(scheme=key, name=value["name"], location=value["in"])
        for key, value in components.get("securitySchemes", {}).items()
        if value.get("type") == "apiKey"
    )
    request_headers.update(s.name.lower() for s in schemes if s.location == "header")
    return Facts(
        title=data["info"]["title"],
        version=data["info"]["version"],
        operations=tuple(operations),
        limits=tuple(sorted(limits.items())),
        value_sets=tuple(value_sets),
        security_schemes=schemes,
        request_headers=tuple(sorted(request_headers)),
        response_headers=tuple(sorted(response_headers)),
        share_token_operations=tuple(o.operation_id for o in operations if o.share_token),
    )


def _value_set(name: str, schema: dict[str, Any]) -> ValueSet:
    values = tuple((str(k), v) for k, v in schema["x-bassa-values"].items())
    kind = schema.get("type", "string")
    if len({v for _, v in values}) != len(values):
        raise ValueError(f"{name}: x-bassa-values must give each value one name")
    description = " ".join(str(schema.get("description", "")).split())
    return ValueSet(name=name, kind=kind, values=values, description=description)


# ---------------------------------------------------------------------------------------- Python


_PY_HEADER = '''\
"""Facts of the {title} {version} spec that the generated client does not carry.

Generated by scripts/generate from openapi/bassa.yaml: do not edit (the drift check fails on any
difference). The SDK, its command line and the server read operations, limits, status values,
security schemes and header names from here instead of restating them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
{exports}
]


{model}'''


def _py_limit(limit: Limit) -> str:
    args = []
    for f in fields(limit):
        value = getattr(limit, f.name)
        if not _given(value):
            continue
        args.append(f"{f.name}={_py_limit(value) if f.name == 'items' else repr(value)}")
    return f"Limit({', '.join(args)})"


def render_python(facts: Facts) -> str:
    """The Python module of `facts` (formatted by the pinned ruff afterwards)."""
    names = [
        "OPERATIONS",
        "LIMITS",
        "SECURITY_SCHEMES",
        "REQUEST_HEADERS",
        "RESPONSE_HEADERS",
        "SHARE_TOKEN_OPERATIONS",
        "Limit",
        "Operation",
        "SecurityScheme",
        *(v.name for v in facts.value_sets),
    ]
    exports = "\n".join(
        f"    {name!r}," for name in sorted(names, key=lambda n: (not n.isupper(), n))
    )
    model = "\n\n".join(inspect.getsource(cls) for cls in MODEL)
    header = _PY_HEADER.format(
        title=facts.title, version=facts.version, exports=exports, model=model
    )
    out = [header.rstrip("\n")]
    for value_set in facts.value_sets:
        base = "enum.IntEnum" if value_set.kind == "integer" else "enum.StrEnum"
        out.append(f"\n\nclass {value_set.name}({base}):")
        doc = textwrap.fill(value_set.description, 92, subsequent_indent="    ")
        out.append(f'    """{doc}"""\n')
        for name, value in value_set.values:
            out.append(f"    {name.upper()} = {value!r}")
    out.append("\n\n#: Every operation by its operationId, in the order of the spec.")
    out.append("OPERATIONS: Final[Mapping[str, Operation]] = MappingProxyType({")
    for op in facts.operations:
        out.append(
            f"    {op.operation_id!r}: Operation({op.operation_id!r}, {op.method!r}, {op.path!r}, "
            f"{op.tags!r}, safe_to_retry={op.safe_to_retry}, extension={op.extension}, "
            f"admin={op.admin}, share_token={op.share_token}, security={op.security!r}),"
        )
    out.append("})")
    out.append(
        "\n#: Bounds by schema (`Gid`), body field (`Rating.rate`) or operation parameter "
        "(`list_own_downloads.page`)."
    )
    out.append("LIMITS: Final[Mapping[str, Limit]] = MappingProxyType({")
    for key, limit in facts.limits:
        out.append(f"    {key!r}: {_py_limit(limit)},")
    out.append("})")
    out.append("\n#: The API key schemes by name.")
    out.append("SECURITY_SCHEMES: Final[Mapping[str, SecurityScheme]] = MappingProxyType({")
    for s in facts.security_schemes:
        out.append(f"    {s.scheme!r}: SecurityScheme({s.scheme!r}, {s.name!r}, {s.location!r}),")
    out.append("})")
    out.append("\n#: Request headers the API reads (lower case).")
    out.append(f"REQUEST_HEADERS: Final = {facts.request_headers!r}")
    out.append("#: Response headers the API declares (lower case).")
    out.append(f"RESPONSE_HEADERS: Final = {facts.response_headers!r}")
    out.append("#: Operations whose `share` parameter may carry a share token.")
    out.append(f"SHARE_TOKEN_OPERATIONS: Final = frozenset({facts.share_token_operations!r})")
    return "\n".join(out) + "\n"


RENDERERS = {"python": render_python}


def main(argv: list[str]) -> int:
    """`_spec_facts.py LANGUAGE SPEC OUTPUT`: write the facts module of one language."""
    if len(argv) != 3 or argv[0] not in RENDERERS:
        print(f"usage: _spec_facts.py {{{','.join(RENDERERS)}}} SPEC OUTPUT", file=sys.stderr)
        return 2
    language, spec, output = argv
    Path(output).write_text(RENDERERS[language](load(Path(spec))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
