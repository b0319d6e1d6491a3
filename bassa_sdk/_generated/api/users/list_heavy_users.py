from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.heavy_user import HeavyUser
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/user/heavy",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[HeavyUser] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = HeavyUser.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | list[HeavyUser]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | list[HeavyUser]]:
    """List the heaviest users

     Admins only. The ten users who downloaded the most bytes in the last 30 days (by completion
    time, counted in whole UTC days: today and the 30 days before), heaviest first. Read from
    totals the server keeps as downloads complete, so it costs the same at any table size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[HeavyUser]]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Error | list[HeavyUser] | None:
    """List the heaviest users

     Admins only. The ten users who downloaded the most bytes in the last 30 days (by completion
    time, counted in whole UTC days: today and the 30 days before), heaviest first. Read from
    totals the server keeps as downloads complete, so it costs the same at any table size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[HeavyUser]
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | list[HeavyUser]]:
    """List the heaviest users

     Admins only. The ten users who downloaded the most bytes in the last 30 days (by completion
    time, counted in whole UTC days: today and the 30 days before), heaviest first. Read from
    totals the server keeps as downloads complete, so it costs the same at any table size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[HeavyUser]]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Error | list[HeavyUser] | None:
    """List the heaviest users

     Admins only. The ten users who downloaded the most bytes in the last 30 days (by completion
    time, counted in whole UTC days: today and the 30 days before), heaviest first. Read from
    totals the server keeps as downloads complete, so it costs the same at any table size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[HeavyUser]
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
