"""Where a download's file goes, proof that it stays inside its folder, and room on the volume.

Every download gets its own folder, `<downloads_dir>/<id>/`, so two links with the same file name
never collide, and a fixed, sanitised file name inside it, so that a re-added download (after a
crash) finds and continues its partial file. Names come from the link, which anyone can write, so
nothing in them may climb out of the folder.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

MAX_NAME_BYTES = 200  # leaves room for aria2's ".aria2" control-file suffix under NAME_MAX (255)


def safe_file_name(name: str, *, fallback: str) -> str:
    """A single path component made from `name`: no separators, no control characters, no dot
    files, at most `MAX_NAME_BYTES` bytes of UTF-8; `fallback` when nothing usable is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if unicodedata.category(char).startswith("C") else char for char in base
    ).strip()
    cleaned = cleaned.lstrip(".").strip()
    encoded = cleaned.encode("utf-8")[:MAX_NAME_BYTES]
    cleaned = encoded.decode("utf-8", errors="ignore").strip()
    return cleaned or fallback


def name_from_link(link: str) -> str:
    """The file name a link suggests: its last path segment, percent-decoded (may be empty)."""
    path = urlsplit(link).path
    return unquote(PurePosixPath(path).name) if path else ""


def download_folder(downloads_dir: Path, download_id: int) -> Path:
    """The folder that holds download `download_id`'s file."""
    return downloads_dir / str(download_id)


def relative_inside(path: str | Path, root: Path) -> str | None:
    """`path` relative to `root` (POSIX form) if it resolves inside it, else None."""
    try:
        resolved = Path(path).resolve()
        relative = resolved.relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return None
    return relative.as_posix() if relative.parts else None


def inside(folder: Path, relative: str) -> Path | None:
    """`folder / relative` when it is a regular file that stays inside `folder`, else None."""
    if relative_inside(folder / relative, folder) is None:
        return None
    candidate = (folder / relative).resolve()
    return candidate if candidate.is_file() else None


def has_room(folder: Path, min_free_bytes: int, needed: int = 0) -> bool:
    """Whether writing `needed` more bytes leaves `folder`'s volume at least `min_free_bytes`
    free (statvfs: call it off the event loop, it can block on a network volume)."""
    return shutil.disk_usage(folder).free - needed >= min_free_bytes


def remove_download_folder(downloads_dir: Path, download_id: int) -> None:
    """Delete a download's folder and everything in it (partial files, control files)."""
    folder = download_folder(downloads_dir, download_id)
    if relative_inside(folder, downloads_dir) is not None:
        shutil.rmtree(folder, ignore_errors=True)
