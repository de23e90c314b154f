"""Bad input is refused with a ValueError or TypeError whose message names the argument, says what was expected
and what came; and a refused call loses nothing the user had (``net.theta``, the hyperparameters, the arrays
passed in).

Each case states the exception type, a pattern for the argument's name (given to ``pytest.raises(match=...)``)
and a pattern for the received value, which the message must also contain.
"""

import re

import numpy as np
import pytest

import ufldl

M = 5  # examples in every small batch below


# ---------------------------------------------------------------------------- networks and data


def make_net(kind):
    """Small networks, all seeded; each test builds its own (the tests never share a mutable one)."""
    K = ufldl.KLSparsity
    specs = {
        "sigmoid": dict(layer_sizes=[4, 3, 2]),
        "sigmoid_wd": dict(layer_sizes=[4, 3, 2], weight_decay=1e-3),
        "relu_wd0": dict(layer_sizes=[4, 3, 2], activations="relu", weight_decay=0.0),
        "relu_wd": dict(layer_sizes=[4, 3, 2], activations="relu", weight_decay=1e-3),
        "tanh": dict(layer_sizes=[4, 3, 2], activations="tanh"),
        "identity": dict(layer_sizes=[4, 3, 2], activations="identity"),
        "float32": dict(layer_sizes=[4, 3, 2], dtype="float32"),
        "sparse": dict(layer_sizes=[4, 3, 2], sparsity=K(0.1, 3.0), weight_decay=1e-3),
        "ce": dict(layer_sizes=[4, 3, 3], loss="cross_entropy"),
        "ce_relu_wd0": dict(layer_sizes=[4, 3, 3], activations="relu", loss="cross_entropy"),
        "ce_float32": dict(layer_sizes=[4, 3, 3], loss="cross_entropy", dtype="float32"),
    }
    net = ufldl.Network(**specs[kind], random_state=0)
    for b in net.biases:  # nonzero biases: a bias slot must count like any other parameter
        b[...] = 0.1
    return net


def inputs(net):
    """A valid batch for ``net``: X (M, n_0) and targets (M, n_L) (probability rows for cross-entropy)."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0.1, 0.9, size=(M, net.layer_sizes[0]))
    n_out = net.layer_sizes[-1]
    if net.loss == "cross_entropy":
        Y = np.eye(n_out)[np.arange(M) % n_out]
    else:
        Y = rng.uniform(0.1, 0.9, size=(M, n_out))
    return X, Y


LABELS = np.arange(M) % 3  # valid labels for the 3-output cross-entropy networks


def assert_refused(exc, name, received, call, net=None, arrays=()):
    """``call()`` raises ``exc`` naming ``name`` and stating ``received``; ``net`` and ``arrays`` are untouched."""
    if net is not None:
        theta = net.theta.copy()
        hyper = (net.weight_decay, net.sparsity, net.layer_sizes, net.activations, net.loss, net.dtype)
    saved = [(a, a.copy()) for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind in "biufc"]
    with pytest.raises(exc, match=name) as info:
        call()
    message = str(info.value)
    assert re.search(received, message), f"the message does not state the received value /{received}/: {message!r}"
    if net is not None:
        np.testing.assert_array_equal(net.theta, theta, err_msg="a refused call changed net.theta")
        assert (net.weight_decay, net.sparsity, net.layer_sizes, net.activations, net.loss, net.dtype) == hyper
    for array, copy in saved:
        np.testing.assert_array_equal(array, copy, err_msg="a refused call changed an argument")
    return message


def _replace(arr, index, value):
    out = np.array(arr, dtype=np.float64)
    out[index] = value
    return out


# ---------------------------------------------------------------------------- shapes and lengths


def _n(net):
    return net.n_params


# (net kind, argument to spoil, function building the bad value from (net, X, Y), name, received pattern)
SHAPE_CASES = [
    ("sigmoid", "X", lambda net, X, Y: X[0], r"\bX\b", r"\(4,\)"),
    ("sigmoid", "X", lambda net, X, Y: X[..., None], r"\bX\b", r"\(5, 4, 1\)"),
    ("sigmoid", "X", lambda net, X, Y: np.float64(0.5), r"\bX\b", r"\(\)"),
    ("sigmoid", "X", lambda net, X, Y: X[:, :3], r"\bX\b", r"\(5, 3\)"),
    ("sigmoid", "X", lambda net, X, Y: np.hstack([X, X]), r"\bX\b", r"\(5, 8\)"),
    ("sigmoid", "Y", lambda net, X, Y: Y[:, 0], r"\bY\b", r"\(5,\)"),
    ("sigmoid", "Y", lambda net, X, Y: Y[:4], r"\bY\b", r"\(4, 2\)"),
    ("sigmoid", "Y", lambda net, X, Y: np.hstack([Y, Y[:, :1]]), r"\bY\b", r"\(5, 3\)"),
    ("sigmoid", "Y", lambda net, X, Y: Y[..., None], r"\bY\b", r"\(5, 2, 1\)"),
    ("sigmoid", "Y", lambda net, X, Y: Y.ravel(), r"\bY\b", r"\(10,\)"),
    ("ce", "Y", lambda net, X, Y: LABELS[:4], r"\bY\b", r"\(4,\)"),
    ("ce", "Y", lambda net, X, Y: np.r_[LABELS, 0], r"\bY\b", r"\(6,\)"),
    ("ce", "Y", lambda net, X, Y: Y[:, :2], r"\bY\b", r"\(5, 2\)"),
    ("ce", "Y", lambda net, X, Y: Y[:3], r"\bY\b", r"\(3, 3\)"),
    ("sigmoid", "theta", lambda net, X, Y: np.zeros(_n(net) - 1), r"\btheta\b", r"\(22,\)"),
    ("sigmoid", "theta", lambda net, X, Y: np.zeros(_n(net) + 1), r"\btheta\b", r"\(24,\)"),
    ("sigmoid", "theta", lambda net, X, Y: np.zeros((1, _n(net))), r"\btheta\b", r"\(1, 23\)"),
    ("sigmoid", "theta", lambda net, X, Y: np.zeros((_n(net), 1)), r"\btheta\b", r"\(23, 1\)"),
    ("sigmoid", "theta", lambda net, X, Y: 0.5, r"\btheta\b", r"\(\)"),
    ("float32", "theta", lambda net, X, Y: np.zeros(_n(net) - 1, np.float32), r"\btheta\b", r"\(22,\)"),
]


def _call(net, arg, value, X, Y, theta=None):
    if arg == "X":
        return lambda: net.cost_and_grad(value, Y, theta)
    if arg == "Y":
        return lambda: net.cost_and_grad(X, value, theta)
    return lambda: net.cost_and_grad(X, Y, value)


@pytest.mark.parametrize(("kind", "arg", "make_bad", "name", "received"), SHAPE_CASES)
def test_wrong_ndim_shape_or_length(kind, arg, make_bad, name, received):
    net = make_net(kind)
    X, Y = inputs(net)
    bad = make_bad(net, X, Y)
    assert_refused(ValueError, name, received, _call(net, arg, bad, X, Y), net, (X, Y, bad))


@pytest.mark.parametrize("kind", ["sigmoid", "ce", "float32"])
def test_empty_batch(kind):
    net = make_net(kind)
    X0 = np.zeros((0, 4))
    Y0 = np.zeros((0,), dtype=int) if net.loss == "cross_entropy" else np.zeros((0, 2))
    assert_refused(ValueError, r"\bX\b", r"\(0, 4\)", lambda: net.cost_and_grad(X0, Y0), net)
    assert_refused(ValueError, r"\bX\b", r"\(0, 4\)", lambda: net.forward(X0), net)


@pytest.mark.parametrize("kind", ["sigmoid", "ce"])
def test_forward_wrong_shape(kind):
    net = make_net(kind)
    X, _ = inputs(net)
    assert_refused(ValueError, r"\bX\b", r"\(5, 3\)", lambda: net.forward(X[:, :3]), net)
    assert_refused(ValueError, r"\btheta\b", r"\(2,\)", lambda: net.forward(X, np.zeros(2)), net)


# ---------------------------------------------------------------------------- NaN and inf

NONFINITE = [np.nan, np.inf, -np.inf]
NONFINITE_IDS = ["nan", "inf", "-inf"]


def _value_pattern(value):
    return {"nan": r"\bnan\b", "inf": r"(?<!-)\binf\b", "-inf": r"-inf\b"}[repr(float(value))]


@pytest.mark.parametrize("value", NONFINITE, ids=NONFINITE_IDS)
@pytest.mark.parametrize("kind", ["sigmoid", "relu_wd0", "relu_wd", "tanh", "identity", "float32", "sparse",
                                  "ce", "ce_relu_wd0"])
def test_nonfinite_X(kind, value):
    net = make_net(kind)
    X, Y = inputs(net)
    bad = _replace(X, (2, 1), value)
    assert_refused(ValueError, r"\bX\b", _value_pattern(value), lambda: net.cost_and_grad(bad, Y), net, (bad, Y))
    assert_refused(ValueError, r"\bX\b", _value_pattern(value), lambda: net.forward(bad), net, (bad,))
    if net.loss == "cross_entropy":  # with integer labels too
        assert_refused(ValueError, r"\bX\b", _value_pattern(value), lambda: net.cost_and_grad(bad, LABELS), net)


@pytest.mark.parametrize("value", NONFINITE, ids=NONFINITE_IDS)
@pytest.mark.parametrize("kind", ["sigmoid", "relu_wd0", "relu_wd", "tanh", "identity", "float32", "sparse",
                                  "ce", "ce_relu_wd0", "ce_float32"])
def test_nonfinite_Y(kind, value):
    net = make_net(kind)
    X, Y = inputs(net)
    bad = _replace(Y, (3, 0), value)
    assert_refused(ValueError, r"\bY\b", _value_pattern(value), lambda: net.cost_and_grad(X, bad), net, (X, bad))


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("kind", ["ce", "ce_relu_wd0"])
def test_nonfinite_float_labels(kind, value):
    net = make_net(kind)
    X, _ = inputs(net)
    bad = _replace(LABELS, 1, value)
    assert_refused(ValueError, r"\bY\b", _value_pattern(value), lambda: net.cost_and_grad(X, bad), net, (X, bad))


@pytest.mark.parametrize("value", NONFINITE, ids=NONFINITE_IDS)
@pytest.mark.parametrize("index", ["W1", "b1", "W2", "b2"])
@pytest.mark.parametrize("kind", ["sigmoid", "relu_wd0", "relu_wd", "tanh", "float32", "ce_relu_wd0"])
def test_nonfinite_theta_argument(kind, index, value):
    net = make_net(kind)
    X, Y = inputs(net)
    slot = {"W1": 0, "b1": net.n_params - 1 - net.layer_sizes[-1], "W2": 12, "b2": net.n_params - 1}[index]
    bad = _replace(net.theta, slot, value)
    pattern = _value_pattern(value)
    assert_refused(ValueError, r"\btheta\b", pattern, lambda: net.cost_and_grad(X, Y, bad), net, (X, Y, bad))
    assert_refused(ValueError, r"\btheta\b", pattern, lambda: net.forward(X, bad), net, (X, bad))
    assert_refused(ValueError, r"\btheta\b", pattern, lambda: setattr(net, "theta", bad), net, (bad,))


# ``net.theta``, ``net.weights`` and ``net.biases`` are documented as writable views, so a NaN or inf can also
# get into the parameters in place (a diverged optimiser writing through them, or a user). Evaluating the
# network there must still be refused with a ValueError naming theta, never answered: a relu or a saturated
# sigmoid can otherwise turn the bad parameter into a finite cost and gradient, a silently wrong number.
IN_PLACE_CASES = [
    # (net kind, where, value)
    ("sigmoid", "W1", np.inf),  # sigmoid(+-inf) saturates: finite cost and gradient
    ("sigmoid", "b2", np.inf),
    ("tanh", "W1", np.inf),
    ("sigmoid_wd", "b1", np.inf),  # biases are not decayed, so weight decay does not surface it
    ("relu_wd0", "b1", np.nan),
    ("relu_wd0", "W1", -np.inf),
    ("sigmoid", "W1", np.nan),
]


@pytest.mark.parametrize(("kind", "where", "value"), IN_PLACE_CASES,
                         ids=[f"{k}-{w}-{v}" for k, w, v in IN_PLACE_CASES])
def test_nonfinite_theta_written_in_place(kind, where, value):
    net = make_net(kind)
    X, Y = inputs(net)
    layer = int(where[1]) - 1
    if where[0] == "W":
        net.weights[layer][0, 0] = value
    else:
        net.biases[layer][0] = value
    assert_refused(ValueError, r"\btheta\b", _value_pattern(value), lambda: net.cost_and_grad(X, Y), net, (X, Y))


@pytest.mark.parametrize("arg", ["X", "theta"])
def test_float32_overflow_on_conversion(arg):
    # Finite float64 input beyond float32's range: refused with a ValueError that names the argument and the
    # value as the user gave it (not a NumPy cast RuntimeWarning, nor "inf", which the user never passed).
    net = make_net("float32")
    X, Y = inputs(net)
    if arg == "X":
        bad = _replace(X, (0, 0), 1e39)
        call = lambda: net.cost_and_grad(bad, Y)  # noqa: E731
    else:
        bad = _replace(net.theta, 0, 1e39)
        call = lambda: net.cost_and_grad(X, Y, bad)  # noqa: E731
    assert_refused(ValueError, rf"\b{arg}\b", r"1e\+39|float32", call, net, (bad,))


# ---------------------------------------------------------------------------- labels and distributions


LABEL_CASES = [
    (np.array([0, -1, 2, 0, 1]), ValueError, r"-1\b"),
    (np.array([0, 1, 3, 0, 1]), ValueError, r"\b3\b"),
    (np.array([0, 1, 2, 0, 7]), ValueError, r"\b7\b"),
    (np.array([0, 1, 2, 0, 3], dtype=np.uint8), ValueError, r"\b3\b"),
    (np.array([0.0, -1.0, 2.0, 0.0, 1.0]), ValueError, r"-1"),
    (np.array([0.0, 3.0, 2.0, 0.0, 1.0]), ValueError, r"\b3"),
    (np.array([0.0, 1.5, 2.0, 0.0, 1.0]), ValueError, r"1\.5"),
    (np.array([0.0, 1.0, 2.0, 0.25, 1.0], dtype=np.float32), ValueError, r"0\.25"),
    (np.array([False, True, True, False, True]), TypeError, r"bool"),
]


@pytest.mark.parametrize(("labels", "exc", "received"), LABEL_CASES,
                         ids=["neg", "eq_n_out", "above", "uint8", "float_neg", "float_n_out", "float_1.5",
                              "float32_0.25", "bool"])
@pytest.mark.parametrize("kind", ["ce", "ce_float32"])
def test_bad_labels(kind, labels, exc, received):
    net = make_net(kind)
    X, _ = inputs(net)
    assert_refused(exc, r"\bY\b", received, lambda: net.cost_and_grad(X, labels), net, (X, labels))


def test_labels_need_cross_entropy():
    net = make_net("sigmoid")
    X, _ = inputs(net)
    assert_refused(ValueError, r"\bY\b", r"\(5,\)", lambda: net.cost_and_grad(X, np.array([0, 1, 1, 0, 1])), net)


@pytest.mark.parametrize("kind", ["ce", "ce_float32", "ce_relu_wd0"])
@pytest.mark.parametrize(("row", "received"), [
    ([1.5, -0.5, 0.0], r"-0\.5"),
    ([0.5, 0.2, 0.0], r"0\.7|0\.69999"),  # float32 shows 0.699999988...
    ([0.5, 0.5, 0.5], r"1\.5"),
    ([0.0, 0.0, 0.0], r"\b0(\.0)?\b"),
], ids=["negative", "sums_0.7", "sums_1.5", "zero_row"])
def test_targets_not_distributions(kind, row, received):
    net = make_net(kind)
    X, Y = inputs(net)
    bad = Y.copy()
    bad[2] = row
    assert_refused(ValueError, r"\bY\b", received, lambda: net.cost_and_grad(X, bad), net, (X, bad))


# ---------------------------------------------------------------------------- non-numeric and complex arrays


def _non_numeric(kind, shape):
    if kind == "strings":
        return np.full(shape, "0.5")
    if kind == "object":
        return np.full(shape, 0.5, dtype=object)
    if kind == "none":
        return None
    if kind == "ragged":
        return [[0.5] * shape[-1], [0.5]] if len(shape) == 2 else [[0.5, 0.5], [0.5]]
    if kind == "complex":
        return np.full(shape, 0.5 + 0.0j)
    raise AssertionError(kind)


RECEIVED = {"strings": r"<U3|str", "object": r"object", "none": r"object|None", "ragged": r"list|inhomogeneous",
            "complex": r"complex"}


@pytest.mark.parametrize(("arg", "what"), [(arg, what) for arg in ("X", "Y", "theta")
                                            for what in ("strings", "object", "none", "ragged", "complex")
                                            if (arg, what) != ("theta", "none")])  # theta=None means net.theta
@pytest.mark.parametrize("kind", ["sigmoid", "ce"])
def test_non_numeric_and_complex_arrays(kind, arg, what):
    net = make_net(kind)
    X, Y = inputs(net)
    shape = {"X": X.shape, "Y": Y.shape, "theta": (net.n_params,)}[arg]
    bad = _non_numeric(what, shape)
    assert_refused(TypeError, rf"\b{arg}\b", RECEIVED[what], _call(net, arg, bad, X, Y), net, (X, Y))
    if arg != "Y":
        forward = (lambda: net.forward(bad)) if arg == "X" else (lambda: net.forward(X, bad))
        assert_refused(TypeError, rf"\b{arg}\b", RECEIVED[what], forward, net)


# ---------------------------------------------------------------------------- hyperparameters


@pytest.mark.parametrize(("rho", "received"), [
    (0, r"\b0(\.0)?\b"), (1, r"\b1(\.0)?\b"), (-0.1, r"-0\.1"), (1.5, r"1\.5"), (np.nan, r"\bnan\b"),
    (np.inf, r"\binf\b"), (0.0, r"\b0\.0\b"), (1.0, r"\b1\.0\b"),
])
def test_rho_outside_open_unit_interval(rho, received):
    assert_refused(ValueError, r"\brho\b", received, lambda: ufldl.KLSparsity(rho, 3.0))


@pytest.mark.parametrize(("kwargs", "exc", "name", "received"), [
    (dict(rho="0.1"), TypeError, r"\brho\b", r"'0\.1'"),
    (dict(rho=None), TypeError, r"\brho\b", r"None"),
    (dict(beta=-1.0), ValueError, r"\bbeta\b", r"-1(\.0)?\b"),
    (dict(beta=-1e-9), ValueError, r"\bbeta\b", r"-1e-09"),
    (dict(beta=np.nan), ValueError, r"\bbeta\b", r"\bnan\b"),
    (dict(beta=np.inf), ValueError, r"\bbeta\b", r"\binf\b"),
    (dict(beta="3"), TypeError, r"\bbeta\b", r"'3'"),
    (dict(layers=[1.0]), TypeError, r"\blayers\b", r"1\.0"),
    (dict(layers=["1"]), TypeError, r"\blayers\b", r"'1'"),
])
def test_bad_sparsity_parameters(kwargs, exc, name, received):
    assert_refused(exc, name, received, lambda: ufldl.KLSparsity(**{"rho": 0.1, "beta": 3.0, **kwargs}))


@pytest.mark.parametrize(("value", "exc", "received"), [
    (-1e-4, ValueError, r"-0\.0001"),
    (-1, ValueError, r"-1(\.0)?\b"),
    (np.float32(-2.0), ValueError, r"-2(\.0)?\b"),
    (np.nan, ValueError, r"\bnan\b"),
    (np.inf, ValueError, r"\binf\b"),
    ("0.1", TypeError, r"'0\.1'"),
    (None, TypeError, r"None"),
])
def test_bad_weight_decay(value, exc, received):
    assert_refused(exc, r"\bweight_decay\b", received, lambda: ufldl.Network([4, 3, 2], weight_decay=value))
    net = make_net("sigmoid_wd")
    assert_refused(exc, r"\bweight_decay\b", received, lambda: setattr(net, "weight_decay", value), net)
    assert net.weight_decay == 1e-3


NETWORK_CASES = [
    # (kwargs, exception, argument-name pattern, received-value pattern)
    (dict(layer_sizes=[4, 3, 2], activations="swish"), ValueError, r"\bactivation", r"'swish'"),
    (dict(layer_sizes=[4, 3, 2], activations=["sigmoid", "Sigmoid"]), ValueError, r"\bactivation", r"'Sigmoid'"),
    (dict(layer_sizes=[4, 3, 2], activations=["sigmoid"]), ValueError, r"\bactivations\b", r"\b1\b"),
    (dict(layer_sizes=[4, 3, 2], activations=["sigmoid"] * 3), ValueError, r"\bactivations\b", r"\b3\b"),
    (dict(layer_sizes=[4, 3, 2], activations=None), TypeError, r"\bactivations\b", r"NoneType"),
    (dict(layer_sizes=[4, 3, 2], loss="hinge"), ValueError, r"\bloss\b", r"'hinge'"),
    (dict(layer_sizes=[4, 3, 2], loss="crossentropy"), ValueError, r"\bloss\b", r"'crossentropy'"),
    (dict(layer_sizes=[4, 3, 2], loss=None), ValueError, r"\bloss\b", r"None"),
    # softmax anywhere but the output layer
    (dict(layer_sizes=[4, 3, 2], activations=["softmax", "sigmoid"]), ValueError, r"softmax", r"hidden layer 1"),
    (dict(layer_sizes=[4, 3, 2], activations=["softmax", "softmax"], loss="cross_entropy"), ValueError, r"softmax",
     r"hidden layer 1"),
    (dict(layer_sizes=[4, 3, 3, 2], activations=["sigmoid", "softmax", "softmax"], loss="cross_entropy"),
     ValueError, r"softmax", r"hidden layer 2"),
    (dict(layer_sizes=[4, 3, 2], activations="softmax", loss="cross_entropy"), ValueError, r"softmax",
     r"hidden layer 1"),
    # softmax with the squared loss
    (dict(layer_sizes=[4, 3, 2], activations=["sigmoid", "softmax"]), ValueError, r"\bloss\b", r"'squared'"),
    (dict(layer_sizes=[4, 2], activations="softmax"), ValueError, r"\bloss\b", r"'squared'"),
    (dict(layer_sizes=[4, 2], activations=["softmax"], loss="squared"), ValueError, r"\bloss\b", r"'squared'"),
    # cross-entropy with a non-softmax output given as a list
    (dict(layer_sizes=[4, 3, 2], activations=["sigmoid", "sigmoid"], loss="cross_entropy"), ValueError,
     r"\bloss\b", r"'sigmoid'"),
    (dict(layer_sizes=[4, 2], activations=["identity"], loss="cross_entropy"), ValueError, r"\bloss\b",
     r"'identity'"),
    # sparsity that cannot apply
    (dict(layer_sizes=[4, 2], sparsity=ufldl.KLSparsity()), ValueError, r"\bsparsity\b", r"\(4, 2\)"),
    (dict(layer_sizes=[4, 3, 2], activations="tanh", sparsity=ufldl.KLSparsity()), ValueError, r"\bsparsity\b",
     r"'tanh'"),
    (dict(layer_sizes=[4, 3, 3, 2], activations=["sigmoid", "relu", "sigmoid"], sparsity=ufldl.KLSparsity()),
     ValueError, r"\bsparsity\b", r"'relu'"),
    (dict(layer_sizes=[4, 3, 3, 2], activations=["sigmoid", "identity", "sigmoid"],
          sparsity=ufldl.KLSparsity(layers=[2])), ValueError, r"\bsparsity\b", r"'identity'"),
    (dict(layer_sizes=[4, 3, 2], sparsity=ufldl.KLSparsity(layers=[2])), ValueError, r"\bsparsity\b", r"\b2\b"),
    (dict(layer_sizes=[4, 3, 2], sparsity=ufldl.KLSparsity(layers=[0])), ValueError, r"\bsparsity\b", r"\b0\b"),
    (dict(layer_sizes=[4, 3, 2], sparsity=ufldl.KLSparsity(layers=[-1])), ValueError, r"\bsparsity\b", r"-1\b"),
    (dict(layer_sizes=[4, 3, 3, 2], sparsity=ufldl.KLSparsity(layers=[1, 3])), ValueError, r"\bsparsity\b",
     r"\b3\b"),
    (dict(layer_sizes=[4, 3, 2], sparsity=0.01), TypeError, r"\bsparsity\b", r"float"),
    (dict(layer_sizes=[4, 3, 2], sparsity={"rho": 0.01}), TypeError, r"\bsparsity\b", r"dict"),
    # layer sizes
    (dict(layer_sizes=[4, 0, 2]), ValueError, r"\blayer.sizes\b", r"\[4, 0, 2\]"),
    (dict(layer_sizes=[0, 3, 2]), ValueError, r"\blayer.sizes\b", r"\[0, 3, 2\]"),
    (dict(layer_sizes=[4, 3, -1]), ValueError, r"\blayer.sizes\b", r"-1"),
    (dict(layer_sizes=[4, 2.5, 2]), TypeError, r"\blayer_sizes\b", r"2\.5"),
    (dict(layer_sizes=[4, 3.0, 2]), TypeError, r"\blayer_sizes\b", r"3\.0"),
    (dict(layer_sizes=[4, "3", 2]), TypeError, r"\blayer_sizes\b", r"'3'"),
    (dict(layer_sizes=[4, True, 2]), TypeError, r"\blayer_sizes\b", r"True"),
    (dict(layer_sizes=[4, None, 2]), TypeError, r"\blayer_sizes\b", r"None"),
    (dict(layer_sizes=[4]), ValueError, r"\blayer_sizes\b", r"\[4\]"),
    (dict(layer_sizes=[]), ValueError, r"\blayer_sizes\b", r"\[\]"),
    (dict(layer_sizes=4), TypeError, r"\blayer_sizes\b", r"\bint\b"),
    (dict(layer_sizes=None), TypeError, r"\blayer_sizes\b", r"NoneType"),
    # dtype names
    (dict(layer_sizes=[4, 3, 2], dtype="float16"), ValueError, r"\bdtype\b", r"float16"),
    (dict(layer_sizes=[4, 3, 2], dtype="int32"), ValueError, r"\bdtype\b", r"int32"),
    (dict(layer_sizes=[4, 3, 2], dtype="complex128"), ValueError, r"\bdtype\b", r"complex128"),
    (dict(layer_sizes=[4, 3, 2], dtype="double precision"), TypeError, r"\bdtype\b", r"'double precision'"),
    (dict(layer_sizes=[4, 3, 2], dtype="flaot64"), TypeError, r"\bdtype\b", r"'flaot64'"),
]


@pytest.mark.parametrize(("kwargs", "exc", "name", "received"), NETWORK_CASES,
                         ids=["-".join(f"{k}={v!r}" for k, v in kw.items()) for kw, *_ in NETWORK_CASES])
def test_bad_network_arguments(kwargs, exc, name, received):
    assert_refused(exc, name, received, lambda: ufldl.Network(**kwargs, random_state=0))


@pytest.mark.parametrize(("sparsity", "exc", "received"), [
    (ufldl.KLSparsity(layers=[2]), ValueError, r"\b2\b"),
    (ufldl.KLSparsity(layers=[0]), ValueError, r"\b0\b"),
    (0.05, TypeError, r"float"),
])
def test_bad_sparsity_assignment_keeps_the_network(sparsity, exc, received):
    net = make_net("sparse")
    before = net.sparsity
    X, Y = inputs(net)
    cost = net.cost(X, Y)
    assert_refused(exc, r"\bsparsity\b", received, lambda: setattr(net, "sparsity", sparsity), net)
    assert net.sparsity is before
    assert net.cost(X, Y) == cost  # the penalty still applies as before


def test_sparsity_assignment_on_a_non_sigmoid_hidden_layer():
    net = make_net("tanh")
    assert_refused(ValueError, r"\bsparsity\b", r"'tanh'", lambda: setattr(net, "sparsity", ufldl.KLSparsity()),
                   net)
    assert net.sparsity is None


# ---------------------------------------------------------------------------- eps, fun, theta of the checkers


def _quadratic(x):
    """The tutorial's self-test h(x) = x1^2 + 3 x1 x2 with its gradient."""
    return x[0] ** 2 + 3 * x[0] * x[1], np.array([2 * x[0] + 3 * x[1], 3 * x[0]])


THETA0 = np.array([4.0, 10.0])

BAD_EPS = [
    (0, ValueError, r"\b0\b"),
    (0.0, ValueError, r"\b0\.0\b"),
    (-1e-4, ValueError, r"-0\.0001"),
    (np.nan, ValueError, r"\bnan\b"),
    (np.inf, ValueError, r"\binf\b"),
    (np.float32(-1e-3), ValueError, r"-0\.001"),
    ("1e-4", TypeError, r"'1e-4'"),
    (None, TypeError, r"None"),
    (1e-4j, TypeError, r"complex"),
    (True, TypeError, r"True|bool"),
]
BAD_EPS_IDS = ["0", "0.0", "neg", "nan", "inf", "float32_neg", "str", "None", "complex", "bool"]


@pytest.mark.parametrize(("eps", "exc", "received"), BAD_EPS, ids=BAD_EPS_IDS)
@pytest.mark.parametrize("checker", ["check_gradient", "numerical_gradient", "net.check_gradient"])
def test_bad_eps(checker, eps, exc, received):
    if checker == "net.check_gradient":
        net = make_net("sigmoid")
        X, Y = inputs(net)
        call = lambda: net.check_gradient(X, Y, eps)  # noqa: E731
    else:
        net, X, Y = None, None, None
        call = lambda: getattr(ufldl, checker)(_quadratic, THETA0, eps)  # noqa: E731
    assert_refused(exc, r"\beps\b", received, call, net)
    np.testing.assert_array_equal(THETA0, [4.0, 10.0])


def test_bad_eps_leaves_a_ufldl_network_alone():
    # The checkers evaluate fun on copies: a refused call does not touch the network or its theta.
    net = make_net("sigmoid")
    X, Y = inputs(net)
    fun = lambda theta: net.cost_and_grad(X, Y, theta)  # noqa: E731
    theta = net.theta
    for checker in (ufldl.check_gradient, ufldl.numerical_gradient):
        assert_refused(ValueError, r"\beps\b", r"-0\.0001", lambda: checker(fun, theta, -1e-4), net, (theta,))


@pytest.mark.parametrize("checker", ["check_gradient", "numerical_gradient"])
@pytest.mark.parametrize(("fun", "received"), [(3, r"\bint\b"), ("h", r"\bstr\b"), (None, r"NoneType"),
                                               (np.zeros(2), r"ndarray")])
def test_fun_not_callable(checker, fun, received):
    assert_refused(TypeError, r"\bfun\b", received, lambda: getattr(ufldl, checker)(fun, THETA0))


FUN_RESULT_CASES = [
    # (checker, fun, exception, received)
    ("check_gradient", lambda x: (_quadratic(x)[0], np.zeros(3)), ValueError, r"\(3,\)"),
    ("check_gradient", lambda x: (_quadratic(x)[0], np.zeros((2, 1))), ValueError, r"\(2, 1\)"),
    ("check_gradient", lambda x: (_quadratic(x)[0], np.zeros(1)), ValueError, r"\(1,\)"),
    ("check_gradient", lambda x: (_quadratic(x)[0], np.float64(1.0)), ValueError, r"\(\)"),
    ("check_gradient", lambda x: (_quadratic(x)[0], np.zeros(2, complex)), ValueError, r"complex"),
    ("check_gradient", lambda x: (_quadratic(x)[0], np.array([np.nan, 1.0])), ValueError, r"NaN|nan"),
    ("check_gradient", lambda x: (np.zeros(2), _quadratic(x)[1]), ValueError, r"\(2,\)"),
    ("check_gradient", lambda x: _quadratic(x)[0], TypeError, r"float"),
    ("check_gradient", lambda x: (1.0, np.zeros(2), 0), TypeError, r"length 3"),
    ("check_gradient", lambda x: [1.0, np.zeros(2)], TypeError, r"\blist\b"),
    ("numerical_gradient", lambda x: np.zeros(2), ValueError, r"\(2,\)"),
    ("numerical_gradient", lambda x: (np.zeros((1, 1)), None), ValueError, r"\(1, 1\)"),
    ("numerical_gradient", lambda x: np.nan, ValueError, r"\bnan\b"),
]


@pytest.mark.parametrize(("checker", "fun", "exc", "received"), FUN_RESULT_CASES,
                         ids=[f"{c}-{i}" for i, (c, *_) in enumerate(FUN_RESULT_CASES)])
def test_fun_returning_the_wrong_thing(checker, fun, exc, received):
    assert_refused(exc, r"\bfun\b", received, lambda: getattr(ufldl, checker)(fun, THETA0))
    np.testing.assert_array_equal(THETA0, [4.0, 10.0])


CHECKER_THETA_CASES = [
    (THETA0.reshape(1, 2), ValueError, r"\(1, 2\)"),
    (np.float64(4.0), ValueError, r"\(\)|0-D"),
    (np.zeros(0), ValueError, r"\(0,\)"),
    (np.array([np.nan, 1.0]), ValueError, r"NaN|nan"),
    (np.array([4.0, np.inf]), ValueError, r"inf"),
    (np.array(["4", "10"]), TypeError, r"<U2"),
    (np.array([4.0, 10.0], dtype=object), TypeError, r"object"),
    (np.array([4.0 + 0j, 10.0]), TypeError, r"complex"),
    ([[4.0, 10.0], [1.0]], TypeError, r"list|inhomogeneous"),
]


@pytest.mark.parametrize(("theta", "exc", "received"), CHECKER_THETA_CASES,
                         ids=["2d", "0d", "empty", "nan", "inf", "str", "object", "complex", "ragged"])
@pytest.mark.parametrize("checker", ["check_gradient", "numerical_gradient"])
def test_checker_bad_theta(checker, theta, exc, received):
    assert_refused(exc, r"\btheta\b", received, lambda: getattr(ufldl, checker)(_quadratic, theta), None,
                   (theta,))


@pytest.mark.parametrize(("X", "Y", "name", "received"), [
    (np.zeros((5, 3)), None, r"\bX\b", r"\(5, 3\)"),
    (None, np.zeros((4, 2)), r"\bY\b", r"\(4, 2\)"),
    (_replace(np.full((5, 4), 0.5), (1, 1), np.nan), None, r"\bX\b", r"\bnan\b"),
])
def test_net_check_gradient_bad_data(X, Y, name, received):
    net = make_net("sigmoid")
    X0, Y0 = inputs(net)
    X = X0 if X is None else X
    Y = Y0 if Y is None else Y
    assert_refused(ValueError, name, received, lambda: net.check_gradient(X, Y), net, (X, Y))


# ---------------------------------------------------------------------------- grad= output buffers


def _readonly(n):
    g = np.zeros(n)
    g.flags.writeable = False
    return g


GRAD_CASES = [
    # (net kind, buffer factory(n), exception, received)
    ("sigmoid", lambda n: np.zeros(n, np.float32), TypeError, r"float32"),
    ("sigmoid", lambda n: np.zeros(n, np.int64), TypeError, r"int64"),
    ("float32", lambda n: np.zeros(n, np.float64), TypeError, r"float64"),
    ("ce", lambda n: np.zeros(n, np.float32), TypeError, r"float32"),
    ("sigmoid", lambda n: np.zeros(n - 1), ValueError, r"\(22,\)"),
    ("sigmoid", lambda n: np.zeros(n + 1), ValueError, r"\(24,\)"),
    ("sigmoid", lambda n: np.zeros((1, n)), ValueError, r"\(1, 23\)"),
    ("sigmoid", lambda n: np.zeros(()), ValueError, r"\(\)"),
    ("sigmoid", lambda n: [0.0] * n, TypeError, r"\blist\b"),
    ("sigmoid", lambda n: np.zeros(2 * n)[::2], ValueError, r"strides|non-contiguous|not contiguous|got"),
    ("sigmoid", _readonly, ValueError, r"read-only|not writ|got"),
]


@pytest.mark.parametrize(("kind", "make_grad", "exc", "received"), GRAD_CASES,
                         ids=["f32_into_f64", "int64", "f64_into_f32", "ce_f32", "short", "long", "2d", "0d",
                              "list", "non_contiguous", "read_only"])
def test_bad_grad_buffer(kind, make_grad, exc, received):
    net = make_net(kind)
    X, Y = inputs(net)
    grad = make_grad(net.n_params)
    before = np.array(grad, copy=True)
    assert_refused(exc, r"\bgrad\b", received, lambda: net.cost_and_grad(X, Y, grad=grad), net, (X, Y))
    np.testing.assert_array_equal(grad, before, err_msg="a refused grad buffer was written to")


def test_good_grad_buffer_is_filled_in_place():
    # The counterpart of the cases above: an exact buffer is used as is and returned.
    net = make_net("sigmoid")
    X, Y = inputs(net)
    grad = np.full(net.n_params, np.nan)
    cost, out = net.cost_and_grad(X, Y, grad=grad)
    assert out is grad
    np.testing.assert_array_equal(grad, net.cost_and_grad(X, Y)[1])


# ---------------------------------------------------------------------------- assigning net.theta


THETA_ASSIGN_CASES = [
    (lambda n: np.zeros(n - 1), ValueError, r"\(22,\)"),
    (lambda n: np.zeros(n + 1), ValueError, r"\(24,\)"),
    (lambda n: np.zeros((1, n)), ValueError, r"\(1, 23\)"),
    (lambda n: 0.0, ValueError, r"\(\)"),
    (lambda n: _replace(np.zeros(n), 7, np.nan), ValueError, r"\bnan\b"),
    (lambda n: _replace(np.zeros(n), n - 1, np.inf), ValueError, r"\binf\b"),
    (lambda n: _replace(np.zeros(n), 0, -np.inf), ValueError, r"-inf\b"),
    (lambda n: np.full(n, "0.1"), TypeError, r"<U3"),
    (lambda n: np.zeros(n, object), TypeError, r"object"),
    (lambda n: np.zeros(n, complex), TypeError, r"complex"),
    (lambda n: [[0.0] * n, [0.0]], TypeError, r"list|inhomogeneous"),
    (lambda n: None, TypeError, r"object|None"),
]


@pytest.mark.parametrize(("make_value", "exc", "received"), THETA_ASSIGN_CASES,
                         ids=["short", "long", "2d", "0d", "nan", "inf", "-inf", "str", "object", "complex",
                              "ragged", "None"])
@pytest.mark.parametrize("kind", ["sigmoid", "float32"])
def test_bad_theta_assignment_keeps_theta(kind, make_value, exc, received):
    net = make_net(kind)
    theta_view = net.theta
    weights = [W.copy() for W in net.weights]
    value = make_value(net.n_params)
    assert_refused(exc, r"\btheta\b", received, lambda: setattr(net, "theta", value), net, (value,))
    assert net.theta is theta_view  # still the same buffer: weights/biases views stay valid
    for W, W0 in zip(net.weights, weights):
        np.testing.assert_array_equal(W, W0)


# ---------------------------------------------------------------------------- buffers that share memory


def _aliased_grad_cases():
    """(id, net kind, make(net, X, Y) -> (X, Y, theta, grad), name of the argument grad overlaps)."""

    def into_theta(net, X, Y):
        return X, Y, None, net.theta                      # grad=net.theta would overwrite the parameters

    def into_theta_argument(net, X, Y):
        theta = net.theta.copy()
        return X, Y, theta, theta

    def partly_into_theta(net, X, Y):
        buf = np.zeros(2 * net.n_params, dtype=net.dtype)
        buf[5:5 + net.n_params] = net.theta
        return X, Y, buf[5:5 + net.n_params], buf[:net.n_params]

    def into_X(net, X, Y):
        buf = np.zeros(X.size + net.n_params, dtype=net.dtype)
        Xa = buf[:X.size].reshape(X.shape)
        Xa[...] = X
        return Xa, Y, None, buf[X.size - 3:X.size - 3 + net.n_params]

    def into_Y(net, X, Y):
        buf = np.zeros(Y.size + net.n_params, dtype=net.dtype)
        Ya = buf[net.n_params - 1:net.n_params - 1 + Y.size].reshape(Y.shape)
        Ya[...] = Y
        return X, Ya, None, buf[:net.n_params]

    return [("theta", "sigmoid", into_theta, "theta"), ("theta_arg", "float32", into_theta_argument, "theta"),
            ("part_of_theta", "sparse", partly_into_theta, "theta"), ("X", "sigmoid", into_X, "X"),
            ("Y", "sigmoid", into_Y, "Y")]


@pytest.mark.parametrize(("kind", "make", "other"), [c[1:] for c in _aliased_grad_cases()],
                         ids=[c[0] for c in _aliased_grad_cases()])
def test_grad_sharing_memory_with_an_input_is_refused(kind, make, other):
    # The core writes grad while it reads theta, X and Y: an overlap used to give a silently wrong cost and
    # gradient (and grad=net.theta overwrote the parameters).
    net = make_net(kind)
    X, Y = inputs(net)
    X, Y, theta, grad = make(net, X, Y)
    theta_before = net.theta.copy()
    arrays_before = [np.array(a, copy=True) for a in (X, Y, grad) + ((theta,) if theta is not None else ())]
    with pytest.raises(ValueError, match=rf"grad must not share memory with {other}\b"):
        net.cost_and_grad(X, Y, theta, grad=grad)
    np.testing.assert_array_equal(net.theta, theta_before)
    for a, before in zip((X, Y, grad) + ((theta,) if theta is not None else ()), arrays_before):
        np.testing.assert_array_equal(a, before, err_msg="a refused call wrote to an argument")


def test_grad_next_to_theta_in_one_buffer_is_accepted():
    # Adjacent but disjoint slices of one buffer do not overlap.
    net = make_net("sigmoid")
    X, Y = inputs(net)
    buf = np.zeros(2 * net.n_params)
    buf[:net.n_params] = net.theta
    cost, grad = net.cost_and_grad(X, Y, buf[:net.n_params], grad=buf[net.n_params:])
    expected = net.cost_and_grad(X, Y)
    assert cost == expected[0]
    np.testing.assert_array_equal(grad, expected[1])


@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_update_kernels_refuse_aliased_buffers(rule):
    from ufldl import _core

    theta, grad, s1, s2 = (np.arange(8.0) + k for k in range(4))
    if rule == "sgd":
        update = lambda th, g, v: _core.sgd_update(th, g, v, 0.1, 0.9, False)  # noqa: E731
        cases = [((theta, theta, s1), "theta", "grad"), ((theta, grad, theta), "theta", "velocity"),
                 ((theta, grad, grad), "velocity", "grad")]
    else:
        update = lambda th, g, a: _core.adam_update(th, g, a, s2, 1, 1e-3, 0.9, 0.999, 1e-8)  # noqa: E731
        cases = [((theta, theta, s1), "theta", "grad"), ((theta, grad, theta), "theta", "m1"),
                 ((theta, grad, grad), "m1", "grad")]
    for args, written, other in cases:
        before = [a.copy() for a in args]
        with pytest.raises(ValueError, match=rf"{written} must not share memory with {other}\b"):
            update(*args)
        for a, b in zip(args, before):
            np.testing.assert_array_equal(a, b)


def test_minibatch_buffers_sharing_memory_are_refused():
    net = make_net("sigmoid")
    X, Y = inputs(net)
    n = net.n_params
    order = np.arange(M, dtype=np.int64)
    state = np.zeros(n)
    engine_args = dict(batch_size=2,
                       cost=ufldl._core.CostSettings(sparse_layers=[False] * 3, weight_decay=0.0, rho=0.01, beta=3.0),
                       update=ufldl._core.UpdateParams(rule=ufldl._core.UpdateRule.sgd, learning_rate=0.1,
                                                       momentum=0.9, nesterov=False, beta1=0.9, beta2=0.999,
                                                       epsilon=1e-8))

    def run(theta, state1, state2):
        return net._engine.minibatch_epoch(theta, X, Y, order, state1=state1, state2=state2,
                                           step=np.zeros(1, np.int64), batch_costs=np.zeros(3), **engine_args)

    theta = net.theta.copy()
    with pytest.raises(ValueError, match=r"state1 must not share memory with state2|"
                                         r"state2 must not share memory with state1"):
        run(theta, state, state)
    with pytest.raises(ValueError, match=r"must not share memory with"):
        run(theta, theta, np.zeros(n))
    np.testing.assert_array_equal(theta, net.theta)


# ---------------------------------------------------------------------------- sizes too large to exist


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_parameter_count_overflowing_64_bits_is_refused_clearly(dtype):
    # Each size is valid (fits a 32-bit int); their products overflow int64, which the core used to report
    # confusingly. The count is checked with overflow-free arithmetic before anything is allocated.
    A = 2**31 - 1
    sizes = [48, 1, 2, A, A, A, A, A, 1]
    with pytest.raises(ValueError, match=r"layer_sizes .* give 1\.845e\+19 parameters .* more than a "
                                         rf"{dtype} array can hold"):
        ufldl.Network(sizes, dtype=dtype)
    from ufldl import _core

    engine = _core.NetworkF64 if dtype == "float64" else _core.NetworkF32
    with pytest.raises(ValueError, match=r"more parameters .* than a 64-bit count holds"):
        engine(sizes, [0] * 8, 0)


# ---------------------------------------------------------------------------- misaligned arrays


def misaligned(a):
    """A C-contiguous copy of ``a`` whose data starts one byte past an aligned address (NumPy flags it
    unaligned), as an unpickled out-of-band buffer on a Dask worker can."""
    raw = np.zeros(a.nbytes + a.itemsize, dtype=np.uint8)
    out = np.frombuffer(raw.data, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    assert not out.flags.aligned
    out[...] = a
    return out


@pytest.mark.parametrize("kind", ["sparse", "float32", "ce"])
def test_misaligned_arrays_are_copied_and_give_the_aligned_results(kind):
    net = make_net(kind)
    X, Y = inputs(net)
    X, Y = X.astype(net.dtype), Y.astype(net.dtype)
    expected = net.cost_and_grad(X, Y)
    cost, grad = net.cost_and_grad(misaligned(X), misaligned(Y), misaligned(net.theta))
    assert cost == expected[0]
    np.testing.assert_array_equal(grad, expected[1])
    np.testing.assert_array_equal(net.forward(misaligned(X)), net.forward(X))


def test_misaligned_sparse_arrays_are_copied():
    import scipy.sparse

    net = make_net("sparse")
    X, Y = inputs(net)
    X[X < 0.5] = 0.0
    csr = scipy.sparse.csr_matrix(X)
    odd = scipy.sparse.csr_matrix((misaligned(csr.data), misaligned(csr.indices), misaligned(csr.indptr)),
                                  shape=csr.shape)
    assert not (odd.data.flags.aligned or odd.indices.flags.aligned or odd.indptr.flags.aligned)
    expected = net.cost_and_grad(csr, Y)
    cost, grad = net.cost_and_grad(odd, Y)
    assert cost == expected[0]
    np.testing.assert_array_equal(grad, expected[1])


def test_the_binding_refuses_a_misaligned_array_naming_it():
    from ufldl import _core

    theta, grad, velocity = np.zeros(8), np.ones(8), np.zeros(8)
    with pytest.raises(ValueError, match=r"theta must be aligned to its 8-byte elements"):
        _core.sgd_update(misaligned(theta), grad, velocity, 0.1, 0.9, False)
    csr = _core.CsrMatrix(np.ones(2), misaligned(np.array([0, 1], dtype=np.int64)),
                          np.array([0, 1, 2, 2], dtype=np.int64), (3, 4))
    net = make_net("sigmoid")
    with pytest.raises(ValueError, match=r"X\.indices must be aligned to its 8-byte elements"):
        net._engine.forward(net.theta, csr, 1, net.n_layers)
