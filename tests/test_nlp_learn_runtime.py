"""The learned model at routing time (issue 10's speed): its TF-IDF rows and margins without
scikit-learn must be scikit-learn's, batches must decide exactly as one message at a time, and
the model file (format 2, numpy arrays) must load without pickle or scikit-learn."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.learn.linear import LinearScores
from nlp.learn.model import StackedModel, TextFeatures, _fit_svm, _sklearn_margins
from nlp.learn.modelfile import MAGIC, ModelFileError, ModelMeta, load_model, save_model
from nlp.learn.routing import LearnedRouter
from nlp.learn.table import LabelledRows
from nlp.learn.training import train
from nlp.router import Router
from tests.learn_support import labelled_rows

TrainedModel = tuple[StackedModel, ModelMeta]


def _texts() -> list[str]:
    """The labelled texts, 400-character concatenations of them, and awkward edges: empty,
    whitespace runs (scikit-learn folds them), Latin and digits, full-width forms."""
    texts = [r["text"] for r in labelled_rows()]
    rng = random.Random(10)
    longs = []
    for _ in range(40):
        text = ""
        while len(text) < 400:
            text += rng.choice(texts) + rng.choice(["。", "  ", "\t", "ＡＢ１２"])
        longs.append(text[:400])
    return [
        *texts[:150],
        *longs,
        "",
        "   ",
        "a",
        "路灯",
        "WiFi 信号  差\t\t没人管",
        "ＡＢＣ　１２３",
    ]


@pytest.fixture(scope="module")
def fitted(router: Router) -> tuple[TextFeatures, list[tuple[str, ...]]]:
    texts = [r["text"] for r in labelled_rows()]
    words = [router.evidence(t).words for t in texts]
    features = TextFeatures()
    features.fit_transform(texts, words)
    return features, words


def test_rows_are_scikit_learns(router: Router, fitted: tuple[TextFeatures, list]) -> None:
    """Every message's TF-IDF row, column for column, equals TfidfVectorizer's, with the columns
    in the same (sorted) order."""
    features, _ = fitted
    texts = _texts()
    words = [router.evidence(t).words for t in texts]
    ours = features.vectors().transform(texts, words)
    theirs = features.transform(texts, words).tocsr()
    theirs.sort_indices()
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.allclose(ours.data, theirs.data, atol=1e-6)
    assert np.allclose(ours.dense(), theirs.toarray(), atol=1e-6)


@pytest.mark.parametrize("classes", [1, 2, 6])
def test_margins_are_scikit_learns(
    router: Router, fitted: tuple[TextFeatures, list], classes: int
) -> None:
    """X @ coef.T + intercept from the kept arrays equals decision_function, also with one class
    (a stand-in) and two (sklearn keeps one column)."""
    features, words = fitted
    rows = labelled_rows()
    units = sorted({r["unit"] for r in rows})[:classes]
    keep = [i for i, r in enumerate(rows) if r["unit"] in units]
    texts = [rows[i]["text"] for i in keep]
    x = features.transform(texts, [words[i] for i in keep])
    svm = _fit_svm(x, [rows[i]["unit"] for i in keep])
    vectors = features.vectors()
    scores = LinearScores.from_svm(svm, vectors.width)
    ours = scores.margins(vectors.transform(texts, [words[i] for i in keep]))
    assert ours.shape == (len(texts), classes)
    assert np.allclose(ours, _sklearn_margins(svm, x), atol=1e-5)


@pytest.fixture(scope="module")
def trained(router: Router) -> TrainedModel:
    """One model trained on 300 labelled rows (LinearSVC is not seeded: train once, share)."""
    rows = labelled_rows(300)
    history = LabelledRows(
        tuple(r["text"] for r in rows), tuple(r["unit"] for r in rows), (None,) * len(rows)
    )
    return train(router, history, "unit", source="labelled.csv")


@pytest.fixture(scope="module")
def learned(
    router: Router, trained: TrainedModel, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, LearnedRouter]:
    """That model saved to a file and loaded back."""
    path = tmp_path_factory.mktemp("runtime") / "router.model"
    save_model(path, *trained)
    return path, LearnedRouter(router, load_model(path, router).model, "unit")


def test_batches_decide_as_single_messages(learned: tuple[Path, LearnedRouter]) -> None:
    """route_many (what `route --file` does, 256 lines at a time) gives each message exactly the
    decision route() gives it alone: unit, confidence, explanation, alternatives."""
    _, router = learned
    texts = _texts()
    for hint in (None, "孔家崖街道"):
        batch = [d.to_json() for d in router.route_many(texts, place_hint=hint)]
        alone = [router.route(t, place_hint=hint).to_json() for t in texts]
        assert batch == alone
    assert any(m.startswith("model:") for d in batch for m in d["matched"])


def test_saved_and_loaded_models_decide_alike(
    router: Router, trained: TrainedModel, learned: tuple[Path, LearnedRouter]
) -> None:
    """What training built and what the file gives back route every message the same way."""
    _, loaded = learned
    texts = _texts()
    ours = [d.to_json() for d in LearnedRouter(router, trained[0], "unit").route_many(texts)]
    assert ours == [d.to_json() for d in loaded.route_many(texts)]


def _with_body(source: Path, target: Path, **arrays: object) -> Path:
    """The same header, and an archive of these arrays as the body."""
    data = source.read_bytes()
    header = data[: data.index(b"\n", len(MAGIC)) + 1]
    body = io.BytesIO()
    np.savez(body, **arrays)  # type: ignore[arg-type]
    target.write_bytes(header + body.getvalue())
    return target


def test_bodies_that_do_not_add_up_are_refused(
    router: Router, learned: tuple[Path, LearnedRouter], tmp_path: Path
) -> None:
    """An archive holding a pickled object, or arrays of the wrong shapes, is damaged model data:
    refused in one line, never unpickled."""
    path, _ = learned
    with np.load(
        io.BytesIO(path.read_bytes()[path.read_bytes().index(b"\n", len(MAGIC)) + 1 :])
    ) as a:
        good = {name: a[name] for name in a.files}
    pickled = _with_body(path, tmp_path / "p.model", **{**good, "labels": np.array([object()])})
    short = _with_body(path, tmp_path / "s.model", **{**good, "coef_t": good["coef_t"][:-1]})
    missing = _with_body(
        path, tmp_path / "m.model", **{k: v for k, v in good.items() if k != "weights"}
    )
    for bad in (pickled, short, missing):
        with pytest.raises(ModelFileError, match="damaged model data") as err:
            load_model(bad, router)
        assert "\n" not in str(err.value)


def test_routing_with_a_model_imports_no_scikit_learn(
    learned: tuple[Path, LearnedRouter], tmp_path: Path
) -> None:
    """`hotline route --model` reads the file with numpy alone (start-up: no scikit-learn, no
    scipy)."""
    path, _ = learned
    probe = (
        "import sys, argparse, bot.cli; from bot.commands import route;"
        "bot.cli.build_parser('route');"
        f"many, _, _ = route._load(argparse.Namespace(config=None, model={str(path)!r}));"
        "d = many(['小区门口的路灯坏了'], None)[0];"
        "print(d.unit, [m for m in ('sklearn', 'scipy', 'joblib') if m in sys.modules])"
    )
    env = {**os.environ, "HOTLINE_CONFIG": "", "HOTLINE_NLP_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    unit, imported = done.stdout.strip().split(" ", 1)
    assert unit == "区城市管理局" and json.loads(imported.replace("'", '"')) == []
