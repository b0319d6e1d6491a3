"""The package's public surface: one sorted `__all__`, one error tree, facts taken from the spec."""

from __future__ import annotations

import inspect

import bassa_api_client.models as generated_models
import bassa_sdk
from bassa_sdk import Bassa, BassaError
from bassa_sdk._spec import EXTENSIONS, METHODS, SAFE_TO_RETRY
from tests.spec import operations


def test_all_is_sorted_and_lists_every_public_name() -> None:
    """`__all__` is sorted (constants, classes, functions) and equals the public names."""
    public = sorted(
        name for name in vars(bassa_sdk) if not name.startswith("_") and name != "annotations"
    )

    def isort_style(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert bassa_sdk.__all__ == sorted(bassa_sdk.__all__, key=isort_style)
    assert sorted(bassa_sdk.__all__) == public


def test_every_exported_exception_belongs_to_the_tree() -> None:
    """Every exception the package exports derives from BassaError."""
    exceptions = [
        obj
        for name in bassa_sdk.__all__
        if isinstance(obj := getattr(bassa_sdk, name), type) and issubclass(obj, BaseException)
    ]
    assert len(exceptions) >= 15
    assert all(issubclass(exc, BassaError) for exc in exceptions)


def test_models_are_the_generated_ones() -> None:
    """Re-exported models are the generated classes, not copies."""
    assert bassa_sdk.Download is generated_models.Download
    assert bassa_sdk.DownloadProgress is generated_models.DownloadProgress


def test_configuration_is_keyword_only() -> None:
    """Every client parameter after the URL is keyword-only."""
    parameters = list(inspect.signature(Bassa).parameters.values())
    assert parameters[0].name == "base_url"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])


def test_safe_to_retry_set_matches_the_spec() -> None:
    """The operations the SDK retries like a GET are exactly those the spec marks safe."""
    marked = {op["operationId"] for _, _, op in operations() if op.get("x-bassa-safe-to-retry")}
    assert marked == SAFE_TO_RETRY


def test_extension_set_and_methods_match_the_spec() -> None:
    """The extension set and the method of every operation agree with the spec."""
    marked = {op["operationId"] for _, _, op in operations() if op.get("x-bassa-extension")}
    assert marked == EXTENSIONS
    assert {op["operationId"]: method for method, _, op in operations()} == dict(METHODS)
