"""The generated spec facts say what the spec says, and no path is written by hand elsewhere."""

from __future__ import annotations

import importlib.util
import io
import sys
import tokenize
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from bassa_sdk._generated import spec_facts
from tests.spec import GENERATED, ROOT, SPEC_PATH, load_spec, operations

# where a path of the API may be written: the spec, what is generated from it, and the tests
CHECKED_PACKAGES = ("bassa_sdk", "bassa_server")


def _emitter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_spec_facts", ROOT / "scripts/_spec_facts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_spec_facts"] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_no_api_path_literal_outside_the_spec_and_generated_code() -> None:
    """No string literal in the SDK or the server names an `/api/` path: paths come from facts."""
    found = []
    for package in CHECKED_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if GENERATED in path.parents:
                continue
            source = path.read_text(encoding="utf-8")
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.STRING and "/api/" in token.string:
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string}")
    assert found == []


def test_share_tokens_security_and_headers_match_the_spec() -> None:
    """Share-token operations, API key schemes and header names are the spec's."""
    spec = load_spec()
    marked = {op["operationId"] for _, _, op in operations() if op.get("x-bassa-share-token")}
    assert spec_facts.SHARE_TOKEN_OPERATIONS == marked == {"fetch_zip"}
    schemes = spec["components"]["securitySchemes"]
    assert {k: (s.name, s.location) for k, s in spec_facts.SECURITY_SCHEMES.items()} == {
        k: (v["name"], v["in"]) for k, v in schemes.items()
    }
    assert set(spec_facts.REQUEST_HEADERS) == {"token", "key", "range"}
    assert "token" in spec_facts.RESPONSE_HEADERS


def test_limits_keep_zero_bounds_and_array_items() -> None:
    """A `minimum: 0` is a bound, and an array's item pattern is kept with its own limits."""
    assert spec_facts.LIMITS["Rating.rate"] == spec_facts.Limit(minimum=0, maximum=5)
    gids = spec_facts.LIMITS["CompressRequest.gid"]
    assert (gids.min_items, gids.max_items, gids.unique_items) == (1, 100, True)
    assert gids.items == spec_facts.Limit(pattern="^[0-9a-f]{16}$")
    assert spec_facts.LIMITS["list_own_downloads.page"].minimum == 1


def test_a_value_with_two_names_is_refused(tmp_path: Path) -> None:
    """The emitter refuses `x-bassa-values` that give one value two names."""
    data = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    values = data["components"]["schemas"]["DownloadStatus"]["x-bassa-values"]
    values["failed"] = values["error"]
    broken = tmp_path / "spec.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="one name"):
        _emitter().load(broken)


def test_rendered_module_runs_and_carries_every_operation(tmp_path: Path) -> None:
    """The Python rendering of the spec is a module whose operations are the spec's."""
    emitter = _emitter()
    target = tmp_path / "facts.py"
    target.write_text(emitter.render_python(emitter.load(SPEC_PATH)), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("rendered_facts", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rendered_facts"] = module
    spec.loader.exec_module(module)
    assert list(module.OPERATIONS) == [op["operationId"] for _, _, op in operations()]
    assert module.DownloadStatus.ERROR == 4
