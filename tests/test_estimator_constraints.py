"""The estimators' declarative hyperparameter checks (ufldl.estimators.constraints): every hyperparameter has
exactly one constraint, each constraint says what it expects, and the checks accept and refuse what they say."""

import inspect
import math

import numpy as np
import pytest
from sklearn.utils import get_tags

import ufldl
from ufldl.estimators import constraints as c
from ufldl.estimators.base import NetworkEstimator

ESTIMATORS = [ufldl.SparseAutoencoder, ufldl.SoftmaxRegression, ufldl.NeuralNetClassifier,
              ufldl.NeuralNetRegressor, ufldl.StackedAutoencoder]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_hyperparameter_has_one_constraint(cls):
    assert issubclass(cls, NetworkEstimator)
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert sorted(cls._parameter_constraints) == sorted(names)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_the_defaults_pass_their_own_constraints(cls):
    checked = c.check_parameters(cls())
    assert set(checked) == set(cls._parameter_constraints)
    assert checked["dtype"] == np.dtype(np.float64)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_an_unknown_dtype_is_refused_by_fit_naming_it(cls):
    # np.dtype("foo") raises, and NumPy compares the None left behind equal to float64: the check once let "foo"
    # through as None, for Network to fail later with "got None".
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0.1, 0.9, size=(20, 4)), np.arange(20) % 2
    estimator = cls(dtype="foo")  # (scikit-learn's convention: __init__ stores, fit checks)
    assert get_tags(estimator).input_tags.sparse  # (its tags are read without checking the dtype)
    with pytest.raises(ValueError, match=r"^dtype must be 'float64' or 'float32'; got 'foo'$"):
        estimator.fit(X, y)
    assert not hasattr(estimator, "network_")


def test_warm_start_from_a_minibatch_to_a_full_batch_solver_drops_the_optimiser(tmp_path):
    # The SGD object was once kept: saved with the L-BFGS estimator, its state made ufldl.load refuse the file.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = ufldl.NeuralNetClassifier((4,), solver="sgd", max_iter=3, warm_start=True, random_state=0).fit(X, y)
    clf.set_params(solver="lbfgs").fit(X, y)
    assert clf._optimizer is None and clf.n_iter_ > 3  # (the L-BFGS fit continued the SGD one)
    clf.save(tmp_path / "clf.npz")
    loaded = ufldl.load(tmp_path / "clf.npz")
    assert loaded._optimizer is None
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_constraints_accept_and_refuse():
    assert c.integer_at_least(1)(np.int32(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an integer >= 1; got bool True"):
        c.integer_at_least(1)(True, "n")
    assert c.real_in(0.0, 1.0, high_inclusive=False)(0, "p") == 0.0
    with pytest.raises(ValueError, match=r"p must be < 1.0; got 1.0"):
        c.real_in(0.0, 1.0, high_inclusive=False)(1.0, "p")
    assert c.optional(c.FLAG)(None, "f") is None
    with pytest.raises(ValueError, match=r"s must be one of \('a', 'b'\); got 'c'"):
        c.one_of("a", "b")("c", "s")
    assert c.auto_or(c.integer_at_least(1))("auto", "batch_size") == "auto"
    with pytest.raises(ValueError, match="batch_size must be 'auto' or an integer >= 1; got 'big'"):
        c.auto_or(c.integer_at_least(1))("big", "batch_size")
    assert c.PATIENCE(np.inf, "n_iter_no_change") == math.inf
    with pytest.raises(TypeError, match=r"n_iter_no_change must be an integer >= 1 or numpy.inf; got float 2.5"):
        c.PATIENCE(2.5, "n_iter_no_change")
    assert c.VERBOSITY(True, "verbose") == 1
    assert c.DTYPE(np.float32, "dtype") == np.dtype(np.float32)
    for description in (c.FLAG, c.DTYPE, c.PATIENCE, c.integer_at_least(2), c.real_in(low=0.0)):
        assert "constraint: " in repr(description)


def test_checking_a_random_state_draws_nothing_from_it():
    state = np.random.RandomState(0)
    expected = np.random.RandomState(0).randint(1000)
    assert c.RANDOM_STATE(state, "random_state") is state
    assert state.randint(1000) == expected


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "adam"])
def test_n_iter_no_change_may_be_inf_as_in_scikit_learn(tmp_path, solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = ufldl.NeuralNetClassifier((4,), solver=solver, max_iter=7, n_iter_no_change=np.inf, tol=1e3,
                                    random_state=0).fit(X, y)
    if solver != "lbfgs":  # (L-BFGS has its own convergence tests; the others never stop for want of progress)
        assert clf.n_iter_ == 7
    clf.save(tmp_path / "clf.npz")
    loaded = ufldl.load(tmp_path / "clf.npz")
    assert loaded.n_iter_no_change == math.inf
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
