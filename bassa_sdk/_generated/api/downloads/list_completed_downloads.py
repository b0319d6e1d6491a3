from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.download import Download
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    page: int,
    *,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/downloads/{page}".format(
            page=quote(str(page), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[Download] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for componentsschemas_download_page_item_data in _response_200:
            componentsschemas_download_page_item = Download.from_dict(
                componentsschemas_download_page_item_data
            )

            response_200.append(componentsschemas_download_page_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | list[Download]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    page: int,
    *,
    client: AuthenticatedClient | Client,
    cursor: str | Unset = UNSET,
) -> Response[Error | list[Download]]:
    """List completed downloads

     Any signed-in user. The shared library: completed downloads of every user, 15 a page,
    newest first (by `completed_time`, then `id`). A page past the end is an empty list.
    Pages deeper than 100 are refused (400): read further with `cursor` (see **Pages** above).
    The caller's own rows show their links whole; every other row's `link` is shown without
    `user:password@` and with the values of secret query parameters replaced by `REDACTED`
    (see **Links** above).

    Args:
        page (int):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Download]]
    """

    kwargs = _get_kwargs(
        page=page,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    page: int,
    *,
    client: AuthenticatedClient | Client,
    cursor: str | Unset = UNSET,
) -> Error | list[Download] | None:
    """List completed downloads

     Any signed-in user. The shared library: completed downloads of every user, 15 a page,
    newest first (by `completed_time`, then `id`). A page past the end is an empty list.
    Pages deeper than 100 are refused (400): read further with `cursor` (see **Pages** above).
    The caller's own rows show their links whole; every other row's `link` is shown without
    `user:password@` and with the values of secret query parameters replaced by `REDACTED`
    (see **Links** above).

    Args:
        page (int):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Download]
    """

    return sync_detailed(
        page=page,
        client=client,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    page: int,
    *,
    client: AuthenticatedClient | Client,
    cursor: str | Unset = UNSET,
) -> Response[Error | list[Download]]:
    """List completed downloads

     Any signed-in user. The shared library: completed downloads of every user, 15 a page,
    newest first (by `completed_time`, then `id`). A page past the end is an empty list.
    Pages deeper than 100 are refused (400): read further with `cursor` (see **Pages** above).
    The caller's own rows show their links whole; every other row's `link` is shown without
    `user:password@` and with the values of secret query parameters replaced by `REDACTED`
    (see **Links** above).

    Args:
        page (int):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Download]]
    """

    kwargs = _get_kwargs(
        page=page,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    page: int,
    *,
    client: AuthenticatedClient | Client,
    cursor: str | Unset = UNSET,
) -> Error | list[Download] | None:
    """List completed downloads

     Any signed-in user. The shared library: completed downloads of every user, 15 a page,
    newest first (by `completed_time`, then `id`). A page past the end is an empty list.
    Pages deeper than 100 are refused (400): read further with `cursor` (see **Pages** above).
    The caller's own rows show their links whole; every other row's `link` is shown without
    `user:password@` and with the values of secret query parameters replaced by `REDACTED`
    (see **Links** above).

    Args:
        page (int):
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Download]
    """

    return (
        await asyncio_detailed(
            page=page,
            client=client,
            cursor=cursor,
        )
    ).parsed
