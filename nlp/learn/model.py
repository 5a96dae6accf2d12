"""The learned classifier: character and word n-gram TF-IDF, a linear SVM, and the softmax
meta-learner that stacks its margins with the keyword router's evidence.

scikit-learn fits; what is kept (StackedModel) is plain arrays, so routing with a model imports
numpy only (see nlp/learn/ngrams.py and linear.py)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.learn.evidence import KeywordMatrix
from nlp.learn.linear import LinearScores
from nlp.learn.ngrams import Float32Array, IntArray, NgramTable, SparseRows, TextVectors
from nlp.learn.softmax import fit_weights, softmax_rows
from nlp.router import normalise

FloatArray = npt.NDArray[np.float64]

# Margin given to a label the SVM never saw (its own margins are mostly between -1.5 and 1).
_UNSEEN_MARGIN = -1.0
_INNER_FOLDS = 5
_SEED = 20261128


def _tfidf(**options: Any) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Sublinear tf: a word said five times is not five times the evidence.
    return TfidfVectorizer(sublinear_tf=True, min_df=1, dtype=np.float32, **options)


@dataclass(slots=True)
class TextFeatures:
    """Character 1–3-grams of the normalised text and word 1–2-grams of the jieba words, as
    scikit-learn fits them (training and the plain baseline; routing uses `vectors()`)."""

    char: Any = field(default_factory=lambda: _tfidf(analyzer="char", ngram_range=(1, 3)))
    # Words arrive joined by spaces; a token is anything between spaces (keeps 1-character words).
    word: Any = field(
        default_factory=lambda: _tfidf(
            analyzer="word",
            token_pattern=r"\S+",  # noqa: S106 (a regular expression, not a password)
            ngram_range=(1, 2),
        )
    )

    def fit_transform(self, texts: Sequence[str], words: Sequence[Sequence[str]]) -> Any:
        from scipy.sparse import hstack

        chars = self.char.fit_transform([normalise(t) for t in texts])
        joined = self.word.fit_transform([" ".join(w) for w in words])
        return hstack([chars, joined], format="csr")

    def transform(self, texts: Sequence[str], words: Sequence[Sequence[str]]) -> Any:
        from scipy.sparse import hstack

        chars = self.char.transform([normalise(t) for t in texts])
        joined = self.word.transform([" ".join(w) for w in words])
        return hstack([chars, joined], format="csr")

    def vectors(self) -> TextVectors:
        """What routing needs of the fitted vectorizers (vocabularies and idf)."""
        return TextVectors(
            NgramTable.from_vectorizer("char", self.char),
            NgramTable.from_vectorizer("word", self.word),
        )


def _svm() -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=0.5, class_weight=None, dual="auto")


def _margins(
    classes: Sequence[str], raw: FloatArray, labels: Sequence[str]
) -> tuple[FloatArray, FloatArray]:
    """Margins per class (`raw`, one column per class) spread over every label (unseen labels get
    a fixed low margin), and a mask of the labels the SVM saw."""
    index = {label: i for i, label in enumerate(labels)}
    margins = np.full((raw.shape[0], len(labels)), _UNSEEN_MARGIN)
    seen = np.zeros((raw.shape[0], len(labels)))
    for j, label in enumerate(classes):
        column = index[label]
        margins[:, column] = raw[:, j]
        seen[:, column] = 1.0
    return margins, seen


def _sklearn_margins(svm: Any, x: Any) -> FloatArray:
    """decision_function with one column per class (sklearn gives one for two classes: the
    second class's margin)."""
    raw = np.asarray(svm.decision_function(x), dtype=np.float64)
    if len(svm.classes_) == 2:
        raw = np.column_stack([-raw, raw])
    return raw.reshape(x.shape[0], -1)


def _stack(margins: FloatArray, seen: FloatArray, keywords: KeywordMatrix) -> FloatArray:
    """(messages, labels, 5): margin, seen, keyword strength, keyword decision, its confidence."""
    return np.stack(
        [margins * seen, seen, keywords.strength, keywords.chosen, keywords.confidence], axis=2
    )


class _OneLabel:
    """Stands in for the SVM when the training rows have a single label (sklearn refuses)."""

    def __init__(self, label: str) -> None:
        self.classes_ = np.array([label])

    def decision_function(self, x: Any) -> FloatArray:
        return np.ones((x.shape[0], 1))


def _fit_svm(x: Any, y: Sequence[str]) -> Any:
    if len(set(y)) < 2:
        return _OneLabel(y[0])
    svm = _svm()
    with warnings.catch_warnings():
        # With a few rows per label sklearn suspects a regression problem; it is not one.
        warnings.filterwarnings("ignore", message="The number of unique classes")
        svm.fit(x, list(y))
    return svm


@dataclass(slots=True)
class StackedModel:
    """TF-IDF + linear SVM margins, stacked with keyword evidence through a softmax over
    `labels` (every label of the kind the directory knows, seen in training or not).

    Fitted with scikit-learn, held as plain arrays (`TextVectors`, `LinearScores`): routing and
    the model file need neither scikit-learn nor pickle.
    """

    labels: tuple[str, ...]
    features: TextVectors
    svm: LinearScores
    weights: FloatArray
    # Feature names, built on first use by top_features (not needed to route).
    names: list[str] | None = None
    _positions: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._positions = {c: i for i, c in enumerate(self.svm.classes)}

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        words: Sequence[Sequence[str]],
        gold: Sequence[str],
        keywords: KeywordMatrix,
        labels: Sequence[str],
    ) -> StackedModel:
        """Fit the text model on all rows and the meta-learner on out-of-fold margins."""
        from sklearn.model_selection import KFold

        fitted = TextFeatures()
        x = fitted.fit_transform(texts, words)
        n = len(texts)
        margins = np.full((n, len(labels)), _UNSEEN_MARGIN)
        seen = np.zeros((n, len(labels)))
        folds = min(_INNER_FOLDS, n)
        if folds >= 2:
            for train, test in KFold(folds, shuffle=True, random_state=_SEED).split(x):
                svm = _fit_svm(x[train], [gold[i] for i in train])
                raw = _sklearn_margins(svm, x[test])
                margins[test], seen[test] = _margins(svm.classes_, raw, labels)
        index = {label: i for i, label in enumerate(labels)}
        target = np.array([index[g] for g in gold], dtype=np.int64)
        weights = fit_weights(_stack(margins, seen, keywords), target)
        features = fitted.vectors()
        return cls(
            tuple(labels), features, LinearScores.from_svm(_fit_svm(x, gold), features.width),
            weights,
        )  # fmt: skip

    def probabilities(
        self, texts: Sequence[str], words: Sequence[Sequence[str]], keywords: KeywordMatrix
    ) -> FloatArray:
        """(messages, labels) probabilities; each row sums to 1."""
        return self.probabilities_of(self.features.transform(texts, words), keywords)

    def probabilities_of(self, x: SparseRows, keywords: KeywordMatrix) -> FloatArray:
        """The same from already computed TF-IDF rows (`features.transform`)."""
        margins, seen = _margins(self.svm.classes, self.svm.margins(x), self.labels)
        return softmax_rows(_stack(margins, seen, keywords) @ self.weights)

    def top_features(self, row: tuple[IntArray, Float32Array], label: str, n: int = 3) -> list[str]:
        """The n-grams of one TF-IDF row (its (indices, data) arrays) that pushed it most towards
        `label`: the row's non-zeros times the label's coefficients."""
        position = self._positions.get(label)
        indices, data = row
        if position is None or len(indices) == 0:
            return []
        contributions = data * self.svm.coef_t[indices, position]
        order = np.argsort(-contributions)[:n]
        if self.names is None:
            self.names = self.features.names()
        names = self.names
        return [names[indices[i]].replace(" ", "") for i in order if contributions[i] > 0]


@dataclass(slots=True)
class PlainModel:
    """TF-IDF + linear SVM alone: the baseline the stacked model is measured against."""

    features: TextFeatures
    svm: Any

    @classmethod
    def fit(
        cls, texts: Sequence[str], words: Sequence[Sequence[str]], gold: Sequence[str]
    ) -> PlainModel:
        features = TextFeatures()
        return cls(features, _fit_svm(features.fit_transform(texts, words), gold))

    def predict(self, texts: Sequence[str], words: Sequence[Sequence[str]]) -> list[str]:
        x = self.features.transform(texts, words)
        margins = self.svm.decision_function(x)
        classes = list(self.svm.classes_)
        if len(classes) == 1:
            return [classes[0]] * len(texts)
        if len(classes) == 2:
            return [classes[int(m > 0)] for m in margins]
        return [classes[int(i)] for i in np.argmax(margins, axis=1)]
