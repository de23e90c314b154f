"""The hidden layers' storage during an evaluation (cpp/include/ufldl/network.hpp, HiddenLayout): one example per row
or one unit per row (hidden-major, float64's default). Both give the same cost, gradient, one-pass sums and
training, to rounding, for every activation, loss, decay, sparsity, sample weights, depth, shard and block of the
output layer; the rule and its override (UFLDL_HIDDEN_LAYOUT) are what blas_info reports. The suite itself runs
the reference comparisons in each dtype's default layout; the files that compare with ufldl.reference are re-run
here in a subprocess under the other layout of each dtype."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ufldl

from .helpers import make_targets, randomize_biases

HERE = os.path.dirname(os.path.abspath(__file__))
LAYOUTS = ("rows", "hidden-major")
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
# Relative differences between the layouts: their products block differently and their per-unit sums add in a
# different order. Seen here: below 1e-14 in float64 and 5e-7 in float32.
TOL = {np.float64: 1e-12, np.float32: 2e-6}

CASES = {
    # m = 6,000 rows of a 784-unit output: two shards, each in blocks of the output layer (Network::block_rows).
    "sparse-autoencoder-blocks": dict(sizes=[30, 20, 784], activations="sigmoid", loss="squared", decay=1e-3,
                                      kl_layers=(1,), m=6000),
    "linear-decoder": dict(sizes=[16, 9, 16], activations=["sigmoid", "identity"], loss="squared", decay=1e-4,
                           kl_layers=(1,), m=900),
    "deep-softmax-two-sparse-layers": dict(sizes=[12, 9, 8, 7, 5], activations=["sigmoid", "sigmoid", "relu",
                                                                                  "softmax"],
                                           loss="cross_entropy", decay=[1e-3, 0.0, 2e-3, 1e-3], kl_layers=(1, 2),
                                           labels=True, m=700),
    "tanh-multilabel": dict(sizes=[11, 6, 3], activations=["tanh", "sigmoid"], loss="binary_cross_entropy",
                            decay=0.0, kl_layers=None, m=500),
    "identity-hidden-one-row": dict(sizes=[5, 4, 3], activations=["identity", "tanh"], loss="squared", decay=1e-3,
                                    kl_layers=None, m=1),
}


def build(monkeypatch, layout, case, dtype):
    monkeypatch.setenv("UFLDL_HIDDEN_LAYOUT", layout)
    sparsity = ufldl.KLSparsity(0.05, 3.0, layers=case["kl_layers"]) if case["kl_layers"] else None
    net = ufldl.Network(case["sizes"], case["activations"], case["loss"], weight_decay=case["decay"],
                        sparsity=sparsity, dtype=dtype, random_state=0)
    assert net._engine.hidden_layout == layout
    monkeypatch.delenv("UFLDL_HIDDEN_LAYOUT")
    return net


def problem(case, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(case["m"], case["sizes"][0]))
    probe = ufldl.Network(case["sizes"], case["activations"], case["loss"])
    Y = make_targets(rng, probe, case["m"], labels=case.get("labels", False))
    # A theta away from the initial one: rho_hat far from 0.5 and saturated units, where the KL term is large.
    theta = randomize_biases(probe, rng, scale=1.5).theta + rng.normal(0.0, 0.3, size=probe.n_params)
    return X, Y, theta, rng.uniform(0.0, 3.0, size=case["m"])


def relative(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


@DTYPES
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", list(CASES))
def test_layouts_give_the_same_cost_and_gradient(monkeypatch, name, weighted, dtype):
    case = CASES[name]
    X, Y, theta, weights = problem(case)
    sample_weight = weights if weighted else None
    results = {}
    for layout in LAYOUTS:
        net = build(monkeypatch, layout, case, dtype)
        net.theta = theta
        cost, grad = net.cost_and_grad(X, Y, sample_weight=sample_weight)
        results[layout] = (cost, grad, net.cost_terms(X, Y, sample_weight=sample_weight))
    (cost_r, grad_r, terms_r), (cost_h, grad_h, terms_h) = results["rows"], results["hidden-major"]
    assert relative(cost_h, cost_r) <= TOL[dtype]
    for key in terms_r:
        assert abs(terms_h[key] - terms_r[key]) <= TOL[dtype] * max(abs(cost_r), 1e-300), key
    for block in parameter_blocks(case["sizes"]):
        assert relative(grad_h[block], grad_r[block]) <= TOL[dtype]


def parameter_blocks(sizes):
    """The slices of theta's W_1 .. W_L, b_1 .. b_L (docs/math.md#parameter-layout)."""
    counts = [a * b for a, b in zip(sizes[1:], sizes[:-1])] + list(sizes[1:])
    ends = np.cumsum(counts)
    return [slice(int(end - count), int(end)) for count, end in zip(counts, ends)]


@DTYPES
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_layouts_give_the_same_one_pass_sums(monkeypatch, weighted, dtype):
    case = CASES["sparse-autoencoder-blocks"]
    X, Y, theta, weights = problem(case)
    sums = {}
    for layout in LAYOUTS:
        net = build(monkeypatch, layout, case, dtype)
        net.theta = theta
        sums[layout] = net.one_pass_sums(X, Y, sample_weight=weights if weighted else None)
    rows, units = sums["rows"], sums["hidden-major"]
    assert rows.m == units.m
    assert relative(units.data, rows.data) <= TOL[dtype]
    for name in ("grad", "activation_sums", "derivative_sums", "derivative_input_sums"):
        assert relative(getattr(units, name), getattr(rows, name)) <= TOL[dtype], name


@DTYPES
@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_layouts_train_alike(monkeypatch, method, dtype):
    """Thirty iterations (L-BFGS) or two epochs of mini-batches (Adam) follow the same path in both layouts."""
    case = CASES["linear-decoder"]
    X, Y, _, _ = problem(case)
    runs = {}
    for layout in LAYOUTS:
        net = build(monkeypatch, layout, case, dtype)
        options = dict(max_iter=30) if method == "lbfgs" else dict(max_iter=2, batch_size=64, random_state=0)
        result = ufldl.train(net, X, Y, method, **options)
        runs[layout] = (net.theta.copy(), np.asarray(result.loss_curve))
    (theta_r, history_r), (theta_h, history_h) = runs["rows"], runs["hidden-major"]
    assert history_h.shape == history_r.shape
    # Rounding differences grow along a training run; float32's by far the most.
    loose = {np.float64: 1e-9, np.float32: 1e-3}[dtype]
    assert np.max(np.abs(history_h - history_r) / np.abs(history_r)) <= loose
    assert relative(theta_h, theta_r) <= loose


def test_default_rule_and_its_override(monkeypatch):
    monkeypatch.delenv("UFLDL_HIDDEN_LAYOUT", raising=False)
    assert ufldl.blas_info()["hidden_layout"] == {"float64": "hidden-major", "float32": "rows"}
    for layout in LAYOUTS:
        monkeypatch.setenv("UFLDL_HIDDEN_LAYOUT", layout)
        assert ufldl.blas_info()["hidden_layout"] == {"float64": layout, "float32": layout}
    monkeypatch.setenv("UFLDL_HIDDEN_LAYOUT", "columns")  # not a layout: the rule applies
    assert ufldl.blas_info()["hidden_layout"] == {"float64": "hidden-major", "float32": "rows"}


# The files that compare the core with ufldl.reference over every option, and the one-pass and weighted sums.
REFERENCE_FILES = ("test_network_reference.py", "test_awkward_shapes.py", "test_one_pass_sums.py",
                   "test_sample_weight.py")


@pytest.mark.skipif("UFLDL_HIDDEN_LAYOUT" in os.environ, reason="already running under a forced layout")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_reference_comparisons_pass_in_the_other_layout(layout):
    """rows: float64 in rows (float32's default); hidden-major: float32 hidden-major (float64's default)."""
    env = {**os.environ, "UFLDL_HIDDEN_LAYOUT": layout}
    files = [os.path.join(HERE, name) for name in REFERENCE_FILES]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files], env=env,
                            capture_output=True, text=True, cwd=os.path.dirname(HERE))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
