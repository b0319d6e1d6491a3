from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.queue_change import QueueChange
from ...types import Response


def _get_kwargs(
    *,
    key: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["key"] = key

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/download/kill",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | QueueChange | None:
    if response.status_code == 200:
        response_200 = QueueChange.from_dict(response.json())

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
) -> Response[Error | QueueChange]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    key: str,
) -> Response[Error | QueueChange]:
    """Pause the queue

     Callers holding the server key (`key` header). Pauses the engine: running downloads are
    paused and nothing new starts until the queue is started again. Pausing a paused queue is
    harmless.

    Args:
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueChange]
    """

    kwargs = _get_kwargs(
        key=key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    key: str,
) -> Error | QueueChange | None:
    """Pause the queue

     Callers holding the server key (`key` header). Pauses the engine: running downloads are
    paused and nothing new starts until the queue is started again. Pausing a paused queue is
    harmless.

    Args:
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueChange
    """

    return sync_detailed(
        client=client,
        key=key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    key: str,
) -> Response[Error | QueueChange]:
    """Pause the queue

     Callers holding the server key (`key` header). Pauses the engine: running downloads are
    paused and nothing new starts until the queue is started again. Pausing a paused queue is
    harmless.

    Args:
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueChange]
    """

    kwargs = _get_kwargs(
        key=key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    key: str,
) -> Error | QueueChange | None:
    """Pause the queue

     Callers holding the server key (`key` header). Pauses the engine: running downloads are
    paused and nothing new starts until the queue is started again. Pausing a paused queue is
    harmless.

    Args:
        key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueChange
    """

    return (
        await asyncio_detailed(
            client=client,
            key=key,
        )
    ).parsed
