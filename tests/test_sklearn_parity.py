"""What a user switching from scikit-learn's MLPClassifier / MLPRegressor meets: its names explained, its
early-stopping rules (a validation set of at least 2, a stratified split that falls back with a warning), and
the transformers' dtype tags."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_transformer_preserve_dtypes

import ufldl


def digits_subset(m):
    X, y = ufldl.datasets.load_digits()
    return X[:m], y[:m]


@pytest.mark.parametrize("cls, name, says", [
    (ufldl.NeuralNetClassifier, "alpha", r"weight_decay: .* alpha / n_samples"),
    (ufldl.NeuralNetRegressor, "learning_rate_init", "learning_rate"),
    (ufldl.NeuralNetClassifier, "nesterovs_momentum", "nesterov"),
    (ufldl.SoftmaxRegression, "C", r"weight_decay: .* weight_decay = 1 / \(C \* n_samples\)"),
    (ufldl.SparseAutoencoder, "n_components", "n_hidden"),
])
def test_scikit_learn_names_say_which_ufldl_hyperparameter_they_are(cls, name, says):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}\(\) got an unexpected keyword argument '{name}'; "
                                        rf"scikit-learn's {name} is ufldl's {says}"):
        cls(**{name: 1})


def test_an_unknown_name_names_the_public_class():
    with pytest.raises(TypeError, match=r"^NeuralNetClassifier\(\) got an unexpected keyword argument 'colour'$"):
        ufldl.NeuralNetClassifier(colour=1)


def test_a_string_learning_rate_points_at_lr_schedule():
    X, y = digits_subset(40)
    with pytest.raises(ValueError, match=r"learning_rate must be .*; got 'adaptive': .* scikit-learn's "
                                         r"learning_rate='adaptive' is ufldl's lr_schedule='adaptive'"):
        ufldl.NeuralNetClassifier(learning_rate="adaptive").fit(X, y)


@pytest.mark.parametrize("est", [ufldl.NeuralNetClassifier((4,), solver="sgd", early_stopping=True,
                                                           validation_fraction=0.05),
                                 ufldl.NeuralNetRegressor((4,), solver="adam", early_stopping=True,
                                                          validation_fraction=0.05),
                                 ufldl.SparseAutoencoder(4, solver="adam", early_stopping=True,
                                                         validation_fraction=0.05)],
                         ids=lambda est: type(est).__name__)
def test_a_validation_set_of_one_example_is_refused(est):
    X, y = digits_subset(20)  # 5% of 20 examples: one held out
    with pytest.raises(ValueError, match=r"The validation set is too small for early_stopping: validation_fraction=0.05 "
                                         r"of n_samples=20 holds out 1 "
                                         r"example\(s\), .* at least 2"):
        est.fit(X, y if not isinstance(est, ufldl.SparseAutoencoder) else None)


def test_too_few_rows_for_a_stratified_split_fall_back_with_a_warning():
    X, y = digits_subset(60)  # 10 classes; 10% held out is 6 rows
    clf = ufldl.NeuralNetClassifier((8,), solver="adam", early_stopping=True, max_iter=3, random_state=0)
    with pytest.warns(UserWarning, match=r"cannot stratify .*: 10 classes do not fit into 6 examples \(6 held out, "
                                         r"54 left to train on\); holding out an unstratified one instead"):
        clf.fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_a_warning_about_a_small_class_names_the_users_labels():
    X, y = digits_subset(60)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], dtype=object)[y]
    names[names == "seven"] = "six"
    names[0] = "lonely"
    clf = ufldl.NeuralNetClassifier((8,), solver="adam", early_stopping=True, validation_fraction=0.2, max_iter=2)
    with pytest.warns(UserWarning, match=r"1 class\(es\) have fewer than 2 examples \(\['lonely'\]\)"):
        clf.fit(X, names)


@pytest.mark.parametrize("est", [ufldl.StackedAutoencoder((6,), pretrain_max_iter=3, softmax_max_iter=3,
                                                          finetune_max_iter=3, dtype="float32", random_state=0),
                                 ufldl.SparseAutoencoder(4, max_iter=3, dtype="float32", random_state=0)],
                         ids=lambda est: type(est).__name__)
@pytest.mark.filterwarnings("ignore::ufldl.estimators.autoencoder.DecoderRangeWarning")  # (the check's data)
def test_float32_transformers_declare_and_keep_float32(est):
    tags = est.__sklearn_tags__()
    assert tags.transformer_tags.preserves_dtype == ["float32"]
    check_transformer_preserve_dtypes(type(est).__name__, est)


@pytest.mark.parametrize("n_iter_no_change", [2, 5, 10])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_patience_counts_epochs_as_scikit_learn_does(n_iter_no_change, early_stopping):
    from sklearn.neural_network import MLPClassifier
    X, y = digits_subset(200)
    # tol so large that no epoch after the first can count as an improvement: the epoch count is the rule's.
    settings = dict(solver="sgd", tol=1e6, n_iter_no_change=n_iter_no_change, max_iter=100,
                    early_stopping=early_stopping, random_state=0)
    theirs = MLPClassifier((8,), **settings).fit(X, y)
    ours = ufldl.NeuralNetClassifier((8,), **settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == n_iter_no_change + 2
    assert ours.converged_


@pytest.mark.parametrize("early_stopping", [False, True])
def test_loss_and_best_loss_as_scikit_learn_defines_them(early_stopping):
    X, y = digits_subset(200)
    clf = ufldl.NeuralNetClassifier((8,), solver="adam", max_iter=15, early_stopping=early_stopping,
                                    learning_rate=0.01, random_state=0).fit(X, y)
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == (None if early_stopping else min(clf.loss_curve_))
    ae = ufldl.SparseAutoencoder(4, max_iter=5, random_state=0).fit(X)
    assert ae.loss_ == ae.loss_curve_[-1] and ae.best_loss_ == min(ae.loss_curve_)


def multilabel_data(m=300, n=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    W = rng.normal(size=(k, n))
    Y = (X @ W.T + 0.3 * rng.normal(size=(m, k)) > 0).astype(int)  # each label a noisy half-space
    return X, Y


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_multilabel_indicator_targets_train_sigmoid_outputs_with_binary_cross_entropy(solver):
    X, Y = multilabel_data()
    clf = ufldl.NeuralNetClassifier((10,), "tanh", solver=solver, max_iter=200, learning_rate=0.01,
                                    random_state=0).fit(X, Y)
    assert clf.network_.activations[-1] == "sigmoid" and clf.network_.loss == "binary_cross_entropy"
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    P = clf.predict_proba(X)
    assert P.shape == (300, 3) and np.all((P > 0) & (P < 1))
    np.testing.assert_array_equal(clf.predict(X), (P > 0.5).astype(int))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), P, rtol=1e-12)
    assert clf.score(X, Y) > 0.8  # subset accuracy
    # The training cost is the reference's binary cross-entropy.
    cost = clf.network_.cost(X, Y)
    ref = ufldl.reference.cost_and_grad(clf.network_.weights, clf.network_.biases, X, Y.astype(float),
                                        clf.network_.activations, "binary_cross_entropy", clf.weight_decay)[0]
    assert cost == pytest.approx(ref, rel=1e-12)


def test_multilabel_matches_scikit_learn_mlp_at_the_same_start():
    """Same architecture and initial weights, alpha = lambda * m with L-BFGS: the costs scikit-learn's
    MLPClassifier minimises (its log-loss for multilabel is the same binary cross-entropy) agree."""
    from sklearn.neural_network import MLPClassifier
    X, Y = multilabel_data(m=200)
    ours = ufldl.NeuralNetClassifier((8,), "tanh", solver="lbfgs", max_iter=1, weight_decay=0.0,
                                     random_state=0).fit(X, Y)
    with pytest.warns(UserWarning):  # scikit-learn's ConvergenceWarning after its one iteration
        theirs = MLPClassifier((8,), "tanh", solver="lbfgs", alpha=0.0, max_iter=1, random_state=0).fit(X, Y)
    theirs.coefs_ = [W.copy() for W in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
    np.testing.assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), rtol=1e-10, atol=1e-14)
    assert theirs.out_activation_ == "logistic" and ours.out_activation_ == "sigmoid"


def test_multilabel_partial_fit_early_stopping_and_saving(tmp_path):
    X, Y = multilabel_data()
    clf = ufldl.NeuralNetClassifier((6,), solver="adam", early_stopping=True, max_iter=30, random_state=0).fit(X, Y)
    assert len(clf.validation_scores_) == clf.n_iter_ and 0 <= clf.best_validation_score_ <= 1
    inc = ufldl.NeuralNetClassifier((6,), solver="sgd", random_state=0)
    for _ in range(3):
        inc.partial_fit(X, Y)
    assert inc.n_iter_ == 3
    with pytest.raises(ValueError, match=r"y must have the 3 label column\(s\) of the first call to partial_fit"):
        inc.partial_fit(X, Y[:, :2])
    clf.save(tmp_path / "ml.npz")
    loaded = ufldl.load(tmp_path / "ml.npz")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="must be a multilabel indicator matrix"):
        ufldl.NeuralNetClassifier((4,)).fit(X, Y * 2)  # values 0 and 2: not an indicator matrix
    with pytest.raises(ValueError, match="y should be a 1d array"):
        ufldl.SoftmaxRegression().fit(X, Y)  # softmax regression is multinomial only


@pytest.mark.parametrize("solver", ["lbfgs", "lbfgsb", "cg", "gd"])
def test_max_fun_caps_the_cost_evaluations(solver):
    X, y = digits_subset(200)
    clf = ufldl.NeuralNetClassifier((8,), solver=solver, max_iter=500, max_fun=20, tol=0.0,
                                    random_state=0).fit(X, y)
    assert clf.t_ <= 20 * 200 * (2 if solver == "lbfgs" else 1.3)  # t_ = evaluations * n_samples
    assert clf.n_iter_ < 500 and not clf.converged_
    ae = ufldl.SparseAutoencoder(4, solver=solver, max_iter=500, max_fun=15, tol=0.0, random_state=0).fit(X)
    assert ae.n_iter_ < 500
    with pytest.raises(ValueError, match="max_fun must be an integer >= 1; got 0"):
        ufldl.SoftmaxRegression(max_fun=0).fit(X, y)
