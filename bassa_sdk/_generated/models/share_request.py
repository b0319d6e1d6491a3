from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ShareRequest")


@_attrs_define
class ShareRequest:
    """
    Attributes:
        gid (str): A zip job's id.
        expires_in (int | Unset): Seconds until the link expires (default 86400).
    """

    gid: str
    expires_in: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        gid = self.gid

        expires_in = self.expires_in

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "gid": gid,
            }
        )
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        gid = d.pop("gid")

        expires_in = d.pop("expires_in", UNSET)

        share_request = cls(
            gid=gid,
            expires_in=expires_in,
        )

        return share_request
