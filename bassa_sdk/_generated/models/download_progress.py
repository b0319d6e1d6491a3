from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DownloadProgress")


@_attrs_define
class DownloadProgress:
    """
    Attributes:
        id (int):
        status (int): 0 queued, 1 started, 2 deleted from disk (by retention), 3 completed, 4 error. New values
            may be added; clients must accept any integer.
        completed_length (int): Bytes downloaded so far.
        total_length (int): The file's size in bytes; 0 while unknown.
        download_speed (int): Bytes per second at the last report; 0 when not running.
        error (None | str | Unset): Why the download failed, when `status` is 4.
    """

    id: int
    status: int
    completed_length: int
    total_length: int
    download_speed: int
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status

        completed_length = self.completed_length

        total_length = self.total_length

        download_speed = self.download_speed

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
                "status": status,
                "completed_length": completed_length,
                "total_length": total_length,
                "download_speed": download_speed,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        status = d.pop("status")

        completed_length = d.pop("completed_length")

        total_length = d.pop("total_length")

        download_speed = d.pop("download_speed")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        download_progress = cls(
            id=id,
            status=status,
            completed_length=completed_length,
            total_length=total_length,
            download_speed=download_speed,
            error=error,
        )

        download_progress.additional_properties = d
        return download_progress

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
