"""ufldl.SparseAutoencoder: scikit-learn's own checks, the maths of each method, solvers, saving."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import ufldl
from ufldl.optimize import minibatch_run

from .helpers import sample_weight_expected_failures


def patches(rng, m=300, n=16):
    return rng.uniform(0.1, 0.9, size=(m, n))


def structured(rng, m=500):
    """A 4-dimensional signal in 16 dimensions plus a little noise, inside [0.1, 0.9]."""
    Z = rng.uniform(size=(m, 4))
    return 0.1 + 0.8 * (Z @ rng.uniform(size=(4, 16)) / 4 + 0.02 * rng.normal(size=(m, 16)))


# The sparse-input checks of scikit-learn assume that predict returns targets, shape (n_samples,): an autoencoder's
# predict is the reconstruction, (n_samples, n_features), so with sparse input supported they fail on that shape
# assertion alone, after fitting and predicting every sparse format. tests/test_sparse_input.py runs the same fits
# and predictions on every format and checks the reconstruction's shape instead. No other check is skipped. (Two
# checks report themselves skipped: they test the array API and need SCIPY_ARRAY_API, which ufldl does not support.)
_PREDICT_IS_A_RECONSTRUCTION = ("scikit-learn's sparse check asserts predict(X).shape == (n_samples,); the "
                                "reconstruction has shape (n_samples, n_features)")


def _expected_failures(estimator):
    # (and the sample-weight equivalence check of the float32 and early-stopping estimators: see helpers.py)
    return {**{name: _PREDICT_IS_A_RECONSTRUCTION
               for name in ("check_estimator_sparse_array", "check_estimator_sparse_matrix")},
            **sample_weight_expected_failures(estimator)}


@parametrize_with_checks([
    ufldl.SparseAutoencoder(n_hidden=3, max_iter=50),
    ufldl.SparseAutoencoder(n_hidden=3, solver="adam", learning_rate=0.01, max_iter=20),
    ufldl.SparseAutoencoder(n_hidden=4, beta=0.0, activation="tanh", decoder="linear", solver="sgd",
                            max_iter=10, dtype="float32"),
    ufldl.SparseAutoencoder(n_hidden=3, solver="adam", early_stopping=True, validation_fraction=0.5, max_iter=10,
                            random_state=0),
], expected_failed_checks=_expected_failures)
@pytest.mark.filterwarnings("ignore::ufldl.estimators.autoencoder.DecoderRangeWarning")  # (the checks' data)
def test_scikit_learn_checks(estimator, check):
    check(estimator)  # under pytest's filterwarnings = error: any other warning fails the check


# ---------------------------------------------------------------------------- the maths


def test_fit_trains_the_tutorial_cost(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=5, rho=0.05, max_iter=200, random_state=0).fit(X)
    net = ae.network_
    assert net.layer_sizes == (16, 5, 16) and net.activations == ("sigmoid", "sigmoid")
    assert net.sparsity == ufldl.KLSparsity(0.05, 3.0) and net.weight_decay == 1e-4
    # The same training by hand: ufldl.train on an identically initialised network.
    again = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0),
                          random_state=np.random.default_rng(0))
    result = ufldl.train(again, X, X, "lbfgs", max_iter=200)
    assert np.array_equal(again.theta, net.theta)
    assert ae.loss_curve_ == result.loss_curve and ae.n_iter_ == result.n_iter
    assert np.abs(ae.rho_hat_ - 0.05).max() < 0.01


def test_linear_autoencoder_reaches_the_pca_minimum(rng):
    """A known minimum: without decay or sparsity, a linear autoencoder with k hidden units reconstructs at
    best as well as the top k principal components (Baldi and Hornik), J* = 0.5 * (sum of the rest of the
    covariance's eigenvalues)."""
    A = rng.normal(size=(8, 8))
    X = rng.normal(size=(400, 8)) @ A + 3.0
    eig = np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True))
    best = 0.5 * eig[:-3].sum()
    ae = ufldl.SparseAutoencoder(n_hidden=3, beta=0.0, weight_decay=0.0, activation="identity",
                                 decoder="linear", max_iter=2000, tol=0.0, random_state=0).fit(X)
    assert -ae.score(X) == pytest.approx(best, rel=1e-6)


def test_methods_agree_with_the_network(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=6, max_iter=30, random_state=1).fit(X)
    net = ae.network_
    H = ae.transform(X)
    A1, A2 = net.layer_activations(X)
    assert np.array_equal(H, A1) and np.array_equal(ae.predict(X), A2)
    np.testing.assert_allclose(ae.inverse_transform(H), A2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ae.fit_transform(X), H, rtol=0, atol=0)  # deterministic refit
    assert ae.score(X) == pytest.approx(-net.cost_terms(X, X)["data"], rel=1e-12)
    np.testing.assert_allclose(ae.rho_hat_, H.mean(axis=0), rtol=1e-12)


def test_fitted_attributes(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=6, max_iter=10, random_state=1).fit(X)
    W1, W2 = ae.network_.weights
    b1, b2 = ae.network_.biases
    for got, want, shape in ((ae.components_, W1, (6, 16)), (ae.decoder_weights_, W2, (16, 6)),
                             (ae.intercept_hidden_, b1, (6,)), (ae.intercept_visible_, b2, (16,))):
        assert got.shape == shape and np.array_equal(got, want) and not got.flags.writeable
    assert ae.n_features_in_ == 16 and ae.n_iter_ == len(ae.loss_curve_) == 10 and not ae.converged_
    assert ae.validation_scores_ is None and ae.best_validation_score_ is None
    assert list(ae.get_feature_names_out()) == [f"sparseautoencoder{i}" for i in range(6)]


def test_unfitted_estimator_refuses_politely():
    ae = ufldl.SparseAutoencoder()
    for method in (ae.transform, ae.predict, ae.score, ae.inverse_transform):
        with pytest.raises(NotFittedError):
            method(np.zeros((2, 3)))
    assert not hasattr(ae, "components_")


# ---------------------------------------------------------------------------- solvers


@pytest.mark.parametrize("solver", ["lbfgs", "cg", "gd", "sgd", "adam"])
def test_every_solver_learns(rng, solver):
    X = structured(rng)
    untrained = -ufldl.SparseAutoencoder(n_hidden=5, max_iter=1, solver="gd", learning_rate=1e-12,
                                         random_state=0).fit(X).score(X)
    ae = ufldl.SparseAutoencoder(n_hidden=5, rho=0.1, solver=solver, max_iter=60, random_state=0,
                                 learning_rate={"gd": 1.0, "sgd": 0.1, "adam": 0.01}.get(solver)).fit(X)
    assert -ae.score(X) < 0.5 * untrained


def test_mean_patch_is_beaten_by_far(rng):
    """Structured data (a low-dimensional signal plus noise): the reconstruction ends far below the cost of
    predicting the mean patch."""
    X = structured(rng)
    mean_cost = 0.5 * ((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()
    ae = ufldl.SparseAutoencoder(n_hidden=8, rho=0.1, beta=0.5, random_state=0).fit(X)
    assert -ae.score(X) < 0.25 * mean_cost


def test_same_random_state_same_model(rng):
    X = patches(rng)
    for solver in ("lbfgs", "adam"):
        a = ufldl.SparseAutoencoder(n_hidden=4, solver=solver, max_iter=20, random_state=3).fit(X)
        b = ufldl.SparseAutoencoder(n_hidden=4, solver=solver, max_iter=20, random_state=3).fit(X)
        c = ufldl.SparseAutoencoder(n_hidden=4, solver=solver, max_iter=20, random_state=4).fit(X)
        assert np.array_equal(a.network_.theta, b.network_.theta)
        assert not np.array_equal(a.network_.theta, c.network_.theta)


def test_partial_fit_runs_one_epoch_each_and_equals_fit(rng):
    X = patches(rng, m=100)
    config = dict(n_hidden=4, solver="adam", learning_rate=0.01, batch_size=20, random_state=0)
    ae = ufldl.SparseAutoencoder(**config)
    for _ in range(3):
        ae.partial_fit(X)
    assert ae.n_iter_ == 3 and len(ae.loss_curve_) == 3 and ae._optimizer.n_updates == 15
    fitted = ufldl.SparseAutoencoder(**config, max_iter=3, tol=0.0).fit(X)
    assert np.array_equal(ae.network_.theta, fitted.network_.theta)
    with pytest.raises(ValueError, match="X has 5 features, but SparseAutoencoder is expecting 16 features"):
        ae.partial_fit(X[:, :5])


def test_partial_fit_only_for_mini_batch_solvers():
    assert not hasattr(ufldl.SparseAutoencoder(solver="lbfgs"), "partial_fit")
    assert hasattr(ufldl.SparseAutoencoder(solver="sgd"), "partial_fit")


def test_warm_start_continues(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=4, max_iter=10, warm_start=True, random_state=0).fit(X)
    first = ae.network_.theta.copy()
    ae.fit(X)
    assert ae.n_iter_ == 20 and len(ae.loss_curve_) == 20 and not np.array_equal(first, ae.network_.theta)
    cold = ufldl.SparseAutoencoder(n_hidden=4, max_iter=10, random_state=0).fit(X).fit(X)
    assert cold.n_iter_ == 10


def test_early_stopping_records_validation_scores(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=4, solver="adam", learning_rate=0.01, early_stopping=True,
                                 max_iter=15, random_state=0).fit(X)
    assert len(ae.validation_scores_) == ae.n_iter_ and ae.best_validation_score_ == max(ae.validation_scores_)


def test_linear_decoder_on_standardised_data(rng):
    X = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 10))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    ae = ufldl.SparseAutoencoder(n_hidden=6, rho=0.1, beta=1.0, decoder="linear", random_state=0).fit(X)
    assert ae.network_.activations == ("sigmoid", "identity")
    assert -ae.score(X) < 0.5 * 0.5 * (X ** 2).sum(axis=1).mean()


def test_float32_model(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=5, max_iter=50, dtype="float32", random_state=0).fit(X)
    assert ae.transform(X).dtype == np.float32 and ae.network_.dtype == np.float32
    ref = ufldl.SparseAutoencoder(n_hidden=5, max_iter=50, random_state=0).fit(X)
    assert ae.score(X) == pytest.approx(ref.score(X), rel=1e-3)


def test_diverging_fit_keeps_the_last_finite_parameters(rng):
    X = 100 * rng.normal(size=(50, 8))
    ae = ufldl.SparseAutoencoder(n_hidden=3, beta=0.0, activation="identity", decoder="linear", solver="gd",
                                 learning_rate=1.0, max_iter=50, random_state=0)
    with np.errstate(all="ignore"), pytest.raises(ufldl.NonFiniteError, match="iteration"):
        ae.fit(X)
    assert np.isfinite(ae.network_.theta).all() and np.isfinite(ae.loss_curve_).all()


def test_interrupted_fit_warns_and_keeps_the_model(rng, monkeypatch):
    X = patches(rng)
    real_epoch = minibatch_run.MinibatchRun.epoch

    def epoch(self, order):
        if self.n_epochs == 2:
            raise KeyboardInterrupt
        return real_epoch(self, order)

    monkeypatch.setattr(minibatch_run.MinibatchRun, "epoch", epoch)
    ae = ufldl.SparseAutoencoder(n_hidden=4, solver="adam", max_iter=10, random_state=0)
    with pytest.warns(ufldl.TrainingInterrupted):
        ae.fit(X)
    assert ae.n_iter_ == 2 and ae.transform(X).shape == (300, 4)


@pytest.mark.parametrize("params, exception, pattern", [
    (dict(n_hidden=0), ValueError, "n_hidden must be an integer >= 1; got 0"),
    (dict(n_hidden=2.5), TypeError, "n_hidden must be an integer >= 1; got float 2.5"),
    (dict(rho=1.5), ValueError, "rho must be < 1.0; got 1.5"),
    (dict(beta=-1), ValueError, "beta must be >= 0.0; got -1.0"),
    (dict(activation="softmax"), ValueError, "activation must be one of"),
    (dict(activation="relu"), ValueError, "the KL sparsity penalty needs sigmoid hidden units; got activation='relu'"),
    (dict(decoder="tanh"), ValueError, r"decoder must be one of \('sigmoid', 'linear'\); got 'tanh'"),
    (dict(solver="newton"), ValueError, "solver must be one of"),
    (dict(dtype="float16"), ValueError, "dtype must be 'float64' or 'float32'; got 'float16'"),
    (dict(max_iter=0), ValueError, "max_iter must be an integer >= 1; got 0"),
    (dict(solver="adam", batch_size=0), ValueError, "batch_size must be an integer >= 1; got 0"),
    (dict(solver="sgd", momentum=2.0), ValueError, "momentum must be < 1.0; got 2.0"),
    (dict(shuffle=None), TypeError, "shuffle must be True or False"),
    (dict(random_state="seed"), TypeError, "random_state must be None, an int"),
])
def test_bad_hyperparameters_are_reported_at_fit(rng, params, exception, pattern):
    ae = ufldl.SparseAutoencoder(**params)  # scikit-learn: no validation in __init__
    with pytest.raises(exception, match=pattern):
        ae.fit(patches(rng, m=20))


def test_bad_data_is_refused(rng):
    X = patches(rng, m=20)
    X[2, 3] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        ufldl.SparseAutoencoder().fit(X)
    ae = ufldl.SparseAutoencoder(n_hidden=3, max_iter=5).fit(patches(rng, m=20))
    with pytest.raises(ValueError, match=r"H must have shape \(n_samples, 3\), one column per hidden unit; got "
                                         r"shape \(4, 2\)"):
        ae.inverse_transform(np.zeros((4, 2)))


# ---------------------------------------------------------------------------- scikit-learn composition


def test_clone_pipeline_and_grid_search(rng):
    Z = rng.normal(size=(200, 2))
    y = (Z[:, 0] > 0).astype(int)
    X = np.tanh(Z @ rng.normal(size=(2, 12)) + 0.1 * rng.normal(size=(200, 12)))
    ae = ufldl.SparseAutoencoder(n_hidden=4, rho=0.1, max_iter=50, random_state=0)
    twin = clone(ae)
    assert twin.get_params() == ae.get_params() and not hasattr(twin, "network_")
    pipe = make_pipeline(MinMaxScaler((0.1, 0.9)), ae, LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.8
    search = GridSearchCV(ufldl.SparseAutoencoder(rho=0.1, max_iter=50, random_state=0),
                          {"n_hidden": [2, 8]}, cv=3).fit(MinMaxScaler((0.1, 0.9)).fit_transform(X))
    assert search.best_params_ == {"n_hidden": 8}  # more units reconstruct better


def test_pickle_round_trip(rng):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=4, solver="sgd", max_iter=3, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(ae))
    assert np.array_equal(again.transform(X), ae.transform(X))
    again.partial_fit(X)  # the optimiser's state came along


# ---------------------------------------------------------------------------- saving


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_save_load_round_trip_is_exact(rng, tmp_path, solver):
    X = patches(rng)
    ae = ufldl.SparseAutoencoder(n_hidden=5, solver=solver, max_iter=5, dtype="float32", shuffle=False,
                                 early_stopping=solver == "adam", random_state=7).fit(X)
    path = tmp_path / "ae.npz"
    ae.save(path)
    with np.load(path, allow_pickle=False) as raw:  # a plain npz, no pickle needed
        assert "theta" in raw.files
    again = ufldl.load(path)
    assert type(again) is ufldl.SparseAutoencoder and again.get_params() == ae.get_params()
    assert np.array_equal(again.network_.theta, ae.network_.theta) and again.network_.dtype == np.float32
    for name in ("loss_curve_", "n_iter_", "converged_", "validation_scores_", "best_validation_score_",
                 "n_features_in_"):
        assert getattr(again, name) == getattr(ae, name), name
    assert np.array_equal(again.rho_hat_, ae.rho_hat_)
    if solver == "adam":  # training continues exactly as it would have
        ae.partial_fit(X)
        again.partial_fit(X)
        assert np.array_equal(again.network_.theta, ae.network_.theta)


def test_unfitted_estimator_saves_its_parameters(tmp_path):
    ae = ufldl.SparseAutoencoder(n_hidden=7, solver="cg", random_state=np.random.RandomState(0))
    ae.save(tmp_path / "a.npz")
    again = ufldl.load(tmp_path / "a.npz")
    assert again.n_hidden == 7 and again.solver == "cg" and again.random_state is None
    assert not hasattr(again, "network_")


def test_tampered_file_is_refused(rng, tmp_path):
    ae = ufldl.SparseAutoencoder(n_hidden=3, max_iter=5, random_state=0).fit(patches(rng, m=30))
    path = tmp_path / "ae.npz"
    ae.save(path)
    data = dict(np.load(path, allow_pickle=False))
    data["theta"] = data["theta"] + 1
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(ValueError, match="checksum"):
        ufldl.load(tmp_path / "bad.npz")


def test_a_sigmoid_decoder_warns_about_data_outside_0_1():
    X, _ = ufldl.datasets.load_digits()
    with pytest.warns(ufldl.estimators.autoencoder.DecoderRangeWarning,
                      match=r"decoder='sigmoid' reconstructs values in \(0, 1\), but X holds values in \[0, 16\]: "
                            r"scale X into \[0, 1\] .* or use decoder='linear'"):
        ufldl.SparseAutoencoder(4, max_iter=2).fit(X * 16)
    ufldl.SparseAutoencoder(4, max_iter=2).fit(X)  # in [0, 1]: silent (filterwarnings = error)
    ufldl.SparseAutoencoder(4, beta=0.0, decoder="linear", max_iter=2).fit(X * 16)  # a linear decoder: silent
    with pytest.warns(ufldl.estimators.autoencoder.DecoderRangeWarning, match="autoencoder 1 of the stack"):
        ufldl.StackedAutoencoder((4,), pretrain_max_iter=2, softmax_max_iter=2, finetune=False).fit(X * 16, _)
