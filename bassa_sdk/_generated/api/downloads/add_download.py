from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.download_created import DownloadCreated
from ...models.error import Error
from ...models.new_download import NewDownload
from ...types import Response


def _get_kwargs(
    *,
    body: NewDownload,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/download",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DownloadCreated | Error | None:
    if response.status_code == 200:
        response_200 = DownloadCreated.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DownloadCreated | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NewDownload,
) -> Response[DownloadCreated | Error]:
    """Queue a download

     Any signed-in user. Queues a link (http, https or ftp; magnet links only where the server
    enables them). The engine picks it up while the queue is started. A user over their
    volume quota gets `400 {"quota": "exceeded"}`; a server whose downloads volume is nearly
    full answers 507. The response carries the new download's `id` (extension).

    Args:
        body (NewDownload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DownloadCreated | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: NewDownload,
) -> DownloadCreated | Error | None:
    """Queue a download

     Any signed-in user. Queues a link (http, https or ftp; magnet links only where the server
    enables them). The engine picks it up while the queue is started. A user over their
    volume quota gets `400 {"quota": "exceeded"}`; a server whose downloads volume is nearly
    full answers 507. The response carries the new download's `id` (extension).

    Args:
        body (NewDownload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DownloadCreated | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NewDownload,
) -> Response[DownloadCreated | Error]:
    """Queue a download

     Any signed-in user. Queues a link (http, https or ftp; magnet links only where the server
    enables them). The engine picks it up while the queue is started. A user over their
    volume quota gets `400 {"quota": "exceeded"}`; a server whose downloads volume is nearly
    full answers 507. The response carries the new download's `id` (extension).

    Args:
        body (NewDownload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DownloadCreated | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: NewDownload,
) -> DownloadCreated | Error | None:
    """Queue a download

     Any signed-in user. Queues a link (http, https or ftp; magnet links only where the server
    enables them). The engine picks it up while the queue is started. A user over their
    volume quota gets `400 {"quota": "exceeded"}`; a server whose downloads volume is nearly
    full answers 507. The response carries the new download's `id` (extension).

    Args:
        body (NewDownload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DownloadCreated | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
