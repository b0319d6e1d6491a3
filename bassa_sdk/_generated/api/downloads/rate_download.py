from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.rating import Rating
from ...models.rating_result import RatingResult
from ...types import Response


def _get_kwargs(
    id: int,
    *,
    body: Rating,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/download/rate/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | RatingResult | None:
    if response.status_code == 200:
        response_200 = RatingResult.from_dict(response.json())

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

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | RatingResult]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: int,
    *,
    client: AuthenticatedClient | Client,
    body: Rating,
) -> Response[Error | RatingResult]:
    """Rate a download

     Any signed-in user. Sets the caller's rating (0 to 5) of a download, replacing their
    earlier one; the download's `rating` becomes the rounded average of every user's rating.
    Only the caller's own downloads and completed downloads (the shared library) may be
    rated: any other id answers exactly like an unknown one, 404, so ratings reveal nothing
    about what other users queue.

    Args:
        id (int):
        body (Rating):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RatingResult]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: int,
    *,
    client: AuthenticatedClient | Client,
    body: Rating,
) -> Error | RatingResult | None:
    """Rate a download

     Any signed-in user. Sets the caller's rating (0 to 5) of a download, replacing their
    earlier one; the download's `rating` becomes the rounded average of every user's rating.
    Only the caller's own downloads and completed downloads (the shared library) may be
    rated: any other id answers exactly like an unknown one, 404, so ratings reveal nothing
    about what other users queue.

    Args:
        id (int):
        body (Rating):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RatingResult
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: int,
    *,
    client: AuthenticatedClient | Client,
    body: Rating,
) -> Response[Error | RatingResult]:
    """Rate a download

     Any signed-in user. Sets the caller's rating (0 to 5) of a download, replacing their
    earlier one; the download's `rating` becomes the rounded average of every user's rating.
    Only the caller's own downloads and completed downloads (the shared library) may be
    rated: any other id answers exactly like an unknown one, 404, so ratings reveal nothing
    about what other users queue.

    Args:
        id (int):
        body (Rating):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RatingResult]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: int,
    *,
    client: AuthenticatedClient | Client,
    body: Rating,
) -> Error | RatingResult | None:
    """Rate a download

     Any signed-in user. Sets the caller's rating (0 to 5) of a download, replacing their
    earlier one; the download's `rating` becomes the rounded average of every user's rating.
    Only the caller's own downloads and completed downloads (the shared library) may be
    rated: any other id answers exactly like an unknown one, 404, so ratings reveal nothing
    about what other users queue.

    Args:
        id (int):
        body (Rating):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RatingResult
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
