from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Download")


@_attrs_define
class Download:
    """
    Attributes:
        id (int):
        link (str): The link as it was queued; in another user's download, without its userinfo and
            with secret query parameter values replaced by `REDACTED`.
        user_name (str): The owner.
        download_name (str): The file's name (from the link until the engine reports the real one).
        added_time (int): When it was queued, in Unix seconds.
        status (int): 0 queued, 1 started, 2 deleted from disk (by retention), 3 completed, 4 error. New values
            may be added; clients must accept any integer.
        rating (int): The rounded average of the users' ratings (0 when nobody rated it).
        gid (None | str): The engine's id of the transfer (16 hex digits); null until it starts.
        completed_time (int): When it completed, in Unix seconds; 0 until then.
        size (int): The file's size in bytes; 0 until known.
        path (None | str): The file's path inside the downloads folder; null until known.
        error (None | str | Unset): Why the download failed, when `status` is 4 (extension).
    """

    id: int
    link: str
    user_name: str
    download_name: str
    added_time: int
    status: int
    rating: int
    gid: None | str
    completed_time: int
    size: int
    path: None | str
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        link = self.link

        user_name = self.user_name

        download_name = self.download_name

        added_time = self.added_time

        status = self.status

        rating = self.rating

        gid: None | str
        gid = self.gid

        completed_time = self.completed_time

        size = self.size

        path: None | str
        path = self.path

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "link": link,
                "user_name": user_name,
                "download_name": download_name,
                "added_time": added_time,
                "status": status,
                "rating": rating,
                "gid": gid,
                "completed_time": completed_time,
                "size": size,
                "path": path,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        link = d.pop("link")

        user_name = d.pop("user_name")

        download_name = d.pop("download_name")

        added_time = d.pop("added_time")

        status = d.pop("status")

        rating = d.pop("rating")

        def _parse_gid(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        gid = _parse_gid(d.pop("gid"))

        completed_time = d.pop("completed_time")

        size = d.pop("size")

        def _parse_path(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        path = _parse_path(d.pop("path"))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        download = cls(
            id=id,
            link=link,
            user_name=user_name,
            download_name=download_name,
            added_time=added_time,
            status=status,
            rating=rating,
            gid=gid,
            completed_time=completed_time,
            size=size,
            path=path,
            error=error,
        )

        download.additional_properties = d
        return download

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
