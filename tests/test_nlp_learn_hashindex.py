"""The n-gram look-up table (nlp/learn/hashindex.py) answers as a dictionary would."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.learn.hashindex import HashIndex
from nlp.learn.ngrams import _tokens


@pytest.mark.parametrize("size", [0, 1, 7, 5000])
def test_hash_index_answers_as_a_dict(size: int) -> None:
    """Every key gives its value, anything else -1: keys from a narrow range (many collisions of
    their home slots) and large 63-bit ones, queried with repeats and absent keys."""
    rng = np.random.default_rng(size)
    narrow = rng.choice(4 * size + 1, size=size // 2, replace=False)
    wide = rng.integers(0, 2**62, size=size - len(narrow))
    keys = np.unique(np.concatenate([narrow, wide]).astype(np.int64))
    values = rng.integers(0, 10**6, size=len(keys)).astype(np.int64)
    index = HashIndex.build(keys, values)
    expected = dict(zip(keys.tolist(), values.tolist(), strict=True))
    queries = np.concatenate(
        [keys, keys[::-1], rng.integers(0, 2**62, size=300), np.arange(50)]
    ).astype(np.int64)
    got = index.get(queries)
    assert got.tolist() == [expected.get(q, -1) for q in queries.tolist()]


def test_hash_index_refuses_what_it_cannot_hold() -> None:
    with pytest.raises(ValueError, match="distinct"):
        HashIndex.build(np.array([3, 3]), np.array([1, 2]))
    with pytest.raises(ValueError, match="negative"):
        HashIndex.build(np.array([-1]), np.array([1]))


@pytest.mark.parametrize(
    "words",
    [("路灯", "坏", "了"), ("WiFi", "信号"), ("a b", "c"), ("", "x"), ("x\ty",), ()],
)
def test_tokens_are_what_the_token_pattern_finds(words: tuple[str, ...]) -> None:
    """The shortcut for clean words gives what \\S+ finds in the lower-cased joined words."""
    import re

    assert _tokens(words) == re.findall(r"\S+", " ".join(words).lower())
