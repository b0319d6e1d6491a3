from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.compress_request import CompressRequest
from ...models.compression_job import CompressionJob
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CompressRequest,
    share: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["share"] = share

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/compress",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
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

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

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
    client: AuthenticatedClient,
    body: CompressRequest,
    share: str | Unset = UNSET,
) -> Response[CompressionJob | Error]:
    """Zip several completed downloads

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter, as the legacy UI sends it). Starts building one zip of the completed downloads
    with the given aria2 GIDs and returns the job; asking again for the same set (in any
    order, by anyone) returns the same job, running or finished, without building it again.
    A GID that names no completed download is a 404. Building a new zip is refused with 429
    while the caller has too many zip jobs running or too many finished zips kept (server
    settings), and with 507 when the zip would leave the zips volume too full.

    Args:
        share (str | Unset):
        body (CompressRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompressionJob | Error]
    """

    kwargs = _get_kwargs(
        body=body,
        share=share,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CompressRequest,
    share: str | Unset = UNSET,
) -> CompressionJob | Error | None:
    """Zip several completed downloads

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter, as the legacy UI sends it). Starts building one zip of the completed downloads
    with the given aria2 GIDs and returns the job; asking again for the same set (in any
    order, by anyone) returns the same job, running or finished, without building it again.
    A GID that names no completed download is a 404. Building a new zip is refused with 429
    while the caller has too many zip jobs running or too many finished zips kept (server
    settings), and with 507 when the zip would leave the zips volume too full.

    Args:
        share (str | Unset):
        body (CompressRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompressionJob | Error
    """

    return sync_detailed(
        client=client,
        body=body,
        share=share,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CompressRequest,
    share: str | Unset = UNSET,
) -> Response[CompressionJob | Error]:
    """Zip several completed downloads

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter, as the legacy UI sends it). Starts building one zip of the completed downloads
    with the given aria2 GIDs and returns the job; asking again for the same set (in any
    order, by anyone) returns the same job, running or finished, without building it again.
    A GID that names no completed download is a 404. Building a new zip is refused with 429
    while the caller has too many zip jobs running or too many finished zips kept (server
    settings), and with 507 when the zip would leave the zips volume too full.

    Args:
        share (str | Unset):
        body (CompressRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CompressionJob | Error]
    """

    kwargs = _get_kwargs(
        body=body,
        share=share,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CompressRequest,
    share: str | Unset = UNSET,
) -> CompressionJob | Error | None:
    """Zip several completed downloads

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter, as the legacy UI sends it). Starts building one zip of the completed downloads
    with the given aria2 GIDs and returns the job; asking again for the same set (in any
    order, by anyone) returns the same job, running or finished, without building it again.
    A GID that names no completed download is a 404. Building a new zip is refused with 429
    while the caller has too many zip jobs running or too many finished zips kept (server
    settings), and with 507 when the zip would leave the zips volume too full.

    Args:
        share (str | Unset):
        body (CompressRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CompressionJob | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            share=share,
        )
    ).parsed
