"""The package's public surface: one sorted `__all__`, one error tree, facts taken from the spec."""

from __future__ import annotations

import inspect

import bassa_sdk
import bassa_sdk._generated.models as generated_models
from bassa_sdk import Bassa, BassaError, DownloadStatus
from bassa_sdk._generated.spec_facts import OPERATIONS
from tests.spec import load_spec, operations


def test_all_is_sorted_and_lists_every_public_name() -> None:
    """`__all__` is sorted (constants, classes, functions), equals the public names (imported
    on first use), and every name in it resolves."""
    public = sorted(
        name for name in dir(bassa_sdk) if not name.startswith("_") and name != "annotations"
    )
    assert all(getattr(bassa_sdk, name) is not None for name in bassa_sdk.__all__)

    def isort_style(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert bassa_sdk.__all__ == sorted(bassa_sdk.__all__, key=isort_style)
    assert sorted(n for n in bassa_sdk.__all__ if not n.startswith("_")) == public
    assert "__version__" in bassa_sdk.__all__


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


def test_download_statuses_have_one_name_each_from_the_spec() -> None:
    """DownloadStatus is exported with the spec's values, one name a value, and compares as int."""
    documented = load_spec()["components"]["schemas"]["DownloadStatus"]["x-bassa-values"]
    assert {s.name.lower(): s.value for s in DownloadStatus} == documented
    assert int(DownloadStatus.ERROR) == 4 and DownloadStatus(3) is DownloadStatus.COMPLETED
    assert "DownloadStatus" in bassa_sdk.__all__


def test_operation_facts_match_the_spec() -> None:
    """Method, path, retry safety and the extension and admin marks come from the spec."""
    idempotent = {"GET", "HEAD", "PUT", "DELETE"}
    expected = {
        op["operationId"]: (
            method,
            path,
            op.get("x-bassa-safe-to-retry", method in idempotent),
            op.get("x-bassa-extension", False),
            op.get("x-bassa-admin", False),
        )
        for method, path, op in operations()
    }
    assert {
        o.operation_id: (o.method, o.path, o.safe_to_retry, o.extension, o.admin)
        for o in OPERATIONS.values()
    } == expected


def test_version_comes_from_the_installed_distribution() -> None:
    """`bassa_sdk.__version__` is pyproject's version, as the installed metadata says."""
    from importlib.metadata import version

    assert bassa_sdk.__version__ == version("bassa-sdk")
