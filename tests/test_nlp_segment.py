"""The segmenter: jieba's cut word for word, faster, and its cached dictionary (issue 10, speed)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

import nlp.segment
from nlp.router import Router, normalise
from nlp.segment import Segmenter

DATA = Path(__file__).parent / "data"
# The team's sets only: tests/data/blind/ is the frozen blind set, read by its own test alone.
SETS = ("labelled.csv", "public_style.csv", "kb_questions.csv", "dupe_pairs.csv")
ODD = (
    "ABC12 路灯 x1y2，3.5%的-人 #&_好\r\n 哈哈  \t abc123def",
    "１２３号楼ａｂｃ的电梯坏了!!",
    "",
    "   ",
    "路",
    "a",
)


def _texts() -> list[str]:
    texts: list[str] = []
    for name in SETS:
        with (DATA / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts.extend(v for v in row.values() if v and len(v) > 3)
    return texts


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load(None)


@pytest.fixture(scope="module")
def long_texts() -> list[str]:
    texts = _texts()
    rng = random.Random(10)
    return ["。".join(rng.choice(texts) for _ in range(8)) for _ in range(300)]


def test_cut_is_jiebas_cut_word_for_word(router: Router, long_texts: list[str]) -> None:
    segmenter = router._segmenter
    jieba = segmenter.jieba_tokenizer()
    for text in [*_texts(), *long_texts, *ODD]:
        norm = normalise(text)
        assert segmenter.cut(norm) == jieba.lcut(norm, HMM=False), norm


def test_dictionary_is_cached_and_a_warm_start_skips_jieba(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = ["桃林村路灯", "科苑社区"]
    first = Segmenter(words, cache_dir=tmp_path)
    cached = list(tmp_path.glob("segmenter-*.marshal"))
    assert len(cached) == 1

    def no_jieba(*_: object) -> object:
        raise AssertionError("the cached dictionary should have been used")

    monkeypatch.setattr(nlp.segment, "_build", no_jieba)
    warm = Segmenter(words, cache_dir=tmp_path)
    text = "桃林村路灯坏了，科苑社区门口"
    assert warm.cut(text) == first.cut(text)
    assert "桃林村路灯" in warm.cut(text)
    # Other user words are another dictionary: built (here: refused), never mixed up.
    with pytest.raises(AssertionError):
        Segmenter([*words, "新词语"], cache_dir=tmp_path)


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    Segmenter(["科苑社区"], cache_dir=tmp_path)
    (cached,) = tmp_path.glob("segmenter-*.marshal")
    cached.write_bytes(b"not marshal at all")
    again = Segmenter(["科苑社区"], cache_dir=tmp_path)
    assert "科苑社区" in again.cut("科苑社区门口")
    assert cached.read_bytes() != b"not marshal at all"


def test_cache_folder_falls_back_to_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$HOTLINE_NLP_CACHE wins; else the user's cache folder; a read-only one (a service's home)
    falls back to the temporary folder instead of failing the start."""
    from nlp.cache import default_cache_dir

    monkeypatch.setenv("HOTLINE_NLP_CACHE", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own"
    monkeypatch.delenv("HOTLINE_NLP_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "hotline"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert default_cache_dir().name == "hotline-nlp"


def test_toml_cache_follows_the_file(tmp_path: Path) -> None:
    """The directory's TOML is read from the cache until the file changes."""
    import tomllib

    from nlp.cache import read_toml

    source = tmp_path / "taxonomy.toml"
    source.write_text('name = "路灯"\n', encoding="utf-8")
    cache = tmp_path / "cache"
    assert read_toml(source, cache) == {"name": "路灯"}
    assert len(list(cache.glob("toml-*"))) == 1
    assert read_toml(source, cache) == {"name": "路灯"}  # from the cache
    source.write_text('name = "路灯坏了"\n', encoding="utf-8")
    assert read_toml(source, cache) == tomllib.loads(source.read_text(encoding="utf-8"))
    source.write_text("when = 2026-11-28\n", encoding="utf-8")  # marshal cannot hold a date
    assert str(read_toml(source, cache)["when"]) == "2026-11-28"
