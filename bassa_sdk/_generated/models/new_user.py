from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="NewUser")


@_attrs_define
class NewUser:
    """
    Attributes:
        user_name (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at most 64.
        password (str):
        auth (int): The user's level: 0 admin; 1 student, 2 academic, 3 non-academic (ordinary users). Only 0
            grants anything more; other values are kept as given.
        email (str):
    """

    user_name: str
    password: str
    auth: int
    email: str

    def to_dict(self) -> dict[str, Any]:
        user_name = self.user_name

        password = self.password

        auth = self.auth

        email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "user_name": user_name,
                "password": password,
                "auth": auth,
                "email": email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_name = d.pop("user_name")

        password = d.pop("password")

        auth = d.pop("auth")

        email = d.pop("email")

        new_user = cls(
            user_name=user_name,
            password=password,
            auth=auth,
            email=email,
        )

        return new_user
