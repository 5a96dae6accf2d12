"""From text to retrieval terms: jieba words (the project's `Segmenter`), synonyms folded to one
canonical word, function words dropped, plus pinyin bigrams of each run of content characters
("社保卡" gives she_bao, bao_ka). Residents type with pinyin input methods, so most typos are
homophones ("社宝卡", "公基金", "居主证"): they share no word with the entry but the same sounds.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from pypinyin import lazy_pinyin

from nlp.segment import Segmenter

# Function words and question words: they say how a resident asks, not what about. Question words
# are read by `nlp.kb.intent` instead.
STOPWORDS: frozenset[str] = frozenset(
    word
    for line in (
        "的 了 吗 呢 吧 啊 呀 么 嘛 哦 哈 喔 噢 嗯 呗 啦 哇 地 得 着 过",
        "我 我们 你 你们 您 他 她 它 他们 咱 俺 人 谁 找谁 自己 人家 本人 家里 这边 那边",
        "这 那 这个 那个 这样 那样 这种 那种 这里 那里 此 该",
        "怎么 怎么办 怎么样 怎样 如何 咋 咋办 咋整 什么 啥 哪 哪里 哪儿 在哪 在哪里 在哪儿",
        "去哪 去哪里 去哪儿 哪个 哪些 为什么 为啥 多久 多长时间 多长 多少 几 几天",
        "请问 请 想 想问 问 问问 问一下 问下 一下 下 咨询 了解 了解一下",
        "知道 告诉 谢谢 你好 您好 麻烦 急",
        "能 能不能 能否 可以 可不可以 可否 是 是不是 是否 有 有没有 没有 没 不 要 需要 需不需要",
        "得要 应该 该怎么 和 与 及 或 或者 还 还是 也 都 就 才 又 再",
        "在 到 去 来 给 把 被 让 从 对 为",
        "向 跟 里 上 中 一 一个 个 些 一些 现在 已经 刚 刚刚 然后 但是 可是 所以 因为 如果 的话",
        "时候 情况 问题 事 事情 办 办理 弄 搞 整 做 行 好",
    )
    for word in line.split()
)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, control characters to spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=20_000)
def _sound(ch: str) -> str:
    # One reading per character, without context: the same character always sounds the same on
    # both sides (entry and question), which is all matching needs.
    return lazy_pinyin(ch)[0]


def is_sound(term: str) -> bool:
    """A pinyin bigram term (words are Chinese, sounds are "she_bao")."""
    return "_" in term


def pinyin_bigrams(chars: str) -> list[str]:
    """Sound bigrams of consecutive Chinese characters: "社保卡" -> ["she_bao", "bao_ka"]."""
    sounds = [_sound(ch) for ch in chars if _is_han(ch)]
    return [f"{a}_{b}" for a, b in pairwise(sounds)]


class TermCutter:
    """Cuts text into retrieval terms; build once (the segmenter loads jieba's dictionary)."""

    def __init__(
        self,
        synonyms: Mapping[str, str],
        user_words: Iterable[str],
        *,
        segmenter: Segmenter | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._synonyms = {normalise(k): normalise(v) for k, v in synonyms.items()}
        words = {normalise(w) for w in user_words}
        words.update(self._synonyms)
        words.update(self._synonyms.values())
        self.user_words: frozenset[str] = frozenset(w for w in words if len(w) > 1)
        if segmenter is not None:
            # A shared segmenter (the router's, or the previous index's on reload) learns this
            # index's tags and synonyms too.
            segmenter.add_words(self.user_words)
        self.segmenter = segmenter or Segmenter(self.user_words, cache_dir=cache_dir)

    def words(self, text: str) -> list[str]:
        """Content words in text order: synonyms folded, function words and punctuation dropped.

        A dropped word leaves None behind so that single characters on either side of it are not
        joined into a bigram later.
        """
        return [w for w in self._words_with_gaps(text) if w is not None]

    def _words_with_gaps(self, text: str) -> list[str | None]:
        out: list[str | None] = []
        for raw in self.segmenter.cut(normalise(text)):
            token = raw.strip()
            if not token or not _is_word(token):
                out.append(None)
                continue
            token = self._synonyms.get(token, token)
            out.append(None if token in STOPWORDS else token)
        return out

    def terms(self, text: str) -> list[str]:
        """Content words plus the pinyin bigrams of each run of content words."""
        terms: list[str] = []
        run: list[str] = []
        for word in [*self._words_with_gaps(text), None]:
            if word is not None:
                terms.append(word)
                run.append(word)
            elif run:
                terms.extend(pinyin_bigrams("".join(run)))
                run = []
        return terms
