from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.compression_job import CompressionJob
from ...models.error import Error
from ...types import UNSET, Response


def _get_kwargs(
    *,
    gid: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["gid"] = gid

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/compression-progress",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CompressionJob | Error | None:
    if response.status_code == 200:
        response_200 = CompressionJob.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CompressionJob | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    gid: str,
) -> Response[CompressionJob | Error]:
    """Show a zip job's progress

     Any signed-in user. `progress` is 0 while the zip is being built and 1 once it can be
    fetched; `status` (extension) also tells a failed job. Unknown job: 404.

    Args:
        gid (str): A zip job's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompressionJob | Error]
    """

    kwargs = _get_kwargs(
        gid=gid,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    gid: str,
) -> CompressionJob | Error | None:
    """Show a zip job's progress

     Any signed-in user. `progress` is 0 while the zip is being built and 1 once it can be
    fetched; `status` (extension) also tells a failed job. Unknown job: 404.

    Args:
        gid (str): A zip job's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompressionJob | Error
    """

    return sync_detailed(
        client=client,
        gid=gid,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    gid: str,
) -> Response[CompressionJob | Error]:
    """Show a zip job's progress

     Any signed-in user. `progress` is 0 while the zip is being built and 1 once it can be
    fetched; `status` (extension) also tells a failed job. Unknown job: 404.

    Args:
        gid (str): A zip job's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompressionJob | Error]
    """

    kwargs = _get_kwargs(
        gid=gid,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    gid: str,
) -> CompressionJob | Error | None:
    """Show a zip job's progress

     Any signed-in user. `progress` is 0 while the zip is being built and 1 once it can be
    fetched; `status` (extension) also tells a failed job. Unknown job: 404.

    Args:
        gid (str): A zip job's id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompressionJob | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            gid=gid,
        )
    ).parsed
