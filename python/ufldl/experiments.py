"""The tutorial's supervised experiments, reproduced on the 8x8 digits that ship with scikit-learn.

Every function trains with fixed seeds and returns plain numbers; ``ufldl experiments`` prints them as the
README's table, next to the tutorial's MNIST figures. The digits stand in for MNIST (28x28, 60,000 training
images), which no package ships: they are smaller (64 pixels), fewer (1,797) and easier for raw pixels.

- :func:`softmax_on_pixels`: softmax regression on raw pixels (the tutorial's "Softmax Regression" exercise).
- :func:`self_taught`: a sparse autoencoder learns features from digits 5-9 (unlabelled); softmax regression on
  the features of digits 0-4, half of them for training, half for testing, against raw pixels (the tutorial's
  "Self-Taught Learning" exercise), over a few settings (hidden size, rho, lambda, ZCA whitening).
- :func:`stacked`: greedy pretraining of two sparse autoencoders, a softmax layer, fine-tuning (the tutorial's
  "Building Deep Networks for Classification" exercise), before and after fine-tuning.
"""

import time
import warnings
from collections.abc import Sequence
from typing import Literal, TypeAlias, TypedDict

import numpy as np
from sklearn.model_selection import train_test_split

from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.types import DecoderName, Float64Array, FloatArray, IntArray
from ufldl.datasets import load_digits
from ufldl.estimators import AutoencoderCollapseWarning, SoftmaxRegression, SparseAutoencoder, StackedAutoencoder
from ufldl.preprocessing import ZCAWhitening

__all__ = ["TUTORIAL_MNIST", "softmax_on_pixels", "self_taught", "stacked", "SELF_TAUGHT_SETTINGS",
           "SelfTaughtSetting", "SoftmaxResult", "SelfTaughtRun", "SelfTaughtResult", "StackedResult"]

#: One setting of self-taught learning: (hidden units, rho, lambda, ZCA epsilon or None).
SelfTaughtSetting: TypeAlias = tuple[int, float, float, float | None]


class SoftmaxResult(TypedDict):
    """What :func:`softmax_on_pixels` returns."""

    accuracy: float
    seconds: float


class SelfTaughtRun(TypedDict):
    """One setting's run in :func:`self_taught`'s result."""

    n_hidden: int
    rho: float
    weight_decay: float
    zca_epsilon: float | None
    accuracy: float
    collapsed: bool
    seconds: float


class SelfTaughtResult(TypedDict):
    """What :func:`self_taught` returns."""

    raw: float
    runs: list[SelfTaughtRun]


class StackedResult(TypedDict):
    """What :func:`stacked` returns: one entry per seed in each list."""

    before: list[float]
    after: list[float]
    collapsed: list[bool]
    seconds: list[float]


#: The tutorial's reported test accuracies on MNIST.
TUTORIAL_MNIST = {"softmax": 0.926, "self_taught": 0.983, "stacked_before": 0.877, "stacked_after": 0.976}

#: Settings tried for self-taught learning: (hidden units, rho, lambda, ZCA epsilon or None).
SELF_TAUGHT_SETTINGS: tuple[SelfTaughtSetting, ...] = (
    (196, 0.1, 3e-3, None),  # the tutorial's, scaled to 64 pixels: 196 hidden units as in its exercise
    (196, 0.1, 1e-4, None),
    (64, 0.1, 1e-4, None),
    (25, 0.1, 1e-4, None),
    (196, 0.05, 1e-4, None),
    (196, 0.1, 1e-4, 0.1),  # ZCA-whitened input and a linear decoder
)


def _split(X: Float64Array, y: IntArray,
           random_state: int = 0) -> tuple[Float64Array, Float64Array, IntArray, IntArray]:
    """Half for training, half for testing, stratified."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=random_state, stratify=y)
    return X_train, X_test, y_train, y_test  # (scikit-learn: untyped; arrays in, the same types out)


@renamed_keyword("seed", "random_state")
def softmax_on_pixels(random_state: int = 0, max_iter: int = 100) -> SoftmaxResult:
    """Softmax regression (lambda 1e-4, L-BFGS, ``max_iter`` iterations, the tutorial's) on raw pixels.

    Parameters
    ----------
    random_state : int
        The split (formerly ``seed``).
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    result : dict
        ``accuracy`` on the held-out half and ``seconds`` of training.
    """
    X, y = load_digits()
    X_train, X_test, y_train, y_test = _split(X, y, random_state)
    start = time.perf_counter()
    clf = SoftmaxRegression(weight_decay=1e-4, max_iter=max_iter).fit(X_train, y_train)
    return {"accuracy": clf.score(X_test, y_test), "seconds": time.perf_counter() - start}


@renamed_keyword("seed", "random_state")
def self_taught(settings: Sequence[SelfTaughtSetting] = SELF_TAUGHT_SETTINGS, random_state: int = 0,
                max_iter: int = 400, softmax_max_iter: int = 100) -> SelfTaughtResult:
    """Self-taught learning as the tutorial splits it.

    Parameters
    ----------
    settings : sequence of (int, float, float, float or None)
        ``(n_hidden, rho, lambda, zca_epsilon)`` per run; beta is 3. With a ZCA epsilon the inputs are
        ZCA-whitened (fitted on the unlabelled digits) and the autoencoder has a linear decoder.
    random_state : int
        The split and the autoencoder's initial weights (formerly ``seed``).

    Returns
    -------
    result : dict
        ``raw``: the accuracy of softmax regression on raw pixels; ``runs``: one dict per setting with its
        ``accuracy``, ``n_hidden``, ``rho``, ``weight_decay``, ``zca_epsilon``, ``collapsed`` and ``seconds``.
    """
    X, y = load_digits()
    unlabelled = X[y >= 5]
    X_train, X_test, y_train, y_test = _split(X[y < 5], y[y < 5], random_state)
    raw = SoftmaxRegression(1e-4, max_iter=softmax_max_iter).fit(X_train, y_train).score(X_test, y_test)
    runs: list[SelfTaughtRun] = []
    for n_hidden, rho, lam, epsilon in settings:
        start = time.perf_counter()
        inputs: tuple[FloatArray, ...]
        decoder: DecoderName
        if epsilon is None:
            inputs = (unlabelled, X_train, X_test)
            decoder = "sigmoid"
        else:
            zca = ZCAWhitening(epsilon).fit(unlabelled)
            inputs = tuple(zca.transform(A) for A in (unlabelled, X_train, X_test))
            decoder = "linear"
        ae = SparseAutoencoder(n_hidden, rho=rho, beta=3.0, weight_decay=lam, decoder=decoder, max_iter=max_iter,
                               random_state=random_state)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AutoencoderCollapseWarning)
            ae.fit(inputs[0])
        softmax = SoftmaxRegression(1e-4, max_iter=softmax_max_iter).fit(ae.transform(inputs[1]), y_train)
        runs.append({"n_hidden": n_hidden, "rho": rho, "weight_decay": lam, "zca_epsilon": epsilon,
                     "accuracy": softmax.score(ae.transform(inputs[2]), y_test),
                     "collapsed": any(issubclass(w.category, AutoencoderCollapseWarning) for w in caught),
                     "seconds": time.perf_counter() - start})
    return {"raw": raw, "runs": runs}


def stacked(hidden_layer_sizes: Sequence[int] = (200, 200),
            finetune_weight_decay: Literal["all", "softmax"] | float = "all", weight_decay: float = 1e-4,
            seeds: Sequence[int] = (0,), max_iter: int = 400) -> StackedResult:
    """Stacked autoencoders with fine-tuning on all ten digits (half for training, half for testing).

    Returns
    -------
    result : dict
        ``before`` and ``after``: test accuracies (lists, one per seed) before and after fine-tuning;
        ``collapsed``: whether any autoencoder collapsed (per seed); ``seconds`` per seed.
    """
    X, y = load_digits()
    X_train, X_test, y_train, y_test = _split(X, y, 0)
    result: StackedResult = {"before": [], "after": [], "collapsed": [], "seconds": []}
    for seed in seeds:
        start = time.perf_counter()
        clf = StackedAutoencoder(hidden_layer_sizes, weight_decay=weight_decay,
                                 finetune_weight_decay=finetune_weight_decay, pretrain_max_iter=max_iter,
                                 softmax_max_iter=max_iter, finetune_max_iter=max_iter, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AutoencoderCollapseWarning)
            clf.fit(X_train, y_train)
        result["before"].append(float(np.mean(clf.predict(X_test, finetuned=False) == y_test)))
        result["after"].append(clf.score(X_test, y_test))
        result["collapsed"].append(any(issubclass(w.category, AutoencoderCollapseWarning) for w in caught))
        result["seconds"].append(time.perf_counter() - start)
    return result
