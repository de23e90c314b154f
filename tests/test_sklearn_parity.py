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
    with pytest.raises(ValueError, match=r"early_stopping: validation_fraction=0.05 of the 20 examples holds out 1 "
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
