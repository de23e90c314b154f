"""warm_start (and partial_fit on a fitted estimator) with another number of features is an error, as in
scikit-learn, not a silent fresh start; the estimator is left as it was."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import ufldl
from ufldl.classifiers import NeuralNetClassifier, NeuralNetRegressor, SoftmaxRegression

ESTIMATORS = {
    "SparseAutoencoder": lambda **kw: ufldl.SparseAutoencoder(n_hidden=3, **kw),
    "SoftmaxRegression": lambda **kw: SoftmaxRegression(**kw),
    "NeuralNetClassifier": lambda **kw: NeuralNetClassifier((3,), **kw),
    "NeuralNetRegressor": lambda **kw: NeuralNetRegressor((3,), **kw),
}


def data(rng, n_features):
    X = rng.uniform(0.1, 0.9, size=(60, n_features))
    return X, (X[:, :2].sum(axis=1) > 1.0).astype(int)


def fit(est, X, y, method="fit"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and collapse warnings of these tiny fits
        if isinstance(est, ufldl.SparseAutoencoder):
            return getattr(est, method)(X)
        if isinstance(est, NeuralNetRegressor):
            return getattr(est, method)(X, y.astype(float))
        if method == "partial_fit" and not hasattr(est, "network_"):
            return est.partial_fit(X, y, classes=[0, 1])
        return getattr(est, method)(X, y)


def snapshot(est):
    return est.network_.theta.copy(), est.n_iter_, est.n_features_in_, list(est.loss_curve_)


def assert_unchanged(est, before):
    theta, n_iter, n_features, curve = before
    assert np.array_equal(est.network_.theta, theta) and est.n_iter_ == n_iter
    assert est.n_features_in_ == n_features and est.loss_curve_ == curve


def test_every_estimator_with_warm_start_is_covered():
    with_warm_start = {name for name, obj in vars(ufldl).items()
                       if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                       and "warm_start" in inspect.signature(obj).parameters}
    with_warm_start |= {cls.__name__ for cls in (SoftmaxRegression, NeuralNetClassifier, NeuralNetRegressor)}
    assert with_warm_start == set(ESTIMATORS)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_warm_start_with_other_features_raises(rng, name, solver):
    est = ESTIMATORS[name](solver=solver, max_iter=3, warm_start=True, random_state=0)
    fit(est, *data(rng, 8))
    before = snapshot(est)
    with pytest.raises(ValueError, match=rf"^X has 5 features, but {name} is expecting 8 features as input"):
        fit(est, *data(rng, 5))
    assert_unchanged(est, before)
    fit(est, *data(rng, 8))  # the same number of features still continues
    assert est.n_iter_ > before[1]


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_partial_fit_on_a_fitted_estimator_with_other_features_raises(rng, name):
    for first in ("fit", "partial_fit"):
        est = ESTIMATORS[name](solver="adam", max_iter=2, random_state=0)
        fit(est, *data(rng, 8), method=first)
        before = snapshot(est)
        with pytest.raises(ValueError, match=rf"^X has 5 features, but {name} is expecting 8 features as input"):
            fit(est, *data(rng, 5), method="partial_fit")
        assert_unchanged(est, before)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_without_warm_start_other_features_start_afresh(rng, name):
    est = ESTIMATORS[name](solver="lbfgs", max_iter=3, random_state=0)
    fit(est, *data(rng, 8))
    fit(est, *data(rng, 5))
    assert est.n_features_in_ == 5 and est.network_.layer_sizes[0] == 5


def test_warm_start_on_an_unfitted_estimator_fits(rng):
    est = ufldl.SparseAutoencoder(n_hidden=3, max_iter=3, warm_start=True, random_state=0)
    fit(est, *data(rng, 5))
    assert est.n_features_in_ == 5


def test_a_loaded_estimator_warm_starts_with_the_same_check(rng, tmp_path):
    est = ufldl.SparseAutoencoder(n_hidden=3, max_iter=3, warm_start=True, random_state=0)
    fit(est, *data(rng, 8))
    est.save(tmp_path / "ae.npz")
    loaded = ufldl.load(tmp_path / "ae.npz")
    with pytest.raises(ValueError, match="X has 5 features, but SparseAutoencoder is expecting 8 features"):
        fit(loaded, *data(rng, 5))
