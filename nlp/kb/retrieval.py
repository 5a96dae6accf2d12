"""BM25 retrieval over the entries' titles and variants (知识检索).

Each phrasing (the title with the tags, and every variant) is one BM25 document; an entry scores
the best of its phrasings, so one close variant is enough and long entries gain nothing from many
weak ones. Below `min_score` nothing is answered: a wrong answer is worse than a case.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from nlp.directory import DEFAULT_DATA_DIR, load_directory
from nlp.kb.entries import Entry, entry_files, load_entries, load_synonyms
from nlp.kb.terms import TermCutter, is_sound
from nlp.segment import Segmenter

# bm25s sets its own logger to DEBUG at import; its index-building chatter is not ours to show.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# An answer needs both: a BM25 score of at least DEFAULT_MIN_SCORE, and the best phrasing must
# share at least DEFAULT_MIN_COVERAGE of the question's sound bigrams. The score says the shared
# terms are rare enough; the coverage says the question is mostly about what the entry says
# ("公积金贷款" shares 公积金 with the withdrawal entry, but not 贷款). Fitted on the odd-numbered
# half of tests/data/kb_questions.csv and on tests/data/kb_dev.csv (README "Knowledge base");
# BM25 scores grow with the rarity of the shared terms, so refit when the set grows a lot.
DEFAULT_MIN_SCORE = 4.0
DEFAULT_MIN_COVERAGE = 0.3
DEFAULT_KB_DIR = DEFAULT_DATA_DIR / "kb"


@dataclass(frozen=True, slots=True)
class Answer:
    """An entry found for a question, its BM25 score, and why: the terms both share."""

    entry: Entry
    score: float
    matched: tuple[str, ...]
    phrasing: str  # the title or variant that scored best
    coverage: float  # share of the question's sound bigrams found in that phrasing

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.entry.id,
            "title": self.entry.title,
            "unit": self.entry.unit,
            "score": round(self.score, 3),
            "coverage": round(self.coverage, 3),
            "matched": list(self.matched),
            "phrasing": self.phrasing,
            "answer": self.entry.reply_text(),
        }


class KnowledgeBase:
    """The entries of one district, indexed for search. Build once; read-only afterwards."""

    def __init__(
        self,
        entries: Sequence[Entry],
        *,
        synonyms: Mapping[str, str] | None = None,
        segmenter: Segmenter | None = None,
        cache_dir: Path | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        min_coverage: float = DEFAULT_MIN_COVERAGE,
    ) -> None:
        self._entries = tuple(entries)
        # Where `load` read the entries from (folder, units, extra folders), for `reload`.
        self._folders: tuple[Path, tuple[str, ...], tuple[Path, ...]] | None = None
        self.min_score = min_score
        self.min_coverage = min_coverage
        self._cutter = TermCutter(
            synonyms or {},
            [tag for e in self._entries for tag in e.tags],
            segmenter=segmenter,
            cache_dir=cache_dir,
        )
        docs: list[list[str]] = []
        self._doc_text: list[str] = []
        self._doc_terms: list[frozenset[str]] = []
        starts: list[int] = []
        for entry in self._entries:
            starts.append(len(docs))
            title_terms = self._cutter.terms(" ".join((entry.title, *entry.tags)))
            for text, terms in [
                (entry.title, title_terms),
                *((v, self._cutter.terms(v)) for v in entry.variants),
            ]:
                docs.append(terms)
                self._doc_text.append(text)
                self._doc_terms.append(frozenset(terms))
        self._starts = np.asarray(starts, dtype=np.int64)
        self._vocab: frozenset[str] = frozenset(t for d in docs for t in d)
        self._bm25 = bm25s.BM25()
        if docs:
            self._bm25.index(docs, show_progress=False)
        self._from = np.asarray([e.valid_from.toordinal() for e in self._entries], dtype=np.int64)
        self._until = np.asarray([e.valid_until.toordinal() for e in self._entries], dtype=np.int64)

    @classmethod
    def load(
        cls,
        folder: Path | None = None,
        *,
        units: Sequence[str] | None = None,
        extra_dirs: Sequence[Path] = (),
        segmenter: Segmenter | None = None,
        cache_dir: Path | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        min_coverage: float = DEFAULT_MIN_COVERAGE,
    ) -> KnowledgeBase:
        """Read ``folder/entries/*.toml``, ``folder/synonyms.toml`` and ``*.toml`` of each extra
        folder (approved proposals). `units` defaults to the units of the directory that holds
        the folder (the default folder: the Anning directory)."""
        kb_dir = DEFAULT_KB_DIR if folder is None else Path(folder)
        if units is None:
            units = load_directory(kb_dir.parent).unit_names()
        files = entry_files([kb_dir / "entries", *extra_dirs])
        kb = cls(
            load_entries(files, units),
            synonyms=load_synonyms(kb_dir / "synonyms.toml"),
            segmenter=segmenter,
            cache_dir=cache_dir,
            min_score=min_score,
            min_coverage=min_coverage,
        )
        kb._folders = (kb_dir, tuple(units), tuple(extra_dirs))
        return kb

    def reload(self) -> None:
        """Read the files again and swap the index in place, so every holder of this object
        (the chat's deps, the workbench) answers from the edited entries without a restart.
        A bad file raises `KbDataError` and the old index stays in use."""
        self.swap(self.rebuilt())

    def rebuilt(self) -> KnowledgeBase:
        """A fresh index from the same files (this one untouched): build it off the event loop,
        it takes seconds for thousands of entries, then `swap` it in."""
        if self._folders is None:
            raise ValueError("this knowledge base was not loaded from files")
        folder, units, extra_dirs = self._folders
        return KnowledgeBase.load(
            folder,
            units=units,
            extra_dirs=extra_dirs,
            segmenter=self.segmenter,
            min_score=self.min_score,
            min_coverage=self.min_coverage,
        )

    def swap(self, fresh: KnowledgeBase) -> None:
        # One assignment of the attribute table: a search sees the old index or the new one,
        # never half of each.
        self.__dict__ = fresh.__dict__

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def segmenter(self) -> Segmenter:
        """The segmenter in use (to build another knowledge base without loading jieba again)."""
        return self._cutter.segmenter

    @property
    def user_words(self) -> frozenset[str]:
        """Words the segmenter must keep whole (tags and synonyms), for a shared segmenter."""
        return self._cutter.user_words

    def entry(self, entry_id: str) -> Entry | None:
        for entry in self._entries:
            if entry.id == entry_id:
                return entry
        return None

    def terms(self, text: str) -> list[str]:
        """The retrieval terms of a text (for explanations and tests)."""
        return self._cutter.terms(text)

    def search(self, text: str, limit: int = 3, *, today: date | None = None) -> list[Answer]:
        """The best entries valid on `today`, best first, whatever their score."""
        asked = list(dict.fromkeys(self._cutter.terms(text)))
        query = [t for t in asked if t in self._vocab]
        sounds = [t for t in asked if is_sound(t)]
        if not query or not self._entries or limit < 1:
            return []
        doc_scores = self._bm25.get_scores(query)
        scores = np.maximum.reduceat(doc_scores, self._starts)
        day = (today or date.today()).toordinal()
        scores[(self._from > day) | (self._until < day)] = 0.0
        count = min(limit, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        answers: list[Answer] = []
        for i in sorted(top.tolist(), key=lambda k: (-scores[k], k)):
            if scores[i] <= 0:
                continue
            answers.append(self._answer(int(i), float(scores[i]), query, sounds, doc_scores))
        return answers

    def confident(self, answer: Answer) -> bool:
        """Good enough to show: score and coverage both at their thresholds."""
        return answer.score >= self.min_score and answer.coverage >= self.min_coverage

    def best(self, text: str, *, today: date | None = None) -> Answer | None:
        """The top entry if it is `confident`, else None (file a case instead)."""
        found = self.search(text, limit=1, today=today)
        if found and self.confident(found[0]):
            return found[0]
        return None

    def _answer(
        self, index: int, score: float, query: list[str], sounds: list[str], doc_scores: Any
    ) -> Answer:
        start = int(self._starts[index])
        end = int(self._starts[index + 1]) if index + 1 < len(self._starts) else len(doc_scores)
        doc = start + int(np.argmax(doc_scores[start:end]))
        terms = self._doc_terms[doc]
        matched = tuple(t for t in query if t in terms)
        coverage = sum(t in terms for t in sounds) / len(sounds) if sounds else 0.0
        return Answer(self._entries[index], score, matched, self._doc_text[doc], coverage)
