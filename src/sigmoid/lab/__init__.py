"""The lab: the classic claims about σ measured, in NumPy, with the package's own derivatives.

- `measure_vanishing`: each hidden layer's weight-gradient norm at initialisation,
  per activation (σ's shrinks about 4x per layer; tanh's and ReLU's hardly).
- `compare_training`: one network per activation trained with identical
  settings; loss and accuracy curves, epochs to a target, saturated units.
- `fit_logistic`, `compare_with_sklearn`: logistic regression by gradient
  descent with ``sg.sigmoid`` and a loss on ``sg.log_sigmoid``.
- `sigmoid.lab.figures`: their figures (matplotlib, imported when drawing).

The core (``import sigmoid``) never imports the lab; ``sigmoid lab ...`` on the
command line runs each experiment.

Examples
--------
>>> from sigmoid import lab
>>> result = lab.measure_vanishing(["sigmoid", "tanh"], depth=4, width=16, samples=32)
>>> [run.activation for run in result.runs]
['sigmoid', 'tanh']
"""

from __future__ import annotations

from sigmoid.lab.classifier import (
    ClassifierComparison,
    LogisticFit,
    LogisticModel,
    compare_with_sklearn,
    fit_logistic,
    logistic_loss,
)
from sigmoid.lab.data import DataError, Dataset, load_breast_cancer, read_csv, split
from sigmoid.lab.network import Gradients, Network, Trace, backward, forward, init_network, loss
from sigmoid.lab.training import TrainingComparison, TrainingRun, compare_training, train
from sigmoid.lab.vanishing import VanishingExperiment, VanishingRun, measure_vanishing

__all__ = [
    "ClassifierComparison",
    "DataError",
    "Dataset",
    "Gradients",
    "LogisticFit",
    "LogisticModel",
    "Network",
    "Trace",
    "TrainingComparison",
    "TrainingRun",
    "VanishingExperiment",
    "VanishingRun",
    "backward",
    "compare_training",
    "compare_with_sklearn",
    "fit_logistic",
    "forward",
    "init_network",
    "load_breast_cancer",
    "logistic_loss",
    "loss",
    "measure_vanishing",
    "read_csv",
    "split",
    "train",
]
