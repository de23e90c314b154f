"""``ufldl.minibatch`` and ``ufldl.training``, the modules the training layer came from, still give users the
same objects as ``ufldl.optimize``; and an optimiser's state keeps the names saved files use."""

import importlib

import numpy as np

import ufldl
import ufldl.optimize


def test_the_old_modules_re_export_the_same_objects():
    minibatch = importlib.import_module("ufldl.minibatch")
    training = importlib.import_module("ufldl.training")
    for name in ("SCHEDULES", "SGD", "Adam", "MinibatchOptimizer", "MinibatchResult", "train_minibatch"):
        assert getattr(minibatch, name) is getattr(ufldl.optimize, name)
    for name in ("SOLVERS", "DEFAULT_TOL", "train"):
        assert getattr(training, name) is getattr(ufldl.optimize, name)
    assert set(minibatch.__all__) <= set(dir(minibatch)) and set(training.__all__) <= set(dir(training))


def test_the_package_exports_the_training_layer():
    for name in ("OptimizeResult", "MinibatchResult", "SGD", "Adam", "minimize", "train", "train_minibatch",
                 "NonFiniteError", "TrainingInterrupted"):
        assert getattr(ufldl, name) is getattr(ufldl.optimize, name)


def test_optimiser_state_has_meaningful_names_over_the_saved_ones():
    X = np.random.default_rng(0).uniform(0.1, 0.9, size=(40, 6))
    for opt in (ufldl.SGD(0.05), ufldl.Adam(0.01)):
        net = ufldl.Network([6, 3, 6], random_state=0)
        ufldl.train_minibatch(net, X, X, opt, batch_size=10, max_epochs=2, random_state=0)
        _, arrays = opt.state_dict()
        assert set(arrays) == {"state1", "state2"}
        if isinstance(opt, ufldl.SGD):
            assert opt.velocity is opt.state1
        else:
            assert opt.first_moment is opt.state1 and opt.second_moment is opt.state2
