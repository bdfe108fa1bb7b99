"""Logistic regression by gradient descent: σ as the output of a binary classifier.

The model is p(y = 1 | x) = σ(x · w + b), computed with ``sg.sigmoid``. It
minimises the mean cross-entropy, written as -mean(log σ(±z)) with
``sg.log_sigmoid`` so that a confident wrong prediction costs |z| instead of
log(0) = -inf, plus scikit-learn's L2 penalty ||w||² / (2 C n) (the bias
unpenalised): the same objective as ``sklearn.linear_model.LogisticRegression(C=C)``,
so the two should agree on the test set.

Examples
--------
>>> import numpy as np
>>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
>>> fit = fit_logistic(x, np.array([0.0, 0.0, 1.0, 1.0]))
>>> fit.model.predict(np.array([[-3.0], [3.0]]))
array([0., 1.])
>>> bool(fit.losses[-1] < fit.losses[0])
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

import sigmoid as sg
from sigmoid.lab._table import format_table
from sigmoid.lab.data import Dataset

__all__ = [
    "ClassifierComparison",
    "LogisticFit",
    "LogisticModel",
    "compare_with_sklearn",
    "fit_logistic",
    "logistic_loss",
]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LogisticModel:
    """Weights and bias of p(y = 1 | x) = σ(x · weights + bias)."""

    weights: Array
    bias: float

    def logits(self, x: npt.ArrayLike) -> Array:
        """z = x · weights + bias, one per row of `x`."""
        return np.asarray(x, dtype=np.float64) @ self.weights + self.bias

    def predict_proba(self, x: npt.ArrayLike) -> Array:
        """The probability of label 1 for each row, ``sg.sigmoid(z)``."""
        return np.asarray(sg.sigmoid(self.logits(x)), dtype=np.float64)

    def predict(self, x: npt.ArrayLike) -> Array:
        """Labels 0.0 / 1.0: 1 where σ(z) > 1/2, that is z > 0."""
        return (self.logits(x) > 0.0).astype(np.float64)

    def accuracy(self, x: npt.ArrayLike, y: npt.ArrayLike) -> float:
        """The fraction of rows of `x` whose predicted label is `y`."""
        return float(np.mean(self.predict(x) == np.asarray(y, dtype=np.float64)))


@dataclass(frozen=True)
class LogisticFit:
    """The trained model and the objective after each step (index 0: at the start)."""

    model: LogisticModel
    losses: Array
    learning_rate: float

    @property
    def iterations(self) -> int:
        """Gradient steps taken."""
        return len(self.losses) - 1


def logistic_loss(logits: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean cross-entropy of labels `y` under σ(logits), finite for any logit.

    Examples
    --------
    >>> logistic_loss([0.0], [1.0])  # log 2
    0.6931471805599453
    >>> logistic_loss([-800.0], [1.0])  # log(sg.sigmoid(-800)) would be -inf
    800.0
    """
    sign = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    return float(-np.mean(sg.log_sigmoid(sign * np.asarray(logits, dtype=np.float64))))


def fit_logistic(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    c: float = 1.0,
    iterations: int = 5000,
    tolerance: float = 1e-6,
    on_iteration: Callable[[], None] | None = None,
) -> LogisticFit:
    """Fit by full-batch gradient descent from zero weights.

    Parameters
    ----------
    x : array_like, shape (n, d)
        Features (standardise them: the step size depends on their scale).
    y : array_like, shape (n,)
        Labels 0 and 1.
    c : float
        Inverse regularisation strength, scikit-learn's ``C``.
    iterations : int
        The most gradient steps to take.
    tolerance : float
        Stop once the gradient's norm is below this.
    on_iteration : callable, optional
        Called after every step (a progress bar's update).

    Notes
    -----
    The step is 1 / L, L = ||[x 1]||₂² / (4n) + 1 / (C n) the Lipschitz
    constant of the objective's gradient (σ' ≤ 1/4), which makes every step
    decrease the objective without a line search.
    """
    features = np.asarray(x, dtype=np.float64)
    labels = np.asarray(y, dtype=np.float64)
    if not c > 0.0:
        raise ValueError(f"c must be positive, got {c!r}")
    n = len(labels)
    design = np.hstack([features, np.ones((n, 1))])  # the bias as a last weight
    penalty = np.full(design.shape[1], 1.0 / (c * n))
    penalty[-1] = 0.0
    step = 1.0 / (np.linalg.norm(design, 2) ** 2 / (4.0 * n) + penalty[0])
    params = np.zeros(design.shape[1])

    def objective(z: Array) -> float:
        return logistic_loss(z, labels) + 0.5 * float(np.sum(penalty * params**2))

    z = design @ params
    losses = [objective(z)]
    for _ in range(iterations):
        gradient = design.T @ (sg.sigmoid(z) - labels) / n + penalty * params
        if np.linalg.norm(gradient) < tolerance:
            break
        params = params - step * gradient
        z = design @ params
        losses.append(objective(z))
        if on_iteration is not None:
            on_iteration()
    model = LogisticModel(params[:-1].copy(), float(params[-1]))
    return LogisticFit(model, np.array(losses), float(step))


@dataclass(frozen=True)
class ClassifierComparison:
    """Our gradient-descent fit and scikit-learn's (None without scikit-learn) on one split."""

    data: Dataset
    fit: LogisticFit
    sklearn_model: LogisticModel | None
    c: float = 1.0

    def objective(self, model: LogisticModel) -> float:
        """What both fits minimise on the training part: mean loss + ||w||² / (2 C n)."""
        n = len(self.data.y_train)
        penalty = float(np.sum(model.weights**2)) / (2.0 * self.c * n)
        return logistic_loss(model.logits(self.data.x_train), self.data.y_train) + penalty

    def table(self) -> str:
        """Steps, train and test accuracy, test loss of each model."""
        header = ["model", "steps", "train acc", "test acc", "test loss"]
        models = [("gradient descent (sigmoid)", self.fit.model, str(self.fit.iterations))]
        if self.sklearn_model is not None:
            models.append(("sklearn LogisticRegression", self.sklearn_model, "-"))
        data = self.data
        rows = [
            [name, steps, f"{model.accuracy(data.x_train, data.y_train):.4f}",
             f"{model.accuracy(data.x_test, data.y_test):.4f}",
             f"{logistic_loss(model.logits(data.x_test), data.y_test):.4f}"]
            for name, model, steps in models
        ]  # fmt: skip
        return format_table(header, rows)


def compare_with_sklearn(
    data: Dataset,
    *,
    c: float = 1.0,
    iterations: int = 5000,
    on_iteration: Callable[[], None] | None = None,
) -> ClassifierComparison:
    """`fit_logistic` on `data.x_train`; scikit-learn's fit of the same objective if installed."""
    fit = fit_logistic(data.x_train, data.y_train, c=c, iterations=iterations,
                       on_iteration=on_iteration)  # fmt: skip
    try:
        linear_model = importlib.import_module("sklearn.linear_model")
    except ImportError:
        return ClassifierComparison(data, fit, None, c)
    reference = linear_model.LogisticRegression(C=c, max_iter=10_000)
    reference.fit(data.x_train, data.y_train)
    model = LogisticModel(np.asarray(reference.coef_[0], dtype=np.float64),
                          float(reference.intercept_[0]))  # fmt: skip
    return ClassifierComparison(data, fit, model, c)
