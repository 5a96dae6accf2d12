"""The learned classifier: character and word n-gram TF-IDF, a linear SVM, and the softmax
meta-learner that stacks its margins with the keyword router's evidence."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.learn.evidence import KeywordMatrix
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
    """Character 1–3-grams of the normalised text and word 1–2-grams of the jieba words."""

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

    def names(self) -> list[str]:
        return [*self.char.get_feature_names_out(), *self.word.get_feature_names_out()]


def _svm() -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=0.5, class_weight=None, dual="auto")


def _margins(svm: Any, x: Any, labels: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """The SVM's margin for every label (unseen labels get a fixed low margin) and a mask of the
    labels it saw."""
    index = {label: i for i, label in enumerate(labels)}
    margins = np.full((x.shape[0], len(labels)), _UNSEEN_MARGIN)
    seen = np.zeros((x.shape[0], len(labels)))
    classes = list(svm.classes_)
    raw = svm.decision_function(x)
    if len(classes) == 2:  # sklearn gives one column for two classes: margin of the second
        raw = np.column_stack([-raw, raw])
    for j, label in enumerate(classes):
        column = index[label]
        margins[:, column] = raw[:, j]
        seen[:, column] = 1.0
    return margins, seen


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
    `labels` (every label of the kind the directory knows, seen in training or not)."""

    labels: tuple[str, ...]
    features: TextFeatures
    svm: Any
    weights: FloatArray
    # Feature names, built on first use by top_features (not needed to route).
    names: list[str] | None = None

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

        features = TextFeatures()
        x = features.fit_transform(texts, words)
        n = len(texts)
        margins = np.full((n, len(labels)), _UNSEEN_MARGIN)
        seen = np.zeros((n, len(labels)))
        folds = min(_INNER_FOLDS, n)
        if folds >= 2:
            for train, test in KFold(folds, shuffle=True, random_state=_SEED).split(x):
                svm = _fit_svm(x[train], [gold[i] for i in train])
                margins[test], seen[test] = _margins(svm, x[test], labels)
        index = {label: i for i, label in enumerate(labels)}
        target = np.array([index[g] for g in gold], dtype=np.int64)
        weights = fit_weights(_stack(margins, seen, keywords), target)
        return cls(tuple(labels), features, _fit_svm(x, gold), weights)

    def probabilities(
        self, texts: Sequence[str], words: Sequence[Sequence[str]], keywords: KeywordMatrix
    ) -> FloatArray:
        """(messages, labels) probabilities; each row sums to 1."""
        return self.probabilities_of(self.features.transform(texts, words), keywords)

    def probabilities_of(self, x: Any, keywords: KeywordMatrix) -> FloatArray:
        """The same from already computed TF-IDF rows (`features.transform`)."""
        margins, seen = _margins(self.svm, x, self.labels)
        return softmax_rows(_stack(margins, seen, keywords) @ self.weights)

    def top_features(self, row: Any, label: str, n: int = 3) -> list[str]:
        """The n-grams of one TF-IDF row (a CSR row, or its (indices, data) arrays) that pushed
        it most towards `label`: the row's non-zeros times the label's coefficients."""
        if not hasattr(self.svm, "coef_"):
            return []
        classes = self.svm.classes_
        found = np.flatnonzero(classes == label)  # on the array: no list of labels per message
        if len(found) == 0:
            return []
        position = int(found[0])
        coef = self.svm.coef_[0] if len(classes) == 2 else self.svm.coef_[position]
        if len(classes) == 2 and position == 0:
            coef = -coef
        # Straight on the arrays: scipy's row.multiply(coef) costs ~0.3 ms a message.
        indices, data = row if isinstance(row, tuple) else (row.indices, row.data)
        if len(indices) == 0:
            return []
        contributions = data * coef[indices]
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
