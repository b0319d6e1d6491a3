"""What scripts/release-check asserts about the built archives of both distributions.

Usage: python scripts/_release_check.py DIST_DIR

Both distributions carry the project's one version, the licence (in the sdist and in the
wheel's .dist-info/licenses/), and the metadata a package index shows; the bassa-sdk sdist carries
what it takes to rebuild and test the project (tests, docs, the spec, the server the tests
run); the bassa-sdk wheel carries
no server, and the bassa-server wheel depends on the bassa-sdk of the same version. The released
version has a section in CHANGELOG.md.
"""

from __future__ import annotations

import re
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LICENSE = (ROOT / "LICENSE").read_bytes()
URLS = {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
PYTHONS = {"3.11", "3.12", "3.13"}
SDIST_MUST = (
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "mkdocs.yml",
    "openapi/bassa.yaml",
    "docs/index.md",
    "docs/runbooks.md",
    "tests/conftest.py",
    "tests/unit/test_spec.py",
    "scripts/generate",
    "bassa_sdk/_generated/__init__.py",
    "bassa_sdk/__init__.py",
    "bassa_sdk/py.typed",
    "bassa_server/__main__.py",
)


def project_version() -> str:
    """The one version, [project] version in the root pyproject.toml."""
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    return version


def changelog_has(version: str) -> bool:
    """Whether CHANGELOG.md has a dated section for `version`."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return (
        re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
        is not None
    )


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise SystemExit(f"expected one {pattern} in {folder}, found {[p.name for p in found]}")
    return found[0]


def _check_metadata(name: str, text: str, version: str) -> list[str]:
    meta = Parser().parsestr(text)
    problems = []
    if meta["Version"] != version:
        problems.append(f"{name}: version {meta['Version']}, the project's is {version}")
    if meta["License-Expression"] != "GPL-3.0-or-later":
        problems.append(f"{name}: License-Expression {meta['License-Expression']!r}")
    if "LICENSE" not in (meta.get_all("License-File") or []):
        problems.append(f"{name}: no License-File: LICENSE")
    urls = {entry.split(",")[0] for entry in meta.get_all("Project-URL") or []}
    if not urls >= URLS:
        problems.append(f"{name}: project URLs lack {sorted(URLS - urls)}")
    classifiers = meta.get_all("Classifier") or []
    pythons = {c.rsplit(":: ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)}
    if pythons != PYTHONS:
        problems.append(f"{name}: Python classifiers {sorted(pythons)}")
    if not any(c.startswith("Development Status ::") for c in classifiers):
        problems.append(f"{name}: no Development Status classifier")
    return problems


def check(dist: Path) -> list[str]:
    """Every problem found in the four archives in `dist`."""
    version = project_version()
    problems: list[str] = []
    if not changelog_has(version):
        problems.append(f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' section")

    sdist = _one(dist, "bassa_sdk-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
        missing = [path for path in SDIST_MUST if path not in members]
        if missing:
            problems.append(f"{sdist.name} lacks {missing}")
        elif (archive.extractfile(members["LICENSE"]) or b"").read() != LICENSE:  # type: ignore[union-attr]
            problems.append(f"{sdist.name}: LICENSE differs from the repository's")

    for wheel_glob, package in (
        ("bassa_sdk-*.whl", "bassa_sdk"),
        ("bassa_server-*.whl", "bassa_server"),
    ):
        wheel = _one(dist, wheel_glob)
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = archive.read(f"{info}/METADATA").decode()
            problems += _check_metadata(wheel.name, metadata, version)
            if archive.read(f"{info}/licenses/LICENSE") != LICENSE:
                problems.append(f"{wheel.name}: licenses/LICENSE differs from the repository's")
            tops = sorted({n.split("/")[0] for n in names if not n.startswith(info)})
            if package == "bassa_sdk":
                if tops != ["bassa_sdk"]:
                    problems.append(f"{wheel.name} carries {tops}, not only bassa_sdk")
                if "bassa_sdk/py.typed" not in names:
                    problems.append(f"{wheel.name} lacks bassa_sdk/py.typed")
            else:
                if tops != ["bassa_server"]:
                    problems.append(f"{wheel.name} carries {tops}, not only bassa_server")
                if "bassa_server/openapi.yaml" not in names:
                    problems.append(f"{wheel.name} lacks the spec bassa_server/openapi.yaml")
                requires = Parser().parsestr(metadata).get_all("Requires-Dist") or []
                if f"bassa-sdk=={version}" not in requires:
                    problems.append(f"{wheel.name} does not require bassa-sdk=={version}")
            print(f"{wheel.name}: top-level {' '.join(tops)}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(Path(argv[0]))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"archives of {project_version()}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
