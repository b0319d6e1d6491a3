"""The spec is valid OpenAPI 3.1, covers the legacy API and follows the project's spec policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import validate

from tests.spec import SPEC_PATH, load_spec, operations

# Every operation of the original Bassa server (its MinIO link is not kept).
LEGACY_OPERATIONS = {
    ("POST", "/api/login"): "login",
    ("POST", "/api/regularuser"): "sign_up",
    ("POST", "/api/user"): "add_user",
    ("DELETE", "/api/user/{username}"): "delete_user",
    ("PUT", "/api/user/{username}"): "update_user",
    ("GET", "/api/user"): "list_users",
    ("GET", "/api/user/requests"): "list_signup_requests",
    ("POST", "/api/user/approve/{username}"): "approve_user",
    ("GET", "/api/user/blocked"): "list_blocked_users",
    ("POST", "/api/user/blocked/{username}"): "block_user",
    ("DELETE", "/api/user/blocked/{username}"): "unblock_user",
    ("GET", "/api/user/heavy"): "list_heavy_users",
    ("GET", "/api/user/downloads/{page}"): "list_own_downloads",
    ("POST", "/api/download"): "add_download",
    ("DELETE", "/api/download/{id}"): "delete_download",
    ("POST", "/api/download/rate/{id}"): "rate_download",
    ("GET", "/api/downloads/{page}"): "list_completed_downloads",
    ("GET", "/api/download/{id}"): "fetch_download_file",
    ("GET", "/api/download/start"): "start_queue",
    ("GET", "/api/download/kill"): "kill_queue",
    ("GET", "/api/file"): "fetch_zip",
    ("POST", "/api/compress"): "compress",
    ("GET", "/api/compression-progress"): "get_compression_progress",
}
LEGACY_TAGS = {"auth", "users", "downloads", "queue", "files"}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    spec = load_spec()
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_spec_is_valid_openapi_31() -> None:
    """openapi-spec-validator accepts the spec as an OpenAPI 3.1 document."""
    spec = load_spec()
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


def test_schemathesis_loads_every_operation() -> None:
    """schemathesis loads the spec and sees every operation the document declares."""
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    loaded = {result.ok().label for result in schema.get_all_operations()}  # type: ignore[union-attr]
    declared = {f"{method} {path}" for method, path, _ in operations()}
    assert loaded == declared


def test_every_legacy_operation_is_covered() -> None:
    """Each legacy method and path is in the spec under its stable operationId."""
    found = {(method, path): op["operationId"] for method, path, op in operations()}
    for key, operation_id in LEGACY_OPERATIONS.items():
        assert found.get(key) == operation_id, key


def test_operations_are_described() -> None:
    """Every operation has a unique snake_case id, one tag, a summary and a description."""
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    for method, path, op in operations():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", op["operationId"]), op["operationId"]
        assert len(op["tags"]) == 1, (method, path)
        assert op["summary"] and op["description"], (method, path)
        if (method, path) in LEGACY_OPERATIONS:
            assert op["tags"][0] in LEGACY_TAGS
            assert "x-bassa-extension" not in op
        else:
            assert op.get("x-bassa-extension") is True, (method, path)


def test_extensions_include_probes_and_progress() -> None:
    """Liveness, readiness and one download's progress exist as marked extensions."""
    ids = {op["operationId"] for _, _, op in operations() if op.get("x-bassa-extension")}
    assert {"get_liveness", "get_readiness", "get_download_status"} <= ids


def test_secured_operations_document_refusals_and_the_renewed_token() -> None:
    """A token-secured operation documents 403 and a required `token` header on its JSON 2xx."""
    spec = load_spec()
    for method, path, op in operations():
        security = op.get("security", spec["security"])
        schemes = {name for requirement in security for name in requirement}
        if not schemes:
            continue
        assert "403" in op["responses"], (method, path)
        if schemes == {"tokenAuth"}:
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    headers = _resolve(response).get("headers", {})
                    assert _resolve(headers["token"])["required"] is True, (method, path, status)


def test_constrained_inputs_document_400() -> None:
    """Any operation taking parameters or a body documents 400 for input it refuses."""
    for method, path, op in operations():
        takes_input = "requestBody" in op or "{" in path or op.get("parameters")
        if takes_input:
            assert "400" in op["responses"], (method, path)


def test_every_response_has_a_schema() -> None:
    """Every documented response body has a schema, and errors share the Error shape."""
    for method, path, op in operations():
        for status, response in op["responses"].items():
            content = _resolve(response).get("content")
            assert content, (method, path, status)
            for media, body in content.items():
                assert "schema" in body, (method, path, status, media)
                is_error = status.startswith(("4", "5")) and media == "application/json"
                if is_error and op["operationId"] != "get_readiness":
                    assert body["schema"] == {"$ref": "#/components/schemas/Error"}


def test_queue_control_takes_the_key_as_a_parameter() -> None:
    """start_queue and kill_queue use the serverKey scheme and a required `key` header."""
    for _, _, op in operations():
        if op["operationId"] in {"start_queue", "kill_queue"}:
            assert op["security"] == [{"serverKey": []}]
            params = [_resolve(p) for p in op["parameters"]]
            assert {"name": "key", "in": "header", "required": True}.items() <= params[0].items()


def test_login_is_a_form_and_returns_the_token_header() -> None:
    """Login takes a form body, needs no token, and its 200 requires the `token` header."""
    op = load_spec()["paths"]["/api/login"]["post"]
    assert op["security"] == []
    assert list(op["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert _resolve(op["responses"]["200"]["headers"]["token"])["required"] is True


@pytest.mark.parametrize(
    ("operation_id", "target"),
    [
        ("sign_up", "approve_user"),
        ("add_user", "delete_user"),
        ("add_download", "rate_download"),
        ("add_download", "delete_download"),
        ("compress", "get_compression_progress"),
        ("compress", "fetch_zip"),
    ],
)
def test_links_chain_operations(operation_id: str, target: str) -> None:
    """The links that drive stateful testing connect an output to the operation it feeds."""
    op = next(op for _, _, op in operations() if op["operationId"] == operation_id)
    links = _resolve(op["responses"]["200"]).get("links", {})
    assert target in {link["operationId"] for link in links.values()}
