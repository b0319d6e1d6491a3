"""File names from links stay one harmless path component inside the download's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bassa_server._lifecycle._paths import (
    MAX_NAME_BYTES,
    name_from_link,
    relative_inside,
    safe_file_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "fallback"),
        (".bashrc", "bashrc"),
        ("", "fallback"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("dir/", "fallback"),
    ],
)
def test_safe_file_name_keeps_one_harmless_component(name: str, expected: str) -> None:
    """Separators, parent references, dot files and control characters never survive."""
    assert safe_file_name(name, fallback="fallback") == expected


def test_safe_file_name_truncates_long_names_on_a_character_boundary() -> None:
    """A long UTF-8 name is cut to MAX_NAME_BYTES bytes without splitting a character."""
    name = safe_file_name("é" * 300, fallback="x")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert set(name) == {"é"}


def test_name_from_link_decodes_the_last_segment() -> None:
    """The link's last path segment is percent-decoded; an encoded traversal is then cut off."""
    assert name_from_link("http://h/files/My%20File.iso?x=1") == "My File.iso"
    tricky = name_from_link("http://h/a/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd")
    assert tricky == "../../etc/passwd"
    assert safe_file_name(tricky, fallback="x") == "passwd"
    assert name_from_link("http://h") == ""


def test_relative_inside_refuses_paths_that_resolve_outside(tmp_path: Path) -> None:
    """Paths inside the root come back relative; `..` and symlinks out of it give None."""
    root = tmp_path / "downloads"
    (root / "7").mkdir(parents=True)
    (root / "7" / "link").symlink_to(tmp_path)
    assert relative_inside(root / "7" / "a.bin", root) == "7/a.bin"
    assert relative_inside(root / "7" / ".." / ".." / "x", root) is None
    assert relative_inside(root / "7" / "link" / "x", root) is None
    assert relative_inside(root, root) is None
