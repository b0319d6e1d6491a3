from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="NewDownload")


@_attrs_define
class NewDownload:
    """
    Attributes:
        link (str): An http, https or ftp URL with a host name or IPv4 address (magnet links where the
            server enables them). A server may allow fewer schemes, or refuse private addresses,
            with a 400.
    """

    link: str

    def to_dict(self) -> dict[str, Any]:
        link = self.link

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "link": link,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        link = d.pop("link")

        new_download = cls(
            link=link,
        )

        return new_download
