from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SignUpRequest")


@_attrs_define
class SignUpRequest:
    """
    Attributes:
        user_name (str): Letters, digits, `_`, `.` and `-`, starting with a letter or digit; at most 64.
        password (str):
        email (str):
    """

    user_name: str
    password: str
    email: str

    def to_dict(self) -> dict[str, Any]:
        user_name = self.user_name

        password = self.password

        email = self.email

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "user_name": user_name,
                "password": password,
                "email": email,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        user_name = d.pop("user_name")

        password = d.pop("password")

        email = d.pop("email")

        sign_up_request = cls(
            user_name=user_name,
            password=password,
            email=email,
        )

        return sign_up_request
