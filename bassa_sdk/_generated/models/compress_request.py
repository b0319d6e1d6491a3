from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CompressRequest")


@_attrs_define
class CompressRequest:
    """
    Attributes:
        gid (list[str]):
    """

    gid: list[str]

    def to_dict(self) -> dict[str, Any]:
        gid = self.gid

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "gid": gid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        gid = cast(list[str], d.pop("gid"))

        compress_request = cls(
            gid=gid,
        )

        return compress_request
