"""The generated client has every operation and behaves as the facade relies on."""

from __future__ import annotations

import importlib
from urllib.parse import parse_qs

import httpx

from bassa_sdk._generated import AuthenticatedClient, Client
from bassa_sdk._generated.api.auth import login
from bassa_sdk._generated.api.files import fetch_download_file, fetch_zip
from bassa_sdk._generated.models import LoginForm, LoginResult
from bassa_sdk._generated.types import File
from tests.spec import GENERATED, operations


def test_every_operation_has_a_generated_module() -> None:
    """Each operationId becomes api/<tag>/<operationId>.py with sync and async detailed calls."""
    for _, _, op in operations():
        tag, operation_id = op["tags"][0], op["operationId"]
        assert (GENERATED / "api" / tag / f"{operation_id}.py").is_file(), operation_id
        module = importlib.import_module(f"bassa_sdk._generated.api.{tag}.{operation_id}")
        assert callable(module.sync_detailed) and callable(module.asyncio_detailed)


def test_login_sends_a_form_and_exposes_the_token_header() -> None:
    """The generated login posts a url-encoded form; the token is read from the response headers."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"auth": "0"}, headers={"token": "signed.token.value"})

    client = Client(base_url="http://bassa.test")
    client.set_httpx_client(
        httpx.Client(base_url="http://bassa.test", transport=httpx.MockTransport(handler))
    )
    response = login.sync_detailed(
        client=client, body=LoginForm(user_name="admin", password="s3cret pass&")
    )

    request = seen[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(request.content.decode())
    assert form == {"user_name": ["admin"], "password": ["s3cret pass&"]}
    assert response.headers["token"] == "signed.token.value"
    assert isinstance(response.parsed, LoginResult) and response.parsed.auth == "0"


def test_file_operations_return_bytes() -> None:
    """A file download and a zip come back as bytes, not as a dropped branch."""
    payload = b"PK\x03\x04 not really a zip"

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["token"] == "tok"
        media = "application/zip" if request.url.path == "/api/file" else "text/plain"
        return httpx.Response(200, content=payload, headers={"content-type": media})

    client = AuthenticatedClient(
        base_url="http://bassa.test", token="tok", prefix="", auth_header_name="token"
    )
    client.set_httpx_client(
        httpx.Client(
            base_url="http://bassa.test",
            headers={"token": "tok"},
            transport=httpx.MockTransport(handler),
        )
    )
    single = fetch_download_file.sync_detailed(1, client=client)
    zipped = fetch_zip.sync_detailed(client=client, gid="ab12")
    for response in (single, zipped):
        assert isinstance(response.parsed, File)
        assert response.parsed.payload.read() == payload
