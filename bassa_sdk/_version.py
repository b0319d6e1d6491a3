"""The SDK's version, read once from the installed distribution's metadata.

pyproject.toml's `version` is the one place the version is written; `importlib.metadata` reads
it back, lazily, so importing the SDK or starting the command line does not pay for it.
"""

from __future__ import annotations

from functools import cache

__all__ = ["DISTRIBUTION", "user_agent", "version"]

#: The distribution the SDK ships in (pyproject.toml's `name`).
DISTRIBUTION = "bassa-sdk"


@cache
def version() -> str:
    """The installed version of the SDK, or `0+unknown` when it runs from a bare source tree."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def user_agent() -> str:
    """The `User-Agent` every request of the SDK carries (unless the caller's client sets one)."""
    return f"bassa-sdk/{version()}"
