"""Compatibility: the supervised estimators now live in :mod:`ufldl.estimators` (``classifiers`` and
``regressor``); nothing inside the package imports this module."""

from ufldl.estimators.classifiers import NeuralNetClassifier, SoftmaxRegression  # noqa: F401
from ufldl.estimators.regressor import NeuralNetRegressor  # noqa: F401

__all__ = ["SoftmaxRegression", "NeuralNetClassifier", "NeuralNetRegressor"]
