from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.status import Status
from ...types import Response


def _get_kwargs(
    username: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/user/{username}".format(
            username=quote(str(username), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Status | None:
    if response.status_code == 200:
        response_200 = Status.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Status]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    username: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | Status]:
    """Delete a user

     Admins only. Deletes a user with their download records and ratings (the files of their
    completed downloads stay in the shared library until retention removes them). Unknown
    user: 404. An admin cannot delete their own account (409), so a server always keeps one.

    Args:
        username (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at
            most 64.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Status]
    """

    kwargs = _get_kwargs(
        username=username,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    username: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | Status | None:
    """Delete a user

     Admins only. Deletes a user with their download records and ratings (the files of their
    completed downloads stay in the shared library until retention removes them). Unknown
    user: 404. An admin cannot delete their own account (409), so a server always keeps one.

    Args:
        username (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at
            most 64.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Status
    """

    return sync_detailed(
        username=username,
        client=client,
    ).parsed


async def asyncio_detailed(
    username: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | Status]:
    """Delete a user

     Admins only. Deletes a user with their download records and ratings (the files of their
    completed downloads stay in the shared library until retention removes them). Unknown
    user: 404. An admin cannot delete their own account (409), so a server always keeps one.

    Args:
        username (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at
            most 64.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Status]
    """

    kwargs = _get_kwargs(
        username=username,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    username: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | Status | None:
    """Delete a user

     Admins only. Deletes a user with their download records and ratings (the files of their
    completed downloads stay in the shared library until retention removes them). Unknown
    user: 404. An admin cannot delete their own account (409), so a server always keeps one.

    Args:
        username (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at
            most 64.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Status
    """

    return (
        await asyncio_detailed(
            username=username,
            client=client,
        )
    ).parsed
