"""StackedAutoencoder: pretraining, the softmax layer, fine-tuning; the collapse warning; the tutorial's
gradient check of the fine-tuning cost."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

import ufldl

from .helpers import sample_weight_expected_failures


@pytest.fixture(scope="module")
def digits():
    X, y = ufldl.datasets.load_digits()
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


FAST = dict(pretrain_max_iter=60, softmax_max_iter=60, finetune_max_iter=60)


@parametrize_with_checks([ufldl.StackedAutoencoder((6,), random_state=0, **FAST),
                          ufldl.StackedAutoencoder((5, 4), finetune_weight_decay="softmax", random_state=0, **FAST)],
                         expected_failed_checks=sample_weight_expected_failures)
@pytest.mark.filterwarnings("ignore::ufldl.estimators.autoencoder.DecoderRangeWarning")  # (the checks' data)
# The checks' tiny random data give the second autoencoder nearly constant features (variance ~0.002), whose
# minimum is the trivial solution: minFunc's L-BFGS reaches it within 60 iterations and the stack says so.
@pytest.mark.filterwarnings("ignore::ufldl.estimators.autoencoder.AutoencoderCollapseWarning")
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_the_network_is_assembled_from_the_pieces(digits):
    X_train, _, y_train, _ = digits
    clf = ufldl.StackedAutoencoder((20, 10), finetune=False, random_state=0, **FAST).fit(X_train, y_train)
    net = clf.network_
    assert net.layer_sizes == (64, 20, 10, 10) and net.activations == ("sigmoid", "sigmoid", "softmax")
    for k, ae in enumerate(clf.autoencoders_):
        assert np.array_equal(net.weights[k], ae.components_) and np.array_equal(net.biases[k], ae.intercept_hidden_)
    # The second autoencoder learned from the first one's features.
    assert clf.autoencoders_[1].n_features_in_ == 20
    np.testing.assert_allclose(clf.transform(X_train), clf.autoencoders_[1].transform(clf.autoencoders_[0].transform(X_train)),
                               rtol=1e-12)
    assert np.array_equal(clf.pretrained_network_.theta, net.theta) and clf.n_iter_ == 0


def test_predictions_and_probabilities(digits):
    X_train, X_test, y_train, y_test = digits
    clf = ufldl.StackedAutoencoder((32, 16), random_state=0, **FAST).fit(X_train, y_train)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X_test)), proba, rtol=1e-10, atol=1e-14)
    assert np.array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X_test, y_test) > 0.9
    assert not np.array_equal(clf.predict_proba(X_test, finetuned=False), proba)
    assert clf.n_iter_ == len(clf.loss_curve_) > 0


def test_string_labels(digits):
    X_train, X_test, y_train, y_test = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    clf = ufldl.StackedAutoencoder((16,), random_state=0, **FAST).fit(X_train, names[y_train])
    assert set(clf.classes_) == set(names) and np.mean(clf.predict(X_test) == names[y_test]) > 0.85


def test_finetune_weight_decay_choices(digits):
    X_train, _, y_train, _ = digits
    small = dict(pretrain_max_iter=5, softmax_max_iter=5, finetune_max_iter=5, random_state=0)
    for choice, want in (("all", (1e-4,) * 3), ("softmax", (0.0, 0.0, 1e-4)), (3e-3, (3e-3,) * 3)):
        clf = ufldl.StackedAutoencoder((8, 6), finetune_weight_decay=choice, **small).fit(X_train, y_train)
        assert clf.network_.weight_decay == want
    with pytest.raises(ValueError, match=r"finetune_weight_decay must be one of \('all', 'softmax'\)"):
        ufldl.StackedAutoencoder(finetune_weight_decay="none").fit(X_train, y_train)
    with pytest.raises(ValueError, match=r"rho must be one value or one per hidden layer \(2\); got 3"):
        ufldl.StackedAutoencoder((8, 6), rho=[0.1, 0.1, 0.1]).fit(X_train, y_train)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a non-empty sequence of ints >= 1"):
        ufldl.StackedAutoencoder((8, 0)).fit(X_train, y_train)


def test_per_layer_hyperparameters_reach_each_autoencoder(digits):
    X_train, _, y_train, _ = digits
    clf = ufldl.StackedAutoencoder((8, 6), rho=[0.05, 0.2], beta=[3.0, 1.0], weight_decay=[1e-4, 1e-3],
                                   finetune=False, random_state=0, pretrain_max_iter=5,
                                   softmax_max_iter=5).fit(X_train, y_train)
    first, second = clf.autoencoders_
    assert (first.rho, first.beta, first.weight_decay) == (0.05, 3.0, 1e-4)
    assert (second.rho, second.beta, second.weight_decay) == (0.2, 1.0, 1e-3)


def test_save_load_round_trip(digits, tmp_path):
    X_train, X_test, y_train, _ = digits
    clf = ufldl.StackedAutoencoder((8, 6), random_state=0, **FAST).fit(X_train, y_train)
    clf.save(tmp_path / "stack.npz")
    again = ufldl.load(tmp_path / "stack.npz")
    assert again.get_params() == clf.get_params()
    assert np.array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))
    assert np.array_equal(again.predict_proba(X_test, finetuned=False), clf.predict_proba(X_test, finetuned=False))
    assert np.array_equal(again.autoencoders_[1].transform(again.autoencoders_[0].transform(X_test)),
                          clf.autoencoders_[1].transform(clf.autoencoders_[0].transform(X_test)))


# ---------------------------------------------------------------------------- the collapse warning


def test_collapse_is_warned(digits):
    X_train = digits[0]
    with pytest.warns(ufldl.AutoencoderCollapseWarning, match="collapsed to the trivial solution.*lower weight_decay"):
        ufldl.SparseAutoencoder(10, rho=0.1, weight_decay=1.0, random_state=0).fit(X_train)


def test_no_collapse_no_warning(digits):
    X_train = digits[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ufldl.SparseAutoencoder(10, rho=0.1, weight_decay=1e-4, max_iter=100, random_state=0).fit(X_train)
        # Unstructured data reconstructs poorly, but the weights are not near zero: no warning either.
        noise = np.random.default_rng(0).uniform(size=(200, 16))
        ufldl.SparseAutoencoder(4, rho=0.1, max_iter=100, random_state=0).fit(noise)


def test_a_collapsing_layer_of_a_stack_is_named(digits):
    X_train, _, y_train, _ = digits
    with pytest.warns(ufldl.AutoencoderCollapseWarning, match="autoencoder 2 of the stack"):
        ufldl.StackedAutoencoder((16, 8), weight_decay=[1e-4, 1.0], random_state=0, **FAST).fit(X_train, y_train)


# ---------------------------------------------------------------------------- the tutorial's gradient check


@pytest.mark.parametrize("decay", ["all", "softmax"])
def test_finetuning_cost_gradient_tutorial_case(decay):
    """The tutorial's check of stackedAECost: 4 inputs, hidden layers of 3 and 5, 2 classes, lambda 0.01,
    5 examples."""
    lam = 0.01
    decays = [lam] * 3 if decay == "all" else [0.0, 0.0, lam]
    net = ufldl.Network([4, 3, 5, 2], ["sigmoid", "sigmoid", "softmax"], "cross_entropy", weight_decay=decays,
                        random_state=0)
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(5, 4))
    y = rng.integers(0, 2, size=5)
    diffs = net.check_gradient(X, y)
    assert max(diffs.values()) < 1e-9, diffs


# ---------------------------------------------------------------------------- fine-tuning


def test_finetuning_beats_pretraining_alone(digits):
    """With compact features (64-32-16, a 4:1 compression like the tutorial's 784-200), the pretrained
    network classifies 91% of the test digits and fine-tuning takes it to 97% (measured, seeds 0-2; decay on
    all layers beat the softmax layer alone in each). With the tutorial's sizes (200, 200), overcomplete for
    64 pixels, the pretrained features already give 98% and fine-tuning does not help (see the README)."""
    X_train, X_test, y_train, y_test = digits
    for seed in (0, 1):
        clf = ufldl.StackedAutoencoder((32, 16), random_state=seed).fit(X_train, y_train)
        before = np.mean(clf.predict(X_test, finetuned=False) == y_test)
        after = clf.score(X_test, y_test)
        assert after > before + 0.03 and after > 0.95, (seed, before, after)


def test_linear_decoder_on_whitened_input(digits):
    X_train, X_test, y_train, y_test = digits
    zca = ufldl.ZCAWhitening(epsilon=0.1).fit(X_train)
    clf = ufldl.StackedAutoencoder((32, 16), decoder=["linear", "sigmoid"], random_state=0, **FAST)
    clf.fit(zca.transform(X_train), y_train)
    assert [ae.decoder for ae in clf.autoencoders_] == ["linear", "sigmoid"]
    assert clf.autoencoders_[0].network_.activations == ("sigmoid", "identity")
    assert clf.score(zca.transform(X_test), y_test) > 0.9


def test_list_parameters_survive_saving(digits, tmp_path):
    X_train, _, y_train, _ = digits
    clf = ufldl.StackedAutoencoder([8, 6], rho=[0.1, 0.2], pretrain_max_iter=3, softmax_max_iter=3,
                                   finetune_max_iter=3, random_state=0).fit(X_train, y_train)
    clf.save(tmp_path / "s.npz")
    again = ufldl.load(tmp_path / "s.npz")
    assert again.hidden_layer_sizes == [8, 6] and again.rho == [0.1, 0.2]
    assert ufldl.load(tmp_path / "s.npz").get_params() == clf.get_params()
