"""The model file: a small header, the metadata as one JSON line, then the model's arrays.

The metadata (what it was trained on, when, its labels, the scikit-learn version that trained
it, held-out scores) is readable and checked before the arrays are read, so a model for the
wrong label kind, another directory or an older format is refused with one clear line.

Format 2 (issue 10's speed): the arrays are a numpy .npz (zip) archive read with
allow_pickle=False: n-grams, idf, the SVM's coefficients (float32), the meta-learner's weights.
Loading runs no code from the file (format 1 was a joblib pickle, which does) and needs no
scikit-learn, so a model adds about 0.1 s to start-up instead of 0.7 s. A file of format 1 is
refused: train it again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from nlp.errors import NlpError
from nlp.learn.arrays import read_arrays, write_arrays
from nlp.learn.labels import LABEL_KINDS, LabelKind, UnknownLabelError, check_labels
from nlp.learn.model import StackedModel
from nlp.router import Router

MAGIC = b"HOTLINE-ROUTER-MODEL\n"
FORMAT_VERSION = 2


class ModelFileError(NlpError):
    """A model file that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class ModelMeta:
    """What a model file says about itself."""

    label_kind: LabelKind
    labels: tuple[str, ...]  # the labels it was trained on
    source: str  # file name, or "database"
    rows: int
    trained_at: str  # ISO 8601, UTC
    sklearn_version: str
    held_out: dict[str, float] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data


def sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def save_model(path: Path, model: StackedModel, meta: ModelMeta) -> None:
    """Write atomically: a reader (the bot, a retrain) sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC)
            fh.write(json.dumps(meta.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
            write_arrays(fh, model)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is not a secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_header(fh: IO[bytes], path: Path) -> ModelMeta:
    if fh.read(len(MAGIC)) != MAGIC:
        raise ModelFileError(f"{path}: not a hotline router model file")
    try:
        data = json.loads(fh.readline().decode("utf-8"))
        version = int(data.get("format_version", 0))
    except (ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise ModelFileError(f"{path}: damaged model header ({exc})") from exc
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format {version}, this hotline reads {FORMAT_VERSION}; train it again"
        )
    try:
        meta = ModelMeta(
            label_kind=data["label_kind"],
            labels=tuple(str(x) for x in data["labels"]),
            source=str(data["source"]),
            rows=int(data["rows"]),
            trained_at=str(data["trained_at"]),
            sklearn_version=str(data["sklearn_version"]),
            held_out={str(k): float(v) for k, v in dict(data.get("held_out", {})).items()},
            format_version=version,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged model header (missing {exc})") from exc
    if meta.label_kind not in LABEL_KINDS:
        raise ModelFileError(f"{path}: unknown label kind {meta.label_kind!r}")
    return meta


def read_meta(path: Path) -> ModelMeta:
    """The metadata alone (no arrays read)."""
    try:
        with path.open("rb") as fh:
            return _read_header(fh, path)
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path}: model file not found") from exc
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read model file: {exc}") from exc


@dataclass(frozen=True, slots=True)
class LoadedModel:
    meta: ModelMeta
    model: StackedModel


def load_model(path: Path, router: Router, *, label_kind: LabelKind | None = None) -> LoadedModel:
    """Read, check against this directory, and load a model file (numpy only: routing with a
    model never imports scikit-learn)."""

    try:
        with path.open("rb") as fh:
            meta = _read_header(fh, path)
            if label_kind is not None and meta.label_kind != label_kind:
                raise ModelFileError(
                    f"{path}: a {meta.label_kind} model, but a {label_kind} model is needed"
                )
            try:
                check_labels(router, meta.label_kind, meta.labels, str(path))
            except UnknownLabelError as exc:
                raise ModelFileError(f"{exc}; was it trained for another district?") from exc
            try:
                model = read_arrays(fh)
            except Exception as exc:  # a truncated or foreign archive fails in many ways
                raise ModelFileError(
                    f"{path}: damaged model data ({type(exc).__name__}); train it again"
                ) from exc
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path}: model file not found") from exc
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read model file: {exc}") from exc
    return LoadedModel(meta, model)
