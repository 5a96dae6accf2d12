"""The stacking meta-learner: a conditional logit (softmax over labels) with weights shared by all
labels, fit by maximum likelihood.

Each (message, label) pair has a few features: the text classifier's margin, whether the text
classifier knew the label, and the keyword router's evidence. One weight per feature, the same for
every label, so 100 rows are enough to fit it and a label with one example (or none) is scored
like any other. Maximum likelihood on out-of-fold margins is what makes the output a calibrated
probability: Platt scaling generalised to many labels, with the keywords as extra inputs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# L2 prior on the weights, as a total over the training rows (the penalty on the mean
# log-likelihood is _PRIOR / rows): it keeps the weights finite when the rows separate perfectly
# and firm when there are few of them, and lets a long history outvote the keywords where the
# centre's own convention differs (a fixed 1e-2 could not: bench, units merged into others).
_PRIOR = 1.0


def softmax_rows(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def fit_weights(features: FloatArray, gold: npt.NDArray[np.int64]) -> FloatArray:
    """Weights w maximising sum_i log softmax(features[i] @ w)[gold[i]]; features is
    (messages, labels, k)."""
    n, _, k = features.shape
    rows = np.arange(n)
    penalty = _PRIOR / max(n, 1)

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        z = features @ w
        p = softmax_rows(z)
        nll = -float(np.log(p[rows, gold] + 1e-12).sum()) / n
        # d/dw: expected features under p minus the gold label's features.
        grad = (np.einsum("nl,nlk->k", p, features) - features[rows, gold].sum(axis=0)) / n
        return nll + penalty * float(w @ w), grad + 2 * penalty * w

    start = np.zeros(k)
    start[0] = 1.0
    # Imported here: routing with a model never fits, and scipy.optimize is a third of the
    # model's start-up.
    from scipy.optimize import minimize

    result = minimize(loss, start, jac=True, method="L-BFGS-B")
    weights: FloatArray = np.asarray(result.x, dtype=np.float64)
    return weights
