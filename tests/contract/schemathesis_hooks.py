"""Schemathesis hooks of the contract run: the fuzzer must not lock itself out.

schemathesis learns real values from responses and sends them back, so it finds the name of the
account it signs in with (in `GET /api/user`) and soon renames it, changes its password or blocks
it; from then on every request is a `403 token error` and the rest of the run tests nothing.
This hook drops generated cases that address that one account by `{username}`. Every other user,
and the operations themselves, stay fully fuzzed; the server's refusals for an admin's own
account (409 on delete and block) are covered by tests/integration.

Loaded through `hooks` in openapi/schemathesis.toml (a path relative to the repository root).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

_SIGNED_IN = os.environ.get("BASSA_ADMIN_USER", "").casefold()


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> bool:
    """Keep every case except those whose `{username}` is the signed-in account."""
    username = (case.path_parameters or {}).get("username")
    return not (isinstance(username, str) and username.casefold() == _SIGNED_IN)
