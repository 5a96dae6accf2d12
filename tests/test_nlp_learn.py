"""The learned router (nlp.learn): stacking on the keywords, calibrated confidence, the model file
and its checks, and the retrain-only-if-not-worse rule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from nlp.learn.modelfile import MAGIC, ModelFileError, load_model, read_meta, save_model
from nlp.learn.retrain import retrain_if_not_worse
from nlp.learn.routing import LearnedRouter, ModelBackedRouter
from nlp.learn.table import LabelledRows, read_labelled_rows
from nlp.learn.training import TrainingError, train
from nlp.router import Router
from tests.learn_support import START, labelled_rows, write_history_csv

HEATING = "区供热管理办公室"


def _rows(rows: list[dict[str, str]], *, label: str = "unit") -> LabelledRows:
    return LabelledRows(
        tuple(r["text"] for r in rows),
        tuple(r[label] for r in rows),
        tuple(START + timedelta(days=i // 4) for i in range(len(rows))),
    )


@pytest.fixture(scope="module")
def trained(router: Router, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A unit model trained on 240 labelled rows without any heating (供热) example."""
    rows = [r for r in labelled_rows() if r["unit"] != HEATING][:240]
    model, meta = train(router, _rows(rows), "unit", source="labelled.csv")
    path = tmp_path_factory.mktemp("model") / "router.model"
    save_model(path, model, meta)
    return path


def _rewrite_header(source: Path, target: Path, **changes: object) -> Path:
    data = source.read_bytes()
    body = data[len(MAGIC) :]
    header, rest = body.split(b"\n", 1)
    meta = {**json.loads(header), **changes}
    target.write_bytes(MAGIC + json.dumps(meta, ensure_ascii=False).encode() + b"\n" + rest)
    return target


def test_model_file_carries_its_metadata(trained: Path) -> None:
    """The header says what the model was trained on, when, its labels, sklearn, held-out scores."""
    import sklearn

    meta = read_meta(trained)
    assert (meta.label_kind, meta.source, meta.rows) == ("unit", "labelled.csv", 240)
    assert HEATING not in meta.labels and "区城市管理局" in meta.labels
    assert meta.sklearn_version == sklearn.__version__
    assert datetime.fromisoformat(meta.trained_at).tzinfo is not None
    assert {"accuracy", "macro_f1", "keyword_accuracy", "answered"} <= set(meta.held_out)
    assert 0.5 < meta.held_out["accuracy"] <= 1.0


def test_learned_label_and_explanation(router: Router, trained: Path) -> None:
    """With a model the unit is the learned label; matched keeps the keywords and adds the model's
    strongest n-grams."""
    loaded = load_model(trained, router)
    d = LearnedRouter(router, loaded.model, "unit").route("安宁西路上的路灯坏了半个月了")
    assert d.unit == "区城市管理局" and d.subcategory == "路灯照明"
    assert any(m.startswith("model:") for m in d.matched)
    assert any(not m.startswith("model:") for m in d.matched)
    assert 0.45 < d.confidence <= 1.0


def test_keywords_carry_labels_the_model_never_saw(router: Router, trained: Path) -> None:
    """No heating example in training, yet 暖气不热 goes to the heating office by the keywords."""
    loaded = load_model(trained, router)
    d = LearnedRouter(router, loaded.model, "unit").route("家里暖气一点都不热，冻得睡不着")
    assert d.unit == HEATING


def test_emergency_and_empty_messages_stay_with_the_keywords(router: Router, trained: Path) -> None:
    """A fire is still an emergency with a model; an empty line decides nothing."""
    learned = LearnedRouter(router, load_model(trained, router).model, "unit")
    fire, empty = learned.route_many(["楼下着火了，黑烟很大", "  "])
    assert fire.emergency == "火警 119"
    assert empty.unit is None and empty.confidence == 0.0


def test_model_backed_router_swaps_models(router: Router, trained: Path) -> None:
    """The bot's router routes by keywords until a model is set, then by the model."""
    backed = ModelBackedRouter(router)
    text = "安宁西路上的路灯坏了半个月了"
    assert backed.route(text) == router.route(text)
    backed.use_model(load_model(trained, router).model, "unit")
    assert any(m.startswith("model:") for m in backed.route(text).matched)
    assert backed.locate("我住在刘家堡村附近") == router.locate("我住在刘家堡村附近")


def test_truncated_and_foreign_files_are_one_line_errors(
    router: Router, trained: Path, tmp_path: Path
) -> None:
    """A cut-off copy, a file that is no model, and a missing file fail with a one-line message."""
    cut = tmp_path / "cut.model"
    cut.write_bytes(trained.read_bytes()[: trained.stat().st_size // 2])
    foreign = tmp_path / "foreign.model"
    foreign.write_bytes(b"PK\x03\x04 not a model")
    for path, fragment in (
        (cut, "damaged model data"),
        (foreign, "not a hotline router model file"),
        (tmp_path / "missing.model", "model file not found"),
    ):
        with pytest.raises(ModelFileError, match=fragment) as err:
            load_model(path, router)
        assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_mismatched_models_are_refused(router: Router, trained: Path, tmp_path: Path) -> None:
    """Wrong label kind, an older format (1: a pickle), labels the directory lacks: refused before
    the arrays are read. Another scikit-learn is fine: loading never uses it."""
    with pytest.raises(ModelFileError, match="a unit model, but a category model is needed"):
        load_model(trained, router, label_kind="category")
    pickled = _rewrite_header(trained, tmp_path / "pickled.model", format_version=1)
    with pytest.raises(ModelFileError, match="model format 1, this hotline reads 2; train it"):
        load_model(pickled, router)
    other = _rewrite_header(trained, tmp_path / "other.model", sklearn_version="0.24.2")
    assert load_model(other, router).meta.sklearn_version == "0.24.2"
    alien = _rewrite_header(trained, tmp_path / "alien.model", labels=["朝阳区城管委"])
    with pytest.raises(ModelFileError, match="unknown to the directory"):
        load_model(alien, router)
    future = _rewrite_header(trained, tmp_path / "future.model", format_version=99)
    with pytest.raises(ModelFileError, match="model format 99"):
        load_model(future, router)


def test_training_refuses_unknown_labels_and_mixed_levels(router: Router) -> None:
    """Labels the directory does not know are named; top- and second-level categories don't mix."""
    from nlp.learn.labels import UnknownLabelError

    rows = labelled_rows(20)
    bad = _rows([{**r, "unit": "不存在的局"} if i == 3 else r for i, r in enumerate(rows)])
    with pytest.raises(UnknownLabelError, match="不存在的局"):
        train(router, bad, "unit", source="x.csv")
    mixed = LabelledRows(("路灯坏了", "暖气不热"), ("城乡建设", "供热"), (None, None))
    with pytest.raises(TrainingError, match="mix top-level and second-level"):
        train(router, mixed, "category", source="x.csv")


def test_category_model_learns_top_level_classes(router: Router, tmp_path: Path) -> None:
    """--label-kind category trains on top-level classes and names a sub-category that fits."""
    rows = labelled_rows(160)
    model, meta = train(router, _rows(rows, label="category"), "category", source="c.csv")
    assert meta.label_kind == "category" and set(meta.labels) <= set(router.directory.tops)
    d = LearnedRouter(router, model, "category").route("小区门口的路灯坏了")
    assert d.category == "城乡建设" and d.subcategory == "路灯照明"


def test_reader_reads_named_columns_and_reports_missing_ones(tmp_path: Path) -> None:
    """The 台账 reader takes the named columns, skips rows without text or label, parses dates."""
    blank = {"text": "", "unit": "x", "category": ""}
    path = write_history_csv(tmp_path / "h.csv", [*labelled_rows(8), blank])
    rows = read_labelled_rows(
        path, text_column="诉求内容", label_column="承办单位", time_column="受理时间"
    )
    assert len(rows) == 8 and rows.skipped == 1 and rows.times[0] == START
    from nlp.learn.table import TrainingDataError

    with pytest.raises(TrainingDataError, match="no column '内容'"):
        read_labelled_rows(path, text_column="内容", label_column="承办单位")


def _history(good: bool) -> LabelledRows:
    """A history whose older rows are right (good) or systematically mislabelled, each unit
    swapped for another (bad); the newest rows are right either way."""
    rows = labelled_rows(320)
    units = sorted({r["unit"] for r in rows})
    swapped = dict(zip(units, units[1:] + units[:1], strict=True))
    labels = [r["unit"] if good or i >= 240 else swapped[r["unit"]] for i, r in enumerate(rows)]
    times = [START + timedelta(hours=6 * i) for i in range(len(rows))]
    return LabelledRows(tuple(r["text"] for r in rows), tuple(labels), tuple(times))


def test_retrain_replaces_only_when_not_worse(
    router: Router, trained: Path, tmp_path: Path
) -> None:
    """A candidate trained on garbage keeps the current file byte for byte; a good one replaces
    it, atomically, and the new file is trained on every row."""
    path = tmp_path / "router.model"
    path.write_bytes(trained.read_bytes())
    before = path.read_bytes()
    history = _history(good=False)
    now = max(t for t in history.times if t is not None) + timedelta(hours=1)
    kept = retrain_if_not_worse(router, history, path, now=now, recent=timedelta(days=20))
    assert not kept.replaced and kept.reason == "candidate worse on the newest weeks"
    assert kept.candidate_accuracy is not None and kept.current_accuracy is not None
    assert kept.candidate_accuracy < kept.current_accuracy and kept.current_is_model
    assert path.read_bytes() == before
    replaced = retrain_if_not_worse(router, _history(good=True), path, now=now,
                                    recent=timedelta(days=20))  # fmt: skip
    assert replaced.replaced, replaced
    assert read_meta(path).rows == 320 and path.read_bytes() != before
    assert not list(tmp_path.glob(".router.model.*"))  # no temporary file left behind


def test_retrain_without_a_model_compares_with_the_keywords(router: Router, tmp_path: Path) -> None:
    """With no model file yet, the candidate must beat the keyword router on the newest weeks."""
    history = _history(good=False)
    now = max(t for t in history.times if t is not None) + timedelta(hours=1)
    outcome = retrain_if_not_worse(
        router, history, tmp_path / "none.model", now=now, recent=timedelta(days=20)
    )
    assert not outcome.current_is_model and not outcome.replaced
    assert not (tmp_path / "none.model").exists()
    few = retrain_if_not_worse(router, history, tmp_path / "x", now=now, min_rows=1000)
    assert not few.replaced and "fewer than 1000" in few.reason
