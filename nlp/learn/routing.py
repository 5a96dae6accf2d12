"""Routing with a learned model: the model names the label, the keyword router explains it and
still decides places, sub-categories and emergencies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.learn.evidence import FloatMatrix, keyword_matrix
from nlp.learn.labels import LabelKind
from nlp.learn.model import StackedModel
from nlp.learn.ngrams import Float32Array, IntArray
from nlp.router import EMPTY_DECISION, Alternative, KeywordEvidence, RouteDecision, Router

_ALTERNATIVES = 3
# A runner-up without any keyword category is listed only with at least this probability.
_MIN_BARE_ALTERNATIVE = 0.05


@dataclass(frozen=True, slots=True)
class _Pick:
    label: str
    probability: float
    subcategory: str | None


class LearnedRouter:
    """A keyword router plus a model trained for one label kind (unit or category)."""

    def __init__(
        self, router: Router, model: StackedModel, label_kind: LabelKind, *, explain: bool = True
    ) -> None:
        self.router = router
        self.model = model
        self.label_kind = label_kind
        self.explain = explain
        infos = router.categories()
        self._top_of = {c.sub: c.top for c in infos}
        self._tops = {c.top for c in infos}
        self._units = {u.name: u for u in router.directory.units}

    def probabilities(
        self, evidences: Sequence[KeywordEvidence], texts: Sequence[str]
    ) -> FloatMatrix:
        keywords = keyword_matrix(self.router, evidences, self.model.labels, self.label_kind)
        return self.model.probabilities(texts, [e.words for e in evidences], keywords)

    def route(self, text: str, *, place_hint: str | None = None) -> RouteDecision:
        return self.route_many([text], place_hint=place_hint)[0]

    def route_many(
        self, texts: Sequence[str], *, place_hint: str | None = None
    ) -> list[RouteDecision]:
        """Decisions for many messages; the margins and probabilities are computed once for the
        whole batch (numpy's per-call cost is then paid per batch, not per message)."""
        live = [i for i, t in enumerate(texts) if t and t.strip()]
        out = [EMPTY_DECISION] * len(texts)
        if not live:
            return out
        evidences = [self.router.evidence(texts[i], place_hint=place_hint) for i in live]
        x = self.model.features.transform_normalised(
            [e.norm for e in evidences], [e.words for e in evidences]
        )
        keywords = keyword_matrix(self.router, evidences, self.model.labels, self.label_kind)
        probs = self.model.probabilities_of(x, keywords)
        for row, i in enumerate(live):
            out[i] = self._decision(x.row(row), evidences[row], probs[row])
        return out

    def _best_categories(self, evidence: KeywordEvidence) -> dict[str | None, str]:
        """For each label the keywords point at, its best-scoring keyword category (the first
        one on a tie): one pass over the scores for all of a decision's picks."""
        d = evidence.decision
        best: dict[str | None, tuple[float, str]] = {}
        for sub, score in evidence.scores.items():
            if self.label_kind == "unit":
                label = self.router.unit_for(sub, d.subdistrict)
            else:
                label = self._top_of[sub]
            held = best.get(label)
            if held is None or score > held[0]:
                best[label] = (score, sub)
        return {label: sub for label, (_, sub) in best.items()}

    def _subcategory(self, best: dict[str | None, str], label: str) -> str | None:
        """The keyword category that fits the learned label best (None when no keyword does)."""
        if self.label_kind == "category" and label not in self._tops:
            return label if label in self._top_of else None
        return best.get(label)

    def _pick(self, best: dict[str | None, str], label: str, probability: float) -> _Pick:
        return _Pick(label, round(float(probability), 3), self._subcategory(best, label))

    def _unit_of(self, pick: _Pick, subdistrict: str | None) -> str | None:
        if self.label_kind == "unit":
            return pick.label
        if pick.subcategory is None:
            return None
        return self.router.unit_for(pick.subcategory, subdistrict)

    def _decision(
        self, row: tuple[IntArray, Float32Array], evidence: KeywordEvidence, probs: FloatMatrix
    ) -> RouteDecision:
        d = evidence.decision
        order = np.argsort(-probs)
        labels = self.model.labels
        best_categories = self._best_categories(evidence)
        picks = [
            self._pick(best_categories, labels[j], probs[j]) for j in order[: 1 + _ALTERNATIVES]
        ]
        best = picks[0]
        unit = self._unit_of(best, d.subdistrict)
        unit_info = self._units.get(unit) if unit else None
        sub = best.subcategory
        top = best.label if self.label_kind == "category" and best.label in self._tops else None
        matched = list(evidence.hits.get(sub, ())) if sub else []
        if self.explain:
            words = self.model.top_features(row, best.label)
            matched.extend(f"model:{w}" for w in words)
        alternatives = []
        for alt in picks[1:]:
            if alt.subcategory is None and alt.probability < _MIN_BARE_ALTERNATIVE:
                continue  # neither keywords nor the model make a case for it
            alt_unit = self._unit_of(alt, d.subdistrict)
            alt_info = self._units.get(alt_unit) if alt_unit else None
            alt_top = (
                alt.label if self.label_kind == "category" and alt.label in self._tops else None
            )
            alternatives.append(
                Alternative(
                    alt_unit,
                    alt_info.kind if alt_info else None,
                    alt_top or (self._top_of[alt.subcategory] if alt.subcategory else ""),
                    alt.subcategory or "",
                    alt.probability,
                )
            )
        return RouteDecision(
            unit=unit,
            unit_kind=unit_info.kind if unit_info else None,
            category=top or (self._top_of[sub] if sub else None),
            subcategory=sub,
            confidence=best.probability,
            matched=tuple(matched),
            place=d.place,
            subdistrict=d.subdistrict,
            territorial=sub is not None and self.router.unit_for(sub, None) is None,
            alternatives=tuple(alternatives),
            emergency=d.emergency,
        )


class ModelBackedRouter(Router):
    """A Router whose `route()` asks a learned model; everything else (places, chosen categories,
    buttons, emergencies) stays with the keywords. Without a model it is the keyword router.

    The bot holds one of these when `[router] model` is set, so the scheduled retrain can swap
    the model in place (`use_model`) without a restart.
    """

    def __init__(self, router: Router, learned: LearnedRouter | None = None) -> None:
        # Share the keyword router's loaded state instead of loading jieba a second time.
        self.__dict__.update(router.__dict__)
        self._learned = learned

    @property
    def learned(self) -> LearnedRouter | None:
        return self._learned

    def use_model(self, model: StackedModel | None, label_kind: LabelKind = "unit") -> None:
        """Route with this model from the next message on (None: keywords only)."""
        self._learned = None if model is None else LearnedRouter(self, model, label_kind)

    def route(self, text: str, *, place_hint: str | None = None) -> RouteDecision:
        learned = self._learned  # one read: a concurrent use_model() never splits a decision
        if learned is None:
            return super().route(text, place_hint=place_hint)
        return learned.route(text, place_hint=place_hint)
