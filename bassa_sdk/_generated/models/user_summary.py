from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserSummary")


@_attrs_define
class UserSummary:
    """
    Attributes:
        user_name (str):
        auth (int): The user's level (0 is an admin).
        email (str):
        approved (bool | Unset): Whether an admin approved the account (extension).
        blocked (bool | Unset): Whether the account is blocked (extension).
    """

    user_name: str
    auth: int
    email: str
    approved: bool | Unset = UNSET
    blocked: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        user_name = self.user_name

        auth = self.auth

        email = self.email

        approved = self.approved

        blocked = self.blocked

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "user_name": user_name,
                "auth": auth,
                "email": email,
            }
        )
        if approved is not UNSET:
            field_dict["approved"] = approved
        if blocked is not UNSET:
            field_dict["blocked"] = blocked

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_name = d.pop("user_name")

        auth = d.pop("auth")

        email = d.pop("email")

        approved = d.pop("approved", UNSET)

        blocked = d.pop("blocked", UNSET)

        user_summary = cls(
            user_name=user_name,
            auth=auth,
            email=email,
            approved=approved,
            blocked=blocked,
        )

        user_summary.additional_properties = d
        return user_summary

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
