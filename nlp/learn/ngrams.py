"""The learned router's text features at routing time, without scikit-learn (issue 10's speed).

Training fits scikit-learn's TfidfVectorizer (character 1–3-grams of the normalised text, word
1–2-grams of the jieba words, sublinear tf, l2 norm per block); `NgramTable.from_vectorizer`
keeps only what routing needs: each n-gram's column and idf. Routing then finds a whole batch's
n-grams with a few numpy operations instead of one Python dictionary look-up per n-gram (a
400-character message has about 1,200 character n-grams):

* a character n-gram is a number: its code points (< 2**21) side by side, 21 bits each, so
  1-, 2- and 3-grams never collide and all fit in an int64;
* a word 2-gram is (column of its first word) × width + (column of its second word); its words
  are always 1-grams of the same vocabulary (min_df=1 keeps every word of the training texts);
* known n-grams are found in a hash table of the numbers (nlp/learn/hashindex.py), counted
  with `unique`.

Rows come out with their columns sorted, as scikit-learn's do, so the sums behind a margin and
the order of the explanation's n-grams are the same in every process. It also spares routing
the 0.6 s of importing scikit-learn and scipy.stats. A test checks the rows against
scikit-learn's on the team's texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from nlp.learn.hashindex import HashIndex
from nlp.router import normalise

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
NgramKind = Literal["char", "word"]

# scikit-learn's own text handling (sklearn/feature_extraction/text.py, 1.x): the char analyzer
# folds runs of two or more whitespace characters into one space; the word analyzer with our
# token_pattern keeps everything between whitespace.
_WHITE_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
# Bits per code point in a character n-gram's number (Unicode ends at 0x10FFFF < 2**21).
_BITS = 21
CHAR_MAX_N = 3  # 3 × 21 bits fit in an int64


def _char_keys(names: tuple[str, ...]) -> IntArray:
    """Each character n-gram's number: its code points side by side, the first one highest
    ("abc" → a << 42 | b << 21 | c). With numpy: a model's 27,000 n-grams in 2 ms, not 25."""
    lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    if len(names) and not (lengths.min() > 0 and lengths.max() <= CHAR_MAX_N):
        raise ValueError(f"character n-grams are 1 to {CHAR_MAX_N} characters long")
    padded = np.array(names, dtype=f"<U{CHAR_MAX_N}").reshape(-1)
    codes = padded.view(np.uint32).reshape(-1, CHAR_MAX_N).astype(np.int64)
    keys = np.zeros(len(names), dtype=np.int64)
    for j in range(CHAR_MAX_N):
        keys = np.where(lengths > j, (keys << _BITS) | codes[:, j], keys)
    if len(np.unique(keys)) != len(keys):
        raise ValueError("character n-grams repeat")
    return keys


def _tokens(words: Sequence[str]) -> list[str]:
    """What token_pattern \\S+ finds in the lower-cased words joined by spaces: the words
    themselves when they are lower case, non-empty and free of whitespace, as the keyword
    evidence's words are (no new string per word); else found as scikit-learn finds them."""
    joined = "".join(words)
    if "" not in words and _SPACE.search(joined) is None and joined.lower() == joined:
        return list(words)
    return _TOKEN.findall(" ".join(words).lower())


def _codes(texts: Sequence[str]) -> IntArray:
    """Every code point of the texts, one after another."""
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Found:
    """The known n-grams of a batch: message (row), column, count; sorted by row then column."""

    rows: IntArray
    columns: IntArray
    counts: IntArray


def _count(rows: IntArray, columns: IntArray, width: int) -> Found:
    pairs, counts = np.unique(rows * width + columns, return_counts=True)
    return Found(pairs // width, pairs % width, counts.astype(np.int64))


@dataclass(frozen=True, slots=True)
class NgramTable:
    """One fitted TF-IDF block: its n-grams in column order, each column's idf, and the numbers
    of the n-grams that are looked up as numbers (sorted, with their columns)."""

    kind: NgramKind
    names: tuple[str, ...]
    idf: FloatArray
    index: HashIndex = field(repr=False)  # n-gram number → column
    # Word tables: each word (1-gram) → its column, looked up per token.
    words: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, kind: NgramKind, names: Iterable[str], idf: Any) -> NgramTable:
        names = tuple(names)
        words: dict[str, int] = {}
        if kind == "char":
            numbers = _char_keys(names)
        else:
            words = {n: i for i, n in enumerate(names) if " " not in n}
            width = len(names)
            numbers = np.full(len(names), -1, dtype=np.int64)
            for i, n in enumerate(names):
                if " " not in n:
                    continue
                first, _, second = n.partition(" ")
                if first not in words or second not in words or " " in second:
                    raise ValueError(f"word 2-gram {n!r} is not made of two known words")
                numbers[i] = words[first] * width + words[second]
        columns = np.flatnonzero(numbers >= 0)  # the n-grams looked up as numbers
        idf_array = np.asarray(idf, dtype=np.float64)
        if idf_array.shape != (len(names),):
            raise ValueError("one idf per n-gram is needed")
        return cls(kind, names, idf_array, HashIndex.build(numbers[columns], columns), words)

    @classmethod
    def from_vectorizer(cls, kind: NgramKind, vectorizer: Any) -> NgramTable:
        """From a fitted TfidfVectorizer (vocabulary_ maps n-gram → column)."""
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        return cls.build(kind, sorted(vocabulary, key=vocabulary.__getitem__), vectorizer.idf_)

    def _look_up(self, rows: IntArray, keys: IntArray) -> tuple[IntArray, IntArray]:
        """Rows and columns of the keys that are known n-grams."""
        columns = self.index.get(keys)
        hit = columns >= 0
        return rows[hit], columns[hit]

    def find_chars(self, texts: Sequence[str]) -> Found:
        """Character 1-, 2- and 3-grams of each normalised text (scikit-learn's analyzer="char"
        after its lower-casing and whitespace folding)."""
        docs = [_WHITE_SPACES.sub(" ", t.lower()) for t in texts]
        codes = _codes(docs)
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), [len(d) for d in docs])
        all_rows, all_keys = [rows], [codes]
        keys = codes
        for n in range(2, CHAR_MAX_N + 1):
            keys = (keys[:-1] << _BITS) | codes[n - 1 :]
            inside = rows[: len(rows) - n + 1] == rows[n - 1 :]  # not across two messages
            all_rows.append(rows[: len(rows) - n + 1][inside])
            all_keys.append(keys[inside])
        found_rows, columns = self._look_up(np.concatenate(all_rows), np.concatenate(all_keys))
        return _count(found_rows, columns, len(self.names))

    def find_words(self, words: Sequence[Sequence[str]]) -> Found:
        """Word 1- and 2-grams of each message's words (scikit-learn's analyzer="word" with
        token_pattern \\S+ on the words joined by spaces)."""
        tokens = [_tokens(w) for w in words]
        flat = list(chain.from_iterable(tokens))
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(t) for t in tokens])
        # One C-level pass of dictionary look-ups; -1 for words the model never saw.
        ids = np.fromiter(map(self.words.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        known = ids >= 0
        first, second = ids[:-1], ids[1:]
        pair = (first >= 0) & (second >= 0) & (rows[:-1] == rows[1:])
        pair_rows, pair_columns = self._look_up(
            rows[:-1][pair], first[pair] * len(self.names) + second[pair]
        )
        return _count(
            np.concatenate([rows[known], pair_rows]),
            np.concatenate([ids[known], pair_columns]),
            len(self.names),
        )

    def tfidf(self, found: Found, messages: int) -> FloatArray:
        """Sublinear tf × idf, each message's block scaled to unit length (norm="l2")."""
        data = (np.log(found.counts.astype(np.float64)) + 1.0) * self.idf[found.columns]
        norms = np.sqrt(np.bincount(found.rows, weights=data * data, minlength=messages))
        norms[norms == 0.0] = 1.0
        data /= norms[found.rows]
        return data


@dataclass(frozen=True, slots=True)
class SparseRows:
    """Messages × features, CSR-like: row r's columns are indices[indptr[r]:indptr[r + 1]],
    sorted. `data` is float32: margins are float32 dot products (a third of the float64 cost,
    equal to about 1e-6)."""

    indptr: IntArray
    indices: IntArray
    data: Float32Array
    width: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, r: int) -> tuple[IntArray, Float32Array]:
        start, end = self.indptr[r], self.indptr[r + 1]
        return self.indices[start:end], self.data[start:end]

    def dense(self) -> FloatArray:
        """As a dense matrix (tests)."""
        out = np.zeros((len(self), self.width))
        rows = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        out[rows, self.indices] = self.data
        return out


@dataclass(frozen=True, slots=True)
class TextVectors:
    """The character block then the word block, as the model was trained on them."""

    char: NgramTable
    word: NgramTable

    @property
    def width(self) -> int:
        return len(self.char.names) + len(self.word.names)

    def names(self) -> list[str]:
        return [*self.char.names, *self.word.names]

    def transform(self, texts: Sequence[str], words: Sequence[Sequence[str]]) -> SparseRows:
        """One row per message: its character n-grams, then its word n-grams."""
        return self.transform_normalised([normalise(t) for t in texts], words)

    def transform_normalised(
        self, norms: Sequence[str], words: Sequence[Sequence[str]]
    ) -> SparseRows:
        """The same from texts already normalised (nlp.router.normalise), as the keyword
        evidence has them."""
        n = len(norms)
        chars = self.char.find_chars(norms)
        tokens = self.word.find_words(words)
        rows = np.concatenate([chars.rows, tokens.rows])
        indices = np.concatenate([chars.columns, tokens.columns + len(self.char.names)])
        data = np.concatenate([self.char.tfidf(chars, n), self.word.tfidf(tokens, n)])
        # Each block is sorted by row then column; a stable sort by row puts a message's word
        # columns (all higher) after its character columns.
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return SparseRows(indptr, indices[order], data[order].astype(np.float32), self.width)
