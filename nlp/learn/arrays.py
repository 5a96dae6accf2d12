"""A StackedModel as named numpy arrays (the model file's body, format 2).

np.savez_compressed writes them as one zip archive; np.load reads them back with
allow_pickle=False, so nothing in the file is ever executed. Every array's shape is checked
against the others: a file that does not add up is refused, never half used.
"""

from __future__ import annotations

import io
from typing import IO, Any

import numpy as np

from nlp.learn.linear import LinearScores
from nlp.learn.model import StackedModel
from nlp.learn.ngrams import NgramTable, TextVectors

# The meta-learner's inputs per (message, label): see nlp.learn.model._stack.
_STACKED_FEATURES = 5


def _strings(values: tuple[str, ...] | list[str]) -> Any:
    # A fixed-width unicode array: read back without pickle (an object array would need it).
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="<U1")


def write_arrays(fh: IO[bytes], model: StackedModel) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        labels=_strings(model.labels),
        char_names=_strings(model.features.char.names),
        char_idf=model.features.char.idf,
        word_names=_strings(model.features.word.names),
        word_idf=model.features.word.idf,
        classes=_strings(model.svm.classes),
        coef_t=model.svm.coef_t,
        intercept=model.svm.intercept,
        weights=model.weights,
    )
    fh.write(buffer.getvalue())


def _as_strings(array: Any) -> list[str]:
    if array.dtype.kind != "U" or array.ndim != 1:
        raise ModelArraysError("a list of names is not one-dimensional text")
    return [str(x) for x in array.tolist()]


class ModelArraysError(ValueError):
    """The arrays do not make one model (wrong shapes, unknown classes)."""


def read_arrays(fh: IO[bytes]) -> StackedModel:
    """The model from the rest of the file; raises on anything damaged or inconsistent."""
    with np.load(io.BytesIO(fh.read()), allow_pickle=False) as archive:
        a = {name: archive[name] for name in archive.files}
    labels = tuple(_as_strings(a["labels"]))
    classes = tuple(_as_strings(a["classes"]))
    char = NgramTable.build("char", _as_strings(a["char_names"]), a["char_idf"])
    word = NgramTable.build("word", _as_strings(a["word_names"]), a["word_idf"])
    features = TextVectors(char, word)
    coef_t = np.ascontiguousarray(a["coef_t"], dtype=np.float32)
    intercept = np.asarray(a["intercept"], dtype=np.float64)
    weights = np.asarray(a["weights"], dtype=np.float64)
    if coef_t.shape != (features.width, len(classes)) or intercept.shape != (len(classes),):
        raise ModelArraysError("the SVM's coefficients do not match its n-grams and classes")
    if weights.shape != (_STACKED_FEATURES,):
        raise ModelArraysError("the meta-learner's weights have the wrong shape")
    if not set(classes) <= set(labels):
        raise ModelArraysError("the SVM knows classes outside the model's labels")
    return StackedModel(labels, features, LinearScores(classes, coef_t, intercept), weights)
