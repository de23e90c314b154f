"""Renamed arguments (``seed`` -> ``random_state``, ``schedule`` -> ``lr_schedule``): the new name works, the old
one still works with a FutureWarning and gives the same result, passing both is a TypeError; optimiser states
that name the schedule the old way still load."""

import re

import numpy as np
import pytest

import ufldl
from ufldl import datasets, experiments
from ufldl._lib.deprecation import renamed_keyword

SIZES = [6, 4, 6]


def renamed(old, new):
    """pytest.warns for the rename of ``old`` to ``new``, matching the whole message."""
    message = f"`{old}` is renamed `{new}`; `{old}` will be removed in ufldl 0.3"
    return pytest.warns(FutureWarning, match=f"^{re.escape(message)}$")


def both(new, old):
    return pytest.raises(TypeError, match=re.escape(f"got both `{new}` and its old name `{old}`"))


# ---------------------------------------------------------------------------- the helper


def test_the_decorator_maps_the_old_keyword_and_keeps_the_signature():
    @renamed_keyword("old", "new")
    def f(a, new=1):
        """Doc."""
        return a, new

    assert f(0) == (0, 1) and f(0, 2) == (0, 2) and f(0, new=3) == (0, 3)
    with renamed("old", "new"):
        assert f(0, old=4) == (0, 4)
    with both("new", "old"):
        f(0, new=1, old=2)
    with pytest.raises(TypeError, match="multiple values"):  # the new one positionally, the old by keyword
        with renamed("old", "new"):
            f(0, 1, old=2)
    assert f.__doc__ == "Doc." and f.__name__ == "f"


def test_the_warning_points_at_the_caller():
    with renamed("seed", "random_state") as record:
        ufldl.Network(SIZES, seed=0)
    assert record[0].filename == __file__


# ---------------------------------------------------------------------------- seed -> random_state


def test_network_random_state():
    want = ufldl.Network(SIZES, random_state=3).theta
    np.testing.assert_array_equal(ufldl.Network(SIZES, "sigmoid", "squared", 0.0, None, "float64", 3).theta, want)
    with renamed("seed", "random_state"):
        old = ufldl.Network(SIZES, seed=3)
    np.testing.assert_array_equal(old.theta, want)
    with both("random_state", "seed"):
        ufldl.Network(SIZES, random_state=3, seed=3)
    with pytest.raises(TypeError, match="random_state must be None, an int >= 0"):
        ufldl.Network(SIZES, random_state=-1)
    with renamed("seed", "random_state"), pytest.raises(TypeError, match="random_state must be None"):
        ufldl.Network(SIZES, seed=1.5)  # the old name's bad value is reported under the new name


def test_network_initialize_random_state():
    net = ufldl.Network(SIZES, random_state=0)
    want = net.copy().initialize(random_state=5).theta
    np.testing.assert_array_equal(net.copy().initialize(5).theta, want)
    with renamed("seed", "random_state"):
        np.testing.assert_array_equal(net.copy().initialize(seed=5).theta, want)
    with both("random_state", "seed"):
        net.initialize(random_state=5, seed=5)


def test_sample_patches_random_state():
    images = [np.random.default_rng(0).uniform(size=(20, 30))]
    want = datasets.sample_patches(images, 50, 4, random_state=7)
    np.testing.assert_array_equal(datasets.sample_patches(images, 50, 4, 7), want)
    with renamed("seed", "random_state"):
        np.testing.assert_array_equal(datasets.sample_patches(images, 50, 4, seed=7), want)
    with both("random_state", "seed"):
        datasets.sample_patches(images, 50, 4, random_state=7, seed=7)


def test_experiments_random_state():
    want = experiments.softmax_on_pixels(random_state=1, max_iter=2)["accuracy"]
    with renamed("seed", "random_state"):
        assert experiments.softmax_on_pixels(seed=1, max_iter=2)["accuracy"] == want
    for function in (experiments.softmax_on_pixels, experiments.self_taught):
        with both("random_state", "seed"):
            function(random_state=1, seed=1)


# ---------------------------------------------------------------------------- schedule -> lr_schedule


@pytest.mark.parametrize("cls", [ufldl.SGD, ufldl.Adam])
def test_optimizer_lr_schedule(cls):
    new = cls(lr_schedule="invscaling")
    assert new.lr_schedule == "invscaling" and "lr_schedule='invscaling'" in repr(new)
    with renamed("schedule", "lr_schedule"):
        old = cls(schedule="invscaling")
    assert repr(old) == repr(new)
    with both("lr_schedule", "schedule"):
        cls(lr_schedule="adaptive", schedule="adaptive")
    with pytest.raises(ValueError, match=r"lr_schedule must be one of \('constant', 'invscaling', 'adaptive'\); "
                                         r"got 'cosine'"):
        cls(lr_schedule="cosine")


def test_optimizer_positional_order_is_unchanged():
    assert ufldl.SGD(0.1, 0.5, False, "adaptive", 0.25).lr_schedule == "adaptive"
    assert ufldl.Adam(0.1, 0.8, 0.9, 1e-6, "invscaling", 0.25).lr_schedule == "invscaling"


def test_optimizer_schedule_attribute_alias():
    opt = ufldl.SGD(lr_schedule="adaptive")
    with renamed("schedule", "lr_schedule"):
        assert opt.schedule == "adaptive"
    with renamed("schedule", "lr_schedule"):
        opt.schedule = "invscaling"
    assert opt.lr_schedule == "invscaling"
    with renamed("schedule", "lr_schedule"), pytest.raises(ValueError, match="lr_schedule must be one of"):
        opt.schedule = "cosine"


def _train(**options):
    X = np.random.default_rng(0).uniform(0.1, 0.9, size=(60, 6))
    net = ufldl.Network(SIZES, random_state=0)
    result = ufldl.train(net, X, X, "sgd", max_iter=3, random_state=0, batch_size=10, learning_rate=0.5,
                         **options)
    return net.theta, result.loss_curve


def test_train_lr_schedule():
    theta, losses = _train(lr_schedule="invscaling", power_t=0.5)
    assert not np.array_equal(theta, _train()[0])  # the schedule is used
    with renamed("schedule", "lr_schedule"):
        old_theta, old_losses = _train(schedule="invscaling", power_t=0.5)
    np.testing.assert_array_equal(old_theta, theta)
    assert list(old_losses) == list(losses)
    with both("lr_schedule", "schedule"):
        _train(lr_schedule="invscaling", schedule="invscaling")


def test_load_state_dict_reads_the_schedule_under_either_name():
    opt = ufldl.Adam(0.01)
    meta, arrays = opt.state_dict()
    assert "schedule" not in meta and "lr_schedule" not in meta  # a hyperparameter, not state
    for key in ("schedule", "lr_schedule"):
        loaded = ufldl.Adam(0.01).load_state_dict({**meta, key: "adaptive"}, arrays)
        assert loaded.lr_schedule == "adaptive"
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        ufldl.Adam(0.01).load_state_dict({**meta, "schedule": "cosine"}, arrays)


def test_an_estimator_file_whose_optimizer_names_the_schedule_the_old_way_loads(tmp_path, monkeypatch):
    X = np.random.default_rng(0).uniform(0.1, 0.9, size=(80, 6))
    ae = ufldl.SparseAutoencoder(n_hidden=3, solver="sgd", lr_schedule="invscaling", learning_rate=0.1,
                                 batch_size=20, max_iter=2, shuffle=False, random_state=0).fit(X)
    state_dict = ufldl.SGD.state_dict

    def old_state_dict(self):  # as a version that stored the schedule in the optimiser's state would
        meta, arrays = state_dict(self)
        return {**meta, "schedule": self.lr_schedule}, arrays

    path = tmp_path / "ae.npz"
    with monkeypatch.context() as patch:
        patch.setattr(ufldl.SGD, "state_dict", old_state_dict)
        ae.save(path)
    loaded = ufldl.load(path)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
    # The optimiser's state came back: one more epoch (in the same order) continues both alike.
    np.testing.assert_array_equal(loaded.partial_fit(X).transform(X), ae.partial_fit(X).transform(X))
