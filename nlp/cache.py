"""The router's file cache (start-up, issue 10): derived data written once per source version to
the user's cache folder and loaded with marshal, which is several times faster than parsing
the source again. A cache that cannot be written or read is only slower, never wrong: every
entry is keyed by its source's path, size and modification time."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any


def default_cache_dir() -> Path:
    """$HOTLINE_NLP_CACHE, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache)/hotline,
    else (no home, or a read-only one, as services often have) the temporary folder."""
    env = os.environ.get("HOTLINE_NLP_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        folder = (Path(base) if base else Path.home() / ".cache") / "hotline"
        folder.mkdir(parents=True, exist_ok=True)
    except (RuntimeError, OSError):
        return Path(tempfile.gettempdir()) / "hotline-nlp"
    return folder


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, target)  # atomic: concurrent loaders never see half a file


def load_marshal(path: Path) -> Any:
    """What `path` holds, or None when it is missing or damaged."""
    try:
        # Our own file in the user's cache folder, as jieba's own cache is (marshal cannot run
        # code). loads(bytes) is 3× faster than load(file).
        return marshal.loads(path.read_bytes())  # noqa: S302
    except (OSError, EOFError, ValueError, TypeError):
        return None


def source_key(*parts: object, files: tuple[Path, ...] = ()) -> str:
    """A cache key from the parts and each file's path, size and modification time."""
    items = [str(p) for p in parts]
    for file in files:
        stat = file.stat()
        items += [str(file.resolve()), str(stat.st_size), str(stat.st_mtime_ns)]
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()[:24]


_TOML_VERSION = 1


def read_toml(path: Path, cache_dir: Path | None = None) -> dict[str, Any]:
    """tomllib.load of `path`, from the cache when the file has not changed (the directory's
    110 kB of TOML take 30–60 ms to parse, a tenth of `hotline route`'s start-up)."""
    cached = (cache_dir or default_cache_dir()) / f"toml-{source_key(_TOML_VERSION, files=(path,))}"
    found = load_marshal(cached)
    if isinstance(found, dict):
        return found
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    # An unwritable folder, or a value marshal cannot hold (a date): parsed again next time.
    with contextlib.suppress(OSError, ValueError):
        write_atomically(cached, marshal.dumps(data))
    return data
