"""Word segmentation with jieba's dictionary and algorithm, loaded fast (分词).

jieba's global tokenizer is shared mutable state and loads lazily; we build our own dictionary
once, add every keyword and place name as a user word, and cut with jieba's own method (the
dictionary's most probable route, no HMM), re-implemented in `Segmenter._cut_block` at about
twice jieba's speed; a test checks it word for word against jieba.

Start-up: jieba's full dictionary (349k words) takes about 1 s to load from its cache. Words
rarer than `min_freq` hardly ever win a segmentation, so by default we load a trimmed copy (about
80k words). The dictionary as finally used (trimmed, plus the user words) is cached as one
marshal file per dictionary and word list, so a warm start neither imports jieba nor adds the
user words again: about 50 ms instead of 400 ms.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import marshal
import math
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlp.cache import default_cache_dir, load_marshal, source_key, write_atomically

_USER_WORD_FREQ = 20000
DEFAULT_MIN_FREQ = 20
# Bumped when the cached dictionary's content or format changes.
_CACHE_VERSION = 2
# What the word table gives for a fragment that starts no word: no log probability is positive.
_ABSENT = 1.0

# jieba 0.42's own patterns (jieba/__init__.py): runs of these characters are cut with the
# dictionary, everything else goes out one character (or one whitespace run) at a time.
_RE_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
_RE_SKIP = re.compile("(\r\n|\\s)")
_RE_ENG = re.compile("[a-zA-Z0-9]")


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


def _jieba_dictionary() -> Path:
    """jieba's dict.txt, found without importing jieba (50 ms saved on a warm start)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed", name="jieba")
    return Path(spec.origin).resolve().parent / "dict.txt"


def _trimmed_dictionary(source: Path, cache_dir: Path, min_freq: int) -> Path | None:
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
    write_atomically(target, "".join(kept).encode("utf-8"))
    return target


def _build(
    source: Path, folder: Path, min_freq: int, words: list[str]
) -> tuple[dict[str, int], int]:
    """jieba's dictionary (trimmed) with the user words added, as (FREQ, total)."""
    jieba = _import_jieba()
    dictionary = _trimmed_dictionary(source, folder, min_freq)
    tokenizer = jieba.Tokenizer(str(dictionary)) if dictionary else jieba.Tokenizer()
    tokenizer.tmp_dir = str(folder)
    tokenizer.initialize()
    for word in words:
        freq = max(tokenizer.FREQ.get(word) or 0, _USER_WORD_FREQ)
        tokenizer.add_word(word, freq)
    return tokenizer.FREQ, tokenizer.total


def _word_table(freq: dict[str, int], total: int) -> dict[str, float | None]:
    """Every dictionary entry with its log probability as jieba computes it (None for a prefix
    that is no word), so cutting needs one look-up per fragment and no logarithm."""
    log_total = math.log(total)
    return {w: (math.log(f) - log_total if f else None) for w, f in freq.items()}


def _load_cached(path: Path) -> tuple[dict[str, float | None], int] | None:
    loaded = load_marshal(path)
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and isinstance(loaded[0], dict)
        and isinstance(loaded[1], int)
        and loaded[1] > 0
    ):
        return loaded[0], loaded[1]
    return None  # a foreign or damaged file: rebuilt


class Segmenter:
    """Cuts text into words; user words stay whole."""

    def __init__(
        self,
        user_words: Iterable[str],
        *,
        cache_dir: Path | None = None,
        min_freq: int = DEFAULT_MIN_FREQ,
    ) -> None:
        folder = cache_dir or default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._load(
            _jieba_dictionary(), folder, min_freq, sorted({w for w in user_words if len(w) > 1})
        )

    def _load(self, source: Path, folder: Path, min_freq: int, words: list[str]) -> None:
        key = source_key(_CACHE_VERSION, min_freq, _USER_WORD_FREQ, *words, files=(source,))
        cached = folder / f"segmenter-{key}.marshal"
        # Loading builds a hundred thousand small objects; the cyclic GC only slows that down.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            found = _load_cached(cached)
            if found is None:
                freq, total = _build(source, folder, min_freq, words)
                found = _word_table(freq, total), total
                write_atomically(cached, marshal.dumps(found))
        finally:
            if was_enabled:
                gc.enable()
        self._table, total = found
        # What jieba gives a character in no word: log(1) - log(total).
        self._unknown = math.log(1) - math.log(total)
        self._source = (source, folder, min_freq, words)

    def add_words(self, words: Iterable[str]) -> None:
        """Keep more words whole (a knowledge-base edit adds tags). The table is built again
        with them, through the same cache as at start: exact (every probability depends on the
        dictionary's total), and rare enough that its second or two does not matter."""
        source, folder, min_freq, known = self._source
        wanted = sorted(set(known) | {w for w in words if len(w) > 1})
        if wanted != known:
            self._load(source, folder, min_freq, wanted)

    def jieba_tokenizer(self) -> Any:
        """A jieba `Tokenizer` on this dictionary, built again (to compare with jieba's cut)."""
        tokenizer = _import_jieba().Tokenizer()
        tokenizer.FREQ, tokenizer.total = _build(*self._source)
        tokenizer.initialized = True
        return tokenizer

    def cut(self, text: str) -> list[str]:
        """jieba's cut without HMM, word for word (tests/test_nlp_segment.py compares them).

        HMM off: unknown runs come out as single characters, which the router re-joins; with HMM
        jieba would glue them into invented words that hide keywords.
        """
        words: list[str] = []
        for block in _RE_HAN.split(text):
            if not block:
                continue
            if _RE_HAN.match(block):
                self._cut_block(block, words)
                continue
            for piece in _RE_SKIP.split(block):
                if _RE_SKIP.match(piece):
                    words.append(piece)
                else:
                    words.extend(piece)
        return words

    def _cut_block(self, block: str, out: list[str]) -> None:
        """jieba's Tokenizer.get_DAG + calc + __cut_DAG_NO_HMM in one pass, without the DAG
        dictionary, the generator and the tuples: about twice as fast, the same words.

        The best route from each position is the most probable word starting there plus the best
        route after it; ties go to the longer word, as jieba's max() over (score, end) does.
        """
        get = self._table.get
        n = len(block)
        score = [0.0] * (n + 1)
        ends = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = -math.inf
            best_end = -1
            i = k
            frag = block[k]
            while i < n:
                logp = get(frag, _ABSENT)
                if logp is not None:  # None: only the start of longer words
                    if logp > 0.0:  # _ABSENT: no word starts so
                        break
                    value = logp + score[i + 1]
                    if value >= best:
                        best, best_end = value, i
                i += 1
                frag = block[k : i + 1]
            if best_end < 0:
                best, best_end = self._unknown + score[k + 1], k
            score[k], ends[k] = best, best_end
        x = 0
        buf = ""
        while x < n:
            y = ends[x] + 1
            word = block[x:y]
            if y - x == 1 and _RE_ENG.match(word):
                buf += word  # single Latin letters and digits are glued together, as jieba does
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            out.append(buf)
