"""Word segmentation with a private jieba tokenizer (分词).

jieba's global tokenizer is shared mutable state and loads lazily; we build our own `Tokenizer`
once, add every keyword and place name as a user word, and initialise it up front.

Start-up: jieba's full dictionary (349k words) takes about 1 s to load from its cache on this
machine. Words rarer than `min_freq` hardly ever win a segmentation, so by default we load a
trimmed copy (about 80k words), written once to a cache folder next to jieba's own cache.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_USER_WORD_FREQ = 20000
DEFAULT_MIN_FREQ = 20


def default_cache_dir() -> Path:
    """Where the trimmed dictionary and jieba's cache live ($HOTLINE_NLP_CACHE overrides)."""
    env = os.environ.get("HOTLINE_NLP_CACHE")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / "hotline-nlp"


def _import_jieba() -> Any:
    # jieba imports pkg_resources only to locate its own files (0.2 s and a deprecation warning);
    # without it jieba falls back to plain paths. https://github.com/fxsjy/jieba/blob/v0.42.1/jieba/_compat.py
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        if blocked:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _trimmed_dictionary(jieba: Any, cache_dir: Path, min_freq: int) -> Path | None:
    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    if min_freq <= 1 or not source.is_file():
        return None
    target = cache_dir / f"dict-min{min_freq}-{int(source.stat().st_mtime)}.txt"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    kept: list[str] = []
    with source.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= min_freq:
                kept.append(line if line.endswith("\n") else line + "\n")
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(kept)
    os.replace(tmp, target)  # atomic: concurrent loaders never see half a file
    return target


class Segmenter:
    """Cuts text into words; user words stay whole."""

    def __init__(
        self,
        user_words: Iterable[str],
        *,
        cache_dir: Path | None = None,
        min_freq: int = DEFAULT_MIN_FREQ,
    ) -> None:
        jieba = _import_jieba()
        folder = cache_dir or default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        dictionary = _trimmed_dictionary(jieba, folder, min_freq)
        tokenizer = jieba.Tokenizer(str(dictionary)) if dictionary else jieba.Tokenizer()
        tokenizer.tmp_dir = str(folder)
        # Loading builds half a million small objects; the cyclic GC only slows that down.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            tokenizer.initialize()
            self._tokenizer = tokenizer
            self.add_words(user_words)
        finally:
            if was_enabled:
                gc.enable()

    def add_words(self, words: Iterable[str]) -> None:
        """Keep more words whole (a knowledge-base edit adds tags); never lowers a frequency."""
        tokenizer = self._tokenizer
        for word in sorted(set(words)):
            if len(word) > 1:
                freq = max(tokenizer.FREQ.get(word) or 0, _USER_WORD_FREQ)
                tokenizer.add_word(word, freq)

    def cut(self, text: str) -> list[str]:
        # HMM off: unknown runs come out as single characters, which the router re-joins; with HMM
        # jieba would glue them into invented words that hide keywords.
        words: list[str] = self._tokenizer.lcut(text, HMM=False)
        return words
