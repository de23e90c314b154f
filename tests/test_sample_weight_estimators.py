"""Sample weights in the estimators (docs/math.md#sample-weights): fit and partial_fit of every estimator with
integer weights equal the fits of the repeated rows, the weights reach every step of a stack, early stopping's
hold-out keeps its rows' weights and scores them, score is weighted, and bad weights are refused naming
``sample_weight``. (scikit-learn's own sample-weight checks run in the parametrize_with_checks tests.)
"""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

import ufldl
from ufldl.estimators import base as estimator_base


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 0.9, size=(40, 6))
    y = (X[:, 0] + X[:, 1] > 1.0).astype(int) + (X[:, 2] > 0.5)
    w = rng.integers(0, 4, size=40)
    w[:3] = [1, 2, 3]
    return X, y, w, np.repeat(np.arange(40), w)


LBFGS_ESTIMATORS = {
    "autoencoder": lambda: ufldl.SparseAutoencoder(3, max_iter=20, random_state=0),
    "classifier": lambda: ufldl.NeuralNetClassifier((4,), solver="lbfgs", max_iter=20, random_state=0),
    "regressor": lambda: ufldl.NeuralNetRegressor((4,), solver="lbfgs", max_iter=20, random_state=0),
    "softmax": lambda: ufldl.SoftmaxRegression(max_iter=20),
    "stacked": lambda: ufldl.StackedAutoencoder((4, 3), pretrain_max_iter=15, softmax_max_iter=15,
                                                finetune_max_iter=15, random_state=0),
}


def _target(name, X, y):
    return {"autoencoder": None, "regressor": X[:, 0] + 2 * X[:, 1]}.get(name, y)


@pytest.mark.filterwarnings("ignore::ufldl.estimators.fit_warnings.AutoencoderCollapseWarning")
@pytest.mark.parametrize("name", LBFGS_ESTIMATORS)
def test_integer_weights_fit_as_repeated_rows(name, data):
    X, y, w, rows = data
    t = _target(name, X, y)
    weighted = LBFGS_ESTIMATORS[name]().fit(X, t, sample_weight=w)
    repeated = LBFGS_ESTIMATORS[name]().fit(X[rows], None if t is None else t[rows])
    plain = LBFGS_ESTIMATORS[name]().fit(X, t)
    np.testing.assert_allclose(weighted.network_.theta, repeated.network_.theta, rtol=1e-8, atol=1e-10)
    assert not np.allclose(weighted.network_.theta, plain.network_.theta, rtol=1e-4)
    if name == "stacked":  # every pretraining layer took the weights
        for a, b in zip(weighted.autoencoders_, repeated.autoencoders_):
            np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ("sgd", "adam"))
@pytest.mark.parametrize("name", ("autoencoder", "classifier", "regressor"))
def test_minibatch_fits_and_partial_fits_take_the_weights(name, solver, data):
    """One batch per epoch (batch_size above m): the weighted rows and the repeated ones give the same updates."""
    X, y, w, rows = data
    t = _target(name, X, y)
    make = {"autoencoder": lambda: ufldl.SparseAutoencoder(3, solver=solver, max_iter=5, batch_size=500,
                                                           random_state=0),
            "classifier": lambda: ufldl.NeuralNetClassifier((4,), solver=solver, max_iter=5, batch_size=500,
                                                            random_state=0),
            "regressor": lambda: ufldl.NeuralNetRegressor((4,), solver=solver, max_iter=5, batch_size=500,
                                                          random_state=0)}[name]
    weighted = make().fit(X, t, sample_weight=w)
    repeated = make().fit(X[rows], None if t is None else t[rows])
    np.testing.assert_allclose(weighted.network_.theta, repeated.network_.theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-12)
    kwargs = {"classes": np.unique(y)} if name == "classifier" else {}
    a, b = make(), make()
    for _ in range(2):
        a.partial_fit(X, t, sample_weight=w, **kwargs)
        b.partial_fit(X[rows], None if t is None else t[rows], **kwargs)
    np.testing.assert_allclose(a.network_.theta, b.network_.theta, rtol=1e-10, atol=1e-12)


def test_early_stopping_holds_out_the_weights_with_their_rows(data, monkeypatch):
    X, y, w, _ = data
    w = w + 0.5  # no zero weights: both sides of the split weigh something
    seen = {}
    real_split = estimator_base.NetworkEstimator._split

    def split(self, X, Y, rng, fraction, sample_weight=None):
        out = real_split(self, X, Y, rng, fraction, sample_weight)
        seen.update(X=out[0], X_val=out[2], w=out[4], w_val=out[5])
        return out

    monkeypatch.setattr(estimator_base.NetworkEstimator, "_split", split)
    clf = ufldl.NeuralNetClassifier((4,), solver="adam", early_stopping=True, validation_fraction=0.25, max_iter=3,
                                    random_state=0).fit(X, y, sample_weight=w)
    assert len(clf.validation_scores_) == 3
    weight_of_row = {tuple(x): v for x, v in zip(X, w)}
    assert [weight_of_row[tuple(x)] for x in seen["X"]] == list(seen["w"])
    assert [weight_of_row[tuple(x)] for x in seen["X_val"]] == list(seen["w_val"])


def test_validation_scores_are_weighted(data):
    X, y, w, _ = data
    clf = ufldl.NeuralNetClassifier((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, y)
    labels = np.searchsorted(clf.classes_, y)
    assert clf._validation_score(clf.network_, X, labels, w) == pytest.approx(
        accuracy_score(y, clf.predict(X), sample_weight=w), rel=1e-15)
    reg = ufldl.NeuralNetRegressor((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, X[:, :2])
    assert reg._validation_score(reg.network_, X, X[:, :2], w) == pytest.approx(
        r2_score(X[:, :2], reg.predict(X), sample_weight=w), rel=1e-12)


def test_scores_are_weighted(data):
    X, y, w, _ = data
    ae = ufldl.SparseAutoencoder(3, max_iter=5, random_state=0).fit(X)
    errors = 0.5 * np.sum((ae.predict(X) - X) ** 2, axis=1)
    assert ae.score(X, sample_weight=w) == pytest.approx(-(w @ errors) / w.sum(), rel=1e-12)
    assert ae.score(X, sample_weight=np.ones(40)) == pytest.approx(ae.score(X), rel=1e-12)
    reg = ufldl.NeuralNetRegressor((4,), solver="lbfgs", max_iter=5, random_state=0).fit(X, X[:, 0])
    assert reg.score(X, X[:, 0], sample_weight=w) == pytest.approx(r2_score(X[:, 0], reg.predict(X),
                                                                            sample_weight=w))


@pytest.mark.parametrize(("weights", "message"), [
    (-np.ones(40), "sample_weight"),
    (np.full(40, np.nan), "sample_weight"),
    (np.ones(39), "sample_weight"),
    (np.zeros(40), "sample_weight"),
])
@pytest.mark.parametrize("name", LBFGS_ESTIMATORS)
def test_bad_weights_are_refused_naming_sample_weight(name, weights, message, data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match=message):
        LBFGS_ESTIMATORS[name]().fit(X, _target(name, X, y), sample_weight=weights)
