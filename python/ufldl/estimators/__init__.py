"""The scikit-learn estimators, on one base (``NetworkEstimator``, in ``ufldl.estimators.base``).

- ``SparseAutoencoder`` (``autoencoder``): the tutorial's sparse autoencoder, a transformer;
- ``SoftmaxRegression`` and ``NeuralNetClassifier`` (``classifiers``), ``NeuralNetRegressor`` (``regressor``);
- ``StackedAutoencoder`` (``stacked``): greedy layer-wise pretraining, then fine-tuning.

The base owns the hyperparameters' declarative checks (``constraints``, ``hyperparameters``), the random state,
warm start, ``partial_fit``, the solver's options (``solvers``), the training record and saving
(``persistence``); each estimator supplies only what differs. See ``docs/architecture.md``.
"""

from ufldl.estimators.autoencoder import AutoencoderCollapseWarning, DecoderRangeWarning, SparseAutoencoder
from ufldl.estimators.base import NetworkEstimator
from ufldl.estimators.classifiers import NeuralNetClassifier, SoftmaxRegression
from ufldl.estimators.regressor import NeuralNetRegressor
from ufldl.estimators.stacked import StackedAutoencoder

__all__ = ["AutoencoderCollapseWarning", "DecoderRangeWarning", "NetworkEstimator", "NeuralNetClassifier", "NeuralNetRegressor",
           "SoftmaxRegression", "SparseAutoencoder", "StackedAutoencoder"]
