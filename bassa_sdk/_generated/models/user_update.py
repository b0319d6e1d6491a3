from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserUpdate")


@_attrs_define
class UserUpdate:
    """The fields to change; fields left out keep their value.

    Attributes:
        user_name (str | Unset): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at most 64.
        password (str | Unset):
        auth (int | Unset): The user's level: 0 admin; 1 student, 2 academic, 3 non-academic (ordinary users). Only 0
            grants anything more; other values are kept as given.
        email (str | Unset):
    """

    user_name: str | Unset = UNSET
    password: str | Unset = UNSET
    auth: int | Unset = UNSET
    email: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        user_name = self.user_name

        password = self.password

        auth = self.auth

        email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if user_name is not UNSET:
            field_dict["user_name"] = user_name
        if password is not UNSET:
            field_dict["password"] = password
        if auth is not UNSET:
            field_dict["auth"] = auth
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_name = d.pop("user_name", UNSET)

        password = d.pop("password", UNSET)

        auth = d.pop("auth", UNSET)

        email = d.pop("email", UNSET)

        user_update = cls(
            user_name=user_name,
            password=password,
            auth=auth,
            email=email,
        )

        return user_update
