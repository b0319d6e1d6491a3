from http import HTTPStatus
from io import BytesIO
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    gid: str,
    share: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(range_, Unset):
        headers["Range"] = range_

    params: dict[str, Any] = {}

    params["gid"] = gid

    params["share"] = share

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/file",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | File | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 206:
        response_206 = File(payload=BytesIO(response.content))

        return response_206

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 416:
        response_416 = Error.from_dict(response.json())

        return response_416

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    gid: str,
    share: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Error | File]:
    """Fetch a finished zip

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter), or anyone holding a share link for this zip: a signed, expiring `share` token
    made by `create_share_link`. A zip that is still being built, has failed or has been
    cleaned up is a 404. `Range` requests are honoured as for single files.

    Args:
        gid (str): A zip job's id.
        share (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        gid=gid,
        share=share,
        range_=range_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    gid: str,
    share: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Error | File | None:
    """Fetch a finished zip

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter), or anyone holding a share link for this zip: a signed, expiring `share` token
    made by `create_share_link`. A zip that is still being built, has failed or has been
    cleaned up is a 404. `Range` requests are honoured as for single files.

    Args:
        gid (str): A zip job's id.
        share (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return sync_detailed(
        client=client,
        gid=gid,
        share=share,
        range_=range_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    gid: str,
    share: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Response[Error | File]:
    """Fetch a finished zip

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter), or anyone holding a share link for this zip: a signed, expiring `share` token
    made by `create_share_link`. A zip that is still being built, has failed or has been
    cleaned up is a 404. `Range` requests are honoured as for single files.

    Args:
        gid (str): A zip job's id.
        share (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        gid=gid,
        share=share,
        range_=range_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    gid: str,
    share: str | Unset = UNSET,
    range_: str | Unset = UNSET,
) -> Error | File | None:
    """Fetch a finished zip

     Any signed-in user (a session token in the `token` header or in the `share` query
    parameter), or anyone holding a share link for this zip: a signed, expiring `share` token
    made by `create_share_link`. A zip that is still being built, has failed or has been
    cleaned up is a 404. `Range` requests are honoured as for single files.

    Args:
        gid (str): A zip job's id.
        share (str | Unset):
        range_ (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return (
        await asyncio_detailed(
            client=client,
            gid=gid,
            share=share,
            range_=range_,
        )
    ).parsed
