"""Files written whole or not at all, and their digests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["sha256_of", "written"]


def written(path: Path, write: Callable[[Path], object]) -> Path:
    """Write a file whole or not at all: into a hidden partial file, then renamed.

    A write that fails (a full disk) leaves no file that looks complete: the partial file
    is removed and the error goes on (the command says it, exit 2).
    """
    staging = path.with_name(f".{path.name}.partial")
    try:
        write(staging)
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()
    return path


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
